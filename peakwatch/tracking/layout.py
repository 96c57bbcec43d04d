"""MLflow layout: one experiment per run series, a parent run per flow run, a
child run per region x indicator with the same metric names every month.

Metrics and tags go in batches (``log_batch``), never one call per value.
Artifacts (tables, fan charts, reports) are written to temporary folders and
uploaded from there: nothing lands in the repository.
"""

import json
import logging
import os
import sqlite3
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import asdict
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

import numpy as np
import polars as pl
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
from mlflow.entities import RunStatus
from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

from peakwatch.reporting import plots
from peakwatch.results import tables
from peakwatch.store.catalog import Catalog
from peakwatch.store.pending import PENDING_ID_TAG, RunRecord
from peakwatch.redact import redact_text
from peakwatch.results.summary import DEFAULT_SCENARIO, read_summary, row_key
from forecasting.backtest import BacktestScore
from forecasting.models import ModelSpec
from forecasting.models.rebuild import forecast_log, rebuild_results
from forecasting.series import SeriesForecast

log = logging.getLogger(__name__)

PARENT_KIND = "parent"
CHILD_KIND = "series"
KIND_TAG = "peakwatch.kind"
SERIES_METRICS = (
    "peak_year_median",
    "peak_year_p10",
    "peak_year_p90",
    "p_peak_by_target",
    "peak_value",
    "peak_value_p10",
    "peak_value_p90",
    "p_censored",
    "backtest_mase",
    "backtest_smape",
    "backtest_coverage_80",
    "backtest_coverage_95",
)
# Artifact names, the same in every run.
SUMMARY_JSON = "summary.json"
VALIDATION_JSON = "validation.json"
WARNINGS_CSV = "warnings.csv"
FORECAST_CSV = "forecast.csv"
FAN_CHART_PNG = "fan_chart.png"
BACKTEST_CSV = "backtest.csv"
PEAK_YEARS_CSV = "peak_years.csv"
MODEL_ARTIFACT = "model"  # the chosen statsmodels model (mlflow.statsmodels)
SPEC_FILE = "peakwatch_spec.json"


def _now_ms() -> int:
    return int(time.time() * 1000)


def connect(tracking_uri: str) -> MlflowClient:
    """A client for a local store (sqlite:///...) or a tracking server (http://...)."""
    # Against a server, MLflow prints a "View run" link on every terminated run
    # and fetches the run again to do so: one extra round trip per child run.
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    # MLflow retries a refused request 7 times with doubling back-off (minutes);
    # a monthly run rather keeps its results pending and says so (flows/publish.py).
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "3")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    return MlflowClient(tracking_uri)


def local_store_path(tracking_uri: str) -> Path | None:
    """The SQLite file a sqlite:/// URI names (None for any other store)."""
    if not tracking_uri.startswith("sqlite:///"):
        return None
    return Path(tracking_uri.removeprefix("sqlite:///"))


def missing_local_store(tracking_uri: str) -> Path | None:
    """The SQLite file a sqlite:/// URI names, when it does not exist yet (else None)."""
    path = local_store_path(tracking_uri)
    return None if path is None or path.exists() else path


def find_experiment(client: MlflowClient, experiment: str) -> str | None:
    found = client.get_experiment_by_name(experiment)
    return found.experiment_id if found is not None else None


def use_write_ahead_log(tracking_uri: str) -> None:
    """Put a local SQLite store in WAL mode (stored in the file; a no-op once set).

    A commit then appends to a log instead of writing a rollback journal and the
    database (scripts/benchmark_tracking.py --journal: a child run ~20 -> ~14 ms),
    and the MLflow UI reads while a run writes. Not for stores on a network file
    system (SQLite's WAL needs shared memory on one host).
    """
    path = local_store_path(tracking_uri)
    if path is None or not path.is_file():  # not a local store MLflow has created
        return
    try:
        with closing(sqlite3.connect(path, timeout=5)) as db:
            db.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error as exc:  # e.g. another process mid-write: only slower, never a reason to stop
        log.warning("MLflow store %s stays in its journal mode (%s): logging is slower", path, exc)


