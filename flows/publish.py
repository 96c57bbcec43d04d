"""Publishing a run's pending payload to MLflow; the sync flow (``peakwatch sync``).

``publish_payload`` is the one way a run reaches the tracking store: for a run
that has just finished its forecasts and for one kept pending while the store
was down. Each payload is published once. Its parent run carries the payload's
id (tag ``peakwatch.pending_id``): a finished parent with that id means the
payload is already in MLflow; an unfinished one (a publish cut short) is
deleted with its children and the payload published again.

``_publish`` lists the stages in order, each a call into the room that owns
it: the payload (written by the monthly flow) -> MLflow parent run -> decide
warnings -> child runs -> notify -> summary -> report -> finish the parent.
"""

import logging
from dataclasses import replace
from pathlib import Path

from mlflow import MlflowClient
from prefect import flow

from flows import notify
from flows.lease import experiment_lease
from forecasting.series import SeriesForecast
from peakwatch import redact
from peakwatch.config import DEFAULT_CONFIG, Config, load_config
from peakwatch.killpoints import stage_done
from peakwatch.redact import describe_exception, redacted_errors
from peakwatch.reporting.report import render_report
from peakwatch.results.ranking import charted_series
from peakwatch.results.summary import load_run_summary, RunSummary
from peakwatch.store import pending
from peakwatch.store.catalog import Catalog, write_atomic
from peakwatch.store.runlock import run_lock
from peakwatch.store.runs import finalize
from peakwatch.store.series import has_forecast_table, read_series_forecast
from peakwatch.tracking import runs, watch
from peakwatch.tracking.client import open_experiment
from peakwatch.tracking.layout import record_key

log = logging.getLogger(__name__)

Store = tuple[MlflowClient, str]  # a client and the run series' experiment id


class RunOutcome:
    """A run's final summary and where its files are, as the flows return it.

    A plain object on purpose: Prefect walks a flow's return value object by
    object (dicts, dataclasses and models alike), keeping a dict of every object
    it has seen while it does: for a 10 000-series summary (full model menu)
    that took ~11 s and +86 MB at the end of the run. It does not walk into this.
    """

    __slots__ = ("summary", "summary_path", "report_path")

    def __init__(self, summary: RunSummary, summary_path: Path, report_path: Path):
        self.summary = summary
        self.summary_path = summary_path
        self.report_path = report_path

    def __repr__(self) -> str:
        return f"RunOutcome(run_id={self.summary.run_id!r}, {len(self.summary.series)} series)"


class TrackingUnavailable(RuntimeError):
    """The run's results are kept in a pending payload: the tracking store did not take them."""

    def __init__(self, message: str, pending_dir: str):
        super().__init__(message, pending_dir)
        self.message = message
        self.pending_dir = pending_dir

    def __str__(self) -> str:
        return self.message


@flow(name="peakwatch-sync")
def sync_flow(
    config_path: str = str(DEFAULT_CONFIG), artifacts_dir: str | None = None, wait_seconds: float = 0.0
) -> list[RunOutcome]:
    """Publish the runs kept in ``pending/`` while the tracking store was down, oldest first."""
    redact.install()
    with redacted_errors():
        config = load_config(Path(config_path))
        if artifacts_dir:
            config = config.model_copy(update={"artifacts_dir": Path(artifacts_dir).resolve()})
        return _sync(config, wait_seconds)


def _sync(config: Config, wait_seconds: float) -> list[RunOutcome]:
    catalog = Catalog(config.artifacts_dir)
    with run_lock(config.artifacts_dir, wait_seconds), experiment_lease(config.run_series, wait_seconds):
        try:
            return sync_pending(open_store(config, catalog), config, catalog)
        except Exception as exc:
            left = len(pending.list_payloads(catalog.pending_root))
            raise TrackingUnavailable(
                f"MLflow at {config.tracking_uri_redacted} is not usable ({describe_exception(exc)}); "
                f"{left} run(s) stay pending in {catalog.pending_root}. Try again when the store is back.",
                str(catalog.pending_root),
            ) from exc


def open_store(config: Config, catalog: Catalog) -> Store:
    """The tracking store and the run series' experiment (created on first use)."""
    return open_experiment(config.tracking_uri, config.run_series, catalog.mlflow_artifacts)


def _publish(store: Store, config: Config, catalog: Catalog, payload: pending.Payload) -> tuple[str, RunSummary]:
    """The publish stages, in order; returns the parent run's id and the run's final summary.

    Warnings are decided before the child runs are logged, so that each child
    run is created with its warning tags; they are sent after."""
    client, experiment_id = store
    summary = payload.summary
    identity = run_identity(payload)
    run_id = runs.log_parent(client, experiment_id, payload)  # 1. the MLflow parent run
    this_run = {**identity, "run_id": run_id}
    try:
        decided = notify.decide_warnings(  # 2. decide the warnings (from the state in MLflow)
            config, client, experiment_id, this_run, summary.series, payload.histories
        )
        runs.log_children(  # 3. the child runs, with their warning tags
            client, experiment_id, run_id, payload, config.tracking.log_threads, decided.child_tags,
            child_run_keys(config, summary),
        )
        announced = notify.notify_warnings(config, client, this_run, decided)  # 4. notify, remember
        stage_done("publish")
        validation = replace(summary.validation, docs_dir=str(catalog.validation_dir(run_id)))
        summary = summary.with_(run_id=run_id, validation=validation, early_warnings=announced)
        summary_path = pending.write_summary(payload.folder, summary)  # 5. summary.json
        report_path = write_report(config, payload, summary)  # 6. report.html
        runs.log_run_reports(client, run_id, summary)  # 7. the parent's reports, and finish it
        runs.finish_parent_run(client, run_id, {}, {"summary": summary_path, "report": report_path})
        stage_done("report")
    except BaseException as exc:
        pending.write_summary(payload.folder, payload.summary)  # not the run id of a run that did not finish
        try:
            runs.fail_parent_run(client, run_id, describe_exception(exc))
        except Exception:  # the store is gone: the parent stays unfinished, sync deletes it
            pass
        raise
    return run_id, summary


