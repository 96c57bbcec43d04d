"""Publishing a run's pending payload to MLflow; ``peakwatch sync``.

``publish_payload`` is the one way a run reaches the tracking store: for a run
that has just finished its forecasts and for one kept pending while the store
was down. Each payload is published once. Its parent run carries the payload's
id (tag ``peakwatch.pending_id``): a finished parent with that id means the
payload is already in MLflow; an unfinished one (a publish cut short) is
deleted with its children and the payload published again.
"""

import logging
import shutil
from dataclasses import replace
from pathlib import Path

from mlflow import MlflowClient
from mlflow.entities import Metric, Param

from flows import notify
from peakwatch.store import pending
from peakwatch.tracking import layout as tracking
from peakwatch.store.catalog import Catalog, move_dir, write_atomic
from peakwatch.config import Config
from peakwatch.redact import describe_exception
from peakwatch.reporting.report import charted_series, render_report
from peakwatch.results.summary import read_summary, row_key
from forecasting.series import SeriesForecast

log = logging.getLogger(__name__)

Store = tuple[MlflowClient, str]  # a client and the run series' experiment id


class TrackingUnavailable(RuntimeError):
    """The run's results are kept in a pending payload: the tracking store did not take them."""

    def __init__(self, message: str, pending_dir: str):
        super().__init__(message, pending_dir)
        self.message = message
        self.pending_dir = pending_dir

    def __str__(self) -> str:
        return self.message


def open_store(config: Config, catalog: Catalog) -> Store:
    """The tracking store and the run series' experiment (created on first use)."""
    return tracking.open_experiment(config.tracking_uri, config.run_series, catalog)


def find_published(client: MlflowClient, experiment_id: str, pending_id: str) -> str | None:
    """The finished parent run of this payload, if any; deletes unfinished attempts."""
    runs = client.search_runs(
        [experiment_id], filter_string=f"tags.`{pending.PENDING_ID_TAG}` = '{pending_id}'", max_results=100
    )
    finished = [r.info.run_id for r in runs if r.info.status == "FINISHED"]
    for run in runs:
        if run.info.status != "FINISHED":
            children = client.search_runs([experiment_id], f"tags.mlflow.parentRunId = '{run.info.run_id}'", max_results=50000)
            for child in children:
                client.delete_run(child.info.run_id)
            client.delete_run(run.info.run_id)
            log.info("deleted unfinished attempt %s of pending run %s (%d child runs)", run.info.run_id, pending_id, len(children))
    return finished[0] if finished else None


def forecasts_from_payload(
    payload: pending.Payload, summary: dict, charted: set[tuple[str, str]] | None = None
) -> dict[tuple[str, str, str], SeriesForecast]:
    """The forecasts of ``summary``'s rows of the ``charted`` (region_id, indicator)
    (None: every row) that have a forecast table in the payload, by row_key,
    rebuilt from their tables: what the report draws. (Every row's, at 10 000
    series, cost ~20 MB at the run's peak for charts that are not drawn.)"""
    folders = {tracking.record_key(r): r.artifacts for r in payload.children() if r.artifacts}
    forecasts = {}
    for row in summary["series"]:
        key = row_key(row)
        if (charted is not None and key[:2] not in charted) or key not in folders:
            continue
        folder = payload.folder / folders[key]
        if (folder / tracking.FORECAST_CSV).exists():
            forecasts[key] = tracking.read_series_forecast(row, folder)
    return forecasts


def write_report(config: Config, payload: pending.Payload, summary: dict | None = None) -> Path:
    """The payload's report.html, from ``summary`` (default: the payload's) and its forecast tables."""
    summary = payload.summary if summary is None else summary
    charts = config.tracking.max_fan_charts
    forecasts = forecasts_from_payload(payload, summary, charted_series(summary, charts))
    path = payload.folder / pending.REPORT_HTML
    write_atomic(path, render_report(summary, forecasts, config.regions.names(), charts))
    return path


def _log_parent(client: MlflowClient, experiment_id: str, payload: pending.Payload) -> str:
    parent = payload.parent
    start = tracking.start_time_ms(payload.run_date)
    run_id = client.create_run(experiment_id, run_name=parent.name, tags=parent.tags, start_time=start).info.run_id
    client.log_batch(
        run_id,
        metrics=[Metric(k, float(v), start, 0) for k, v in parent.metrics.items()],
        params=[Param(k, v) for k, v in parent.params.items()],
    )
    if payload.validation_dir.is_dir():
        client.log_artifacts(run_id, str(payload.validation_dir), artifact_path="validation")
    return run_id


