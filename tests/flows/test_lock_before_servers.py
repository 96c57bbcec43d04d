"""A run on a folder another run holds learns it before starting any server:
the second of two simultaneous runs used to wait ~2 minutes for its Prefect
server before it was told the folder was locked."""

import os
import subprocess
import sys
import time

import pytest

from peakwatch.cli import EXIT_LOCKED
from peakwatch.config import PROJECT_ROOT
from peakwatch.store.runlock import run_lock


@pytest.mark.parametrize("command", ["run", "sync"])
def test_a_locked_folder_is_refused_before_prefect_starts(tmp_path, command):
    artifacts = tmp_path / "artifacts"
    env = {**os.environ, "PREFECT_LOGGING_LEVEL": "INFO", "PREFECT_HOME": str(tmp_path / "prefect")}
    with run_lock(artifacts):  # another run, as far as the command can tell
        started = time.monotonic()
        refused = subprocess.run(
            [sys.executable, "-m", "peakwatch.cli", command, "--artifacts-dir", str(artifacts)],
            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300,
        )
        took = time.monotonic() - started
    assert refused.returncode == EXIT_LOCKED, refused.stderr[-2000:]
    assert "another peakwatch run is using" in refused.stderr
    assert "Starting temporary server" not in refused.stdout + refused.stderr  # Prefect's line when it starts one
    assert not (tmp_path / "prefect" / "prefect.db").exists()
    assert took < 20, f"refused after {took:.0f} s"
