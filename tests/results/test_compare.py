"""Run-to-run diff (results.changes.compare_rows) and the `peakwatch compare` table.

The rows here are written as summary.json holds them; the diff reads them typed
and its changes are compared in their summary.json form."""

import json
from types import SimpleNamespace

import pytest

from peakwatch.reporting.compare_table import format_comparison
from peakwatch.reporting.console import format_changes
from peakwatch.results import changes
from peakwatch.results.notices import Change
from peakwatch.results.series import SeriesRow
from peakwatch.results.summary import read_run_summary, read_summary, RunSummary
from peakwatch.tracking import client as tracking_client, layout as tracking


def _typed(rows) -> list[SeriesRow]:
    return [row if isinstance(row, (SeriesRow, _ReadFields)) else SeriesRow.from_json(row) for row in rows]


def _compare_rows(current, previous, *args, **kwargs) -> list[dict]:
    return [c.to_json() for c in changes.compare_rows(_typed(current), _typed(previous), *args, **kwargs)]


def _compare_summaries(a: dict, b: dict, *args) -> list[dict]:
    return [c.to_json() for c in changes.compare_summaries(RunSummary.from_json(a), RunSummary.from_json(b), *args)]


alerts = SimpleNamespace(  # the diff and its text, on summary.json rows
    compare_rows=_compare_rows,
    COMPARED_FIELDS=changes.COMPARED_FIELDS,
    format_changes=lambda found: format_changes([Change.from_json(c) for c in found]),
)
compare = SimpleNamespace(
    compare_summaries=_compare_summaries,
    format_comparison=lambda rows, a, b: format_comparison(
        [Change.from_json(r) for r in rows], RunSummary.from_json(a), RunSummary.from_json(b)
    ),
)


def _row(region="hunan.zhuzhou", indicator="co2_emissions", **over) -> dict:
    row = {
        "region_id": region, "indicator": indicator, "unit": "MtCO2", "model": "ets_damped_log", "error": None,
        "first_year": 2005, "last_observed_year": 2023, "n_observed_years": 19, "filled_years": [],
        "history_sha256": "aaa", "target_year": 2030, "peak_year_median": 2035.0,
        "p_peak_by_target": 0.3, "peak_value": 40.0,
    }
    return {**row, **over}


def test_unchanged_series_are_listed_only_on_request():
    rows = [_row()]
    assert alerts.compare_rows(rows, rows, 0.5) == []
    (same,) = alerts.compare_rows(rows, rows, 0.5, include_unchanged=True)
    assert same["change"] == "unchanged" and same["causes"] == []
    assert same["peak_value_old"] == same["peak_value_new"] == 40.0


def test_a_series_moved_only_by_the_pool_says_so():
    """The engine pools parameters across the panel: another series' revision moves
    this one too, and the cause names the pool, not this series' data."""
    old = _row(model_reason="pooled over 5 series: ...; pooling 0123456789")
    new = _row(model_reason="pooled over 5 series: ...; pooling abcdef0123", peak_year_median=2036.0)
    (change,) = alerts.compare_rows([new], [old], 0.5)
    assert change["change"] == "moved"
    assert change["causes"] == ["the panel's pooled parameters changed (other series' data)"]
    assert alerts.compare_rows([old], [old], 0.5) == []


def test_new_data_years_are_the_cause():
    old = _row(last_observed_year=2022, n_observed_years=18, history_sha256="old")
    new = _row(peak_year_median=2037.0, history_sha256="new")
    (change,) = alerts.compare_rows([new], [old], 0.5)
    assert change["change"] == "moved"
    assert change["causes"] == ["data now ends 2023 (was 2022)"]


def test_same_years_different_values_is_revised_data():
    (change,) = alerts.compare_rows([_row(history_sha256="b", peak_value=41.0)], [_row(history_sha256="a")], 0.5)
    assert change["causes"] == ["revised data (same years, different values)"]
    assert (change["peak_value_old"], change["peak_value_new"]) == (40.0, 41.0)


def test_revised_data_is_reported_even_when_the_projection_did_not_move():
    (change,) = alerts.compare_rows([_row(history_sha256="b")], [_row(history_sha256="a")], 0.5)
    assert change["change"] == "input changed" and change["causes"] == ["revised data (same years, different values)"]


def test_old_summaries_without_digests_fall_back_to_the_run_data_sha():
    old, new = _row(history_sha256=None), _row(history_sha256=None, peak_value=42.0)
    assert alerts.compare_rows([new], [old], 0.5)[0]["causes"] == []
    assert alerts.compare_rows([new], [old], 0.5, data_changed=True)[0]["causes"] == [
        "input data changed (data sha256 differs)"
    ]


def test_model_switch_and_crossing():
    old = _row(p_peak_by_target=0.6)
    new = _row(model="log_drift", p_peak_by_target=0.4)
    (change,) = alerts.compare_rows([new], [old], 0.5)
    assert change["change"] == "crossed to late"
    assert change["causes"] == ["model ets_damped_log -> log_drift"]


