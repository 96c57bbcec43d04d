"""The monthly flow: pull -> validate -> fit on Dask -> MLflow -> warnings -> summary.

Tasks are thin wrappers; the work happens in ``forecasting``, ``validation``,
``flows.sources`` and ``flows.tracking``.
"""

import shutil
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

import polars as pl
from prefect import flow, get_client, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.runtime import flow_run
from prefect.states import State
from prefect_dask import DaskTaskRunner
from prefect_dask.task_runners import PrefectDaskFuture

from flows import alerts, pending, publish, redact, scenario_report, summary, tracking, tracking_scenarios
from flows.catalog import Catalog, move_dir
from flows.fit_results import FitResults
from flows.handoff import Handoff
from flows.lease import experiment_lease
from flows.killpoints import stage_done
from flows.report import charted_series
from flows.cluster import n_partitions, scheduler_side_config, task_runner
from flows.redact import describe_exception, redacted_errors, redacted_traceback
from flows.runlock import run_lock
from flows.config import DEFAULT_CONFIG, PROJECT_ROOT, Config, load_config
from flows.scenario_stage import ScenarioWork, collect_scenarios, submit_scenarios
from flows.sources import TransientFetchError
from flows.sources.fetch import Fetched, fetch_into
from flows.sources.pull import PullResult, SourceReport, pull_all, resolve_pins
from forecasting.scenarios import ScenarioResult, split_regions
from forecasting.series import ForecastSettings, SeriesForecast, SeriesInput, forecast_partition, partition, split_series
from validation.gate import GateSettings, ValidationReport, passing_rows, validate_panel


def _retry_transient(task, task_run, state) -> bool:
    """Retry timeouts and 5xx, not a 404 or an HTML page (retrying cannot fix those)."""
    try:
        state.result()
    except TransientFetchError:
        return True
    except BaseException:
        return False
    return False


@task(retry_condition_fn=_retry_transient)
def fetch_source(source, catalog: Catalog, path: Path) -> Fetched:
    with redacted_errors():  # a source URL's token must not reach the task's state message
        return fetch_into(source, catalog, path)


def _fetch_with_retries(source, catalog: Catalog, path: Path) -> Fetched:
    delays = [source.retry_backoff_seconds * 2**i for i in range(source.retries)]  # exponential backoff
    return fetch_source.with_options(retries=source.retries, retry_delay_seconds=delays or 0)(source, catalog, path)


# The large values these tasks take or return go in a Handoff (see flows/handoff.py).
@task
def pull_sources(config: Config, catalog: Catalog, snapshots: tuple[str, ...] = ()) -> Handoff[PullResult]:
    """Fetch (or, with --snapshot, reuse stored bytes), parse, merge; snapshot the raw bytes."""
    for stale in catalog.stale_pull_scratch():  # a killed run's copies of its sources (the run lock is ours)
        get_run_logger().info("removing %s, left by a run that was stopped", stale)
        shutil.rmtree(stale, ignore_errors=True)
    pins = resolve_pins(catalog, config.sources, list(snapshots)) if snapshots else None
    with redacted_errors():
        return Handoff(pull_all(config.sources, config.regions, catalog, fetch=_fetch_with_retries, pins=pins))


# No cache: Prefect hashes a cached task's inputs, and the panel's hash
# (pickled whole) cost ~120 MB at its peak at 10 000 series, for a cache no
# run reads (results are not persisted).
@task(cache_policy=NO_CACHE)
def validate(
    panel: Handoff[pl.DataFrame], settings: GateSettings, parents: dict[str, str], docs_dir: Path
) -> ValidationReport:
    return validate_panel(panel.get(), settings, parents, docs_dir)


@task(retries=2, retry_delay_seconds=1)
def fit_partition(series: list[SeriesInput], settings: ForecastSettings) -> list[SeriesForecast]:
    return forecast_partition(series, settings)


