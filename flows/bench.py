"""``peakwatch bench``: does parallelism pay for itself, and does memory stay flat?

For each size the panel of N synthetic series (the same Kaya generator as the
embedded default) is written to a CSV, and a fresh Python process (so peak
memory is per size) starts a Dask LocalCluster and measures

* the whole monthly flow on that CSV against the cluster (pull, validation,
  fit, payload, MLflow logging, report), and its fit stage as the flow itself
  timed it (``seconds.fit`` in the run summary); with ``--no-flow``, the fit
  stage alone (the flow's own ``fit_stage``, one Prefect task per partition),
* the ideal time: the same fits in a plain single-process loop / workers (the
  loop timed on a seeded uniform sample of at most ``ideal_sample`` series and
  scaled to N, with that estimate's 95 % margin: at 10 000 series the full loop
  alone would take an hour on this machine),
* peak RSS of that (scheduler-side) process and of the busiest worker,
* the workers' CPU time over the flow (or the fit stage) against the loop's
  estimated time for every series: above 1, each fit costs the workers more
  CPU than it costs the loop; near 1 with actual/ideal above 1, the workers
  wait.
"""

import argparse
import json
import math
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from distributed import Client, LocalCluster
from prefect import flow
from prefect_dask import DaskTaskRunner
from threadpoolctl import threadpool_limits

from flows.cluster import local_cluster_kwargs, n_partitions, scheduler_side_config
from flows.fit import fit_stage
from flows.monthly import monthly_flow, prefect_api_url
from forecasting.series import ForecastSettings, SeriesInput, forecast_partition, partition, split_series
from forecasting.synthetic import random_calibrations, simulate_panel
from peakwatch.config import PROJECT_ROOT, DaskConfig, load_config
from peakwatch.evaluate import load_config_panel

DEFAULT_SIZES = (100, 1000, 10000)
DEFAULT_IDEAL_SAMPLE = 1000