def _log_children(
    client: MlflowClient, experiment_id: str, run_id: str, payload: pending.Payload, threads: int, decided: notify.Decided
) -> None:
    """Child runs, the series with warnings tagged with them."""
    total = payload.n_children
    step = max(total // 10, 1)

    def progress(done: int) -> None:
        if done % step == 0 or done == total:
            log.info("logged %d/%d child runs to MLflow", done, total)

    def with_warning(record: pending.RunRecord) -> pending.RunRecord:
        if record.tags.get(tracking.KIND_TAG) != tracking.CHILD_KIND:  # scenario runs carry no warning
            return record
        tags = decided.child_tags(tracking.record_key(record))
        return replace(record, tags={**record.tags, **tags}) if tags else record

    records = (with_warning(r) for r in payload.children())
    tracking.log_records(client, experiment_id, run_id, records, payload.folder, threads, progress)


def _publish(store: Store, config: Config, catalog: Catalog, payload: pending.Payload) -> tuple[str, dict]:
    """The parent run's id and the run's final summary."""
    client, experiment_id = store
    run_id = _log_parent(client, experiment_id, payload)
    try:
        summary = payload.summary
        this_run = {k: summary[k] for k in ("run_date", "config_hash", "code_version")} | {"run_id": run_id}
        decided = notify.decide_warnings(config, client, experiment_id, this_run, summary["series"], payload.histories)
        _log_children(client, experiment_id, run_id, payload, config.tracking.log_threads, decided)
        announced = notify.notify_warnings(config, client, this_run, decided)
        validation = {**summary["validation"], "docs_dir": str(catalog.validation_dir(run_id))}
        summary = {**summary, "run_id": run_id, "validation": validation, "early_warnings": announced}
        summary_path = pending.write_summary(payload.folder, summary)
        report_path = write_report(config, payload, summary)
        tracking.log_run_reports(client, run_id, summary)
        tracking.finish_parent_run(client, run_id, {}, {"summary": summary_path, "report": report_path})
    except BaseException as exc:
        pending.write_summary(payload.folder, payload.summary)  # not the run id of a run that did not finish
        try:
            tracking.fail_parent_run(client, run_id, describe_exception(exc))
        except Exception:  # the store is gone: the parent stays unfinished, sync deletes it
            pass
        raise
    return run_id, summary


def finalize(catalog: Catalog, folder: Path, run_id: str) -> Path:
    """Move a published payload to ``runs/<run_id>/`` and drop what MLflow now holds."""
    run_dir = move_dir(folder, catalog.run_dir(run_id))
    for name in (pending.PAYLOAD_JSON, pending.CHILDREN_JSONL):
        (run_dir / name).unlink(missing_ok=True)
    shutil.rmtree(run_dir / pending.SERIES_DIR, ignore_errors=True)
    return run_dir


def publish_payload(store: Store, config: Config, catalog: Catalog, payload: pending.Payload) -> dict:
    """Publish one payload (at most once) and return its final summary; its
    report is drawn from the payload's own files, whether the run has just
    computed it (and hands it over: reading a 10 000-series summary back
    peaked ~40 MB over what the run held) or it waited in ``pending/``."""
    run_id, summary = _publish_once(store, config, catalog, payload)
    run_dir = finalize(catalog, payload.folder, run_id)
    summary_path = run_dir / pending.SUMMARY_JSON
    if summary is None:  # published before: its final summary is the one on disk
        summary = read_summary(summary_path.read_text(encoding="utf-8"))
    return {**summary, "summary_path": str(summary_path), "report_path": str(run_dir / pending.REPORT_HTML)}


def _publish_once(store: Store, config: Config, catalog: Catalog, payload: pending.Payload) -> tuple[str, dict | None]:
    """The MLflow run id of the payload, published unless it was before, and
    the final summary when published now (not read back: at 10 000 series
    reading it was the run's peak). The rest of the payload (the histories)
    is not kept past publishing."""
    client, experiment_id = store
    run_id = find_published(client, experiment_id, payload.pending_id)
    if run_id is None:
        return _publish(store, config, catalog, payload)
    log.info("pending run %s is already in MLflow as run %s; finishing locally", payload.pending_id, run_id)
    return run_id, None


def sync_pending(store: Store, config: Config, catalog: Catalog) -> list[dict]:
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
        experiment = payload.summary.get("experiment", config.run_series)
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


def newest_local_summary(
    catalog: Catalog, row_fields: frozenset[str] | None = None, experiment: str | None = None
) -> dict | None:
    """The newest run summary in the artifacts folder (published or pending) of
    ``experiment`` (any, if None; configs may share an artifacts folder): what a
    run compares with when the tracking store is down. ``row_fields``: see
    summary.read_summary."""
    newest = None
    for path in [*catalog.root.glob("runs/*/summary.json"), *catalog.pending_root.glob("*/summary.json")]:
        try:
            found = read_summary(path.read_text(encoding="utf-8"), row_fields)
            run_date = found["run_date"]
        except (OSError, ValueError, KeyError):
            continue
        if experiment is not None and found.get("experiment", experiment) != experiment:
            continue
        if newest is None or run_date > newest["run_date"]:
            newest = found
    return newest
