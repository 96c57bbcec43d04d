"""The team stack for real: PostgreSQL (Debian's), a Prefect server and an
MLflow server on it, a Dask scheduler and workers, and a process work pool's
worker, each a process of its own, started from deploy/compose.yaml
(tests/deploy/stack.py). prefect.yaml's deployment is registered with
`peakwatch deploy`, two runs of the same month are triggered at once through the
API, and the MLflow runs are read back through the server.

One experiment, one sender: the two runs overlap, the second waits for the
experiment's lease, and each warning reaches each webhook once, including the
webhook that failed during the first run (it gets the warning from the second).
"""

import json
import os
import re
import subprocess

import pytest
import yaml
from mlflow import MlflowClient
from prefect.blocks.notifications import CustomWebhookNotificationBlock
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import StateType
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound
from prefect.settings import PREFECT_API_URL, temporary_settings

from peakwatch.config import PROJECT_ROOT
from flows.lease import ExperimentBusy, experiment_lease, lease_name
from tests.deploy.stack import BIN, FOREIGN_ENV, PREFECT_YAML, Stack
from tests.flows.schedule_support import INDICATOR, STAYS_LATE, WebhookReceiver, write_config, write_panel

pytestmark = [pytest.mark.team, pytest.mark.integration, pytest.mark.slow]

EXPERIMENT = "peakwatch-test"  # tests/flows/schedule_support.write_config's run series
WARNING_LINE = re.compile(r"^(LATE|CROSSED|DRIFT)\s+.*?\((?P<region>[\w.]+)\) (?P<indicator>\w+) \[(?P<scenario>\w+)\]", re.M)


@pytest.fixture
def stack(tmp_path):
    stack = Stack(tmp_path / "stack")
    try:
        yield stack.up()
    finally:
        stack.stop()
        print(stack.report())  # shown by pytest when the test failed


def wait_for(fetch, what: str, stack: Stack, seconds: float = 300, every: float = 1.0):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = fetch()
        if value:
            return value
        dead = [name for name, alive in stack.alive().items() if not alive]
        if dead:
            pytest.fail(f"{dead} exited while waiting for {what}")
        time.sleep(every)
    pytest.fail(f"gave up waiting for {what} after {seconds:.0f} s")


def warnings_in(receiver: WebhookReceiver) -> list[tuple[str, str, str, str]]:
    return [
        (m.group(1), m.group("region"), m.group("indicator"), m.group("scenario"))
        for request in receiver.requests
        for m in WARNING_LINE.finditer(request["text"])
    ]


def save_webhook(port: int, name: str) -> str:
    CustomWebhookNotificationBlock(
        name=name, url=f"http://127.0.0.1:{port}/hook", json_data={"text": "{{subject}}\n{{body}}"}
    ).save(name, overwrite=True)
    return f"custom-webhook/{name}"


