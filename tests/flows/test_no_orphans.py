"""A `peakwatch run` killed with SIGKILL leaves no server or cluster running:
its Prefect server (~260 MB) used to keep listening, parented to init, 19
minutes later. The command alone is killed, as the OOM killer or `kill -9
<pid>` would; what it started must go with it."""

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from peakwatch.config import PROJECT_ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def session_processes(sid: int) -> dict[int, str]:
    """Live processes of session ``sid`` (the command and all it started), with their command lines."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            found[int(proc.name)] = command[:120]
    return found


def gone_within(sid: int, seconds: float) -> dict[int, str]:
    deadline = time.monotonic() + seconds
    while (left := session_processes(sid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def read_rest(stream, seconds: float) -> str:
    """What is left to read of ``stream``, until every writer has closed it or ``seconds`` pass."""
    deadline, chunks = time.monotonic() + seconds, []
    while time.monotonic() < deadline:
        if select.select([stream], [], [], 0.2)[0]:
            chunk = os.read(stream.fileno(), 65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def test_a_killed_run_leaves_no_prefect_server_and_no_dask_worker(tmp_path):
    env = {**os.environ, "PREFECT_LOGGING_LEVEL": "INFO", "PREFECT_HOME": str(tmp_path / "prefect")}
    run = subprocess.Popen(
        [sys.executable, "-m", "peakwatch.cli", "run", "--verbose", "--artifacts-dir", str(tmp_path / "artifacts")],  # --verbose: the fit's lines on stdout
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,  # its own session: what it starts is found by session id
    )
    try:
        for line in run.stdout:
            if "fitted " in line:  # the Prefect server and the Dask workers are up
                break
        started = session_processes(run.pid)
        assert any("uvicorn" in c for c in started.values()) and any("multiprocessing" in c for c in started.values()), started
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=30)
        left = gone_within(run.pid, 15)
    finally:
        if session_processes(run.pid):  # what the watchdog missed: not left to the next test
            os.killpg(run.pid, signal.SIGKILL)
    assert left == {}, f"still running after the run was killed: {left}"
    told = read_rest(run.stdout, 15)  # the watchdog says what it stopped (it writes to the command's stderr)
    assert "left processes running; stopped: pid" in told and "uvicorn" in told