def test_scenarios_are_separate_series_and_missing_scenario_means_statistical():
    old = [_row()]  # a summary written before scenarios existed
    new = [_row(scenario="statistical"), _row(scenario="policy", peak_year_median=2029.0)]
    changes = alerts.compare_rows(new, old, 0.5, include_unchanged=True)
    assert [(c["scenario"], c["change"]) for c in changes] == [("policy", "new series"), ("statistical", "unchanged")]


class _ReadFields:
    """A row that records which of its fields are read."""

    read: set[str] = set()

    def __init__(self, row: dict):
        self._row = SeriesRow.from_json(row)

    def __getattr__(self, name):
        if name in SeriesRow.__dataclass_fields__:
            _ReadFields.read.add(name)
        return getattr(self._row, name)


def _pairs_through_every_branch() -> tuple[list[dict], list[dict]]:
    """(current, previous) rows that take compare_rows through each of its branches."""
    pairs = [
        (_row(region="a", error="no data"), _row(region="a")),
        (_row(region="b", error="no data"), _row(region="b", error="no data")),
        (_row(region="c", first_year=2006), _row(region="c")),
        (_row(region="d", last_observed_year=2024), _row(region="d")),
        (_row(region="e", n_observed_years=18), _row(region="e")),
        (_row(region="f", history_sha256="b"), _row(region="f")),
        (_row(region="g", history_sha256=None), _row(region="g", history_sha256=None)),
        (_row(region="h", model="log_drift", peak_value=41.0), _row(region="h")),
    ]
    return [new for new, _ in pairs], [old for _, old in pairs]


def test_the_previous_summary_keeps_every_field_the_comparison_reads():
    current, previous = _pairs_through_every_branch()
    _ReadFields.read = set()
    alerts.compare_rows(current, [_ReadFields(row) for row in previous], 0.5, include_unchanged=True, data_changed=True)
    assert _ReadFields.read and _ReadFields.read <= alerts.COMPARED_FIELDS, _ReadFields.read - alerts.COMPARED_FIELDS


def test_a_summary_read_for_comparison_compares_as_the_whole_one_does():
    current, previous = _pairs_through_every_branch()
    extra = {"backtests": [{"model": "ets", "mase": 0.8}], "peak_year_distribution": {"2030": 0.5}, "name_en": "A"}
    text = json.dumps({"run_id": "R1", "series": [{**row, **extra} for row in previous], "warnings": [{**previous[0]}]})
    whole, slim = read_summary(text), read_summary(text, alerts.COMPARED_FIELDS)
    assert slim["run_id"] == "R1"
    assert all(set(row) <= alerts.COMPARED_FIELDS for row in slim["series"])
    assert not any("backtests" in row or "peak_year_distribution" in row for row in slim["series"])
    typed = read_run_summary(text, alerts.COMPARED_FIELDS)
    assert typed.run_id == "R1" and typed.warnings == ()  # a summary read for a comparison keeps its series only
    for kwargs in ({}, {"include_unchanged": True, "data_changed": True}):
        assert alerts.compare_rows(current, slim["series"], 0.5, **kwargs) == alerts.compare_rows(
            current, whole["series"], 0.5, **kwargs
        ) == alerts.compare_rows(current, typed.series, 0.5, **kwargs)


def test_comparison_table_shows_both_runs_the_change_and_the_cause():
    a = {"run_id": "A1", "run_date": "2026-10-01", "data_sha256": "x" * 64,
         "series": [_row(), _row(indicator="energy_consumption", unit="Mtce", history_sha256="e")]}
    b = {"run_id": "B1", "run_date": "2026-11-01", "data_sha256": "y" * 64,
         "series": [_row(history_sha256="changed", peak_year_median=2038.0, p_peak_by_target=0.25, peak_value=41.5),
                    _row(indicator="energy_consumption", unit="Mtce", history_sha256="e")]}
    rows = compare.compare_summaries(a, b, 0.5)
    text = compare.format_comparison(rows, a, b)
    co2 = next(line for line in text.splitlines() if "co2_emissions" in line)
    assert co2.split()[2:11] == ["2035", "2038", "+3", "0.30", "0.25", "-0.05", "40.000", "41.500", "+1.500"]
    assert co2.endswith("moved           revised data (same years, different values)")
    energy = next(line for line in text.splitlines() if "energy_consumption" in line)
    assert "unchanged" in energy and "+0" in energy
    assert text.splitlines()[-1].startswith("1 of 2 series changed")


def test_comparison_reads_a_region_by_its_own_threshold():
    """As the monthly run does: P 0.65 -> 0.55 is on time at 0.5, late at Zhuzhou's 0.6."""
    a = {"run_id": "A1", "series": [_row(p_peak_by_target=0.65)]}
    b = {"run_id": "B1", "series": [_row(p_peak_by_target=0.55)]}
    assert compare.compare_summaries(a, b, 0.5)[0]["change"] == "moved"
    assert compare.compare_summaries(a, b, 0.5, {"hunan.zhuzhou": 0.6})[0]["change"] == "crossed to late"


