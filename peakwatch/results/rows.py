"""A run's summary rows, built from what the engine returned: one per series
(``series_row``) and one per region x indicator x scenario (``scenario_row``)."""

import hashlib
import json
from collections.abc import Mapping

from forecasting.intensity import IntensityCheck
from forecasting.peaks import PeakStatistics
from forecasting.scenarios import ScenarioResult
from forecasting.series import SeriesForecast
from peakwatch.results.words import peak_humps
from peakwatch.results.series import DEFAULT_SCENARIO, ScenarioRow, SeriesRow, WhatItTakesRow

Names = Mapping[str, tuple[str, str]]  # region id -> (Chinese name, English name)


def history_digest(forecast: SeriesForecast) -> str:
    """sha256 of the series' input years and values: tells revised data from new years."""
    payload = json.dumps([forecast.first_year, [None if v != v else v for v in forecast.history]])
    return hashlib.sha256(payload.encode()).hexdigest()


def peak_fields(p: PeakStatistics) -> dict:
    """The peak statistics as row fields (statistical and scenario rows alike).
    Not the peak-year distribution: a series' is in its peak_years.csv (in the
    child run); in every row it was ~40 % of a full-menu row."""
    return {
        "target_year": p.target_year,
        "peak_year_median": p.peak_year_median,
        "peak_year_p10": p.peak_year_p10,
        "peak_year_p90": p.peak_year_p90,
        "p_peak_by_target": p.p_peak_by_target,
        "p_censored": p.p_censored,
        "peak_value": p.peak_value_median,
        "peak_value_p10": p.peak_value_p10,
        "peak_value_p90": p.peak_value_p90,
    }


def history_peak_year(forecast: SeriesForecast) -> int | None:
    """The year of the history's highest observed value (where every path that does not exceed it peaks)."""
    values = [(v, forecast.first_year + i) for i, v in enumerate(forecast.history) if v == v]  # not NaN
    return max(values)[1] if values else None


def series_row(forecast: SeriesForecast, names: Names, intensity: IntensityCheck | None = None) -> SeriesRow:
    """The summary row of one forecast; ``names``: the registry's region names
    (a region it does not know has none)."""
    name_zh, name_en = names.get(forecast.region_id, (None, None))
    extra = {}
    if intensity is not None:
        extra.update(intensity.as_row())
    if forecast.peaks is not None:
        extra.update(peak_fields(forecast.peaks))
        peaked, _, _ = peak_humps(forecast.peaks.peak_year_distribution, forecast.last_observed_year)
        extra.update(p_already_peaked=peaked, history_peak_year=history_peak_year(forecast))
    return SeriesRow(
        region_id=forecast.region_id,
        name_zh=name_zh,
        name_en=name_en,
        indicator=forecast.indicator,
        scenario=getattr(forecast, "scenario", None) or DEFAULT_SCENARIO,
        unit=forecast.unit,
        model=forecast.model,
        model_reason=forecast.model_reason,
        status=forecast.status,
        n_observed_years=forecast.n_observed,
        first_year=forecast.first_year,
        last_observed_year=forecast.last_observed_year,
        filled_years=list(forecast.filled_years),
        history_sha256=history_digest(forecast),
        error=forecast.error,
        model_detail=forecast.model_detail,
        **extra,
    )


def scenario_row(result: ScenarioResult, names: Names) -> ScenarioRow:
    name_zh, name_en = names.get(result.region_id, (None, None))
    extra = {}
    if result.peaks is not None:
        distribution = {str(year): share for year, share in result.peaks.peak_year_distribution.items()}
        extra.update(peak_fields(result.peaks), peak_year_distribution=distribution, value_at_target=result.value_at_target_median)
    w = result.what_it_takes
    if w is not None:
        extra["what_it_takes"] = WhatItTakesRow(
            lever=w.lever,
            probability=w.probability,
            reachable=w.reachable,
            extra_cut=w.extra_cut,
            scenario_cut=w.scenario_cut,
            required_cut=w.required_cut,
            achieved_probability=w.achieved_probability,
            noise_range=list(w.noise_range) if w.noise_range else None,
            close_call=w.close_call,
        )
    return ScenarioRow(
        region_id=result.region_id,
        name_zh=name_zh,
        name_en=name_en,
        scenario=result.scenario,
        indicator=result.indicator,
        unit=result.unit,
        last_observed_year=result.last_observed_year,
        drivers=dict(result.drivers),
        events=list(result.events),
        notes=list(result.notes),
        error=result.error,
        **extra,
    )
