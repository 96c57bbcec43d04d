"""What logging child runs costs: ``flows.fit.log_series_runs`` for 10, 100
and 1000 series against a local SQLite store and/or a
local ``mlflow server`` (HTTP, ``--stores server``). Cases: with and without artifacts (forecast.csv
+ fan_chart.png), one thread and the server thread pool, and, for contrast, the
naive layout (one ``log_metric`` / ``log_param`` / ``set_tag`` call per value).
Prints numbers; asserts nothing about time.

    .venv/bin/python scripts/benchmark_tracking.py [--sizes 10 100 1000] \\
        [--artifact-sizes 10 100] [--naive-sizes 10 100] [--stores sqlite server] [--journal wal|delete]
"""

import argparse
import dataclasses
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows import fit  # noqa: E402
from peakwatch.tracking import client as tracking_client, layout as tracking, runs as tracking_runs  # noqa: E402
from peakwatch.store.catalog import Catalog  # noqa: E402
from forecasting.series import ForecastSettings, SeriesForecast, SeriesInput, forecast_series  # noqa: E402


def make_forecasts(n: int) -> list[SeriesForecast]:
    """One real forecast, copied under n region ids (logging cost does not depend on the numbers)."""
    years = np.arange(2000, 2020)
    values = 10 * 1.04 ** np.arange(20)
    one = forecast_series(
        SeriesInput("bench.r0", "co2_emissions", "MtCO2", years, values, 2030), ForecastSettings(n_paths=200)
    )
    return [dataclasses.replace(one, region_id=f"bench.r{i:05d}") for i in range(n)]


def log_naive(client, experiment_id: str, parent_id: str, forecasts: list[SeriesForecast]) -> None:
    """The unbatched layout, for contrast: one store call per tag, param and metric."""
    for f in forecasts:
        run_id = client.create_run(experiment_id, tags={"mlflow.parentRunId": parent_id}).info.run_id
        for key, value in tracking.series_tags(f, {}, "statistical", {}).items():
            client.set_tag(run_id, key, value)
        for key, value in tracking.series_params(f).items():
            client.log_param(run_id, key, value)
        for key, value in tracking.series_metrics(f).items():
            client.log_metric(run_id, key, value)
        client.set_terminated(run_id, "FINISHED")


def batched(threads: int, with_artifacts: bool):
    def log(client, experiment_id, parent_id, forecasts):
        fit.log_series_runs(
            client, experiment_id, parent_id, forecasts, {}, with_artifacts=with_artifacts, threads=threads
        )

    return log


@contextmanager
def sqlite_store():
    with tempfile.TemporaryDirectory(prefix="peakwatch-bench-") as tmp:
        yield f"sqlite:///{Path(tmp) / 'mlflow.db'}"


@contextmanager
def server_store():
    """A throw-away ``mlflow server`` on a free 127.0.0.1 port."""
    with tempfile.TemporaryDirectory(prefix="peakwatch-bench-server-") as tmp, socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        proc = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
             "--backend-store-uri", f"sqlite:///{tmp}/db", "--artifacts-destination", f"{tmp}/art"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(360):
                try:
                    with urllib.request.urlopen(f"{url}/health", timeout=2):
                        break
                except OSError:
                    time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def time_case(uri: str, n: int, label: str, log) -> None:
    forecasts = make_forecasts(n)
    with tempfile.TemporaryDirectory(prefix="peakwatch-bench-art-") as tmp:
        name = f"bench-{time.time_ns()}"
        client, experiment_id = tracking_client.open_experiment(uri, name, Catalog(Path(tmp)).mlflow_artifacts)
        parent_id = tracking_runs.start_parent_run(client, experiment_id, "bench", {"run_date": "2026-11-23"})
        started = time.perf_counter()
        log(client, experiment_id, parent_id, forecasts)
        elapsed = time.perf_counter() - started
        children = client.search_runs([experiment_id], f"tags.`{tracking.KIND_TAG}` = 'series'", max_results=n + 1)
        assert len(children) == n, f"{label}: expected {n} child runs, found {len(children)}"
    store = "server" if uri.startswith("http") else "sqlite"
    print(f"{store:<7}{n:>6} {label:<40} {elapsed:8.2f} s {elapsed / n * 1000:8.1f} ms/series", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000], help="series counts, no artifacts")
    parser.add_argument("--artifact-sizes", type=int, nargs="*", default=[10, 100, 1000], help="... with artifacts")
    parser.add_argument("--naive-sizes", type=int, nargs="*", default=[10, 100], help="... unbatched layout")
    parser.add_argument("--pool", type=int, default=4, help="threads of the pooled cases; 1 skips them")
    parser.add_argument(
        "--stores", nargs="+", choices=("sqlite", "server"), default=["sqlite"],
        help="local SQLite store and/or a throw-away local mlflow server (default: sqlite)",
    )
    parser.add_argument(
        "--journal", choices=("wal", "delete"), default="wal",
        help="the local SQLite store's journal mode: wal (what peakwatch sets) or SQLite's default, delete",
    )
    args = parser.parse_args()
    if args.journal == "delete":  # the store as MLflow leaves it
        tracking_client.use_write_ahead_log = lambda uri: None
    print(f"{'store':<7}{'series':>6} {'case':<40} {'total':>10} {'per series':>16}")
    stores = [{"sqlite": sqlite_store, "server": server_store}[name] for name in args.stores]
    pool = args.pool
    for store in stores:
        with store() as uri:
            for n in sorted(set(args.sizes) | set(args.artifact_sizes) | set(args.naive_sizes)):
                if n in args.naive_sizes:
                    time_case(uri, n, "naive: one call per tag/param/metric", log_naive)
                if n in args.sizes:
                    time_case(uri, n, "batched, 1 thread, no artifacts", batched(1, False))
                    if pool > 1:
                        time_case(uri, n, f"batched, {pool} threads, no artifacts", batched(pool, False))
                if n in args.artifact_sizes:
                    time_case(uri, n, "batched, 1 thread, csv+png artifacts", batched(1, True))
                    if pool > 1:
                        time_case(uri, n, f"batched, {pool} threads, csv+png artifacts", batched(pool, True))


if __name__ == "__main__":
    main()
