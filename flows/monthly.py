"""The monthly flow: pull -> validate -> fit on Dask -> summary and payload ->
publish (MLflow, warnings, summary.json, report).

The flow only sequences: pulling and validating are tasks (flows/tasks.py),
the fit stage spreads partitions over Dask (flows/fit.py), the summary is
built from the rooms of peakwatch.results, the payload is written by
peakwatch.store, and publishing is flows/publish.py.
"""

import shutil
import subprocess
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

from prefect import flow, get_client, get_run_logger
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run

from flows import publish
from flows.cluster import n_partitions, task_runner
from flows.fit import FitResults, fit_stage, plan_scenarios
from flows.lease import experiment_lease
from flows.publish import RunOutcome, Store, TrackingUnavailable
from flows.tasks import Handoff, check_calibration, pool_panel, pull_sources, validate
from forecasting.scenarios import ScenarioResult
from forecasting.series import partition, split_series
from peakwatch import redact
from peakwatch.config import DEFAULT_CONFIG, PROJECT_ROOT, Config, load_config
from peakwatch.killpoints import stage_done
from peakwatch.redact import describe_exception, redacted_errors, redacted_traceback
from peakwatch.results.calibration import CalibrationCheck
from peakwatch.results.changes import COMPARED_FIELDS, compare_rows
from peakwatch.results.notices import DEFERRED_WARNINGS, Change
from peakwatch.results.ranking import charted_series
from peakwatch.results.rows import scenario_row
from peakwatch.results.scenarios import compare_scenarios
from peakwatch.results.series import SeriesRow
from peakwatch.results.summary import DataSource, PullSummary, RunSummary, ValidationSummary
from peakwatch.results.warnings import find_warnings
from peakwatch.sources.pull import SourceReport
from peakwatch.store import pending
from peakwatch.store.catalog import Catalog, move_dir
from peakwatch.store.runlock import run_lock
from peakwatch.store.runs import newest_local_summary
from peakwatch.tracking.layout import parent_record
from peakwatch.tracking.reads import previous_summary
from peakwatch.tracking.scenarios import scenario_record
from peakwatch.tracking.watch import watched_metrics, watched_series
from validation.gate import ValidationReport, passing_rows


@flow(name="peakwatch-monthly")
def monthly_flow(
    config_path: str = str(DEFAULT_CONFIG),
    artifacts_dir: str | None = None,
    snapshots: list[str] | None = None,
    wait_seconds: float = 0.0,
) -> RunOutcome:
    """Run the whole monthly pipeline on a config; returns the run's summary and where its files are.

    ``snapshots``: sha256s of stored raw inputs (one per source) to rerun on instead of fetching.
    ``wait_seconds``: how long to queue behind another run on the same artifacts
    folder before giving up (one run at a time per folder, see peakwatch/store/runlock.py).
    """
    redact.install()  # also when a deployment runs the flow, not the CLI
    with redacted_errors():
        config = load_run_config(config_path, artifacts_dir)
        # the folder first, then the experiment: the CLI holds the folder before the flow starts
        with run_lock(config.artifacts_dir, wait_seconds), experiment_lease(config.run_series, wait_seconds):
            return run_pipeline(config, tuple(snapshots or ()))


def load_run_config(config_path: str, artifacts_dir: str | None) -> Config:
    config = load_config(Path(config_path))
    if artifacts_dir:
        config = config.model_copy(update={"artifacts_dir": Path(artifacts_dir).resolve()})
    return config


