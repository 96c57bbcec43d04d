"""MLflow layout: one experiment per run series, a parent run per flow run, a
child run per region x indicator with the same metric names every month.

Metrics and tags go in batches (``log_batch``), never one call per value.
Artifacts (tables, fan charts, reports) are written to temporary folders and
uploaded from there: nothing lands in the repository.
"""

import json
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from importlib.metadata import version
from pathlib import Path

import numpy as np
import polars as pl
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
from mlflow.entities import RunStatus

from flows import plots, tables
from flows.catalog import Catalog
from flows.summary import DEFAULT_SCENARIO
from forecasting.backtest import BacktestScore
from forecasting.models import ModelSpec
from forecasting.models.rebuild import forecast_log, rebuild_results
from forecasting.series import SeriesForecast

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
MODEL_ARTIFACT = "model"  # the chosen statsmodels model (mlflow.statsmodels)
SPEC_FILE = "peakwatch_spec.json"


def _now_ms() -> int:
    return int(time.time() * 1000)


def connect(tracking_uri: str) -> MlflowClient:
    """A client for a local store (sqlite:///...) or a tracking server (http://...)."""
    # Against a server, MLflow prints a "View run" link on every terminated run
    # and fetches the run again to do so: one extra round trip per child run.
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    return MlflowClient(tracking_uri)


def missing_local_store(tracking_uri: str) -> Path | None:
    """The SQLite file a sqlite:/// URI names, when it does not exist yet (else None)."""
    if not tracking_uri.startswith("sqlite:///"):
        return None
    path = Path(tracking_uri.removeprefix("sqlite:///"))
    return None if path.exists() else path


def find_experiment(client: MlflowClient, experiment: str) -> str | None:
    found = client.get_experiment_by_name(experiment)
    return found.experiment_id if found is not None else None


def open_experiment(tracking_uri: str, experiment: str, catalog: Catalog) -> tuple[MlflowClient, str]:
    client = connect(tracking_uri)
    found = find_experiment(client, experiment)
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