def child_run_keys(config: Config, summary: RunSummary) -> set[tuple[str, str]] | None:
    """The (region_id, indicator) that get child runs (None: every series): all of a
    small panel, else the watched and the charted series (tracking/watch.py)."""
    watched, _ = watch.watched_series(summary.series, config.watched_regions(), config.tracking.max_watched_series)
    charted = charted_series(summary, config.tracking.max_fan_charts)
    return watch.child_run_series(summary.series, watched, charted, config.tracking.all_child_runs_up_to)


def run_identity(payload: pending.Payload) -> dict[str, str]:
    """What the warning state records of the run (and compares with the next):
    its date, config and code. A payload whose summary lacks one is not published."""
    summary = payload.summary
    identity = {"run_date": summary.run_date, "config_hash": summary.config_hash, "code_version": summary.code_version}
    missing = sorted(name for name, value in identity.items() if value is None)
    if missing:
        raise pending.PayloadError(f"pending run {payload.folder}: its summary.json lacks {', '.join(missing)}")
    return identity


def publish_payload(store: Store, config: Config, catalog: Catalog, payload: pending.Payload) -> RunOutcome:
    """Publish one payload (at most once) and return its final summary; its
    report is drawn from the payload's own files, whether the run has just
    computed it (and hands it over: reading a 10 000-series summary back
    peaked ~40 MB over what the run held) or it waited in ``pending/``."""
    run_id, summary = _publish_once(store, config, catalog, payload)
    run_dir = finalize(catalog, payload.folder, run_id)
    summary_path = run_dir / pending.SUMMARY_JSON
    if summary is None:  # published before: its final summary is the one on disk
        summary = load_run_summary(summary_path)
    return RunOutcome(summary, summary_path, run_dir / pending.REPORT_HTML)


def _publish_once(store: Store, config: Config, catalog: Catalog, payload: pending.Payload) -> tuple[str, RunSummary | None]:
    """The MLflow run id of the payload, published unless it was before, and
    the final summary when published now (not read back: at 10 000 series
    reading it was the run's peak). The rest of the payload (the histories)
    is not kept past publishing."""
    client, experiment_id = store
    run_id = runs.find_published(client, experiment_id, payload.pending_id)
    if run_id is None:
        return _publish(store, config, catalog, payload)
    log.info("pending run %s is already in MLflow as run %s; finishing locally", payload.pending_id, run_id)
    return run_id, None


def forecasts_from_payload(
    payload: pending.Payload, summary: RunSummary, charted: set[tuple[str, str]] | None = None
) -> dict[tuple[str, str, str], SeriesForecast]:
    """The forecasts of ``summary``'s rows of the ``charted`` (region_id, indicator)
    (None: every row) that have a forecast table in the payload, by row key,
    rebuilt from their tables: what the report draws. (Every row's, at 10 000
    series, cost ~20 MB at the run's peak for charts that are not drawn.)"""
    folders = {record_key(r): r.artifacts for r in payload.children() if r.artifacts}
    forecasts = {}
    for row in summary.series:
        key = row.key
        if (charted is not None and key[:2] not in charted) or key not in folders:
            continue
        folder = payload.folder / folders[key]
        if has_forecast_table(folder):
            forecasts[key] = read_series_forecast(row, folder)
    return forecasts


def write_report(config: Config, payload: pending.Payload, summary: RunSummary | None = None) -> Path:
    """The payload's report.html, from ``summary`` (default: the payload's) and its forecast tables."""
    summary = payload.summary if summary is None else summary
    charts = config.tracking.max_fan_charts
    forecasts = forecasts_from_payload(payload, summary, charted_series(summary, charts))
    path = payload.folder / pending.REPORT_HTML
    write_atomic(path, render_report(summary, forecasts, config.regions.names(), charts))
    return path


def sync_pending(store: Store, config: Config, catalog: Catalog) -> list[RunOutcome]:
    """Publish every pending payload of this config's experiment, oldest first;
    returns their final summaries.

    A payload that cannot be published while the store answers (unreadable, of
    another experiment, or failing on its own content) is logged and left in
    place: it must not block the others, nor be taken for the store being
    down. A store error stops the sync and propagates.
    """
    done = []
    for folder in pending.list_payloads(catalog.pending_root):
        try:
            payload = pending.read_payload(folder)
        except pending.PayloadError as exc:
            log.error("%s; left in place", exc)
            continue
        experiment = payload.summary.experiment or config.run_series
        if experiment != config.run_series:
            log.error(
                "pending run %s belongs to experiment %r, not %r; left in place (sync it with its own config)",
                folder.name, experiment, config.run_series,
            )
            continue
        log.info("publishing pending run %s", folder.name)
        try:
            done.append(publish_payload(store, config, catalog, payload))
        except Exception as exc:
            if not store_answers(store):
                raise
            log.error("pending run %s could not be published (%s); left in place", folder.name, describe_exception(exc))
    return done


def store_answers(store: Store) -> bool:
    """Whether the tracking store answers a read: tells a payload's own failure from the store's."""
    client, experiment_id = store
    try:
        client.get_experiment(experiment_id)
    except Exception:
        return False
    return True

