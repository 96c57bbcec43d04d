"""Reading past runs back from the store: finished parent runs, their
summaries, and their series' tables (for `peakwatch report` and `compare`)."""

import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
from mlflow import MlflowClient

from peakwatch.results.summary import load_run_summary, RunSummary
from peakwatch.store.series import FORECAST_CSV, PEAK_YEARS_CSV
from peakwatch.tracking.layout import CHILD_KIND, KIND_TAG, PARENT_KIND, SUMMARY_JSON, tags_key


def find_parent_runs(client: MlflowClient, experiment_id: str, max_results: int = 5) -> list:
    """Finished parent runs, newest first."""
    return client.search_runs(
        [experiment_id],
        filter_string=f"tags.`{KIND_TAG}` = '{PARENT_KIND}' and attributes.status = 'FINISHED'",
        order_by=["attributes.start_time DESC"],
        max_results=max_results,
    )


def load_summary(client: MlflowClient, run_id: str, row_fields: frozenset[str] | None = None) -> RunSummary:
    """A parent run's summary.json (raises if the run has none); ``row_fields``: see summary.read_summary."""
    with tempfile.TemporaryDirectory() as tmp:
        local = client.download_artifacts(run_id, SUMMARY_JSON, tmp)
        return load_run_summary(Path(local), row_fields)


def has_artifact(client: MlflowClient, run_id: str, path: str) -> bool:
    """Whether the run has the artifact file ``path``: asked, so that a failing
    store is an error and not taken for a run that has none."""
    folder = path.rpartition("/")[0] or None
    return any(info.path == path for info in client.list_artifacts(run_id, folder))


def previous_summary(
    client: MlflowClient, experiment_id: str, exclude_run_id: str | None = None, row_fields: frozenset[str] | None = None
) -> RunSummary | None:
    """The summary.json of the latest finished parent run (other than
    ``exclude_run_id``) that has one. A store error raises: passing over the
    latest run for it would compare with an older one."""
    for run in find_parent_runs(client, experiment_id):
        if run.info.run_id != exclude_run_id and has_artifact(client, run.info.run_id, SUMMARY_JSON):
            return load_summary(client, run.info.run_id, row_fields)
    return None


# Artifact downloads in flight when reading a run's series tables back.
DOWNLOAD_THREADS = 4


def latest_parent_run_id(client: MlflowClient, experiment_id: str) -> str | None:
    runs = find_parent_runs(client, experiment_id, max_results=1)
    return runs[0].info.run_id if runs else None


def _download_table(client: MlflowClient, run_id: str, name: str) -> pl.DataFrame | None:
    with tempfile.TemporaryDirectory(prefix="peakwatch-table-") as tmp:
        try:
            local = client.download_artifacts(run_id, name, tmp)
        except Exception:  # a failed series logs no forecast table; runs before peak_years.csv have none
            return None
        return pl.read_csv(local)


def _download_series_tables(client: MlflowClient, run_id: str) -> tuple[pl.DataFrame | None, pl.DataFrame | None]:
    return _download_table(client, run_id, FORECAST_CSV), _download_table(client, run_id, PEAK_YEARS_CSV)


def load_series_tables(
    client: MlflowClient,
    experiment_id: str,
    parent_run_id: str,
    wanted: set[tuple[str, str]] | None = None,
    threads: int = DOWNLOAD_THREADS,
) -> dict[tuple[str, str, str], tuple[pl.DataFrame | None, pl.DataFrame | None]]:
    """(region_id, indicator, scenario) -> the child run's forecast.csv and
    peak_years.csv (None for one it has not), of the ``wanted`` (region_id,
    indicator) only when given: the arguments of ``tables.forecast_from_table``
    after the row. Downloads only read, so they overlap even on a SQLite store."""
    children = client.search_runs(
        [experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{parent_run_id}' and tags.`{KIND_TAG}` = '{CHILD_KIND}'",
        max_results=50000,
    )
    run_ids = {tags_key(r.data.tags): r.info.run_id for r in children}
    if wanted is not None:
        run_ids = {key: run_id for key, run_id in run_ids.items() if key[:2] in wanted}
    with ThreadPoolExecutor(threads) as pool:
        return dict(zip(run_ids, pool.map(lambda run_id: _download_series_tables(client, run_id), run_ids.values())))