def open_experiment(tracking_uri: str, experiment: str, catalog: Catalog) -> tuple[MlflowClient, str]:
    client = connect(tracking_uri)
    found = find_experiment(client, experiment)  # creates a local store's tables on first use
    use_write_ahead_log(tracking_uri)
    if found is not None:
        return client, found
    # A local SQLite store keeps its artifacts beside it under artifacts/;
    # a tracking server chooses its own artifact root.
    location = catalog.mlflow_artifacts.resolve().as_uri() if tracking_uri.startswith("sqlite") else None
    return client, client.create_experiment(experiment, artifact_location=location)


def start_parent_run(client: MlflowClient, experiment_id: str, name: str, tags: dict[str, str]) -> str:
    run = client.create_run(experiment_id, run_name=name, tags={KIND_TAG: PARENT_KIND, **tags})
    client.log_batch(run.info.run_id, params=[Param(k, str(v)[:6000]) for k, v in tags.items()])
    return run.info.run_id


def series_metrics(forecast: SeriesForecast) -> dict[str, float]:
    """The same metric names every month (SERIES_METRICS + data extent) for the compare view."""
    metrics = {
        "n_observed_years": float(forecast.n_observed),
        "last_observed_year": float(forecast.last_observed_year),
        **backtest_metrics(forecast),
    }
    peaks = forecast.peaks
    if peaks is None:
        return metrics
    return {
        "peak_year_median": peaks.peak_year_median,
        "peak_year_p10": peaks.peak_year_p10,
        "peak_year_p90": peaks.peak_year_p90,
        "p_peak_by_target": peaks.p_peak_by_target,
        "peak_value": peaks.peak_value_median,
        "peak_value_p10": peaks.peak_value_p10,
        "peak_value_p90": peaks.peak_value_p90,
        "p_censored": peaks.p_censored,
        **metrics,
    }


def backtest_metrics(forecast: SeriesForecast) -> dict[str, float]:
    """The chosen model's rolling-origin backtest (absent when none could run)."""
    score = forecast.backtest
    if not isinstance(score, BacktestScore) or not score.ok:
        return {}
    return {
        "backtest_mase": score.mase,
        "backtest_smape": score.smape,
        "backtest_coverage_80": score.coverage_80,
        "backtest_coverage_95": score.coverage_95,
        "backtest_points": float(score.n_points),
        "backtest_origins": float(score.n_origins),
        "interval_scale": score.interval_scale,
    }


def save_chosen_model(spec: ModelSpec, path: Path) -> None:
    """Save the chosen statsmodels model at ``path`` with ``mlflow.statsmodels``.

    The results object is rebuilt from the worker's compact spec (data +
    fitted parameters, no refit), so only a few hundred numbers cross the
    cluster. ``peakwatch_spec.json`` beside it holds what a reload needs to
    forecast: the family, and for STIRPAT the driver medians for the horizon.
    """
    import mlflow.statsmodels  # heavy import, only where models are logged

    mlflow.statsmodels.save_model(
        rebuild_results(spec), str(path), pip_requirements=[f"statsmodels=={version('statsmodels')}"]
    )
    (path / SPEC_FILE).write_text(json.dumps(asdict(spec)), encoding="utf-8")


def log_chosen_model(client: MlflowClient, run_id: str, spec: ModelSpec) -> None:
    """Log the chosen model under ``model/`` of an existing run (save_chosen_model)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / MODEL_ARTIFACT
        save_chosen_model(spec, path)
        client.log_artifacts(run_id, str(path), MODEL_ARTIFACT)


def reload_point_forecast(client: MlflowClient, run_id: str, horizon: int) -> np.ndarray:
    """Reload a child run's logged model and forecast its median ``horizon`` years ahead."""
    import mlflow.statsmodels

    with tempfile.TemporaryDirectory() as tmp:
        local = Path(client.download_artifacts(run_id, MODEL_ARTIFACT, tmp))
        results = mlflow.statsmodels.load_model(str(local))
        raw = json.loads((local / SPEC_FILE).read_text(encoding="utf-8"))
    spec = ModelSpec(**{**raw, "log_exog_future": raw["log_exog_future"] and tuple(map(tuple, raw["log_exog_future"]))})
    return np.exp(forecast_log(spec, results, horizon))


