"""Start a real `dask scheduler` and `dask worker` processes on 127.0.0.1 for tests."""

import os
import signal
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from distributed import Client

DASK = str(Path(sys.executable).parent / "dask")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def dask_processes(home: Path, n_workers: int = 2, nanny: bool = True):
    """Yield (scheduler address, worker Popen objects); stop them all afterwards."""
    port = str(free_port())
    address = f"tcp://127.0.0.1:{port}"
    scheduler = subprocess.Popen(
        [DASK, "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    workers = []
    for i in range(n_workers):
        # Without a shared Prefect API each worker runs an ephemeral server: give
        # each its own Prefect home so their databases do not collide.
        env = {**os.environ, "PREFECT_HOME": str(home / f"prefect-worker-{i}"), "OMP_NUM_THREADS": "1"}
        cmd = [DASK, "worker", address, "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"]
        # Own process group: the worker's ephemeral Prefect server goes with it.
        workers.append(
            subprocess.Popen(cmd + ([] if nanny else ["--no-nanny"]), env=env, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )
    try:
        with Client(address, timeout=60) as client:
            client.wait_for_workers(n_workers, timeout=90)
        yield address, workers
    finally:
        for proc in [*workers, scheduler]:
            if proc.poll() is None:
                proc.terminate()
        for proc in [*workers, scheduler]:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        for proc in workers:
            try:
                os.killpg(proc.pid, signal.SIGTERM)  # what the worker started and left behind
            except ProcessLookupError:
                pass