def fit_stage(
    runner: DaskTaskRunner,
    partitions: list[list[SeriesInput]],
    settings: ForecastSettings,
    on_partition: Callable[[list[SeriesForecast]], None],
    scenarios: ScenarioWork | None = None,
) -> list[ScenarioResult]:
    """One Prefect task per partition on the Dask cluster; results stream back,
    each partition's forecasts handed to ``on_partition`` as it arrives (none
    are kept here). ``partitions`` is emptied as they are submitted: Dask
    holds a partition's inputs (~2 KB a series) until its result is in, and
    no one after that.

    Tasks go straight to the runner from the calling flow rather than through a
    subflow: Prefect ships the current flow run's parameters with every task,
    and a subflow's parameters would be every series (O(series x partitions)
    bytes pickled and sent). Scenario partitions share the cluster, submitted
    first: they are cheap.
    """
    logger = get_run_logger()
    total = sum(len(p) for p in partitions)
    with scheduler_side_config(), runner:
        scenario_futures = submit_scenarios(runner, scenarios)
        futures = []
        while partitions:
            futures.append(runner.submit(fit_partition, {"series": partitions.pop(0), "settings": settings}))
        done = 0
        started = time.monotonic()
        for future in as_completed(futures):
            arrived = _partition_result(future)
            future.wrapped_future.release()  # the worker's copy is no longer needed
            on_partition(arrived)
            done += len(arrived)
            elapsed = time.monotonic() - started
            left = elapsed / done * (total - done) if done else 0.0  # a partition may be empty (no series at all)
            logger.info("fitted %d/%d series (%.1fs elapsed, ~%.1fs left)", done, total, elapsed, left)
        return collect_scenarios(scenario_futures, scenarios)


def _partition_result(future: PrefectDaskFuture) -> list[SeriesForecast]:
    """A finished partition's forecasts, read from the task's final state as
    Dask returns it: ``future.result()`` would also keep that state, forecasts
    and all, on the Prefect future (and Prefect's ``as_completed`` holds every
    future until the last one is done), so a run held every partition twice."""
    outcome = future.wrapped_future.result()
    return outcome.result() if isinstance(outcome, State) else outcome


def plan_scenarios(config: Config, usable: pl.DataFrame) -> ScenarioWork | None:
    """The scenario work on the validated panel, if the config names scenarios."""
    if config.scenarios is None or not config.scenarios.files:
        return None
    regions = split_regions(
        usable,
        config.regions.target_years(),
        config.regions.plan_targets(),
        config.scenarios.plant_events(),
        config.regions.parents(),
    )
    # Scenarios are cheap: one partition per worker is enough.
    parts = partition(regions, config.dask.n_workers)
    return ScenarioWork(parts, config.scenarios.specs(), config.scenarios.settings(config.forecast))


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


@flow(name="peakwatch-monthly")
def monthly_flow(
    config_path: str = str(DEFAULT_CONFIG),
    artifacts_dir: str | None = None,
    snapshots: list[str] | None = None,
    wait_seconds: float = 0.0,
) -> summary.RunSummary:
    """Run the whole monthly pipeline on a config; returns the run summary.

    ``snapshots``: sha256s of stored raw inputs (one per source) to rerun on instead of fetching.
    ``wait_seconds``: how long to queue behind another run on the same artifacts
    folder before giving up (one run at a time per folder, see flows/runlock.py).
    """
    redact.install()  # also when a deployment runs the flow, not the CLI
    with redacted_errors():
        config = load_run_config(config_path, artifacts_dir)
        # the folder first, then the experiment: the CLI holds the folder before the flow starts
        with run_lock(config.artifacts_dir, wait_seconds), experiment_lease(config.run_series, wait_seconds):
            return summary.RunSummary(run_pipeline(config, tuple(snapshots or ())))


@flow(name="peakwatch-sync")
def sync_flow(
    config_path: str = str(DEFAULT_CONFIG), artifacts_dir: str | None = None, wait_seconds: float = 0.0
) -> list[summary.RunSummary]:
    """Publish the runs kept in ``pending/`` while the tracking store was down, oldest first."""
    redact.install()
    with redacted_errors():
        return _sync(load_run_config(config_path, artifacts_dir), wait_seconds)


