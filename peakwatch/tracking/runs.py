"""Logging runs to the store: child runs in batches (the fewest store calls
MLflow allows), and the parent run's life (created, reports, finished or failed).

Metrics and tags go in batches (``log_batch``), never one call per value.
Artifacts (tables, fan charts, reports) are written to temporary folders and
uploaded from there: nothing lands in the repository.
"""

import json
import logging
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunStatus, RunTag
from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

from peakwatch.redact import redact_text
from peakwatch.results.summary import RunSummary
from peakwatch.results.tables import series_table, warnings_table
from peakwatch.store.pending import PENDING_ID_TAG, Payload, RunRecord
from peakwatch.tracking.layout import (
    CHILD_KIND, KIND_TAG, PARENT_KIND, SERIES_CSV, VALIDATION_JSON, WARNINGS_CSV, record_key, start_time_ms,
)

log = logging.getLogger(__name__)


def _now_ms() -> int:
    return int(time.time() * 1000)


def start_parent_run(client: MlflowClient, experiment_id: str, name: str, tags: dict[str, str]) -> str:
    run = client.create_run(experiment_id, run_name=name, tags={KIND_TAG: PARENT_KIND, **tags})
    client.log_batch(run.info.run_id, params=[Param(k, str(v)[:6000]) for k, v in tags.items()])
    return run.info.run_id


def log_record(
    client: MlflowClient, experiment_id: str, parent_run_id: str, record: RunRecord, base: Path | None, timestamp: int
) -> str:
    """Three store calls per run, the fewest the MLflow API allows: create (with
    tags), one log_batch (metrics + params), terminate; and one artifact upload."""
    tags = {**record.tags, "mlflow.parentRunId": parent_run_id}
    info = client.create_run(experiment_id, run_name=record.name, tags=tags, start_time=timestamp).info
    run_id = info.run_id
    metrics = [Metric(k, float(v), timestamp, 0) for k, v in record.metrics.items()]
    metrics += [Metric(k, v, timestamp, step) for k, pairs in record.steps.items() for step, v in pairs]
    params = [Param(k, v) for k, v in record.params.items()]
    client.log_batch(run_id, metrics=metrics, params=params)
    if record.artifacts is not None and base is not None:
        # Straight to the run's artifact store, whose URI create_run returned:
        # MlflowClient.log_artifacts looks the run up again (one more store
        # call) and caches a repository per run, each with its own logging
        # queue (1 024 kept, churned through at scale). 13.4 -> ~9 ms a run on SQLite.
        repository = get_artifact_repository(info.artifact_uri, tracking_uri=client.tracking_uri)
        repository.log_artifacts(str(base / record.artifacts))
    client.set_terminated(run_id, record.status)
    return run_id


def log_records(
    client: MlflowClient,
    experiment_id: str,
    parent_run_id: str,
    records: Iterable[RunRecord],
    base: Path | None = None,
    threads: int = 1,
    progress: Callable[[int], None] | None = None,
) -> list[str]:
    """Log child runs; returns their run ids in order, calling ``progress`` with
    the number logged so far after each.

    MLflow has no call that creates many runs at once: each costs four store
    calls. With ``threads`` > 1 they go through a thread pool so that round trips
    overlap. That pays only when round trips are slow (a remote server): against
    SQLite or a local server one thread measured fastest (scripts/benchmark_tracking.py).
    ``records`` are drawn as the pool has room (at most two per thread waiting),
    so a stream of records is never held whole.
    """
    timestamp = _now_ms()
    run_ids: list[str] = []
    waiting: deque[Future] = deque()

    def collect_oldest() -> None:
        run_ids.append(waiting.popleft().result())
        if progress is not None:
            progress(len(run_ids))

    with ThreadPoolExecutor(threads) as pool:
        for record in records:
            waiting.append(pool.submit(log_record, client, experiment_id, parent_run_id, record, base, timestamp))
            if len(waiting) >= 2 * threads:
                collect_oldest()
        while waiting:
            collect_oldest()
    return run_ids


