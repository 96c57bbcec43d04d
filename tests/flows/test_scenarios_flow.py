"""`peakwatch run` on the embedded default simulates the scenarios for the five
seed regions, on real components (ephemeral Prefect server, Dask LocalCluster,
SQLite MLflow store, GX), and the parallel results equal a local loop."""

import contextlib
import json

import polars as pl
import pytest
from mlflow import MlflowClient

from forecasting.scenarios import simulate_partition, split_regions
from peakwatch import cli
from peakwatch.config import load_config
from peakwatch.tracking.layout import KIND_TAG
from peakwatch.tracking.scenarios import SCENARIO_KIND

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SEED_REGIONS = {
    "hunan.yueyang",
    "hunan.yueyang.pingjiang",
    "hunan.zhuzhou",
    "hunan.yongzhou.jiangyong",
    "hunan.hengyang.leiyang",
}
INDICATORS = {"energy_consumption", "co2_emissions"}

@pytest.fixture(scope="module")
def run(tmp_path_factory):
    artifacts = tmp_path_factory.mktemp("artifacts")
    capture = tmp_path_factory.mktemp("out") / "stdout.txt"

    with capture.open("w") as handle, contextlib.redirect_stdout(handle):
        code = cli.main(["run", "--artifacts-dir", str(artifacts)])
    assert code == cli.EXIT_OK
    (summary_path,) = (artifacts / "runs").glob("*/summary.json")
    summary = json.loads(summary_path.read_text())
    return artifacts, summary, capture.read_text()

def test_baseline_and_plan_are_simulated_for_every_seed_region(run, capsys, monkeypatch):
    artifacts, summary, printed = run
    rows = {(r["region_id"], r["indicator"], r["scenario"]): r for r in summary["scenarios"]}
    for region in SEED_REGIONS:
        for indicator in INDICATORS:
            for scenario in ("baseline", "plan"):
                row = rows[(region, indicator, scenario)]
                assert row["error"] is None
                assert 0 <= row["p_peak_by_target"] <= 1 and row["target_year"] == 2030
                assert row["what_it_takes"]["probability"] == 0.8
    assert "Scenarios" not in printed  # a detail: `peakwatch show` (or run --details) prints it
    monkeypatch.setenv("COLUMNS", "200")  # a wide terminal: no cell wraps
    assert cli.main(["show", "--artifacts-dir", str(artifacts)]) == cli.EXIT_OK
    shown = capsys.readouterr().out
    assert "Scenarios" in shown and "plan" in shown and "baseline" in shown and "what it takes for P ≥ 0.80" in shown

def test_pingjiang_energy_sector_emissions_show_the_huadian_units(run):
    _, summary, _ = run
    rows = {(r["region_id"], r["indicator"], r["scenario"]): r for r in summary["scenarios"]}
    statistical = {(r["region_id"], r["indicator"]): r for r in summary["series"]}
    key = ("hunan.yueyang.pingjiang", "co2_emissions")
    baseline, plan = rows[(*key, "baseline")], rows[(*key, "plan")]
    assert any(e.startswith("pingjiang-huadian-phase1") for e in baseline["events"])
    assert {e.split(":")[0] for e in plan["events"]} >= {"pingjiang-huadian-phase1", "pingjiang-huadian-phase2"}
    # One 2x1000 MW phase: 2000 MW x 4200 h x 275 gce/kWh x 2.66 = 6.1 MtCO2/yr, all counted
    # (energy-sector plan), against a county history of ~2.6 MtCO2.
    assert baseline["peak_value"] > statistical[key]["peak_value"] + 5
    assert plan["peak_value"] > statistical[key]["peak_value"] + 10

def test_mlflow_child_runs_are_tagged_with_their_scenario(run):
    artifacts, summary, _ = run
    client = MlflowClient(f"sqlite:///{artifacts / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("peakwatch-monthly")
    children = client.search_runs(
        [experiment.experiment_id], f"tags.mlflow.parentRunId = '{summary['run_id']}'", max_results=1000
    )
    by_scenario = {}
    for child in children:
        by_scenario.setdefault(child.data.tags["scenario"], set()).add(
            (child.data.tags["region_id"], child.data.tags["indicator"])
        )
    expected = {(r, i) for r in SEED_REGIONS for i in INDICATORS}
    assert by_scenario["statistical"] == expected
    assert by_scenario["baseline"] == expected and by_scenario["plan"] == expected
    scenario_runs = [c for c in children if c.data.tags[KIND_TAG] == SCENARIO_KIND]
    assert len(scenario_runs) == len(summary["scenarios"])
    for child in scenario_runs:
        row = next(
            r for r in summary["scenarios"]
            if (r["region_id"], r["indicator"], r["scenario"]) == (
                child.data.tags["region_id"], child.data.tags["indicator"], child.data.tags["scenario"])
        )
        assert child.data.metrics["p_peak_by_target"] == pytest.approx(row["p_peak_by_target"])

def test_dask_results_equal_a_local_loop(run):
    _, summary, _ = run
    config = load_config()
    panel = pl.read_csv(config.sources[0].path)
    regions = split_regions(
        panel, config.regions.target_years(), config.regions.plan_targets(),
        config.scenarios.plant_events(), config.regions.parents(),
    )
    local = simulate_partition(regions, config.scenarios.specs(), config.scenarios.settings(config.forecast))
    remote = {(r["region_id"], r["indicator"], r["scenario"]): r for r in summary["scenarios"]}
    assert len(local) == len(remote)
    for result in local:
        row = remote[(result.region_id, result.indicator, result.scenario)]
        assert row["peak_year_median"] == result.peaks.peak_year_median
        assert row["p_peak_by_target"] == result.peaks.p_peak_by_target
        assert row["peak_value"] == result.peaks.peak_value_median
        assert row["what_it_takes"]["extra_cut"] == result.what_it_takes.extra_cut


def test_summary_compares_scenarios_per_region(run):
    _, summary, _ = run
    comparison = summary["scenario_comparison"]
    assert set(comparison) == SEED_REGIONS
    for region in SEED_REGIONS:
        for indicator in INDICATORS:
            cells = comparison[region][indicator]
            assert list(cells)[:3] == ["statistical", "baseline", "plan"]
            assert "required_cut" in cells["plan"] and "required_cut" not in cells["statistical"]