def deploy(stack: Stack, parameters: dict, home) -> None:
    """`peakwatch deploy` of prefect.yaml's team deployment, as an operator runs it."""
    env = {k: v for k, v in os.environ.items() if not FOREIGN_ENV.match(k)}
    env.update(PREFECT_API_URL=stack.prefect_api, PREFECT_HOME=str(home))
    params = [f"--param={name}={json.dumps(value) if not isinstance(value, str) else value}" for name, value in parameters.items()]
    done = subprocess.run(
        [str(BIN / "peakwatch"), "deploy", *params], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"peakwatch deploy failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert "Registered 'peakwatch-monthly/team-monthly' on work pool 'peakwatch'" in done.stdout


def test_two_triggers_of_the_same_month_run_one_after_the_other_and_send_each_warning_once(stack, tmp_path):
    [spec] = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))["deployments"]
    artifacts = stack.site.translate("prefect-worker", spec["parameters"]["artifacts_dir"])  # the shared volume
    elsewhere = tmp_path / "second-machine-artifacts"  # another worker's folder: its run lock is not shared
    with WebhookReceiver() as team_a, WebhookReceiver() as team_b, temporary_settings({PREFECT_API_URL: stack.prefect_api}):
        team_b.fail_first = 2  # down for the first run's two attempts (retries: 1)
        blocks = [save_webhook(team_a.port, "team-a"), save_webhook(team_b.port, "team-b")]
        config = write_config(tmp_path / "peakwatch.yaml", write_panel(tmp_path / "panel.csv"), tmp_path / "unused", blocks)
        parameters = {
            name: stack.site.translate("prefect-worker", value) if isinstance(value, str) else value
            for name, value in spec["parameters"].items()
        }
        parameters["config_path"] = str(config)  # a two-series panel: a short run
        deploy(stack, parameters, tmp_path / "deployer-home")

        with get_client(sync_client=True) as client:
            deployment = client.read_deployment_by_name(f"peakwatch-monthly/{spec['name']}")
            [schedule] = deployment.schedules
            assert (deployment.entrypoint, deployment.work_pool_name, deployment.parameters) == (
                "flows.monthly.monthly_flow", stack.work_pool, parameters,
            )
            assert (schedule.schedule.cron, schedule.schedule.timezone, schedule.active) == ("0 6 1 * *", "Asia/Shanghai", True)

            # the same month, twice at once: the scheduled run and a manual one from another machine's worker
            runs = [
                run_deployment(deployment.id, timeout=0),
                run_deployment(deployment.id, parameters={"artifacts_dir": str(elsewhere)}, timeout=0),
            ]

            def lease_taken():
                try:
                    return client.read_global_concurrency_limit_by_name(lease_name(EXPERIMENT)).active_slots == 1
                except ObjectNotFound:
                    return False

            def finished():
                states = [client.read_flow_run(run.id) for run in runs]
                return states if all(r.state and r.state.is_final() for r in states) else None

            wait_for(lambda: lease_taken() or finished(), "a run to take the experiment's lease", stack)
            lease_seen = lease_taken()
            if lease_seen:  # a third run, not waiting, is refused at once
                with pytest.raises(ExperimentBusy, match="holds its lease"):
                    with experiment_lease(EXPERIMENT, wait_seconds=0):
                        pass

            done = wait_for(finished, "both runs to finish", stack, seconds=420, every=2)
            for run in done:
                assert run.state.type == StateType.COMPLETED, f"{run.name}: {run.state}"
            first, second = sorted(done, key=lambda r: r.start_time)
            assert second.start_time < first.end_time, "the two runs did not overlap: nothing was tested"
            assert not lease_taken(), "the lease was not given back"

    # each warning once per webhook: team-b, down for the first run, has it from the second
    assert warnings_in(team_a) == [("LATE", STAYS_LATE, INDICATOR, "statistical")]
    assert warnings_in(team_b) == [("LATE", STAYS_LATE, INDICATOR, "statistical")]
    assert "Not delivered to this channel before:" in team_b.requests[0]["text"]
    assert len(team_a.requests) == len(team_b.requests) == 1 and len(team_b.paths) == 3  # two refused, one taken

    # MLflow, through the server: one parent per run, never at once, each with its child runs
    mlflow = MlflowClient(stack.mlflow_url)
    experiment = mlflow.get_experiment_by_name(EXPERIMENT)
    parents = mlflow.search_runs(
        [experiment.experiment_id], "tags.`peakwatch.kind` = 'parent'", order_by=["attributes.start_time ASC"]
    )
    assert [p.info.status for p in parents] == ["FINISHED", "FINISHED"]
    # a parent's start time is its run date, in whole seconds: the second may start in the second the first ended
    assert parents[0].info.end_time < parents[1].info.start_time + 1000, "the second run started while the first held the lease"
    assert {p.data.tags["prefect_flow_run_id"] for p in parents} == {str(r.id) for r in runs}
    for parent in parents:
        children = mlflow.search_runs([experiment.experiment_id], f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'")
        assert sorted(c.data.tags["region_id"] for c in children) == sorted(["hunan.zhuzhou", STAYS_LATE])
        assert parent.info.artifact_uri.startswith("mlflow-artifacts:/")  # proxied by the server
    stored = list(stack.site.volume("mlflow-artifacts").rglob("alerts/state.json"))
    assert len(stored) == 2  # in the server's artifact store, not on the worker
    assert [p.data.tags["peakwatch.warnings.delivery"] for p in parents] == ["partial", "none"]

    # the runs' folders: the shared volume and the second machine's, nothing of them on the image
    summaries = [*stack.site.volume("artifacts").glob("runs/*/summary.json"), *elsewhere.glob("runs/*/summary.json")]
    assert sorted(json.loads(s.read_text())["run_id"] for s in summaries) == sorted(p.info.run_id for p in parents)
    assert str(artifacts) == str(stack.site.volume("artifacts"))
    password = stack.site.env["POSTGRES_PASSWORD"]
    for path in [*summaries, stack.logs / "prefect-worker.log"]:
        assert password not in path.read_text(errors="replace"), path
    assert lease_seen, "no run took the experiment's lease"