def run_pipeline(config: Config, snapshots: tuple[str, ...] = ()) -> RunOutcome:
    """The body of the monthly flow, run while holding the artifacts folder's lock.

    Compute everything into a pending payload, then publish the payload to
    MLflow (flows/publish.py). When the store cannot take it, the payload stays
    in ``pending/`` and TrackingUnavailable says so; ``peakwatch sync``
    publishes it later.
    """
    logger = get_run_logger()
    catalog = Catalog(config.artifacts_dir)
    payload, store, store_error = compute_payload(config, catalog, snapshots)
    folder = payload.folder
    if store is not None:
        try:
            outcome = publish.publish_payload(store, config, catalog, payload)
        except Exception as exc:
            store_error = describe_exception(exc)
            # not logger.exception: the store's error quotes its URL, password and all
            logger.error("publishing run %s to MLflow failed (%s)\n%s", folder.name, store_error, redacted_traceback(exc))
        else:
            summary = outcome.summary
            logger.info("run %s: %d series, %d warnings", summary.run_id, len(summary.series), len(summary.warnings))
            return outcome
    publish.write_report(config, payload)
    raise TrackingUnavailable(
        f"MLflow at {config.tracking_uri_redacted} did not take the run ({store_error}). Every result is kept in "
        f"{folder} (summary.json, report.html, the MLflow payload); run `peakwatch sync` when the store is back.",
        str(folder),
    )


@dataclass(frozen=True)
class Fitted:
    """What summarizing needs from pulling, validating and fitting: not the panel,
    its validated rows, the series inputs nor the forecasts, which are freed
    before the fit, as partitions are submitted or as they arrive (at 10 000
    series ~40 + 40 + 15 + 120 MB that were held while the payload was written)."""

    sources: tuple[SourceReport, ...]
    pull: dict
    report: ValidationReport
    results: FitResults
    scenario_results: list[ScenarioResult]
    seconds: dict[str, float]
    calibration: tuple[CalibrationCheck, ...]


def pull_validate_fit(
    config: Config, catalog: Catalog, snapshots: tuple[str, ...], building: Path, common_tags: dict[str, str]
) -> Fitted:
    """Pull and validate the sources, then fit every usable series on Dask; the
    validation's Data Docs, the series' files and child run records (tagged
    ``common_tags``) go into ``building``."""
    logger = get_run_logger()
    clock = time.perf_counter()
    pulled = pull_sources(config, catalog, snapshots).take()
    stage_done("pull")
    for source in pulled.sources:
        if source.unmatched:
            logger.warning("source %s: %d unmatched region(s) left out", source.source, len(source.unmatched))
    if pulled.conflicts:
        logger.warning("%d conflicting value(s) between sources (higher precedence kept)", len(pulled.conflicts))
    sources, pull, panel = pulled.sources, pulled.as_dict(), pulled.panel
    del pulled  # so that the panel can be freed before the fit stage (below)
    given = Handoff(panel)
    report = validate(given, config.validation.settings(), config.regions.parents(), building / pending.VALIDATION_DIR)
    given.take()
    stage_done("gate")
    logger.info("validation: %s", report.metrics())
    if report.quarantined:
        logger.warning("quarantined regions: %s", report.quarantined)
    if report.warned:
        logger.warning("regions with validation warnings: %s", report.warned)
    usable = passing_rows(panel, report)
    seconds = {"pull_validate": time.perf_counter() - clock}

    series = split_series(usable, config.regions.target_years(), pool_groups=config.regions.levels())
    scenarios = plan_scenarios(config, usable)
    # The fit needs the series inputs only: not the panel (~45 MB at 10 000
    # series) through the whole fit stage, whose end was the run's peak.
    del panel, usable
    forecast = config.forecast
    unpooled = forecast.settings()
    clock = time.perf_counter()
    settings = pool_panel(series, unpooled)
    seconds["pool"] = time.perf_counter() - clock
    # in a thread of the flow while the cluster fits; it gets the unpooled settings
    # because it pools the panel cut at each earlier year itself
    calibration = check_calibration.submit(
        series, unpooled, forecast.calibration_windows, forecast.calibration_max_series
    )
    parts = partition(series, n_partitions(config.dask, len(series)))
    logger.info("forecasting %d series in %d partitions on Dask", len(series), len(parts))
    clock = time.perf_counter()
    # each partition's files, records and rows made while the cluster fits the rest
    results = FitResults(building, config.regions.names(), Counter(s.region_id for s in series), common_tags)
    del series  # held by `parts` (fit_stage lets go of each partition once it is submitted) and the check
    scenario_results = fit_stage(
        task_runner(config.dask, prefect_api_url()), parts, settings, results.add, scenarios
    )
    seconds["fit"] = time.perf_counter() - clock  # cluster start to last result (peakwatch bench reads it)
    stage_done("fit")
    return Fitted(sources, pull, report, results, scenario_results, seconds, checks_made(calibration))


