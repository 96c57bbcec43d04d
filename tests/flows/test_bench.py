"""`peakwatch bench` end to end on a tiny size: the panel CSV, a fresh process
with a real LocalCluster, the whole monthly flow, the ideal loop, the table."""

import numpy as np
import pytest

from flows.bench import format_table, ideal_time, peak_rss_mb, run_bench
from forecasting.series import ForecastSettings, split_series
from forecasting.synthetic import random_calibrations, simulate_panel


def test_peak_rss_sees_memory_this_process_touched():
    before = peak_rss_mb()
    block = np.ones(40_000_000)  # 320 MB, written so that it is resident
    assert peak_rss_mb() >= before + 250
    del block


def test_ideal_time_has_a_margin_only_when_it_samples():
    series = split_series(simulate_panel(random_calibrations(2, seed=1), seed=1), {})
    settings = ForecastSettings(n_paths=50)
    every = ideal_time(series, settings, sample_size=10, n_workers=2)
    assert every["ideal_sample"] == len(series) == 4
    assert every["ideal_margin_s"] == 0.0  # every series timed: nothing is estimated
    assert every["ideal_s"] == pytest.approx(every["sequential_s"] / 2)
    half = ideal_time(series, settings, sample_size=2, n_workers=2)
    assert half["ideal_sample"] == 2 and half["ideal_margin_s"] > 0


@pytest.mark.integration
@pytest.mark.slow
def test_bench_runs_the_whole_flow_and_fills_every_column():
    (row,) = run_bench((12,), n_workers=2, with_flow=True, ideal_sample=3)
    assert row["series"] == 12 and row["workers"] == 2
    assert 0 < row["fit_stage_s"] < row["flow_s"]  # the flow's own fit stage is part of the flow
    assert row["ideal_sample"] == 3
    assert row["ideal_s"] == pytest.approx(row["sequential_s"] / 2)
    assert row["ideal_margin_s"] > 0  # 3 of 12 series timed
    assert row["worker_peak_mb"] > 50 and row["scheduler_peak_mb"] > 50
    # read around the flow, not after it: the workers spent about what the same
    # fits cost in a loop (an absolute floor was flaky: 12 fits take a fraction of a second)
    assert row["worker_cpu_s"] > 0.5 * row["sequential_s"]
    table = format_table([row])
    assert table.splitlines()[0].split()[:3] == ["series", "fit", "stage"]
    assert table.splitlines()[0].endswith("worker CPU/loop")
    cells = table.splitlines()[-1].split()
    assert cells[0] == "12" and float(cells[-1]) == pytest.approx(row["worker_cpu_s"] / row["sequential_s"], abs=0.01)
