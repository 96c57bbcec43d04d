"""A password in every URI the project takes, then a run, a failed run and
syncs (store down, then up), all with --verbose: the password is nowhere in
the artifacts folder, the Prefect database (its log table, state messages and
events), the MLflow store, or anything printed.

The URIs: the tracking URI (MLFLOW_TRACKING_URI, with user:password) and the
source URLs (user:password and a token in the query). (The Dask address takes
no credentials: a scheduler is secured with TLS certificates, not a URL.)

Issue #40, case 1: with the tracking store down, both `peakwatch sync`
attempts stored a traceback in PREFECT_HOME/prefect.db (table ``log``) whose
MLflow error quoted ``http://user:secret123@...``; `sync --verbose` printed it.
"""

import base64
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from peakwatch.cli import EXIT_ERROR, EXIT_OK, EXIT_PENDING
from peakwatch.config import DEFAULT_CONFIG, PROJECT_ROOT
from tests.sources._sources_helpers import Route, serve
from tests.flows.mlflow_server import free_port, mlflow_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SECRET = "pw-4f1c9e77"
USER = "analyst"
PANEL = (PROJECT_ROOT / "data" / "default_panel.csv").read_bytes()
# how the password can show up besides as itself: in an HTTP Basic header
NEEDLES = (SECRET.encode(), base64.b64encode(f"{USER}:{SECRET}".encode()))


def write_config(folder: Path, name: str, urls: list[str]) -> Path:
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw.pop("scenarios")
    raw.update(
        regions=str(PROJECT_ROOT / "configs" / "regions.yaml"),
        sources=[{"name": f"web{i}", "kind": "tidy", "url": url, "precedence": i, "retries": 0, "timeout_seconds": 10}
                 for i, url in enumerate(urls)],
        forecast={**raw["forecast"], "n_paths": 200},
        dask={**raw["dask"], "n_workers": 1},
    )
    path = folder / name
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def files_under(*folders: Path) -> list[Path]:
    return [p for folder in folders for p in folder.rglob("*") if p.is_file()]


def holding_the_password(paths: list[Path]) -> list[str]:
    return [str(p) for p in paths if any(needle in p.read_bytes() for needle in NEEDLES)]


def test_no_password_anywhere_after_runs_a_failed_run_and_syncs(tmp_path):
    artifacts, store = tmp_path / "artifacts", tmp_path / "mlflow-store"
    port = free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_LOGGING_LEVEL": "INFO",  # everything the engines say goes to the console and the API
        "MLFLOW_TRACKING_URI": f"http://{USER}:{SECRET}@127.0.0.1:{port}",
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",  # the store down is found out at once
    }
    printed: dict[str, str] = {}
    took: dict[str, float] = {}

    def peakwatch(label: str, *args: str, expect: int) -> str:
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "peakwatch.cli", *args, "--verbose", "--artifacts-dir", str(artifacts)],
            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900,
        )
        printed[label], took[label] = done.stdout + done.stderr, round(time.monotonic() - started)
        assert done.returncode == expect, f"{label}: exit {done.returncode}\n{printed[label][-3000:]}"
        return printed[label]

    with serve({f"/panel.csv?token={SECRET}": Route(PANEL)}) as base:
        host = base.removeprefix("http://")
        good = f"http://{USER}:{SECRET}@{host}/panel.csv?token={SECRET}"
        dead = f"http://{USER}:{SECRET}@127.0.0.1:{free_port()}/more.csv?token={SECRET}"
        config = write_config(tmp_path, "run.yaml", [good])
        failing = write_config(tmp_path, "failing.yaml", [good, dead])

        kept = peakwatch("run, store down", "run", "--config", str(config), expect=EXIT_PENDING)
        failed = peakwatch("failed run", "run", "--config", str(failing), expect=EXIT_ERROR)
        down = peakwatch("sync, store down", "sync", "--config", str(config), expect=EXIT_PENDING)
        with mlflow_server(store, port):
            peakwatch("sync", "sync", "--config", str(config), expect=EXIT_OK)
            peakwatch("report", "report", "--config", str(config), expect=EXIT_OK)

    # the URIs were used, and what was shown of them is redacted
    assert f"MLflow at http://127.0.0.1:{port}" in kept and f"MLflow at http://127.0.0.1:{port} is not usable" in down
    [published] = (artifacts / "runs").glob("*/summary.json")  # the run kept while the store was down
    assert f"{host}/panel.csv?token=***" in published.read_text() and "/more.csv?token=***" in failed
    prefect_db = tmp_path / "prefect" / "prefect.db"
    with sqlite3.connect(prefect_db) as db:
        logged = "\n".join(m for (m,) in db.execute("select message from log"))
        states = "\n".join(m or "" for (m,) in db.execute("select message from flow_run_state"))
    assert f"MLflow at http://127.0.0.1:{port} is not usable" in logged and "Traceback" in logged
    assert "/more.csv?token=***" in states
    assert list(store.rglob("summary.json"))  # the MLflow store holds the published run

    scanned = files_under(artifacts, tmp_path / "prefect", store)
    assert prefect_db in scanned and len(scanned) > 50
    assert holding_the_password(scanned) == []
    assert {label: text for label, text in printed.items() if SECRET in text} == {}
    print(f"seconds per command: {took}")
