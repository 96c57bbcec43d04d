"""MLflow layout: one experiment per run series, a parent run per flow run, a
child run per region x indicator with the same metric names every month.

Metrics and tags go in batches (``log_batch``), never one call per value.
"""

import json
import tempfile
import time
from dataclasses import asdict
from importlib.metadata import version
from pathlib import Path

import numpy as np
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
from mlflow.entities import RunStatus

from flows.catalog import Catalog
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
MODEL_ARTIFACT = "model"
BACKTESTS_ARTIFACT = "backtests.json"
SPEC_FILE = "peakwatch_spec.json"


def _now_ms() -> int:
    return int(time.time() * 1000)


def open_experiment(tracking_uri: str, experiment: str, catalog: Catalog) -> tuple[MlflowClient, str]:
    client = MlflowClient(tracking_uri)
    found = client.get_experiment_by_name(experiment)
    if found is not None:
        return client, found.experiment_id
    # A local SQLite store keeps its artifacts beside it under artifacts/;
    # a tracking server chooses its own artifact root.
    location = catalog.mlflow_artifacts.resolve().as_uri() if tracking_uri.startswith("sqlite") else None
    return client, client.create_experiment(experiment, artifact_location=location)


def start_parent_run(client: MlflowClient, experiment_id: str, name: str, tags: dict[str, str]) -> str:
    run = client.create_run(experiment_id, run_name=name, tags={KIND_TAG: PARENT_KIND, **tags})
    client.log_batch(run.info.run_id, params=[Param(k, str(v)[:6000]) for k, v in tags.items()])
    return run.info.run_id


def series_metrics(forecast: SeriesForecast) -> dict[str, float]:
    peaks = forecast.peaks
    if peaks is None:
        return {}
    return {
        "peak_year_median": peaks.peak_year_median,
        "peak_year_p10": peaks.peak_year_p10,
        "peak_year_p90": peaks.peak_year_p90,
        "p_peak_by_target": peaks.p_peak_by_target,
        "peak_value": peaks.peak_value_median,
        "peak_value_p10": peaks.peak_value_p10,
        "peak_value_p90": peaks.peak_value_p90,
        "p_censored": peaks.p_censored,
        "n_observed_years": float(forecast.n_observed),
        "last_observed_year": float(forecast.last_observed_year),
        **backtest_metrics(forecast),
    }


def backtest_metrics(forecast: SeriesForecast) -> dict[str, float]:
    """The chosen model's rolling-origin backtest (absent when none could run)."""
    score = forecast.backtest
    if score is None or not score.ok:
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


def log_chosen_model(client: MlflowClient, run_id: str, spec: ModelSpec) -> None:
    """Log the chosen statsmodels model under ``model/`` with ``mlflow.statsmodels``.

    The results object is rebuilt from the worker's compact spec (data +
    fitted parameters, no refit), so only a few hundred numbers cross the
    cluster. ``peakwatch_spec.json`` beside it holds what a reload needs to
    forecast: the family, and for STIRPAT the driver medians for the horizon.
    """
    import mlflow.statsmodels  # heavy import, only where models are logged

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / MODEL_ARTIFACT
        mlflow.statsmodels.save_model(
            rebuild_results(spec), str(path), pip_requirements=[f"statsmodels=={version('statsmodels')}"]
        )
        (path / SPEC_FILE).write_text(json.dumps(asdict(spec)), encoding="utf-8")
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


def log_series_runs(
    client: MlflowClient,
    experiment_id: str,
    parent_run_id: str,
    forecasts: list[SeriesForecast],
    names: dict[str, tuple[str, str]],
) -> dict[tuple[str, str], str]:
    """One child run per series; returns (region_id, indicator) -> child run id."""
    child_ids = {}
    timestamp = _now_ms()
    for forecast in forecasts:
        name_zh, name_en = names.get(forecast.region_id, ("", ""))
        tags = {
            "mlflow.parentRunId": parent_run_id,
            KIND_TAG: CHILD_KIND,
            "region_id": forecast.region_id,
            "region_name_zh": name_zh,
            "region_name_en": name_en,
            "indicator": forecast.indicator,
            "unit": forecast.unit,
            "model": forecast.model or "none",
            "status": forecast.status or "not_forecast",
            # Which chosen models have a reloadable statsmodels artifact (drift has none).
            "model_logged": "statsmodels" if forecast.model_spec else "params_only",
        }
        if forecast.error:
            tags["error"] = forecast.error[:5000]
        run = client.create_run(
            experiment_id, run_name=f"{forecast.region_id}/{forecast.indicator}", tags=tags
        )
        metrics = [Metric(k, float(v), timestamp, 0) for k, v in series_metrics(forecast).items()]
        metrics += point_forecast_metrics(forecast, timestamp)
        params = [
            Param("model", forecast.model or "none"),
            Param("model_reason", forecast.model_reason[:6000]),
            Param("model_detail", forecast.model_detail[:6000]),
            Param("candidates", ",".join(s.model for s in forecast.backtests)[:6000] or "none"),
        ]
        if forecast.peaks is not None:
            params.append(Param("target_year", str(forecast.peaks.target_year)))
        client.log_batch(run.info.run_id, metrics=metrics, params=params)
        if forecast.backtests:
            # Every candidate's backtest, so a model switch can be explained from the run.
            client.log_dict(run.info.run_id, [score.as_dict() for score in forecast.backtests], BACKTESTS_ARTIFACT)
        if forecast.model_spec is not None:
            log_chosen_model(client, run.info.run_id, forecast.model_spec)
        client.set_terminated(run.info.run_id, "FINISHED" if forecast.ok else "FAILED")
        child_ids[(forecast.region_id, forecast.indicator)] = run.info.run_id
    return child_ids


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


def previous_summary(client: MlflowClient, experiment_id: str, exclude_run_id: str) -> dict | None:
    """The summary.json of the latest finished parent run before this one."""
    runs = client.search_runs(
        [experiment_id],
        filter_string=f"tags.`{KIND_TAG}` = '{PARENT_KIND}' and attributes.status = 'FINISHED'",
        order_by=["attributes.start_time DESC"],
        max_results=5,
    )
    for run in runs:
        if run.info.run_id == exclude_run_id:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            try:
                local = client.download_artifacts(run.info.run_id, "summary.json", tmp)
            except Exception:  # an older or broken run without a summary
                continue
            return json.loads(Path(local).read_text(encoding="utf-8"))
    return None
