"""MLflow layout: one experiment per run series, a parent run per flow run, a
child run per region x indicator (and scenario) with the same metric names and
tags every month, so that the UI lines a series up across months.

Runs are described here as data (``RunRecord``: tags, params, metrics); they
are logged by tracking.runs.
"""

from datetime import datetime

from forecasting.series import SeriesForecast
from peakwatch.results.series import DEFAULT_SCENARIO
from peakwatch.store.pending import PENDING_ID_TAG, RunRecord

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
)
# Artifact names of the parent run, the same in every run (a series' files: store.series).
SUMMARY_JSON = "summary.json"
VALIDATION_JSON = "validation.json"
WARNINGS_CSV = "warnings.csv"
SERIES_CSV = "series.csv"


def series_metrics(forecast: SeriesForecast) -> dict[str, float]:
    """The same metric names every month (SERIES_METRICS + data extent) for the compare view."""
    metrics = {
        "n_observed_years": float(forecast.n_observed),
        "last_observed_year": float(forecast.last_observed_year),
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
    """The child run of one series; ``artifacts``: its folder of files (flows.fit.SeriesFiles)."""
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


def tags_key(tags: dict[str, str]) -> tuple[str, str, str]:
    """(region_id, indicator, scenario) of a child run's tags (no scenario: statistical)."""
    return tags["region_id"], tags["indicator"], tags.get("scenario") or DEFAULT_SCENARIO


def record_key(record: RunRecord) -> tuple[str, str, str]:
    """(region_id, indicator, scenario) of a child run record."""
    return tags_key(record.tags)


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
