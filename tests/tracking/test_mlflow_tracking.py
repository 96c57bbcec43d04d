"""Child-run layout against a real (temporary) SQLite MLflow store."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from flows import fit
from forecasting.series import ForecastSettings, SeriesForecast, SeriesInput, forecast_series
from peakwatch.results.summary import RunSummary
from peakwatch.store.catalog import Catalog
from peakwatch.store.pending import RunRecord
from peakwatch.tracking import client as tracking_client, layout as tracking, reads, runs as tracking_runs


def _forecast(region: str, indicator: str = "co2_emissions") -> SeriesForecast:
    years = np.arange(2005, 2024)
    values = 10 * 1.02 ** np.arange(len(years))
    return forecast_series(SeriesInput(region, indicator, "MtCO2", years, values, 2030), ForecastSettings(n_paths=200))


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory) -> tuple[str, Catalog]:
    catalog = Catalog(tmp_path_factory.mktemp("mlflow"))
    return f"sqlite:///{catalog.mlflow_db}", catalog  # created once: the schema migration is slow


@pytest.fixture
def store(sqlite_store, request):
    uri, catalog = sqlite_store
    return tracking_client.open_experiment(uri, request.node.name, catalog.mlflow_artifacts)


def _children(client, experiment_id, parent_id):
    return client.search_runs([experiment_id], f"tags.`mlflow.parentRunId` = '{parent_id}'")


def test_child_runs_carry_stable_tags_metrics_and_artifacts(store, tmp_path):
    client, experiment_id = store
    ok = _forecast("hunan.a")
    failed = SeriesForecast("hunan.b", "co2_emissions", "MtCO2", 3, 2021, 2023, (), history=(1.0, 1.0, 1.0),
                            error="only 3 observed years, need 8")
    parent = tracking_runs.start_parent_run(client, experiment_id, "p", {"run_date": "2026-11-23"})
    ids = fit.log_series_runs(
        client, experiment_id, parent, [ok, failed], {"hunan.a": ("甲", "A")},
        common_tags={"run_date": "2026-11-23"},
    )
    assert set(ids) == {("hunan.a", "co2_emissions", "statistical"), ("hunan.b", "co2_emissions", "statistical")}
    runs = {r.data.tags["region_id"]: r for r in _children(client, experiment_id, parent)}
    a = runs["hunan.a"]
    assert a.info.status == "FINISHED" and runs["hunan.b"].info.status == "FAILED"
    assert {k: a.data.tags[k] for k in ("indicator", "scenario", "region_name_zh", "run_date", "peakwatch.kind")} == {
        "indicator": "co2_emissions", "scenario": "statistical", "region_name_zh": "甲", "run_date": "2026-11-23",
        "peakwatch.kind": "series",
    }
    assert set(tracking.SERIES_METRICS) <= set(a.data.metrics)
    assert a.data.metrics["peak_year_median"] == ok.peaks.peak_year_median
    assert a.data.params["model"] == ok.model
    assert runs["hunan.b"].data.tags["error"].startswith("only 3 observed years")

    listed = {rid: {f.path for f in client.list_artifacts(run.info.run_id)} for rid, run in runs.items()}
    # The damped-trend component as a statsmodels model beside the tables.
    assert listed["hunan.a"] == {"forecast.csv", "peak_years.csv", "fan_chart.png", "model"}
    assert listed["hunan.b"] == {"forecast.csv", "fan_chart.png"}  # not forecast: no peak years, no model
    table = pl.read_csv(client.download_artifacts(a.info.run_id, "forecast.csv", str(tmp_path / "dl2")))
    assert table.filter(pl.col("kind") == "forecast")["median"].to_list() == pytest.approx(ok.fan.quantiles[0.5])


@pytest.mark.parametrize("threads", [1, 3])
def test_records_are_drawn_as_they_are_logged_and_ids_come_back_in_order(store, threads):
    client, experiment_id = store
    parent = tracking_runs.start_parent_run(client, experiment_id, "p", {"run_date": "2026-11-24"})
    drawn = []

    def records():  # a stream, as publishing reads children.jsonl
        for i in range(12):
            drawn.append(i)
            yield RunRecord(name=f"child-{i}", tags={"n": str(i)})

    ahead = []
    ids = tracking_runs.log_records(client, experiment_id, parent, records(), threads=threads,
                               progress=lambda done: ahead.append(len(drawn) - done))
    assert max(ahead) <= 2 * threads  # never more than the pool's window drawn ahead of what is logged
    assert len(ahead) == 12 and ahead[-1] == 0
    assert [client.get_run(i).info.run_name for i in ids] == [f"child-{i}" for i in range(12)]


def test_scenario_tag_defaults_to_statistical_and_follows_the_forecast(store):
    client, experiment_id = store
    parent = tracking_runs.start_parent_run(client, experiment_id, "p", {})

    @dataclasses.dataclass(frozen=True)
    class _Scenario(SeriesForecast):
        scenario: str | None = None

    base = _forecast("hunan.a")
    policy = _Scenario(**{f.name: getattr(base, f.name) for f in dataclasses.fields(base)}, scenario="policy")
    ids = fit.log_series_runs(client, experiment_id, parent, [base, policy], {}, with_artifacts=False)
    assert set(ids) == {("hunan.a", "co2_emissions", "statistical"), ("hunan.a", "co2_emissions", "policy")}
    found = client.search_runs([experiment_id], "tags.region_id = 'hunan.a' and tags.scenario = 'policy'")
    assert [r.info.run_id for r in found] == [ids[("hunan.a", "co2_emissions", "policy")]]
    assert found[0].info.run_name == "hunan.a/co2_emissions/policy"


def test_parent_reports_and_summary_round_trip(store, tmp_path):
    client, experiment_id = store
    parent = tracking_runs.start_parent_run(client, experiment_id, "p", {"run_date": "2026-11-23"})
    summary = {"run_id": parent, "validation": {"quarantined": {"hunan.x": ["values >= 0"]}},
               "warnings": [{"region_id": "hunan.a", "indicator": "co2_emissions", "kind": "late", "message": "m",
                             "p_peak_by_target": 0.1, "peak_year_median": 2045.0, "target_year": 2030}]}
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(summary))
    tracking_runs.log_run_reports(client, parent, RunSummary.from_json(summary))
    tracking_runs.finish_parent_run(client, parent, {"warnings": 1}, {"summary": path})
    assert {f.path for f in client.list_artifacts(parent)} == {"summary.json", "validation.json", "warnings.csv", "series.csv"}
    assert reads.load_summary(client, parent) == RunSummary.from_json(summary)
    validation = Path(client.download_artifacts(parent, "validation.json", str(tmp_path / "dl")))
    assert json.loads(validation.read_text()) == RunSummary.from_json(summary).validation.to_json()
    assert json.loads(validation.read_text())["quarantined"] == summary["validation"]["quarantined"]
    assert [r.info.run_id for r in reads.find_parent_runs(client, experiment_id)] == [parent]



def test_a_local_store_is_kept_in_wal_mode(store, sqlite_store):
    import sqlite3

    uri, catalog = sqlite_store
    with sqlite3.connect(catalog.mlflow_db) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    client, experiment_id = store
    parent = tracking_runs.start_parent_run(client, experiment_id, "p", {})
    assert client.get_run(parent).info.status == "RUNNING"  # MLflow still reads and writes it


def test_wal_mode_leaves_other_stores_alone(tmp_path):
    missing = tmp_path / "not-yet.db"
    tracking_client.use_write_ahead_log(f"sqlite:///{missing}")
    tracking_client.use_write_ahead_log(f"sqlite:///{missing}?mode=ro")
    tracking_client.use_write_ahead_log("http://127.0.0.1:5000")
    assert list(tmp_path.iterdir()) == []  # no stray database created
