"""Two `peakwatch run` started at the same moment on one artifacts folder: one
runs, the other exits at once with a clear message and exit code 3."""

import subprocess
import sys

import pytest
from mlflow import MlflowClient

from peakwatch.cli import EXIT_LOCKED, EXIT_OK
from peakwatch.config import PROJECT_ROOT
from peakwatch.tracking.layout import KIND_TAG, PARENT_KIND

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_second_simultaneous_run_is_refused_and_nothing_interleaves(tmp_path):
    artifacts = tmp_path / "artifacts"
    cmd = [sys.executable, "-m", "peakwatch.cli", "run", "--artifacts-dir", str(artifacts)]
    runs = [
        subprocess.Popen(cmd, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outcomes = [(run.wait(timeout=900), run.stderr.read()) for run in runs]
    codes = sorted(code for code, _ in outcomes)
    assert codes == [EXIT_OK, EXIT_LOCKED], outcomes
    refused = next(err for code, err in outcomes if code == EXIT_LOCKED)
    assert "another peakwatch run is using" in refused and "--wait" in refused

    summaries = list((artifacts / "runs").glob("*/summary.json"))
    assert len(summaries) == 1
    assert not list(artifacts.rglob(".*.tmp"))  # no half-written files left behind
    client = MlflowClient(f"sqlite:///{artifacts / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("peakwatch-monthly")
    parents = client.search_runs([experiment.experiment_id], f"tags.`{KIND_TAG}` = '{PARENT_KIND}'")
    assert [p.info.status for p in parents] == ["FINISHED"]
