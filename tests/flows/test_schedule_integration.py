"""The monthly deployment and the early warnings against a real Prefect server.

One `prefect server start` per module (its own PREFECT_HOME in tmp); flows run
for real (Dask LocalCluster, SQLite MLflow store, GX). Five full flow runs in
all: one through the served deployment, four for the webhook sequence.
"""

import io
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from prefect import flow
from prefect.blocks.notifications import CustomWebhookNotificationBlock, MattermostWebhook
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    DeploymentFilter, DeploymentFilterId, FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.deployments import run_deployment
from prefect.logging.handlers import APILogWorker
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.monthly import monthly_flow
from flows.notify import deliver_to_block
from peakwatch.cli import main
from peakwatch.cli.errors import EXIT_OK
from peakwatch.config import PROJECT_ROOT, NotifyConfig, WarningConfig
from peakwatch.results import early_warnings
from peakwatch.results.early_warnings import next_state
from peakwatch.results.series import SeriesRow
from tests.outcome import as_json


def decide_alerts(rows: list[dict], histories, state, rules: WarningConfig, run):
    """The decision on rows as summary.json holds them."""
    return early_warnings.decide_alerts([SeriesRow.from_json(r) for r in rows], histories, state, rules.rule_for, run)
from tests.flows.schedule_support import (
    INDICATOR, PUSHED, STAYS_LATE, WebhookReceiver, start_prefect_server, stop_process, write_config, write_panel,
)

pytestmark = pytest.mark.integration

SECRET = "s3cret-token-do-not-leak"
WARNING_LINE = re.compile(r"^(LATE|CROSSED|DRIFT)\s+.*?\((?P<region>[\w.]+)\) (?P<indicator>\w+) \[(?P<scenario>\w+)\]", re.M)


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory):
    proc, url, log = start_prefect_server(tmp_path_factory.mktemp("prefect-home"))
    try:
        with temporary_settings({PREFECT_API_URL: url}):
            yield url
            APILogWorker.drain_all()  # send pending run logs while the server is still up
    finally:
        stop_process(proc)


@pytest.fixture
def receiver():
    with WebhookReceiver() as rec:
        yield rec


def save_webhook_block(port: int, name: str) -> str:
    CustomWebhookNotificationBlock(
        name="peakwatch",
        url=f"http://127.0.0.1:{port}/hook/{{{{token}}}}",  # the token comes from the block's secrets
        json_data={"text": "{{subject}}\n{{body}}"},
        secrets={"token": SECRET},
    ).save(name, overwrite=True)
    return f"custom-webhook/{name}"


def warnings_in(receiver: WebhookReceiver) -> list[tuple[str, str, str, str]]:
    """(KIND, region, indicator, scenario) for every warning line received so far."""
    return [
        (m.group(1), m.group("region"), m.group("indicator"), m.group("scenario"))
        for request in receiver.requests
        for m in WARNING_LINE.finditer(request["text"])
    ]


def next_first_of_month_0600_shanghai(now: datetime) -> datetime:
    tz = ZoneInfo("Asia/Shanghai")
    local = now.astimezone(tz)
    candidate = local.replace(day=1, hour=6, minute=0, second=0, microsecond=0)
    if candidate <= local:
        year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
        candidate = candidate.replace(year=year, month=month)
    return candidate


