"""The same flow against an existing Dask scheduler (a real `dask scheduler`
and two `dask worker` processes on 127.0.0.1) gives the same projections as
the LocalCluster run: seeds depend on the series, not on where it ran."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from distributed import Client

from flows.monthly import monthly_flow

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DASK = str(Path(sys.executable).parent / "dask")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def scheduler_address(tmp_path):
    address = f"tcp://127.0.0.1:{free_port()}"
    port = address.rsplit(":", 1)[1]
    procs = [
        subprocess.Popen(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
    ]
    for i in range(2):
        # Without a shared Prefect API each worker runs an ephemeral server: give
        # each its own Prefect home so their databases do not collide.
        env = {**os.environ, "PREFECT_HOME": str(tmp_path / f"prefect-worker-{i}"), "OMP_NUM_THREADS": "1"}
        procs.append(
            subprocess.Popen(
                [DASK, "worker", address, "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        )
    try:
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=90)
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


def projections(summary: dict) -> list[tuple]:
    return [
        (r["region_id"], r["indicator"], r["peak_year_median"], r["peak_year_p10"], r["peak_year_p90"],
         r["p_peak_by_target"], r["peak_value"])
        for r in summary["series"]
    ]


def test_existing_scheduler_gives_the_local_cluster_projections(scheduler_address, default_runs_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("PEAKWATCH_DASK_ADDRESS", scheduler_address)
    remote = monthly_flow(artifacts_dir=str(tmp_path / "artifacts"))
    local_summaries = sorted((default_runs_dir / "runs").glob("*/summary.json"))
    local = json.loads(local_summaries[0].read_text())
    assert projections(remote) == projections(local)
    assert len(remote["series"]) == 10
