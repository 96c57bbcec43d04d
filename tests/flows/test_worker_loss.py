"""A Dask worker killed in the middle of the fit stage: the run still completes
with every region's result, equal to an undisturbed computation."""

import json
import os
import subprocess
import sys
import time

import polars as pl
import pytest
import yaml
from distributed import Client

from forecasting.series import ForecastSettings, forecast_partition, split_series, with_pooling
from forecasting.synthetic import random_calibrations, simulate_panel
from peakwatch.config import PROJECT_ROOT
from peakwatch.sources.regions import derive_region_id
from tests.flows.dask_processes import dask_processes

PREFIX = "bench"
pytestmark = [pytest.mark.integration, pytest.mark.slow]


def write_config(folder, panel_path, address) -> str:
    config = {
        "artifacts_dir": str(folder / "artifacts"),
        "regions": str(PROJECT_ROOT / "configs" / "regions.yaml"),
        "sources": [
            {
                "name": "synthetic",
                "kind": "tidy_csv",
                "path": str(panel_path),
                # the synthetic regions are not in the registry: forecast them anyway
                "regions": {"unmatched": "derive", "derive_prefix": PREFIX},
            }
        ],
        "dask": {"address": address, "n_workers": 2, "partitions_per_worker": 4},
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return str(path)


def kill_when_busy(address: str, victim, run: subprocess.Popen, timeout: float = 600) -> bool:
    """SIGKILL ``victim`` once the scheduler shows it running a task (while ``run`` lives)."""
    with Client(address, timeout=60) as client:
        pid_to_address = {pid: a for a, pid in client.run(os.getpid).items()}
        victim_address = pid_to_address[victim.pid]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and run.poll() is None:
            if client.processing().get(victim_address):
                victim.kill()
                return True
            time.sleep(0.05)
    return False


def test_run_survives_a_worker_killed_mid_fit(tmp_path):
    panel = simulate_panel(random_calibrations(50, seed=11), seed=11)  # 100 series, 8 partitions
    panel_path = tmp_path / "panel.csv"
    panel.write_csv(panel_path)
    with dask_processes(tmp_path, n_workers=2, nanny=False) as (address, workers):
        config = write_config(tmp_path, panel_path, address)
        run = subprocess.Popen(
            [sys.executable, "-m", "peakwatch.cli", "run", "--config", config],
            cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        killed = kill_when_busy(address, workers[0], run)
        output, _ = run.communicate(timeout=900)
    assert run.returncode == 0, output[-3000:]
    assert killed, "the victim worker never started a task"

    (summary_path,) = (tmp_path / "artifacts" / "runs").glob("*/summary.json")
    rows = json.loads(summary_path.read_text())["series"]
    # Seeds follow the region id, so the reference uses the ids the run derived.
    derived = panel.with_columns(pl.col("region_id").map_elements(lambda r: derive_region_id(r, PREFIX), return_dtype=pl.String))
    series = split_series(derived, {})
    expected = forecast_partition(series, with_pooling(ForecastSettings(), series))  # pooled once, as the flow does
    assert len(rows) == len(expected) == 100
    for row, forecast in zip(rows, expected):
        assert (row["region_id"], row["indicator"]) == (forecast.region_id, forecast.indicator)
        assert row["peak_year_median"] == forecast.peaks.peak_year_median
        assert row["p_peak_by_target"] == forecast.peaks.p_peak_by_target
        assert row["peak_value"] == forecast.peaks.peak_value_median