def test_compare_without_a_local_store_says_so_and_creates_nothing(tmp_path, capsys, monkeypatch):
    from peakwatch import cli

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert cli.main(["compare", "--artifacts-dir", str(tmp_path)]) == 1
    assert f"no MLflow store at {tmp_path / 'mlflow.db'}" in capsys.readouterr().err
    assert not (tmp_path / "mlflow.db").exists()


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory):
    """A local store with three finished parent runs started a day apart, oldest
    first; the oldest forecasts a series the later two no longer do."""
    from peakwatch.store.catalog import Catalog
    from peakwatch.config import DEFAULT_CONFIG, load_config

    artifacts = tmp_path_factory.mktemp("compare-store")
    config = load_config(DEFAULT_CONFIG).model_copy(update={"artifacts_dir": artifacts})
    client, experiment_id = tracking_client.open_experiment(
        config.tracking_uri, config.run_series, Catalog(artifacts).mlflow_artifacts
    )
    ids = []
    for day, series in enumerate([[_row(), _row(region="hunan.yueyang")], [_row()], [_row(p_peak_by_target=0.6)]]):
        run = client.create_run(
            experiment_id, start_time=1_790_000_000_000 + day * 86_400_000, tags={tracking.KIND_TAG: tracking.PARENT_KIND}
        )
        summary = {"run_id": run.info.run_id, "run_date": f"2026-10-0{day + 1}", "data_sha256": "x" * 64, "series": series}
        client.log_text(run.info.run_id, json.dumps(summary), tracking.SUMMARY_JSON)
        client.set_terminated(run.info.run_id)
        ids.append(run.info.run_id)
    return artifacts, ids


def _compared(capsys, artifacts, *run_ids) -> tuple[str, str, str]:
    from peakwatch import cli

    assert cli.main(["compare", *run_ids, "--artifacts-dir", str(artifacts)]) == cli.EXIT_OK
    out, err = capsys.readouterr()
    lines = out.splitlines()
    return lines[0].split()[1], lines[1].split()[1], err


def test_one_run_id_of_the_newest_run_compares_it_with_the_run_before(three_runs, capsys):
    artifacts, (oldest, middle, newest) = three_runs
    a, b, _ = _compared(capsys, artifacts, newest)
    assert (a, b) == (middle, newest)
    a, b, _ = _compared(capsys, artifacts, oldest)
    assert (a, b) == (oldest, newest)


def test_two_run_ids_newest_first_are_swapped_with_a_note(three_runs, capsys):
    artifacts, (oldest, _, newest) = three_runs
    a, b, err = _compared(capsys, artifacts, newest, oldest)
    assert (a, b) == (oldest, newest)
    assert f"note: run {newest} started after run {oldest}" in err
    a, b, err = _compared(capsys, artifacts, oldest, newest)
    assert (a, b, err) == (oldest, newest, "")


def test_a_dropped_series_reads_as_no_longer_forecast(three_runs, capsys):
    """Time runs forward: the oldest run's extra series is dropped, not new."""
    from peakwatch import cli

    artifacts, (oldest, _, newest) = three_runs
    assert cli.main(["compare", newest, oldest, "--artifacts-dir", str(artifacts)]) == cli.EXIT_OK
    yueyang = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("hunan.yueyang"))
    assert "no longer forecast" in yueyang


def test_a_change_moved_by_its_peak_value_shows_the_value():
    """Same peak year and P: what moved is the peak value, and the line says so."""
    old = _row(indicator="energy_consumption", unit="Mtce", peak_year_median=2041.0, p_peak_by_target=0.29, peak_value=0.6)
    (change,) = alerts.compare_rows([{**old, "peak_value": 0.612}], [old], 0.5)
    assert change["change"] == "moved"
    assert alerts.format_changes([change]) == (
        "hunan.zhuzhou energy_consumption: moved; median peak 2041 -> 2041, P(<=target) 0.29 -> 0.29, "
        "peak value 0.600 -> 0.612 Mtce"
    )
    (small,) = alerts.compare_rows([{**old, "peak_value": 25.3}], [{**old, "peak_value": 25.265}], 0.5)
    assert "peak value 25.27 -> 25.30 Mtce" in alerts.format_changes([small])  # not 25.3 -> 25.3


def test_a_run_of_another_experiment_is_named_with_what_to_pass(three_runs, capsys):
    from peakwatch import cli
    from peakwatch.config import DEFAULT_CONFIG, load_config

    artifacts, (oldest, _, _) = three_runs
    config = load_config(DEFAULT_CONFIG).model_copy(update={"artifacts_dir": artifacts})
    client = tracking_client.connect(config.tracking_uri)
    other = client.create_experiment("peakwatch-ceads", artifact_location=(artifacts / "other").as_uri())
    run = client.create_run(other, tags={tracking.KIND_TAG: tracking.PARENT_KIND})
    client.set_terminated(run.info.run_id)
    for command in (["compare", run.info.run_id, oldest], ["report", run.info.run_id]):
        assert cli.main([*command, "--artifacts-dir", str(artifacts)]) == cli.EXIT_ERROR
        assert capsys.readouterr().err == (
            f"peakwatch: run '{run.info.run_id}' belongs to experiment 'peakwatch-ceads' (id {other}), "
            f"not '{config.run_series}': pass the --config whose run_series is 'peakwatch-ceads'\n"
        )