def peak_rss_mb() -> float:
    """This process's peak resident memory. Not ru_maxrss: Linux carries that
    across fork + exec, so a spawned Dask worker would report its parent's peak."""
    with open("/proc/self/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024  # kB


def write_panel(n_series: int, path: Path) -> None:
    """N series (two per region: energy and CO2) as the tidy CSV a source reads."""
    panel = simulate_panel(random_calibrations(max(1, (n_series + 1) // 2), seed=n_series), seed=n_series)
    panel.write_csv(path)


def write_config(
    folder: Path, panel_path: Path, dask: dict, forecast: dict | None = None, run_series: str = "peakwatch-bench"
) -> Path:
    """A run config in ``folder`` for the synthetic panel at ``panel_path``:
    its regions derived, the ``dask`` and ``forecast`` blocks as given."""
    config = {
        "run_series": run_series,
        "artifacts_dir": str(folder / "artifacts"),
        "regions": str(PROJECT_ROOT / "configs" / "regions.yaml"),
        "sources": [
            {
                "name": "synthetic-bench",
                "kind": "tidy_csv",
                "path": str(panel_path),
                "regions": {"unmatched": "derive", "derive_prefix": "bench"},
            }
        ],
        "dask": dask,
        "forecast": forecast or {},
    }
    path = folder / f"{run_series}.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@flow(name="peakwatch-bench")
def bench_size(panel_path: str, n_workers: int, with_flow: bool, ideal_sample: int = DEFAULT_IDEAL_SAMPLE) -> dict:
    settings = ForecastSettings()
    dask_config = DaskConfig(n_workers=n_workers)
    with tempfile.TemporaryDirectory() as tmp, scheduler_side_config(), LocalCluster(
        **local_cluster_kwargs(dask_config, prefect_api_url())
    ) as cluster, Client(cluster) as client:
        config_path = write_config(Path(tmp), Path(panel_path), {"address": cluster.scheduler_address, "n_workers": n_workers})

        def load_series() -> list[SeriesInput]:
            return split_series(load_config_panel(load_config(config_path)), {})

        result = {"workers": n_workers}
        cpu_before = client.run(time.process_time)  # each worker's CPU time so far, every thread
        if with_flow:
            started = time.perf_counter()
            outcome = monthly_flow(config_path=str(config_path))
            result["flow_s"] = time.perf_counter() - started
            result["fit_stage_s"] = outcome.summary.seconds["fit"]
            # the flow's peak, before the bench loads its own copy of the series for the ideal loop
            result["scheduler_peak_mb"] = peak_rss_mb()
            series = load_series()
        else:
            series = load_series()
            parts = partition(series, n_partitions(dask_config, len(series)))
            started = time.perf_counter()
            fit_stage(DaskTaskRunner(address=cluster.scheduler_address), parts, settings, on_partition=lambda _: None)
            result["fit_stage_s"] = time.perf_counter() - started
            result["scheduler_peak_mb"] = peak_rss_mb()
        result["worker_peak_mb"] = max(client.run(peak_rss_mb).values())
        # the workers' CPU time over the flow (or the fit stage): with no other
        # work on them, that is the fits as the cluster ran them
        result["worker_cpu_s"] = sum(client.run(time.process_time).values()) - sum(cpu_before.values())
    result["series"] = len(series)
    result.update(ideal_time(series, settings, ideal_sample, n_workers))
    return result


def ideal_time(series: list[SeriesInput], settings: ForecastSettings, sample_size: int, n_workers: int, seed: int = 0) -> dict:
    """The same fits in a plain single-process loop (one BLAS thread, as in each
    worker) divided by the workers: each fit of a seeded uniform sample of the
    series timed and the mean scaled to all of them, with the 95 % margin of
    that estimate (series costs are heavy-tailed, so a sample's mean varies)."""
    sample = random.Random(seed).sample(series, min(sample_size, len(series)))
    costs = []
    with threadpool_limits(1):
        for one in sample:
            started = time.perf_counter()
            forecast_partition([one], settings)
            costs.append(time.perf_counter() - started)
    n, k = len(series), len(costs)
    spread = statistics.stdev(costs) if k > 1 else 0.0
    finite = math.sqrt((n - k) / (n - 1)) if n > 1 else 0.0  # a sample of every series has no margin
    sequential = statistics.fmean(costs) * n
    return {
        "ideal_sample": k,
        "sequential_s": sequential,
        "ideal_s": sequential / n_workers,
        "ideal_margin_s": 1.96 * spread / math.sqrt(k) * finite * n / n_workers,
    }


def format_table(rows: list[dict]) -> str:
    header = (
        f"{'series':>7} {'fit stage s':>11} {'series/s':>9} {'ideal s':>8} {'±95%':>6} {'actual/ideal':>12} "
        f"{'flow s':>8} {'flow/fit':>8} {'sched MB':>9} {'worker MB':>9} {'worker CPU/loop':>15}"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        flow_s = r.get("flow_s")
        flow_cell = f"{flow_s:.1f}" if flow_s else "-"
        ratio_cell = f"{flow_s / r['fit_stage_s']:.2f}" if flow_s else "-"
        lines.append(
            f"{r['series']:>7} {r['fit_stage_s']:>11.1f} {r['series'] / r['fit_stage_s']:>9.0f} "
            f"{r['ideal_s']:>8.1f} {r['ideal_margin_s']:>6.1f} {r['fit_stage_s'] / r['ideal_s']:>12.2f} "
            f"{flow_cell:>8} {ratio_cell:>8} "
            f"{r['scheduler_peak_mb']:>9.0f} {r['worker_peak_mb']:>9.0f} {r['worker_cpu_s'] / r['sequential_s']:>15.2f}"
        )
    return "\n".join(lines)


def run_bench(
    sizes: tuple[int, ...], n_workers: int, with_flow: bool, ideal_sample: int = DEFAULT_IDEAL_SAMPLE
) -> list[dict]:
    """Each size in a fresh process; prints the table as rows arrive."""
    rows = []
    for n in sizes:
        print(f"benchmarking {n} series on {n_workers} workers ...", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            panel_path = Path(tmp) / "panel.csv"
            write_panel(n, panel_path)
            cmd = [sys.executable, "-m", "flows.bench", "--panel", str(panel_path), "--workers", str(n_workers),
                   "--ideal-sample", str(ideal_sample)]
            if not with_flow:
                cmd.append("--no-flow")
            done = subprocess.run(cmd, capture_output=True, text=True, cwd=PROJECT_ROOT)
        if done.returncode != 0:
            raise RuntimeError(f"benchmark of {n} series failed:\n{done.stderr[-3000:]}")
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(format_table(rows), file=sys.stderr, flush=True)
    return rows


def _main() -> None:
    parser = argparse.ArgumentParser(description="one benchmark size (used by `peakwatch bench`)")
    parser.add_argument("--panel", required=True, help="the tidy CSV written by run_bench")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-flow", action="store_true")
    parser.add_argument("--ideal-sample", type=int, default=DEFAULT_IDEAL_SAMPLE)
    args = parser.parse_args()
    print(json.dumps(bench_size(args.panel, args.workers, not args.no_flow, args.ideal_sample)))


if __name__ == "__main__":
    _main()
