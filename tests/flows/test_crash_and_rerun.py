"""A `peakwatch run` killed (SIGKILL, the whole process group: Prefect server,
Dask workers and all) while publishing to MLflow and while fitting leaves no
half-written file and no parent run marked finished; the rerun on the same
snapshot publishes what the killed run kept and reproduces its projections."""

import json
import os
import signal
import subprocess
import sys

import pytest
from mlflow import MlflowClient

from peakwatch.cli import EXIT_OK
from peakwatch.config import PROJECT_ROOT
from peakwatch.store import pending
from peakwatch.tracking.layout import KIND_TAG, PARENT_KIND

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PROJECTIONS = ("peak_year_median", "peak_year_p10", "peak_year_p90", "p_peak_by_target", "peak_value")


def run_until(artifacts, marker: str) -> str:
    """Start `peakwatch run`, SIGKILL its process group when ``marker`` appears in its output."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "peakwatch.cli", "run", "--artifacts-dir", str(artifacts)],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        env={**os.environ, "PREFECT_LOGGING_LEVEL": "INFO"},  # the progress lines mark the stages
    )
    seen = []
    try:
        for line in proc.stdout:
            seen.append(line)
            if marker in line:
                os.killpg(proc.pid, signal.SIGKILL)
                break
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    output = "".join(seen)
    assert proc.returncode == -signal.SIGKILL, f"run ended before {marker!r}:\n{output[-3000:]}"
    return output


def parents(artifacts):
    client = MlflowClient(f"sqlite:///{artifacts / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("peakwatch-monthly")
    if experiment is None:
        return []
    return client.search_runs([experiment.experiment_id], f"tags.`{KIND_TAG}` = '{PARENT_KIND}'")


def visible_files_are_whole(artifacts):
    """Every .json a user could open parses; the only leftovers are hidden temporary names."""
    for path in artifacts.rglob("*.json"):
        if not any(part.startswith(".building-") for part in path.parts):
            json.loads(path.read_text(encoding="utf-8"))


def projections(summary: dict) -> dict:
    return {(r["region_id"], r["indicator"]): tuple(r[k] for k in PROJECTIONS) for r in summary["series"]}


def test_killed_runs_leave_nothing_half_written_and_the_rerun_reproduces(tmp_path):
    artifacts = tmp_path / "artifacts"

    # 1. Killed while logging child runs: the payload is whole, the parent is not finished.
    run_until(artifacts, "logged ")
    [kept] = pending.list_payloads(artifacts / "pending")
    killed = pending.read_payload(kept)
    assert [p.info.status for p in parents(artifacts)] == ["RUNNING"]
    visible_files_are_whole(artifacts)

    # 2. Killed mid-fit: nothing new but its hidden build folder.
    run_until(artifacts, "fitted ")
    assert pending.list_payloads(artifacts / "pending") == [kept]
    assert [p.info.status for p in parents(artifacts)] == ["RUNNING"]
    visible_files_are_whole(artifacts)

    # 3. Rerun on the same input bytes: the kept run is published first (once),
    #    then the rerun, whose projections equal the killed run's to the last digit.
    sha = killed.summary.data_sha256
    rerun = subprocess.run(
        [sys.executable, "-m", "peakwatch.cli", "run", "--artifacts-dir", str(artifacts), "--snapshot", sha],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900,
    )
    assert rerun.returncode == EXIT_OK, rerun.stderr[-3000:]
    finished = sorted(parents(artifacts), key=lambda r: r.info.start_time)
    assert [p.info.status for p in finished] == ["FINISHED", "FINISHED"]  # the cut-short attempt is deleted
    assert finished[0].data.tags[pending.PENDING_ID_TAG] == killed.pending_id
    assert pending.list_payloads(artifacts / "pending") == []
    summaries = {p.info.run_id: json.loads((artifacts / "runs" / p.info.run_id / "summary.json").read_text()) for p in finished}
    first, second = (summaries[p.info.run_id] for p in finished)
    assert projections(first) == projections(killed.summary.to_json()) == projections(second)
    assert second["previous_run_id"] == first["run_id"]
    visible_files_are_whole(artifacts)
