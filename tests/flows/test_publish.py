"""Publishing pending payloads to a real (temporary) SQLite MLflow store:
once, whatever happens in between (an interrupted publish, a crash after it)."""

import json
import os
import subprocess
import sys
from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from flows import notify, publish
from flows.fit import series_records
from forecasting.series import ForecastSettings, SeriesInput, forecast_series
from peakwatch.config import DEFAULT_CONFIG, PROJECT_ROOT, load_config
from peakwatch.results import early_warnings, tables
from peakwatch.results.notices import Alert, EarlyWarnings
from peakwatch.results.ranking import charted_series
from peakwatch.results.rows import series_row
from peakwatch.results.summary import RunSummary
from peakwatch.store import pending
from peakwatch.store.catalog import Catalog, copy_atomic, write_atomic
from peakwatch.store.runs import newest_local_summary
from peakwatch.tracking import layout as tracking, reads, runs as tracking_runs

REGIONS = ("hunan.a", "hunan.b", "hunan.c")


@pytest.fixture(scope="module")
def forecasts():
    years = np.arange(2005, 2024)
    return [
        forecast_series(
            SeriesInput(r, "co2_emissions", "MtCO2", years, 10 * (1.01 + 0.01 * i) ** np.arange(len(years)), 2030),
            ForecastSettings(n_paths=200),
        )
        for i, r in enumerate(REGIONS)
    ]