def series_scenario(forecast: SeriesForecast, default: str = DEFAULT_SCENARIO) -> str:
    return getattr(forecast, "scenario", None) or default


def series_tags(
    forecast: SeriesForecast,
    names: dict[str, tuple[str, str]],
    scenario: str,
    common: dict[str, str],
) -> dict[str, str]:
    """Tags that line up one series across months: filter on region_id, indicator, scenario.
    (``mlflow.parentRunId`` is added when the run is logged.)"""
    name_zh, name_en = names.get(forecast.region_id, ("", ""))
    tags = {
        **common,
        KIND_TAG: CHILD_KIND,
        "region_id": forecast.region_id,
        "region_name_zh": name_zh,
        "region_name_en": name_en,
        "indicator": forecast.indicator,
        "scenario": scenario,
        "unit": forecast.unit,
        "model": forecast.model or "none",
        "status": forecast.status or "not_forecast",
    }
    # Which chosen models have a reloadable statsmodels artifact (the drift model has none).
    tags["model_logged"] = "statsmodels" if forecast.model_spec else "params_only"
    if forecast.error:
        tags["error"] = forecast.error[:5000]
    return tags


def series_params(forecast: SeriesForecast) -> dict[str, str]:
    params = {
        "model": forecast.model or "none",
        "model_reason": forecast.model_reason[:6000],
        "model_detail": forecast.model_detail[:6000],
        "candidates": ",".join(s.model for s in forecast.backtests)[:6000] or "none",
    }
    if forecast.peaks is not None:
        params["target_year"] = str(forecast.peaks.target_year)
    return params


def point_forecast_steps(forecast: SeriesForecast) -> dict[str, list[tuple[int, float]]]:
    """The chosen model's median forecast as one metric with the year as step."""
    if forecast.fan is None:
        return {}
    return {"point_forecast": [(int(y), float(v)) for y, v in zip(forecast.fan.years, forecast.point_forecast)]}


def series_record(
    forecast: SeriesForecast,
    names: dict[str, tuple[str, str]],
    scenario: str = DEFAULT_SCENARIO,
    common_tags: dict[str, str] | None = None,
    artifacts: str | None = None,
) -> RunRecord:
    """The child run of one series; ``artifacts``: its folder from write_series_artifacts."""
    scenario = series_scenario(forecast, scenario)
    run_name = f"{forecast.region_id}/{forecast.indicator}"
    if scenario != DEFAULT_SCENARIO:
        run_name += f"/{scenario}"
    return RunRecord(
        name=run_name,
        tags=series_tags(forecast, names, scenario, common_tags or {}),
        params=series_params(forecast),
        metrics={k: float(v) for k, v in series_metrics(forecast).items()},
        steps=point_forecast_steps(forecast),
        status="FINISHED" if forecast.ok else "FAILED",
        artifacts=artifacts,
    )


def record_key(record: RunRecord) -> tuple[str, str, str]:
    """(region_id, indicator, scenario) of a child run record."""
    return row_key(record.tags)


def write_series_artifacts(forecast: SeriesForecast, folder: Path, chart: bool = True) -> Path:
    """forecast.csv, peak_years.csv (with peak statistics), (with ``chart``)
    fan_chart.png, (when the forecast has one) backtest.csv, and the chosen
    statsmodels model under model/, in ``folder``: one upload per series."""
    folder.mkdir(parents=True, exist_ok=True)
    if forecast.model_spec is not None:
        save_chosen_model(forecast.model_spec, folder / MODEL_ARTIFACT)
    tables.forecast_table(forecast).write_csv(folder / FORECAST_CSV)
    for table, name in ((tables.peak_years_table(forecast), PEAK_YEARS_CSV), (tables.backtest_table(forecast), BACKTEST_CSV)):
        if table is not None:
            table.write_csv(folder / name)
    if chart:
        plots.plot_fan_chart(forecast, folder / FAN_CHART_PNG)
    return folder


