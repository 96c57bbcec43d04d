"""`peakwatch run` killed (SIGKILL, the command alone) at each stage boundary
in turn, on one artifacts folder, then run once more: after every kill no
file is half-written and nothing it started still runs; the last run
publishes what the killed runs kept, each exactly once, and all of them
project the same numbers.

The kill is exact: ``PEAKWATCH_TEST_KILL_AT=<stage>`` makes the run SIGKILL
itself the moment that stage is done (peakwatch/killpoints.py).
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml
from mlflow import MlflowClient

from peakwatch.store import pending
from peakwatch.cli import EXIT_OK
from peakwatch.config import DEFAULT_CONFIG, PROJECT_ROOT
from peakwatch.killpoints import ENV, STAGES
from peakwatch.tracking.layout import KIND_TAG, PARENT_KIND
from tests.flows.test_no_orphans import gone_within

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PROJECTIONS = ("peak_year_median", "peak_year_p10", "peak_year_p90", "p_peak_by_target", "peak_value")


def small_config(folder):
    """The embedded default, lighter: one worker, fewer paths, no scenarios."""
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw.pop("scenarios")
    raw.update(
        regions=str(PROJECT_ROOT / "configs" / "regions.yaml"),
        sources=[{**s, "path": str(PROJECT_ROOT / "configs" / s["path"])} for s in raw["sources"]],
        forecast={**raw["forecast"], "n_paths": 200},
        dask={**raw["dask"], "n_workers": 1},
    )
    path = folder / "small.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def run(config, artifacts, env, *extra) -> tuple[int, str, int]:
    """Exit code, stderr and pid (= session id: its own session) of `peakwatch run`.
    Its stderr goes to a file: a pipe would be held open by anything it left running."""
    log = artifacts.parent / f"run-{time.monotonic_ns()}.log"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "peakwatch.cli", "run", "--config", str(config), "--artifacts-dir", str(artifacts), *extra],
            cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True,
        )
        try:
            proc.wait(timeout=900)
        finally:
            if proc.returncode is None:
                os.killpg(proc.pid, signal.SIGKILL)
    return proc.returncode, log.read_text(errors="replace"), proc.pid


def parents(artifacts) -> list:
    client = MlflowClient(f"sqlite:///{artifacts / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("peakwatch-monthly")
    if experiment is None:
        return []
    return client.search_runs([experiment.experiment_id], f"tags.`{KIND_TAG}` = '{PARENT_KIND}'")


def children(artifacts, parent_id: str) -> int:
    client = MlflowClient(f"sqlite:///{artifacts / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("peakwatch-monthly")
    return len(client.search_runs([experiment.experiment_id], f"tags.mlflow.parentRunId = '{parent_id}'", max_results=5000))


def nothing_half_written(artifacts) -> None:
    """Every summary a user could open parses; no temporary file is left (a
    kill at a boundary interrupts no write); hidden build folders aside."""
    for path in artifacts.rglob("*.json"):
        if not any(part.startswith(".building-") for part in path.parts):
            json.loads(path.read_text(encoding="utf-8"))
    assert not [p for p in artifacts.rglob("*.tmp")]


def projections(summary: dict) -> dict:
    return {(r["region_id"], r["indicator"]): tuple(r[k] for k in PROJECTIONS) for r in summary["series"]}


# What each kill leaves: payloads kept in pending/, hidden half-built payloads,
# MLflow parent runs. A run publishes the payloads kept before it first, so the
# kills at "publish" and "report" hit the publishing of the payload kept by
# the kill at "payload": at "publish" its parent run is left unfinished; at
# "report" that attempt has been deleted and the payload published again,
# finished but not yet moved to runs/. Each run's own half-built payload is
# removed by the next run.
LEFT = {
    "pull": (0, 0, []),
    "gate": (0, 1, []),
    "fit": (0, 1, []),
    "payload": (1, 0, []),
    "publish": (1, 1, ["RUNNING"]),
    "report": (1, 1, ["FINISHED"]),
}


def test_a_run_killed_at_each_stage_boundary_recovers_without_duplicates(tmp_path):
    config, artifacts = small_config(tmp_path), tmp_path / "artifacts"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    seconds = {}
    for stage in STAGES:
        started = time.monotonic()
        code, err, pid = run(config, artifacts, {**env, ENV: stage})
        seconds[stage] = round(time.monotonic() - started)
        assert code == -signal.SIGKILL, f"{stage}: ended with {code}\n{err[-3000:]}"
        left_running = gone_within(pid, 15)
        if left_running:  # not left to the next run
            os.killpg(pid, signal.SIGKILL)
        assert left_running == {}, stage
        nothing_half_written(artifacts)
        left = (
            len(pending.list_payloads(artifacts / "pending")),
            len(list((artifacts / "pending").glob(".building-*"))),
            [p.info.status for p in parents(artifacts)],
        )
        assert left == LEFT[stage], stage
        if stage == "payload":
            [folder] = pending.list_payloads(artifacts / "pending")
            kept = pending.read_payload(folder)
    assert list((artifacts / "raw").glob("*.csv"))  # the snapshot the rerun pins

    code, err, _ = run(config, artifacts, env, "--snapshot", kept.summary.data_sha256)
    assert code == EXIT_OK, err[-3000:]
    finished = sorted(parents(artifacts), key=lambda r: r.info.start_time)
    assert [p.info.status for p in finished] == ["FINISHED", "FINISHED"]  # the payload kept, and the rerun
    assert finished[0].data.tags[pending.PENDING_ID_TAG] == kept.pending_id
    assert [children(artifacts, p.info.run_id) for p in finished] == [kept.n_children] * 2  # none logged twice
    assert pending.list_payloads(artifacts / "pending") == [] and not list(artifacts.glob("**/.building-*"))
    assert not list(artifacts.glob(".pull-*"))
    summaries = [json.loads((artifacts / "runs" / p.info.run_id / "summary.json").read_text()) for p in finished]
    assert projections(summaries[0]) == projections(kept.summary.to_json()) == projections(summaries[1])
    assert summaries[1]["previous_run_id"] == summaries[0]["run_id"]
    nothing_half_written(artifacts)
    print(f"seconds per killed run: {seconds}")