@pytest.fixture
def setup(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    config = load_config(DEFAULT_CONFIG).model_copy(update={"artifacts_dir": tmp_path})
    # Sending warnings is tested in test_notify/test_schedule_integration; it
    # needs a Prefect run context, so it is replaced by a recorder here.
    # Deciding them runs as it is.
    announced = []
    monkeypatch.setattr(
        publish.notify, "notify_warnings",
        lambda config, client, run, decided: announced.append(run["run_id"]) or EarlyWarnings(delivery="none"),
    )
    return config, Catalog(tmp_path), announced


def write_payload(catalog: Catalog, forecasts, pending_id: str, run_date: str, experiment: str = "peakwatch-monthly"):
    building = catalog.building_dir(pending_id)
    children = series_records(forecasts, {}, building, subdir=pending.SERIES_DIR)
    registry = load_config(DEFAULT_CONFIG).regions
    validation = {"docs_dir": None, "quarantined": {}, "warned": {}, "checks": [], "n_rows": 57}
    validation |= {f"validation_{k}": 0 for k in ("checks_failed", "regions_passed", "regions_quarantined", "regions_warned")}
    summary = {
        "run_id": None, "pending_id": pending_id, "run_date": run_date, "config_hash": "c" * 64, "code_version": "v",
        "experiment": experiment, "data": [], "changes": [], "previous_run_id": None, "scenarios": [],
        "series": [series_row(f, registry.names()).to_json() for f in forecasts], "warnings": [],
        "validation": validation | {"validation_regions_checked": 3},
    }
    summary = RunSummary.from_json(summary)
    parent = tracking.parent_record(f"monthly-{pending_id}", {"run_date": run_date[:10]}, {"warnings": 0}, pending_id, {})
    histories = {(f.region_id, f.indicator): f.history for f in forecasts}
    pending.write_payload(building, pending_id, run_date, parent, children, histories, summary)
    return building.rename(catalog.pending_dir(pending_id))


def active_runs(client, experiment_id):
    return client.search_runs([experiment_id], max_results=1000)


def parents(runs):
    return [r for r in runs if r.data.tags.get(tracking.KIND_TAG) == tracking.PARENT_KIND]


def test_payload_round_trips(setup, forecasts):
    config, catalog, _ = setup
    folder = write_payload(catalog, forecasts, "p1", "2026-10-01T06:00:00+00:00")
    payload = pending.read_payload(folder)
    assert payload.n_children == len(REGIONS)
    assert [r.name for r in payload.children()] == [f"{r}/co2_emissions" for r in REGIONS]
    original = tracking.series_record(forecasts[0], {}, artifacts="series/0")
    assert next(payload.children()) == original  # steps, metrics, tags, params survive JSON
    np.testing.assert_array_equal(payload.histories[("hunan.a", "co2_emissions")], forecasts[0].history)


def test_the_report_reads_forecast_tables_of_the_charted_series_only(setup, forecasts):
    config, catalog, _ = setup
    payload = pending.read_payload(write_payload(catalog, forecasts, "p1", "2026-10-01T06:00:00+00:00"))
    rebuilt = publish.forecasts_from_payload(payload, payload.summary, charted={("hunan.b", "co2_emissions")})
    assert list(rebuilt) == [("hunan.b", "co2_emissions", "statistical")]
    [forecast] = rebuilt.values()
    assert forecast.fan == forecasts[1].fan and forecast.history == forecasts[1].history
    assert forecast.peaks == forecasts[1].peaks
    every = publish.forecasts_from_payload(payload, payload.summary, charted=None)
    assert [key[0] for key in every] == list(REGIONS)


def test_peakwatch_report_downloads_the_tables_of_the_charted_series_only(setup, forecasts, monkeypatch):
    config, catalog, _ = setup
    store = publish.open_store(config, catalog)
    published = publish.publish_payload(
        store, config, catalog, pending.read_payload(write_payload(catalog, forecasts, "p1", "2026-10-01T06:00:00+00:00"))
    )
    client, experiment_id = store
    downloads = []
    real_download = reads._download_series_tables
    monkeypatch.setattr(reads, "_download_series_tables", lambda c, run_id: downloads.append(run_id) or real_download(c, run_id))

    found = reads.load_series_tables(client, experiment_id, published.summary.run_id, wanted={("hunan.b", "co2_emissions")})
    assert list(found) == [("hunan.b", "co2_emissions", "statistical")] and len(downloads) == 1
    forecast_table, peak_years = found["hunan.b", "co2_emissions", "statistical"]
    assert forecast_table.equals(tables.forecast_table(forecasts[1]))
    assert peak_years.equals(tables.peak_years_table(forecasts[1]))
    [row] = [r for r in published.summary.series if r.region_id == "hunan.b"]
    assert tables.forecast_from_table(row, forecast_table, peak_years).peaks == forecasts[1].peaks
    every = reads.load_series_tables(client, experiment_id, published.summary.run_id)
    assert sorted(every) == [(r, "co2_emissions", "statistical") for r in REGIONS] and len(downloads) == 4


def test_a_series_with_a_new_warning_has_it_tagged_on_its_child_run_from_the_start(setup, forecasts):
    config, catalog, _ = setup
    store = publish.open_store(config, catalog)
    published = publish.publish_payload(
        store, config, catalog, pending.read_payload(write_payload(catalog, forecasts, "p1", "2026-10-01T06:00:00+00:00"))
    )
    client, experiment_id = store
    threshold = config.warnings.p_peak_threshold
    late = {r.region_id for r in published.summary.series if r.p_peak_by_target < threshold}
    children = [r for r in active_runs(client, experiment_id) if r.data.tags.get(tracking.KIND_TAG) == tracking.CHILD_KIND]
    tagged = {r.data.tags["region_id"]: r.data.tags for r in children if "peakwatch.warning" in r.data.tags}
    assert late and set(tagged) == late  # the first assessment: every late series is new
    for region_id, tags in tagged.items():
        assert tags["peakwatch.warning"] == "late"
        assert region_id in tags["peakwatch.warning.message"] and "co2_emissions" in tags["peakwatch.warning.message"]


def test_a_decided_warning_becomes_the_tags_of_its_own_series_only():
    alert = Alert(
        "drift", "hunan.a", "A", "co2_emissions", "statistical", 2030, 0.5, 2029.0, 2032.0, 0.6, 0.4, ("new data",),
        drifted=("peak_later",),
    )
    alert = replace(alert, message=early_warnings.describe_alert(alert))
    decided = notify.Decided(early_warnings.Decision((alert,), (), ()), {})
    assert decided.child_tags(("hunan.a", "co2_emissions", "statistical")) == {
        "peakwatch.warning": "drift", "peakwatch.warning.message": early_warnings.describe_alert(alert),
    }
    assert decided.child_tags(("hunan.b", "co2_emissions", "statistical")) == {}
    assert notify.Decided(None, {}, "OSError: store gone").child_tags(("hunan.a", "co2_emissions", "statistical")) == {}


def test_a_publish_cut_short_is_redone_once_and_sync_is_idempotent(setup, forecasts, monkeypatch):
    config, catalog, announced = setup
    folder = write_payload(catalog, forecasts, "p1", "2026-10-01T06:00:00+00:00")
    store = publish.open_store(config, catalog)
    client, experiment_id = store

    real_log_record = tracking_runs.log_record
    calls = []

    def store_dies_on_the_second_child(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise ConnectionError("tracking server went away")
        return real_log_record(*args, **kwargs)

    monkeypatch.setattr(tracking_runs, "log_record", store_dies_on_the_second_child)
    with pytest.raises(ConnectionError):
        publish.publish_payload(store, config, catalog, pending.read_payload(folder))
    monkeypatch.setattr(tracking_runs, "log_record", real_log_record)
    [cut_short] = parents(active_runs(client, experiment_id))
    assert cut_short.info.status == "FAILED" and folder.is_dir()  # nothing lost, nothing claimed finished

    [result] = publish.sync_pending(store, config, catalog)
    runs = active_runs(client, experiment_id)
    [parent] = parents(runs)
    assert parent.info.status == "FINISHED" and parent.info.run_id == result.summary.run_id != cut_short.info.run_id
    assert len(runs) == 1 + len(REGIONS)  # the cut-short attempt and its child are gone
    assert parent.info.start_time == 1790834400000  # the run's own date, not the sync's
    assert not folder.exists() and (catalog.run_dir(result.summary.run_id) / "summary.json").exists()
    assert not (catalog.run_dir(result.summary.run_id) / pending.SERIES_DIR).exists()
    assert announced == [result.summary.run_id]

    assert publish.sync_pending(store, config, catalog) == []
    assert len(active_runs(client, experiment_id)) == len(runs)


def test_a_publish_cut_short_after_the_summary_leaves_the_pending_summary_as_it_was(setup, forecasts, monkeypatch):
    config, catalog, _ = setup
    folder = write_payload(catalog, forecasts, "p3", "2026-10-01T06:00:00+00:00")
    before = (folder / pending.SUMMARY_JSON).read_bytes()

    def store_dies(*args, **kwargs):
        assert json.loads((folder / pending.SUMMARY_JSON).read_text())["run_id"]  # the publish had written it
        raise ConnectionError("tracking server went away")

    monkeypatch.setattr(tracking_runs, "log_run_reports", store_dies)
    with pytest.raises(ConnectionError):
        publish.publish_payload(publish.open_store(config, catalog), config, catalog, pending.read_payload(folder))
    assert (folder / pending.SUMMARY_JSON).read_bytes() == before  # no run id of a run that did not finish


def test_a_crash_after_the_publish_finishes_locally_without_a_second_run(setup, forecasts):
    config, catalog, announced = setup
    folder = write_payload(catalog, forecasts, "p2", "2026-11-01T06:00:00+00:00")
    store = publish.open_store(config, catalog)
    run_id, _ = publish._publish(store, config, catalog, pending.read_payload(folder))  # then the process dies
    assert folder.is_dir()

    [result] = publish.sync_pending(store, config, catalog)
    assert result.summary.run_id == run_id and len(parents(active_runs(*store))) == 1
    assert json.loads((catalog.run_dir(run_id) / "summary.json").read_text())["run_id"] == run_id
    assert announced == [run_id]  # warnings were decided by the publish, not again


def test_pending_runs_publish_oldest_first_and_a_broken_payload_is_left_in_place(setup, forecasts):
    config, catalog, _ = setup
    write_payload(catalog, forecasts[:1], "newer", "2026-11-01T06:00:00+00:00")
    write_payload(catalog, forecasts[:1], "older", "2026-10-01T06:00:00+00:00")
    broken = catalog.pending_dir("broken")
    broken.mkdir(parents=True)
    (broken / pending.PAYLOAD_JSON).write_text("{not json")
    done = publish.sync_pending(publish.open_store(config, catalog), config, catalog)
    assert [d.summary.pending_id for d in done] == ["older", "newer"]
    assert broken.is_dir()
    with pytest.raises(pending.PayloadError, match="broken.*unreadable payload"):
        pending.read_payload(broken)


def test_a_payload_failing_on_its_own_is_left_and_does_not_stop_the_others(setup, forecasts, capsys):
    """A payload whose content the publish rejects, while the store answers, is
    not 'the store is down': the others are published and sync exits 1 naming it."""
    from peakwatch import cli

    config, catalog, _ = setup
    poisoned = write_payload(catalog, forecasts[:1], "older", "2026-10-01T06:00:00+00:00")
    summary = json.loads((poisoned / pending.SUMMARY_JSON).read_text())
    del summary["code_version"]  # as an older version of peakwatch might have written it
    (poisoned / pending.SUMMARY_JSON).write_text(json.dumps(summary))
    write_payload(catalog, forecasts[:1], "newer", "2026-11-01T06:00:00+00:00")
    other = write_payload(catalog, forecasts[:1], "ceads", "2026-11-02T06:00:00+00:00", experiment="peakwatch-ceads-cities")

    code = cli.main(["sync", "--artifacts-dir", str(catalog.root)])
    out, err = capsys.readouterr()
    assert code == cli.EXIT_ERROR
    assert "published pending run newer" in out and "older" not in out and "ceads" not in out
    assert "2 run(s) left in pending/, not published" in err and "older" in err and "ceads" in err
    assert poisoned.is_dir() and other.is_dir() and not catalog.pending_dir("newer").exists()
    client, experiment_id = publish.open_store(config, catalog)
    assert {r.data.tags.get("peakwatch.pending_id") for r in parents(active_runs(client, experiment_id))} >= {"newer"}
    assert "ceads" not in {r.data.tags.get("peakwatch.pending_id") for r in parents(active_runs(client, experiment_id))}


@pytest.mark.integration
def test_sync_keeps_the_libraries_output_off_the_terminal(tmp_path, forecasts):
    """As `peakwatch run` does (test_concurrent_runs): Prefect's, MLflow's and the
    flow's own log lines go to a log file, the terminal gets the answer."""
    write_payload(Catalog(tmp_path), forecasts[:1], "p", "2026-10-01T06:00:00+00:00")
    env = {**os.environ, "COLUMNS": "100", "PREFECT_LOGGING_LEVEL": "INFO"}  # as a user has it (the tests set WARNING)
    done = subprocess.run(
        [sys.executable, "-m", "peakwatch.cli", "sync", "--artifacts-dir", str(tmp_path)],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert not done.stderr.strip(), done.stderr  # was 13 lines: Prefect's server and runs, MLflow's tables, the publish
    assert "published pending run p" in done.stdout
    [log] = (tmp_path / "logs").glob("sync-*.log")
    assert f"Log: {log}" in done.stdout
    assert "Beginning flow run" in log.read_text(encoding="utf-8")


def test_a_store_that_stops_answering_still_stops_the_sync(setup, forecasts, monkeypatch):
    config, catalog, _ = setup
    folder = write_payload(catalog, forecasts[:1], "p", "2026-10-01T06:00:00+00:00")
    store = publish.open_store(config, catalog)

    def store_gone(*args, **kwargs):
        raise ConnectionError("tracking server went away")

    monkeypatch.setattr(tracking_runs, "log_record", store_gone)
    monkeypatch.setattr(store[0], "get_experiment", store_gone)  # and no longer answers a read either
    with pytest.raises(ConnectionError):
        publish.sync_pending(store, config, catalog)
    assert folder.is_dir()


def test_newest_local_summary_reads_published_and_pending_runs(setup, forecasts):
    config, catalog, _ = setup
    assert newest_local_summary(catalog) is None
    write_payload(catalog, forecasts[:1], "a", "2026-10-01T06:00:00+00:00")
    write_payload(catalog, forecasts[:1], "b", "2026-11-01T06:00:00+00:00")
    assert newest_local_summary(catalog).pending_id == "b"


def test_a_payload_file_written_in_pieces_is_whole_or_left_as_it_was(tmp_path):
    path = tmp_path / "children.jsonl"
    write_atomic(path, (f"{i}\n" for i in range(3)))
    assert path.read_text() == "0\n1\n2\n"

    def pieces_then_a_failure():
        yield "half\n"
        raise ValueError("record 2 cannot be encoded")

    with pytest.raises(ValueError, match="record 2"):
        write_atomic(path, pieces_then_a_failure())
    assert path.read_text() == "0\n1\n2\n" and sorted(p.name for p in tmp_path.iterdir()) == ["children.jsonl"]


def test_a_file_copied_in_is_whole_or_not_there(tmp_path):
    source, target = tmp_path / "scratch.csv", tmp_path / "raw" / "abc.csv"
    source.write_bytes(b"a,b\n" * 1000)
    copy_atomic(source, target)
    assert target.read_bytes() == source.read_bytes()
    with pytest.raises(FileNotFoundError):
        copy_atomic(tmp_path / "gone.csv", tmp_path / "raw" / "def.csv")
    assert sorted(p.name for p in target.parent.iterdir()) == ["abc.csv"]


def test_the_summary_publishing_returns_is_the_one_it_wrote(setup, forecasts):
    config, catalog, _ = setup
    folder = write_payload(catalog, forecasts, "p5", "2026-11-05T06:00:00+00:00")
    result = publish.publish_payload(publish.open_store(config, catalog), config, catalog, pending.read_payload(folder))
    returned = result.summary.to_json()
    written = json.loads(open(result.summary_path, encoding="utf-8").read())
    assert written["run_id"] == result.summary.run_id is not None
    assert json.loads(json.dumps(returned)) == written


def test_a_missing_year_is_null_in_the_payload_and_nan_when_read_back(tmp_path):
    history = pending.as_history([1.0, None, 3.0])
    assert history.typecode == "d" and np.isnan(history[1])
    parent = tracking.parent_record("monthly-x", {}, {}, "x", {})
    pending.write_payload(tmp_path, "x", "2026-10-01T06:00:00+00:00", parent, [], {("r", "co2_emissions"): history}, RunSummary())
    assert json.loads((tmp_path / pending.PAYLOAD_JSON).read_text())["histories"][0]["history"] == [1.0, None, 3.0]
    np.testing.assert_array_equal(pending.read_payload(tmp_path).histories["r", "co2_emissions"], [1.0, np.nan, 3.0])


def test_newest_local_summary_of_an_experiment_passes_over_another_configs_runs(setup, forecasts):
    _, catalog, _ = setup
    write_payload(catalog, forecasts[:1], "ours", "2026-10-01T06:00:00+00:00")
    write_payload(catalog, forecasts[:1], "theirs", "2026-11-01T06:00:00+00:00", experiment="peakwatch-ceads-cities")
    assert newest_local_summary(catalog).pending_id == "theirs"
    assert newest_local_summary(catalog, experiment="peakwatch-monthly").pending_id == "ours"


def test_a_write_whose_rename_fails_leaves_no_temporary_file(tmp_path):
    """`report --output <folder>` left a 500 KB .<name>.tmp behind: the rename failed outside the cleanup."""
    folder = tmp_path / "reports"
    folder.mkdir()
    with pytest.raises(IsADirectoryError):
        write_atomic(folder, "<html></html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"] and not any(folder.iterdir())


def test_report_output_to_a_folder_writes_report_html_inside(tmp_path):
    from peakwatch.cli import parse, report_path

    args = parse(["report", "--output", str(tmp_path)])
    assert report_path(args.output) == tmp_path / "report.html"
    assert report_path(tmp_path / "march.html") == tmp_path / "march.html"


def test_a_large_panel_logs_child_runs_for_the_watched_and_charted_series_only(setup, forecasts):
    """Above tracking.all_child_runs_up_to series, only the watched series and the
    ones the report charts get child runs; series.csv on the parent holds every
    series' numbers."""
    config, catalog, _ = setup
    safest = max(forecasts, key=lambda f: f.peaks.p_peak_by_target).region_id  # never the first charted
    tracking_config = config.tracking.model_copy(update={"watch": (safest,), "max_fan_charts": 1, "all_child_runs_up_to": 2})
    config = config.model_copy(update={"tracking": tracking_config})
    store = publish.open_store(config, catalog)
    published = publish.publish_payload(
        store, config, catalog, pending.read_payload(write_payload(catalog, forecasts, "p1", "2026-10-01T06:00:00+00:00"))
    )
    client, experiment_id = store
    (charted,) = charted_series(published.summary, 1)
    children = [r for r in active_runs(client, experiment_id) if r.data.tags.get(tracking.KIND_TAG) == tracking.CHILD_KIND]
    assert charted[0] != safest
    assert sorted(r.data.tags["region_id"] for r in children) == sorted({safest, charted[0]})
    table = pl.read_csv(client.download_artifacts(published.summary.run_id, tracking.SERIES_CSV, str(catalog.root)))
    assert table["region_id"].to_list() == list(REGIONS)
    assert table["p_peak_by_target"].to_list() == [r.p_peak_by_target for r in published.summary.series]