def _sync(config: Config, wait_seconds: float) -> list[summary.RunSummary]:
    catalog = Catalog(config.artifacts_dir)
    with run_lock(config.artifacts_dir, wait_seconds), experiment_lease(config.run_series, wait_seconds):
        try:
            return [summary.RunSummary(s) for s in publish.sync_pending(publish.open_store(config, catalog), config, catalog)]
        except Exception as exc:
            left = len(pending.list_payloads(catalog.pending_root))
            raise publish.TrackingUnavailable(
                f"MLflow at {config.tracking_uri_redacted} is not usable ({describe_exception(exc)}); "
                f"{left} run(s) stay pending in {catalog.pending_root}. Try again when the store is back.",
                str(catalog.pending_root),
            ) from exc


def load_run_config(config_path: str, artifacts_dir: str | None) -> Config:
    config = load_config(Path(config_path))
    if artifacts_dir:
        config = config.model_copy(update={"artifacts_dir": Path(artifacts_dir).resolve()})
    return config


def run_pipeline(config: Config, snapshots: tuple[str, ...] = ()) -> dict:
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
            result = publish.publish_payload(store, config, catalog, payload)
        except Exception as exc:
            store_error = describe_exception(exc)
            # not logger.exception: the store's error quotes its URL, password and all
            logger.error("publishing run %s to MLflow failed (%s)\n%s", folder.name, store_error, redacted_traceback(exc))
        else:
            logger.info("run %s: %d series, %d warnings", result["run_id"], len(result["series"]), len(result["warnings"]))
            return result
    publish.write_report(config, payload)
    raise publish.TrackingUnavailable(
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

    series = split_series(usable, config.regions.target_years())
    scenarios = plan_scenarios(config, usable)
    # The fit needs the series inputs only: not the panel (~45 MB at 10 000
    # series) through the whole fit stage, whose end was the run's peak.
    del panel, usable
    parts = partition(series, n_partitions(config.dask, len(series)))
    logger.info("forecasting %d series in %d partitions on Dask", len(series), len(parts))
    clock = time.perf_counter()
    # each partition's files, records and rows made while the cluster fits the rest
    results = FitResults(building, config.regions, Counter(s.region_id for s in series), common_tags)
    del series  # held by `parts` only: fit_stage lets go of each partition once it is submitted
    scenario_results = fit_stage(
        task_runner(config.dask, prefect_api_url()), parts, config.forecast.settings(), results.add, scenarios
    )
    seconds["fit"] = time.perf_counter() - clock  # cluster start to last result (peakwatch bench reads it)
    stage_done("fit")
    return Fitted(sources, pull, report, results, scenario_results, seconds)


def compute_payload(
    config: Config, catalog: Catalog, snapshots: tuple[str, ...]
) -> tuple[pending.Payload, publish.Store | None, str | None]:
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
    scenario_results, report = fitted.scenario_results, fitted.report

    rows = fitted.results.rows()
    thresholds = config.warnings.threshold_overrides()
    warnings = alerts.find_warnings(rows, config.warnings.p_peak_threshold, thresholds)
    scenario_rows = [scenario_report.scenario_row(r, config.regions) for r in scenario_results]

    store, store_error = open_store_and_sync(config, catalog)
    previous_run_id, changes = compare_with_previous(config, catalog, store, rows)
    tags = {
        "run_date": run_day,
        "data_sha256": ",".join(s.sha256 for s in fitted.sources),
        "config_hash": config.config_hash,
        "code_version": code_version(),
        "prefect_flow_run_id": str(flow_run.id or ""),
    }
    run_summary = {
        "run_id": None,  # until MLflow has the run
        "pending_id": pending_id,
        "run_date": run_date.isoformat(timespec="seconds"),
        **{k: v for k, v in tags.items() if k != "run_date"},
        "tracking_uri": config.tracking_uri_redacted,
        "experiment": config.run_series,
        "data": [
            {"source": s.source, "location": s.location, "sha256": s.sha256, "rows": s.rows, "fetched": s.fetched}
            for s in fitted.sources
        ],
        "pull": fitted.pull,
        "validation": {**report.as_dict(), "docs_dir": str(catalog.pending_dir(pending_id) / pending.VALIDATION_DIR)},
        "series": rows,
        "scenarios": scenario_rows,
        "scenario_comparison": scenario_report.compare_scenarios(rows, scenario_rows),
        "warnings": [w.as_dict() for w in warnings],
        "previous_run_id": previous_run_id,
        "changes": changes,
        "early_warnings": DEFERRED_WARNINGS,  # decided when the run reaches MLflow (it holds the state)
        "seconds": fitted.seconds,
    }
    failed = sum(row["error"] is not None for row in rows)
    metrics = {
        **report.metrics(),
        "series_forecast": len(rows) - failed,
        "series_failed": failed,
        "scenario_results": sum(r.ok for r in scenario_results),
        "scenario_failed": sum(not r.ok for r in scenario_results),
        "warnings": len(warnings),
        "changes": len(changes),
        **{f"seconds_{stage}": value for stage, value in fitted.seconds.items()},
    }
    names = config.regions.names()
    parent = tracking.parent_record(
        parent_name, tags, metrics, pending_id, {"warnings": str(len(warnings))}
    )
    fitted.results.files.draw_charts(rows, charted_series(run_summary, config.tracking.max_fan_charts))
    scenario_records = (tracking_scenarios.scenario_record(r, names) for r in scenario_results)
    histories = fitted.results.histories()
    pending.write_payload(building, pending_id, run_summary["run_date"], parent, scenario_records, histories, run_summary)
    folder = move_dir(building, catalog.pending_dir(pending_id))
    stage_done("payload")
    n_children = pending.count_records(folder)
    payload = pending.Payload(folder, pending_id, run_summary["run_date"], parent, n_children, histories, run_summary)
    return payload, store, store_error


def run_labels(config: Config, run_date: datetime) -> tuple[str, str]:
    """The run's day (tag ``run_date``) and its parent run's name, on the
    schedule's clock (the summary's ``run_date`` stays a UTC timestamp)."""
    local = config.schedule.local_time(run_date)
    return local.date().isoformat(), f"monthly-{local:%Y-%m-%d-%H%M%S}"


def compare_with_previous(
    config: Config, catalog: Catalog, store: publish.Store | None, rows: list[dict]
) -> tuple[str | None, list[dict]]:
    """The previous run's id (MLflow's, else the newest local summary's) and what
    changed since. Only the row fields the comparison reads are kept from its
    summary, and not after this returns."""
    fields = alerts.COMPARED_FIELDS
    try:
        previous = tracking.previous_summary(*store, row_fields=fields) if store else None
    except Exception as exc:  # the store went away after the sync: the run goes on, to pending/
        get_run_logger().warning(
            "MLflow did not give the previous run (%s); comparing with the newest local summary",
            describe_exception(exc),
        )
        store = None
    if store is None:
        previous = publish.newest_local_summary(catalog, fields, experiment=config.run_series)
    if not previous:
        return None, []
    changes = alerts.compare_rows(
        rows, previous["series"], config.warnings.p_peak_threshold, overrides=config.warnings.threshold_overrides()
    )
    return previous.get("run_id") or previous.get("pending_id"), changes


# The summary's early warnings until the run is in MLflow (where their state lives).
DEFERRED_WARNINGS = {"alerts": [], "still_late": [], "back_on_time": [], "deliveries": [], "delivery": "deferred"}


def open_store_and_sync(config: Config, catalog: Catalog) -> tuple[publish.Store | None, str | None]:
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
        logger.info("published %d pending run(s) from earlier: %s", len(synced), ", ".join(s["run_id"] for s in synced))
    return store, None