def checks_made(calibration: PrefectFuture) -> tuple[CalibrationCheck, ...]:
    """The calibration check's result; a check that failed costs the run its check, not its answer."""
    try:
        return tuple(calibration.result())
    except Exception as exc:
        get_run_logger().warning("the calibration check failed (%s); the run goes on without it", describe_exception(exc))
        return ()


def compute_payload(
    config: Config, catalog: Catalog, snapshots: tuple[str, ...]
) -> tuple[pending.Payload, Store | None, str | None]:
    """Pull, validate, fit and summarize into a payload folder under ``pending/``;
    returns the payload (as written there) with the tracking store (earlier
    pending runs synced first), or None and why the store cannot be used."""
    for stale in catalog.stale_building_dirs():  # a killed run's half-built payload (the run lock is ours)
        get_run_logger().info("removing %s, left by a run that was stopped", stale)
        shutil.rmtree(stale, ignore_errors=True)
    pending_id = uuid.uuid4().hex[:12]
    building = catalog.building_dir(pending_id)  # renamed to pending/<id> when whole
    run_date = datetime.now(timezone.utc)
    run_day, parent_name = run_labels(config, run_date)
    fitted = pull_validate_fit(config, catalog, snapshots, building, {"run_date": run_day})
    rows = fitted.results.rows()
    store, store_error = open_store_and_sync(config, catalog)
    previous_run_id, changes = compare_with_previous(config, catalog, store, rows)
    tags = {
        "run_date": run_day,
        "data_sha256": ",".join(s.sha256 for s in fitted.sources),
        "config_hash": config.config_hash,
        "code_version": code_version(),
        "prefect_flow_run_id": str(flow_run.id or ""),
    }
    summary = build_summary(config, fitted, rows, tags, previous_run_id, changes).with_(
        pending_id=pending_id,
        run_date=run_date.isoformat(timespec="seconds"),
        validation=ValidationSummary.from_json(
            {**fitted.report.as_dict(), "docs_dir": str(catalog.pending_dir(pending_id) / pending.VALIDATION_DIR)}
        ),
    )
    metrics = {**parent_metrics(summary, fitted), **watched_series_metrics(config, summary)}
    parent = parent_record(parent_name, tags, metrics, pending_id, {"warnings": str(len(summary.warnings))})
    fitted.results.files.draw_charts(rows, charted_series(summary, config.tracking.max_fan_charts))
    names = config.regions.names()
    scenario_records = (scenario_record(r, names) for r in fitted.scenario_results)
    histories = fitted.results.histories()
    pending.write_payload(building, pending_id, summary.run_date, parent, scenario_records, histories, summary)
    folder = move_dir(building, catalog.pending_dir(pending_id))
    stage_done("payload")
    n_children = pending.count_records(folder)
    payload = pending.Payload(folder, pending_id, summary.run_date, parent, n_children, histories, summary)
    return payload, store, store_error


def build_summary(
    config: Config,
    fitted: Fitted,
    rows: list[SeriesRow],
    tags: dict[str, str],
    previous_run_id: str | None,
    changes: list[Change],
) -> RunSummary:
    """The run's summary before it is published (no run id; early warnings deferred)."""
    scenario_rows = [scenario_row(r, config.regions.names()) for r in fitted.scenario_results]
    warnings = find_warnings(rows, config.warnings.p_peak_threshold, config.warnings.threshold_overrides())
    return RunSummary(
        **{k: v for k, v in tags.items() if k != "run_date"},
        tracking_uri=config.tracking_uri_redacted,
        experiment=config.run_series,
        data=tuple(DataSource(s.source, s.location, s.sha256, s.rows, s.fetched) for s in fitted.sources),
        pull=PullSummary.from_json(fitted.pull),
        series=tuple(rows),
        scenarios=tuple(scenario_rows),
        scenario_comparison=compare_scenarios(rows, scenario_rows),
        warnings=tuple(warnings),
        previous_run_id=previous_run_id,
        changes=tuple(changes),
        early_warnings=DEFERRED_WARNINGS,  # decided when the run reaches MLflow (it holds the state)
        seconds=fitted.seconds,
        calibration=fitted.calibration,
    )


