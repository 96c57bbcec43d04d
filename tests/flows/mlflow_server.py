"""A real `mlflow server` on 127.0.0.1 for integration tests: started, waited
for, stopped; restartable on the same port and store (a store that goes down
and comes back)."""

import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def mlflow_server(root: Path, port: int, backend: str | None = None):
    """Serve the SQLite store and artifact folder under ``root`` (or the ``backend``
    store URI, e.g. a run's own mlflow.db) on ``port``; yields the URL."""
    root.mkdir(parents=True, exist_ok=True)
    log_path = root / f"server-{time.monotonic_ns()}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
             "--backend-store-uri", backend or f"sqlite:///{root / 'db'}", "--artifacts-destination", str(root / "art")],
            stdout=log, stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 180
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"mlflow server exited with {proc.returncode}: {log_path.read_text()}")
                try:
                    with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"mlflow server not healthy after 180 s: {log_path.read_text()}")
                time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