def point_forecast_metrics(forecast: SeriesForecast, timestamp: int) -> list[Metric]:
    """The chosen model's median forecast as one metric with the year as step."""
    if forecast.fan is None:
        return []
    return [Metric("point_forecast", v, timestamp, year) for year, v in zip(forecast.fan.years, forecast.point_forecast)]


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
    parent_run_id: str,
    names: dict[str, tuple[str, str]],
    scenario: str,
    common: dict[str, str],
) -> dict[str, str]:
    """Tags that line up one series across months: filter on region_id, indicator, scenario."""
    name_zh, name_en = names.get(forecast.region_id, ("", ""))
    tags = {
        **common,
        "mlflow.parentRunId": parent_run_id,
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


def series_params(forecast: SeriesForecast) -> list[Param]:
    params = [
        Param("model", forecast.model or "none"),
        Param("model_reason", forecast.model_reason[:6000]),
        Param("model_detail", forecast.model_detail[:6000]),
        Param("candidates", ",".join(s.model for s in forecast.backtests)[:6000] or "none"),
    ]
    if forecast.peaks is not None:
        params.append(Param("target_year", str(forecast.peaks.target_year)))
    return params


def write_series_artifacts(forecast: SeriesForecast, folder: Path) -> Path:
    """forecast.csv, fan_chart.png, (when the forecast has one) backtest.csv, and
    the chosen statsmodels model under model/, in ``folder``: one upload per series."""
    folder.mkdir(parents=True, exist_ok=True)
    if forecast.model_spec is not None:
        save_chosen_model(forecast.model_spec, folder / MODEL_ARTIFACT)
    tables.forecast_table(forecast).write_csv(folder / FORECAST_CSV)
    backtest = tables.backtest_table(forecast)
    if backtest is not None:
        backtest.write_csv(folder / BACKTEST_CSV)
    plots.plot_fan_chart(forecast, folder / FAN_CHART_PNG)
    return folder


def _log_series_run(
    client: MlflowClient,
    experiment_id: str,
    forecast: SeriesForecast,
    tags: dict[str, str],
    timestamp: int,
    folder: Path | None,
) -> str:
    """Four store calls per series, the fewest the MLflow API allows: create
    (with tags), one log_batch (metrics + params), one artifact upload, terminate."""
    run_name = f"{forecast.region_id}/{forecast.indicator}"
    if tags["scenario"] != DEFAULT_SCENARIO:
        run_name += f"/{tags['scenario']}"
    run_id = client.create_run(experiment_id, run_name=run_name, tags=tags, start_time=timestamp).info.run_id
    metrics = [Metric(k, float(v), timestamp, 0) for k, v in series_metrics(forecast).items()]
    metrics += point_forecast_metrics(forecast, timestamp)
    client.log_batch(run_id, metrics=metrics, params=series_params(forecast))
    if folder is not None:
        client.log_artifacts(run_id, str(folder))
    client.set_terminated(run_id, "FINISHED" if forecast.ok else "FAILED")
    return run_id


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
    """One child run per series; returns (region_id, indicator, scenario) -> child run id.

    MLflow has no call that creates many runs at once: each series costs four
    store calls. With ``threads`` > 1 they go through a thread pool (round trips
    overlap) while this thread renders the next series' artifacts. That pays
    only when round trips are slow (a remote server): against SQLite or a local
    server, rendering holds the GIL and one thread measured fastest
    (scripts/benchmark_tracking.py).
    """
    timestamp = _now_ms()
    child_ids: dict[tuple[str, str, str], str] = {}
    with tempfile.TemporaryDirectory(prefix="peakwatch-series-") as tmp, ThreadPoolExecutor(threads) as pool:
        futures = {}
        for i, forecast in enumerate(forecasts):
            series_scen = series_scenario(forecast, scenario)
            tags = series_tags(forecast, parent_run_id, names, series_scen, common_tags or {})
            folder = write_series_artifacts(forecast, Path(tmp) / str(i)) if with_artifacts else None
            key = (forecast.region_id, forecast.indicator, series_scen)
            futures[key] = pool.submit(_log_series_run, client, experiment_id, forecast, tags, timestamp, folder)
        for key, future in futures.items():
            child_ids[key] = future.result()
    return child_ids


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


def log_validation(client: MlflowClient, run_id: str, metrics: dict[str, float], docs_dir: Path | None) -> None:
    """Validation metrics and the GX Data Docs (under ``validation/``) on the parent run."""
    timestamp = _now_ms()
    client.log_batch(run_id, metrics=[Metric(k, float(v), timestamp, 0) for k, v in metrics.items()])
    if docs_dir is not None and docs_dir.is_dir():
        client.log_artifacts(run_id, str(docs_dir), artifact_path="validation")


def fail_parent_run(client: MlflowClient, run_id: str, reason: str) -> None:
    client.set_tag(run_id, "failure", reason[:5000])
    client.set_terminated(run_id, RunStatus.to_string(RunStatus.FAILED))


def find_parent_runs(client: MlflowClient, experiment_id: str, max_results: int = 5) -> list:
    """Finished parent runs, newest first."""
    return client.search_runs(
        [experiment_id],
        filter_string=f"tags.`{KIND_TAG}` = '{PARENT_KIND}' and attributes.status = 'FINISHED'",
        order_by=["attributes.start_time DESC"],
        max_results=max_results,
    )


def load_summary(client: MlflowClient, run_id: str) -> dict:
    """A parent run's summary.json (raises if the run has none)."""
    with tempfile.TemporaryDirectory() as tmp:
        local = client.download_artifacts(run_id, SUMMARY_JSON, tmp)
        return json.loads(Path(local).read_text(encoding="utf-8"))


def previous_summary(client: MlflowClient, experiment_id: str, exclude_run_id: str) -> dict | None:
    """The summary.json of the latest finished parent run before this one."""
    for run in find_parent_runs(client, experiment_id):
        if run.info.run_id == exclude_run_id:
            continue
        try:
            return load_summary(client, run.info.run_id)
        except Exception:  # an older or broken run without a summary
            continue
    return None


# Artifact downloads in flight when reading a run's forecast tables back.
DOWNLOAD_THREADS = 4


def latest_parent_run_id(client: MlflowClient, experiment_id: str) -> str | None:
    runs = find_parent_runs(client, experiment_id, max_results=1)
    return runs[0].info.run_id if runs else None


def _download_forecast_table(client: MlflowClient, run_id: str) -> pl.DataFrame | None:
    with tempfile.TemporaryDirectory(prefix="peakwatch-forecast-") as tmp:
        try:
            local = client.download_artifacts(run_id, FORECAST_CSV, tmp)
        except Exception:  # a failed series logs no forecast table
            return None
        return pl.read_csv(local)


def load_forecast_tables(
    client: MlflowClient, experiment_id: str, parent_run_id: str, threads: int = DOWNLOAD_THREADS
) -> dict[tuple[str, str, str], pl.DataFrame | None]:
    """(region_id, indicator, scenario) -> the child run's forecast.csv (None when it has none).
    Downloads only read, so they overlap even on a SQLite store."""
    children = client.search_runs(
        [experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{parent_run_id}' and tags.`{KIND_TAG}` = '{CHILD_KIND}'",
        max_results=50000,
    )
    keys = [(r.data.tags["region_id"], r.data.tags["indicator"], r.data.tags.get("scenario", DEFAULT_SCENARIO)) for r in children]
    with ThreadPoolExecutor(threads) as pool:
        tables = pool.map(lambda r: _download_forecast_table(client, r.info.run_id), children)
        return dict(zip(keys, tables))


def run_url(tracking_uri: str, run_id: str) -> str | None:
    """The run's page in the MLflow UI when the store is a tracking server (else None)."""
    if not tracking_uri.startswith(("http://", "https://")):
        return None
    experiment_id = connect(tracking_uri).get_run(run_id).info.experiment_id
    return f"{tracking_uri.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"