def read_series_forecast(row: dict, folder: Path) -> SeriesForecast:
    """A series' forecast rebuilt from its summary row and the tables that
    ``write_series_artifacts`` wrote in ``folder``: what its fan chart draws."""
    peak_years = folder / PEAK_YEARS_CSV
    return tables.forecast_from_table(
        row, pl.read_csv(folder / FORECAST_CSV), pl.read_csv(peak_years) if peak_years.exists() else None
    )


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


def log_series_runs(
    client: MlflowClient,
    experiment_id: str,
    parent_run_id: str,
    forecasts: list[SeriesForecast],
    names: dict[str, tuple[str, str]],
    scenario: str = DEFAULT_SCENARIO,
    common_tags: dict[str, str] | None = None,
    with_artifacts: bool = True,
    threads: int = 1,
) -> dict[tuple[str, str, str], str]:
    """One child run per series; returns (region_id, indicator, scenario) -> child run id."""
    with tempfile.TemporaryDirectory(prefix="peakwatch-series-") as tmp:
        records = series_records(forecasts, names, Path(tmp) if with_artifacts else None, scenario, common_tags)
        run_ids = log_records(client, experiment_id, parent_run_id, records, Path(tmp), threads)
    return {record_key(r): run_id for r, run_id in zip(records, run_ids)}


def _series_name(key: tuple[str, str, str]) -> str:
    return "/".join(key if key[2] != DEFAULT_SCENARIO else key[:2])


class SeriesFiles:
    """The child runs' files under ``base/<subdir>/<n>/``, written with their
    records as partitions arrive from the cluster (so this overlaps the fitting
    instead of following it). Fan charts cost ~0.13 s each: the monthly flow
    draws them with ``draw_charts`` once every series is in, for the riskiest only."""

    def __init__(self, base: Path, subdir: str = ""):
        self.base = base
        self.subdir = subdir
        self._folders: dict[tuple[str, str, str], str] = {}

    def write(
        self,
        forecasts: list[SeriesForecast],
        names: dict[str, tuple[str, str]],
        scenario: str = DEFAULT_SCENARIO,
        common_tags: dict[str, str] | None = None,
        charted: set[tuple[str, str]] | None = frozenset(),
    ) -> list[RunRecord]:
        """The model, forecast and backtest files of each forecast, and its child
        run record; fan charts for the ``charted`` (region_id, indicator) only
        (None: every series)."""
        records = []
        for forecast in forecasts:
            key = (forecast.region_id, forecast.indicator, series_scenario(forecast, scenario))
            if key in self._folders:
                raise ValueError(f"series {_series_name(key)} written twice")
            folder = f"{self.subdir}/{len(self._folders)}".lstrip("/")
            write_series_artifacts(forecast, self.base / folder, chart=charted is None or key[:2] in charted)
            self._folders[key] = folder
            records.append(series_record(forecast, names, scenario, common_tags, folder))
        return records

    def draw_charts(self, rows: Iterable[dict], charted: set[tuple[str, str]] | None) -> None:
        """Fan charts of the ``charted`` (region_id, indicator) (None: every series)
        among ``rows`` (summary rows of series written before), each forecast
        rebuilt from its row and its tables (``read_series_forecast``)."""
        for row in rows:
            key = row_key(row)
            if charted is not None and key[:2] not in charted:
                continue
            if key not in self._folders:
                raise ValueError(f"series {_series_name(key)} has no files: write it first")
            folder = self.base / self._folders[key]
            plots.plot_fan_chart(read_series_forecast(row, folder), folder / FAN_CHART_PNG)


