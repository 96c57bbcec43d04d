"""Helpers for the schedule and early-warning integration tests: a real
``prefect server start`` subprocess, a webhook receiver on 127.0.0.1, and run
configs pointing at modified copies of the default panel."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import polars as pl
import yaml

from peakwatch.config import PROJECT_ROOT

DEFAULT_PANEL = PROJECT_ROOT / "data" / "default_panel.csv"
REGISTRY = PROJECT_ROOT / "configs" / "regions.yaml"
PUSHED = "hunan.zhuzhou"  # on time in the default panel (P(peak <= 2030) well above 0.5)
STAYS_LATE = "hunan.hengyang.leiyang"  # late in the default panel
INDICATOR = "co2_emissions"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_prefect_server(home: Path) -> tuple[subprocess.Popen, str, Path]:
    """`prefect server start` on a free 127.0.0.1 port with its own PREFECT_HOME."""
    port = free_port()
    log_path = home / "server.log"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_UI_ENABLED="false")
    prefect_cli = Path(sys.executable).with_name("prefect")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [str(prefect_cli), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"prefect server exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return proc, url, log_path
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop_process(proc)
    raise RuntimeError(f"prefect server not healthy after 180 s:\n{log_path.read_text()[-3000:]}")


def stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


class WebhookReceiver:
    """Records every request body sent to http://127.0.0.1:<port>/...; answers
    ``fail_first`` requests with HTTP 500, then 200."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.paths: list[str] = []
        self.fail_first = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server API)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.paths.append(self.path)
                if receiver.fail_first > 0:
                    receiver.fail_first -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                receiver.requests.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "WebhookReceiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def write_panel(path: Path, push: tuple[int, float] | None = None, extend: tuple[list[int], float] | None = None) -> Path:
    """The default panel cut to CO2 of two regions; ``push=(from_year, growth)``
    raises the pushed region's emissions from that year on by ``growth`` per
    year; ``extend=(years, growth)`` appends new years that keep growing."""
    panel = pl.read_csv(DEFAULT_PANEL).filter(
        pl.col("region_id").is_in([PUSHED, STAYS_LATE]) & (pl.col("indicator") == INDICATOR)
    )
    pushed = (pl.col("region_id") == PUSHED) & (pl.col("year") >= (push[0] if push else 9999))
    if push:
        panel = panel.with_columns(
            pl.when(pushed).then(pl.col("value") * push[1] ** (pl.col("year") - push[0] + 1))
            .otherwise(pl.col("value")).alias("value")
        )
    if extend:
        last = panel.filter(pl.col("region_id") == PUSHED).sort("year").tail(1)
        value, rows = last["value"][0], []
        for year in extend[0]:
            value *= extend[1]
            rows.append(last.with_columns(pl.lit(year, dtype=last["year"].dtype).alias("year"), pl.lit(value).alias("value")))
        panel = pl.concat([panel, *rows])
    panel.write_csv(path)
    return path


def write_config(path: Path, panel: Path, artifacts: Path, blocks: list[str], **warnings) -> Path:
    config = {
        "run_series": "peakwatch-test",
        "artifacts_dir": str(artifacts),
        "regions": str(REGISTRY),
        "sources": [{"name": "test-panel", "kind": "tidy_csv", "path": str(panel)}],
        "forecast": {"n_paths": 1000},
        "dask": {"n_workers": 1, "partitions_per_worker": 1},
        "warnings": {"p_peak_threshold": 0.5, **warnings, "notify": {"blocks": blocks, "retries": 1, "retry_delay_seconds": 0.2}},
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path