def parent_metrics(summary: RunSummary, fitted: Fitted) -> dict[str, float]:
    """The parent run's counts: validation, series forecast and failed, scenarios, warnings, changes, timings."""
    failed = sum(row.error is not None for row in summary.series)
    return {
        **fitted.report.metrics(),
        "series_forecast": len(summary.series) - failed,
        "series_failed": failed,
        "scenario_results": sum(r.ok for r in fitted.scenario_results),
        "scenario_failed": sum(not r.ok for r in fitted.scenario_results),
        "warnings": len(summary.warnings),
        "changes": len(summary.changes),
        **{f"seconds_{stage}": value for stage, value in fitted.seconds.items()},
        **{key: value for check in fitted.calibration for key, value in check.metrics().items()},
    }


def watched_series_metrics(config: Config, summary: RunSummary) -> dict[str, float]:
    """The watched series' peak numbers, as the parent run's metrics (tracking/watch.py)."""
    watched, left_out = watched_series(summary.series, config.watched_regions(), config.tracking.max_watched_series)
    if left_out:
        get_run_logger().warning(
            "%d watched series left out of the parent run's metrics (tracking.max_watched_series = %d)",
            left_out, config.tracking.max_watched_series,
        )
    return watched_metrics(watched)


def run_labels(config: Config, run_date: datetime) -> tuple[str, str]:
    """The run's day (tag ``run_date``) and its parent run's name, on the
    schedule's clock (the summary's ``run_date`` stays a UTC timestamp)."""
    local = config.schedule.local_time(run_date)
    return local.date().isoformat(), f"monthly-{local:%Y-%m-%d-%H%M%S}"


def compare_with_previous(
    config: Config, catalog: Catalog, store: Store | None, rows: list[SeriesRow]
) -> tuple[str | None, list[Change]]:
    """The previous run's id (MLflow's, else the newest local summary's) and what
    changed since. Only the row fields the comparison reads are kept from its
    summary, and not after this returns."""
    try:
        previous = previous_summary(*store, row_fields=COMPARED_FIELDS) if store else None
    except Exception as exc:  # the store went away after the sync: the run goes on, to pending/
        get_run_logger().warning(
            "MLflow did not give the previous run (%s); comparing with the newest local summary",
            describe_exception(exc),
        )
        store = None
    if store is None:
        previous = newest_local_summary(catalog, COMPARED_FIELDS, experiment=config.run_series)
    if not previous:
        return None, []
    changes = compare_rows(
        rows, previous.series, config.warnings.p_peak_threshold, overrides=config.warnings.threshold_overrides()
    )
    return previous.id, changes


def open_store_and_sync(config: Config, catalog: Catalog) -> tuple[Store | None, str | None]:
    """The tracking store with earlier pending runs published first (so that this
    run compares with the latest), or (None, why) when the store cannot be used."""
    logger = get_run_logger()
    try:
        store = publish.open_store(config, catalog)
        synced = publish.sync_pending(store, config, catalog)
    except Exception as exc:
        error = describe_exception(exc)
        logger.warning("MLflow at %s is not usable (%s); results will be kept in %s", config.tracking_uri_redacted, error, catalog.pending_root)
        return None, error
    if synced:
        logger.info("published %d pending run(s) from earlier: %s", len(synced), ", ".join(s.summary.run_id for s in synced))
    return store, None


def prefect_api_url() -> str:
    """The API this flow run reports to (the ephemeral server unless configured)."""
    with get_client(sync_client=True) as client:
        return str(client.api_url).rstrip("/")


def code_version() -> str:
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = ""
    return f"{version('peakwatch')}+{sha}" if sha else version("peakwatch")
