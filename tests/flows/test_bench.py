"""`peakwatch bench` end to end on a tiny size: the panel CSV, a fresh process
with a real LocalCluster, the whole monthly flow, the ideal loop, the table."""

import numpy as np
import pytest

from flows.bench import format_table, peak_rss_mb, run_bench


def test_peak_rss_sees_memory_this_process_touched():
    before = peak_rss_mb()
    block = np.ones(40_000_000)  # 320 MB, written so that it is resident
    assert peak_rss_mb() >= before + 250
    del block


@pytest.mark.integration
@pytest.mark.slow
def test_bench_runs_the_whole_flow_and_fills_every_column():
    (row,) = run_bench((12,), n_workers=2, with_flow=True, ideal_sample=3)
    assert row["series"] == 12 and row["workers"] == 2
    assert 0 < row["fit_stage_s"] < row["flow_s"]  # the flow's own fit stage is part of the flow
    assert row["ideal_sample"] == 3
    assert row["ideal_s"] == pytest.approx(row["sequential_s"] / 2)
    assert row["worker_peak_mb"] > 50 and row["scheduler_peak_mb"] > 50
    table = format_table([row])
    assert table.splitlines()[0].split()[:3] == ["series", "fit", "stage"]
    assert table.splitlines()[-1].split()[0] == "12"