def wait_for(fetch, what: str, seconds: float = 240, every: float = 1.0):
    """Poll ``fetch`` until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = fetch()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"gave up waiting for {what}")


def test_served_deployment_is_scheduled_and_runs(prefect_api, tmp_path):
    panel = write_panel(tmp_path / "panel.csv")
    config = write_config(tmp_path / "peakwatch.yaml", panel, tmp_path / "artifacts", blocks=[])
    env = {**os.environ, "PREFECT_API_URL": prefect_api, "PREFECT_HOME": str(tmp_path / "serve-home")}
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        serve = subprocess.Popen(
            [sys.executable, "-m", "peakwatch.cli", "serve", "--config", str(config)],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        with get_client(sync_client=True) as client:

            def deployment():
                if serve.poll() is not None:
                    pytest.fail(f"peakwatch serve exited:\n{log_path.read_text()[-3000:]}")
                try:
                    return client.read_deployment_by_name("peakwatch-monthly/monthly")
                except Exception:
                    return None

            registered = wait_for(deployment, "the deployment to be registered")
            assert registered.entrypoint == "flows.monthly.monthly_flow"
            assert registered.parameters == {"config_path": str(config.resolve()), "wait_seconds": 3600}
            [schedule] = registered.schedules
            assert (schedule.schedule.cron, schedule.schedule.timezone, schedule.active) == (
                "0 6 1 * *", "Asia/Shanghai", True,
            )

            # the server's scheduler creates the upcoming runs; the first is the next 1st, 06:00 Shanghai
            def scheduled():
                return client.read_flow_runs(
                    deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[registered.id])),
                    flow_run_filter=FlowRunFilter(
                        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
                    ),
                    sort=FlowRunSort.EXPECTED_START_TIME_ASC,
                    limit=1,
                )

            [upcoming] = wait_for(scheduled, "the scheduler to create the upcoming runs")
            expected = next_first_of_month_0600_shanghai(datetime.now(ZoneInfo("UTC")))
            assert upcoming.expected_start_time == expected
            assert upcoming.expected_start_time.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%d %H:%M") == "01 06:00"

            # a manual run through the API, executed by the serving process
            triggered = run_deployment("peakwatch-monthly/monthly", timeout=0)

            def finished():
                run = client.read_flow_run(triggered.id)
                return run if run.state and run.state.is_final() else None

            run = wait_for(finished, "the triggered run to finish", seconds=420, every=2)
            assert run.state.type == StateType.COMPLETED, f"{run.state}\n{log_path.read_text()[-3000:]}"
    finally:
        stop_process(serve)
    summaries = list((tmp_path / "artifacts" / "runs").glob("*/summary.json"))
    assert len(summaries) == 1
    assert json.loads(summaries[0].read_text())["prefect_flow_run_id"] == str(triggered.id)


def test_webhook_announces_crossing_once_then_drift(prefect_api, receiver, tmp_path):
    block = save_webhook_block(receiver.port, "peakwatch-test-warnings")
    artifacts = tmp_path / "artifacts"

    def run(name: str, **panel_changes) -> dict:
        panel = write_panel(tmp_path / f"{name}.csv", **panel_changes)
        config = write_config(tmp_path / f"{name}.yaml", panel, artifacts, blocks=[block])
        return as_json(monthly_flow(config_path=str(config), artifacts_dir=str(artifacts)))

    # baseline: the pushed region is on time, the other is late and announced once as `late`
    base = run("baseline")
    on_time = {(r["region_id"]): r["p_peak_by_target"] for r in base["series"]}
    assert on_time[PUSHED] >= 0.5 > on_time[STAYS_LATE], f"test data no longer fits: {on_time}"
    assert warnings_in(receiver) == [("LATE", STAYS_LATE, INDICATOR, "statistical")]

    # 1: recent emissions rise, the pushed region's peak moves past 2030: exactly one `crossed`
    receiver.requests.clear()
    pushed = run("pushed", push=(2012, 1.04))
    assert warnings_in(receiver) == [("CROSSED", PUSHED, INDICATOR, "statistical")]
    crossed = pushed["early_warnings"]["alerts"][0]
    assert crossed["p_peak_by_target_old"] >= 0.5 > crossed["p_peak_by_target_new"]
    assert any(c.startswith("revised history") for c in crossed["causes"])
    assert [s["region_id"] for s in pushed["early_warnings"]["still_late"]] == [STAYS_LATE]

    # 2: the same data again, as on a fresh machine sharing only the MLflow store
    # (the per-run folders are gone): nothing to announce, both listed as still late
    shutil.rmtree(artifacts / "runs")
    receiver.requests.clear()
    same = run("pushed", push=(2012, 1.04))
    assert receiver.requests == []
    assert same["early_warnings"]["alerts"] == []
    assert {s["region_id"] for s in same["early_warnings"]["still_late"]} == {PUSHED, STAYS_LATE}

    # 3: two new data years keep rising: the peak moves later again, exactly one `drift`
    later = run("later", push=(2012, 1.04), extend=([2024, 2025], 1.03))
    assert warnings_in(receiver) == [("DRIFT", PUSHED, INDICATOR, "statistical")]
    drift = later["early_warnings"]["alerts"][0]
    assert drift["peak_year_median_new"] - drift["peak_year_median_old"] >= 1
    assert "new data years 2024-2025" in drift["causes"]
    assert len(receiver.requests) == 1
    assert all(path == f"/hook/{SECRET}" for path in receiver.paths)  # the block filled in its secret

    # the secret never reaches summaries, MLflow files or the markdown artifact
    for path in artifacts.rglob("*"):
        if path.is_file() and path.suffix in {".json", ".txt", ".yaml", ".md", ""}:
            assert SECRET not in path.read_text(errors="ignore"), path
    from mlflow import MlflowClient

    mlflow = MlflowClient(later["tracking_uri"])
    child = mlflow.search_runs(
        [mlflow.get_experiment_by_name("peakwatch-test").experiment_id],
        filter_string=(
            f"tags.region_id = '{PUSHED}' and tags.`mlflow.parentRunId` = '{later['run_id']}' "
            "and tags.`peakwatch.kind` = 'series'"
        ),
    )[0]
    assert child.data.tags["peakwatch.warning"] == "drift"
    assert mlflow.get_run(later["run_id"]).data.tags["peakwatch.warnings.delivery"] == "sent"
    # the latest markdown artifact (raw API: Prefect 3.8.8's client sends nulls this server rejects)
    [table] = httpx.post(
        f"{prefect_api}/artifacts/filter",
        json={"artifacts": {"key": {"any_": ["peakwatch-warnings"]}}, "sort": "CREATED_DESC", "limit": 1},
    ).raise_for_status().json()
    assert "| drift | Zhuzhou (`hunan.zhuzhou`) | co2_emissions |" in table["data"]
    assert SECRET not in table["data"]


def test_delivery_is_retried_and_failures_reported_without_the_secret(prefect_api, receiver):
    block = save_webhook_block(receiver.port, "peakwatch-test-flaky")
    settings = NotifyConfig(blocks=(block,), retries=2, retry_delay_seconds=0.05)

    receiver.fail_first = 2
    delivered = deliver_to_block(block, "subject", "body", settings)
    assert (delivered.status, delivered.attempts, len(receiver.requests)) == ("sent", 3, 1)

    receiver.fail_first = 10
    failed = deliver_to_block(block, "subject", "body", settings)
    assert (failed.status, failed.attempts, failed.error) == ("failed", 3, "HTTP 500")

    missing = deliver_to_block("custom-webhook/no-such-block", "subject", "body", settings)
    assert missing.status == "missing"
    assert missing.error.endswith("create it with `peakwatch add-webhook --name no-such-block`")


@flow(name="peakwatch-test-delivery")
def delivery_flow(block: str, settings: NotifyConfig):
    return deliver_to_block(block, "subject", "body", settings)


def test_a_failing_webhook_retried_by_prefect_leaves_its_secret_out_of_the_run_logs(prefect_api, receiver, caplog):
    """Prefect logs and keeps each failed attempt's exception: the one it gets
    names the HTTP status only (httpx's quotes the URL, token and all)."""
    block = save_webhook_block(receiver.port, "peakwatch-test-logs")
    receiver.fail_first = 10
    caplog.set_level(logging.INFO, logger="prefect.task_runs")  # the retries' lines (the tests' level is WARNING)
    state = delivery_flow(block, NotifyConfig(blocks=(block,), retries=2, retry_delay_seconds=0.2), return_state=True)
    failed = state.result()
    assert state.is_completed() and (failed.status, failed.attempts, failed.error) == ("failed", 3, "HTTP 500")
    APILogWorker.drain_all()
    flow_run_id = str(state.state_details.flow_run_id)
    logs = httpx.post(
        f"{prefect_api}/logs/filter", json={"logs": {"flow_run_id": {"any_": [flow_run_id]}}, "limit": 200}
    ).raise_for_status().json()
    tasks = httpx.post(
        f"{prefect_api}/task_runs/filter", json={"flow_runs": {"id": {"any_": [flow_run_id]}}}
    ).raise_for_status().json()
    text = json.dumps(logs) + json.dumps(tasks)
    assert "DeliveryFailed('HTTP 500') - Retries are exhausted" in text and SECRET not in text
    # each attempt's line, d then 2d apart
    assert "DeliveryFailed('HTTP 500') - Retry 1/2 will start 0.2 second(s)" in caplog.text
    assert "Retry 2/2 will start 0.4 second(s)" in caplog.text and SECRET not in caplog.text


def test_peakwatch_add_webhook_creates_the_block_a_missing_one_names(prefect_api, receiver, monkeypatch, capsys):
    """The command the `not configured` delivery names: the URL read from stdin,
    kept in the block's secrets, the block delivering."""
    url = f"http://127.0.0.1:{receiver.port}/hook/{SECRET}"
    monkeypatch.setattr(sys, "stdin", io.StringIO(url + "\n"))
    assert main(["add-webhook", "--name", "peakwatch-test-added"]) == EXIT_OK
    assert "custom-webhook/peakwatch-test-added" in capsys.readouterr().out
    block = CustomWebhookNotificationBlock.load("peakwatch-test-added")
    assert SECRET not in block.url and SECRET not in json.dumps(block.model_dump(mode="json"))
    sent = deliver_to_block("custom-webhook/peakwatch-test-added", "subject", "body", NotifyConfig(retries=0))
    assert sent.status == "sent" and receiver.requests[-1] == {"text": "subject\nbody"}
    assert receiver.paths[-1] == f"/hook/{SECRET}"


def test_an_apprise_block_that_fails_to_deliver_is_failed_and_is_owed_the_warning(prefect_api, receiver):
    # Apprise-based blocks (Slack, Teams, Mattermost, e-mail) only log a failed
    # send unless asked to raise: this one's server answers HTTP 500
    MattermostWebhook(
        hostname="127.0.0.1", port=receiver.port, token="tok", secure=False, include_image=False
    ).save("peakwatch-test-mattermost", overwrite=True)
    block = "mattermost-webhook/peakwatch-test-mattermost"
    settings = NotifyConfig(blocks=(block,), retries=1, retry_delay_seconds=0.05)

    receiver.fail_first = 10
    failed = deliver_to_block(block, "subject", "body", settings)
    assert (failed.status, failed.attempts, failed.error) == ("failed", 2, "NotificationError")
    assert len(receiver.paths) >= 2 and receiver.requests == []  # it did try, and nothing got through

    # announced once all the same; the block that failed is owed it, and sent it next run
    row = {"region_id": "r.a", "name_en": "A", "indicator": "co2_emissions", "target_year": 2030,
           "p_peak_by_target": 0.2, "peak_year_median": 2041.0, "model": "ets", "first_year": 2020,
           "last_observed_year": 2023, "error": None}
    history = {("r.a", "co2_emissions"): (1.0, 2.0, 3.0, 4.0)}
    run = {"run_id": "r1", "run_date": "2027-01-01T06:00:00+08:00", "config_hash": "c", "code_version": "v"}
    first = decide_alerts([row], history, {}, WarningConfig(), run)
    state = next_state({}, first, run, early_warnings.next_owed({}, first, {block: failed.status == "sent"}, run))
    again = decide_alerts([row], history, state, WarningConfig(), {**run, "run_id": "r2"})
    assert again.alerts == () and [o["message"] for o in early_warnings.owed_to(block, state, again)] == [
        first.alerts[0].message
    ]

    receiver.fail_first = 0
    sent = deliver_to_block(block, "subject", first.alerts[0].message, settings)
    assert (sent.status, sent.attempts) == ("sent", 1)
    assert "late for its 2030 target" in receiver.requests[-1]["text"]
