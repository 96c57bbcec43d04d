"""Two `peakwatch run` started at the same moment on one artifacts folder: one
runs, the other exits at once with a clear message and exit code 3. The one
that runs is also the console's test: on a 100-column terminal its answer
comes first, fits, and the libraries' output stays in the run's log file."""

import os
import subprocess
import sys
import unicodedata

import pytest
from mlflow import MlflowClient

from peakwatch.cli import EXIT_LOCKED, EXIT_OK
from peakwatch.config import PROJECT_ROOT
from peakwatch.tracking.layout import KIND_TAG, PARENT_KIND

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_second_simultaneous_run_is_refused_and_nothing_interleaves(tmp_path):
    artifacts = tmp_path / "artifacts"
    cmd = [sys.executable, "-m", "peakwatch.cli", "run", "--artifacts-dir", str(artifacts)]
    env = {**os.environ, "COLUMNS": "100", "PREFECT_LOGGING_LEVEL": "INFO"}  # as a user has it (the tests set WARNING)
    runs = [
        subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    printed = [run.communicate(timeout=900) for run in runs]
    outcomes = [(run.returncode, err) for run, (_, err) in zip(runs, printed)]
    codes = sorted(code for code, _ in outcomes)
    assert codes == [EXIT_OK, EXIT_LOCKED], outcomes
    refused = next(err for code, err in outcomes if code == EXIT_LOCKED)
    assert "another peakwatch run is using" in refused and "--wait" in refused

    summaries = list((artifacts / "runs").glob("*/summary.json"))
    assert len(summaries) == 1
    out, err = next(p for p, (code, _) in zip(printed, outcomes) if code == EXIT_OK)
    check_console(out, err, summaries[0].parent)
    assert not list(artifacts.rglob(".*.tmp"))  # no half-written files left behind
    client = MlflowClient(f"sqlite:///{artifacts / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("peakwatch-monthly")
    parents = client.search_runs([experiment.experiment_id], f"tags.`{KIND_TAG}` = '{PARENT_KIND}'")
    assert [p.info.status for p in parents] == ["FINISHED"]


def columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def check_console(out: str, err: str, run_dir) -> None:
    """Issue #42's console goals on a real default run."""
    assert len(err.splitlines()) <= 20 and "Traceback" not in err + out, err
    assert max(columns(line) for line in out.splitlines()) <= 100, out
    lines = out.splitlines()
    assert " regions late on CO2" in lines[0] and "first run" in lines[0]  # the verdict first
    assert "history" in out and "forecast" in out  # observed status and projected peak, labelled
    log = run_dir / "peakwatch.log"
    assert "Log:" in out and "peakwatch.log" in out  # (a long path folds at the terminal's width)
    assert "Beginning flow run" in log.read_text()  # Prefect's lines went to the log, not the terminal