def log_run_reports(client: MlflowClient, run_id: str, run_summary: RunSummary) -> None:
    """validation.json, warnings.csv and series.csv beside the parent run's summary.json."""
    with tempfile.TemporaryDirectory(prefix="peakwatch-reports-") as tmp:
        folder = Path(tmp)
        (folder / VALIDATION_JSON).write_text(
            json.dumps(run_summary.validation.to_json(), ensure_ascii=False, indent=2), encoding="utf-8"
        )
        warnings_table(run_summary.warnings).write_csv(folder / WARNINGS_CSV)
        series_table(run_summary.series).write_csv(folder / SERIES_CSV)
        client.log_artifacts(run_id, tmp)


def finish_parent_run(
    client: MlflowClient,
    run_id: str,
    metrics: dict[str, float],
    files: dict[str, Path],
    tags: dict[str, str] | None = None,
) -> None:
    timestamp = _now_ms()
    client.log_batch(
        run_id,
        metrics=[Metric(k, float(v), timestamp, 0) for k, v in metrics.items()],
        tags=[RunTag(k, v) for k, v in (tags or {}).items()],
    )
    for path in files.values():
        client.log_artifact(run_id, str(path))
    client.set_terminated(run_id, "FINISHED")


def fail_parent_run(client: MlflowClient, run_id: str, reason: str) -> None:
    client.set_tag(run_id, "failure", redact_text(reason)[:5000])  # an error text can quote the store's URL
    client.set_terminated(run_id, RunStatus.to_string(RunStatus.FAILED))


def find_published(client: MlflowClient, experiment_id: str, pending_id: str) -> str | None:
    """The finished parent run of this payload, if any; deletes unfinished attempts
    (a publish cut short) with their child runs."""
    runs = client.search_runs([experiment_id], filter_string=f"tags.`{PENDING_ID_TAG}` = '{pending_id}'", max_results=100)
    finished = [r.info.run_id for r in runs if r.info.status == "FINISHED"]
    for run in runs:
        if run.info.status != "FINISHED":
            children = client.search_runs([experiment_id], f"tags.mlflow.parentRunId = '{run.info.run_id}'", max_results=50000)
            for child in children:
                client.delete_run(child.info.run_id)
            client.delete_run(run.info.run_id)
            log.info("deleted unfinished attempt %s of pending run %s (%d child runs)", run.info.run_id, pending_id, len(children))
    return finished[0] if finished else None


def log_parent(client: MlflowClient, experiment_id: str, payload: Payload) -> str:
    """Create the payload's parent run (started when the payload was computed) with its
    tags, params, metrics and the validation's Data Docs; returns its run id."""
    parent = payload.parent
    start = start_time_ms(payload.run_date)
    run_id = client.create_run(experiment_id, run_name=parent.name, tags=parent.tags, start_time=start).info.run_id
    client.log_batch(
        run_id,
        metrics=[Metric(k, float(v), start, 0) for k, v in parent.metrics.items()],
        params=[Param(k, v) for k, v in parent.params.items()],
    )
    if payload.validation_dir.is_dir():
        client.log_artifacts(run_id, str(payload.validation_dir), artifact_path="validation")
    return run_id


def log_children(
    client: MlflowClient,
    experiment_id: str,
    run_id: str,
    payload: Payload,
    threads: int,
    warning_tags: Callable[[tuple[str, str, str]], dict[str, str]],
    keep: set[tuple[str, str]] | None = None,
) -> None:
    """The payload's child runs under ``run_id`` of the ``keep`` (region_id,
    indicator) (None: all), each statistical series with its ``warning_tags``
    (written when the run is created: a store call per warning afterwards took
    ~50 s of a 10 000-series run with 9 120 of them)."""

    def kept(record: RunRecord) -> bool:
        return keep is None or record_key(record)[:2] in keep

    total = payload.n_children if keep is None else sum(map(kept, payload.children()))
    step = max(total // 10, 1)

    def progress(done: int) -> None:
        if done % step == 0 or done == total:
            log.info("logged %d/%d child runs to MLflow", done, total)

    def with_warning(record: RunRecord) -> RunRecord:
        if record.tags.get(KIND_TAG) != CHILD_KIND:  # scenario runs carry no warning
            return record
        tags = warning_tags(record_key(record))
        return replace(record, tags={**record.tags, **tags}) if tags else record

    records = (with_warning(r) for r in payload.children() if kept(r))
    log_records(client, experiment_id, run_id, records, payload.folder, threads, progress)