def series_records(
    forecasts: list[SeriesForecast],
    names: dict[str, tuple[str, str]],
    base: Path | None,
    scenario: str = DEFAULT_SCENARIO,
    common_tags: dict[str, str] | None = None,
    subdir: str = "",
    charted: set[tuple[str, str]] | None = None,
) -> list[RunRecord]:
    """The child run records of ``forecasts``, their files written under ``base``
    (``<subdir>/<i>/`` per series; no files without ``base``); fan charts for the
    ``charted`` (region_id, indicator) only when given."""
    if base is None:
        return [series_record(f, names, scenario, common_tags) for f in forecasts]
    return SeriesFiles(base, subdir).write(forecasts, names, scenario, common_tags, charted)


def start_time_ms(run_date: str) -> int:
    """A parent run's MLflow start time: when its payload was computed
    (``run_date``, ISO with offset), however late it is published."""
    return int(datetime.fromisoformat(run_date).timestamp() * 1000)


def parent_record(
    name: str, tags: dict[str, str], metrics: dict[str, float], pending_id: str, result_tags: dict[str, str]
) -> RunRecord:
    """The flow run's parent run: its identity as tags and params, its counts as metrics."""
    return RunRecord(
        name=name,
        tags={KIND_TAG: PARENT_KIND, PENDING_ID_TAG: pending_id, **tags, **result_tags},
        params={k: str(v)[:6000] for k, v in tags.items()},
        metrics={k: float(v) for k, v in metrics.items()},
    )


def log_run_reports(client: MlflowClient, run_id: str, run_summary: dict) -> None:
    """validation.json and warnings.csv beside the parent run's summary.json."""
    with tempfile.TemporaryDirectory(prefix="peakwatch-reports-") as tmp:
        folder = Path(tmp)
        (folder / VALIDATION_JSON).write_text(
            json.dumps(run_summary["validation"], ensure_ascii=False, indent=2), encoding="utf-8"
        )
        tables.warnings_table(run_summary["warnings"]).write_csv(folder / WARNINGS_CSV)
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


def find_parent_runs(client: MlflowClient, experiment_id: str, max_results: int = 5) -> list:
    """Finished parent runs, newest first."""
    return client.search_runs(
        [experiment_id],
        filter_string=f"tags.`{KIND_TAG}` = '{PARENT_KIND}' and attributes.status = 'FINISHED'",
        order_by=["attributes.start_time DESC"],
        max_results=max_results,
    )


def load_summary(client: MlflowClient, run_id: str, row_fields: frozenset[str] | None = None) -> dict:
    """A parent run's summary.json (raises if the run has none); ``row_fields``: see summary.read_summary."""
    with tempfile.TemporaryDirectory() as tmp:
        local = client.download_artifacts(run_id, SUMMARY_JSON, tmp)
        return read_summary(Path(local).read_text(encoding="utf-8"), row_fields)


def has_artifact(client: MlflowClient, run_id: str, path: str) -> bool:
    """Whether the run has the artifact file ``path``: asked, so that a failing
    store is an error and not taken for a run that has none."""
    folder = path.rpartition("/")[0] or None
    return any(info.path == path for info in client.list_artifacts(run_id, folder))


def previous_summary(
    client: MlflowClient, experiment_id: str, exclude_run_id: str | None = None, row_fields: frozenset[str] | None = None
) -> dict | None:
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
    run_ids = {row_key(r.data.tags): r.info.run_id for r in children}
    if wanted is not None:
        run_ids = {key: run_id for key, run_id in run_ids.items() if key[:2] in wanted}
    with ThreadPoolExecutor(threads) as pool:
        return dict(zip(run_ids, pool.map(lambda run_id: _download_series_tables(client, run_id), run_ids.values())))


def run_url(tracking_uri: str, run_id: str) -> str | None:
    """The run's page in the MLflow UI when the store is a tracking server (else None)."""
    if not tracking_uri.startswith(("http://", "https://")):
        return None
    experiment_id = connect(tracking_uri).get_run(run_id).info.experiment_id
    return f"{tracking_uri.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"
