"""The same flow against an existing Dask scheduler (a real `dask scheduler`
and two `dask worker` processes on 127.0.0.1) gives the same projections as
the LocalCluster run: seeds depend on the series, not on where it ran."""

import json

import pytest

from flows.monthly import monthly_flow
from tests.flows.dask_processes import dask_processes
from tests.outcome import as_json

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def scheduler_address(tmp_path):
    with dask_processes(tmp_path) as (address, _):
        yield address


def projections(summary: dict) -> list[tuple]:
    return [
        (r["region_id"], r["indicator"], r["peak_year_median"], r["peak_year_p10"], r["peak_year_p90"],
         r["p_peak_by_target"], r["peak_value"])
        for r in summary["series"]
    ]


def test_existing_scheduler_gives_the_local_cluster_projections(scheduler_address, default_runs_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("PEAKWATCH_DASK_ADDRESS", scheduler_address)
    remote = as_json(monthly_flow(artifacts_dir=str(tmp_path / "artifacts")))
    local_summaries = sorted((default_runs_dir / "runs").glob("*/summary.json"))
    local = json.loads(local_summaries[0].read_text())
    assert projections(remote) == projections(local)
    assert len(remote["series"]) == 10
