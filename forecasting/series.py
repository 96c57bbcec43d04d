"""Three grains of forecasting work (STYLE.md): one series, a partition of series
(a plain loop), and the contract frame cut into series. The flow layer spreads
partitions over Dask; nothing here knows about it.

One series' forecast (``simulate_paths``): the panel's pooled parameters
(``forecasting.pooling``, estimated once per run) drive two component models
(``forecasting.components``): a level model and a damped trend whose growth is
pulled toward the panel's. Their paths are pooled (the level model's share is the
panel's share of series below their maximum), and, when asked, each horizon's
spread is widened or narrowed by the factor the panel's backtests call for.
``forecast_series`` summarises exactly those paths.
"""

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl

from forecasting.components import LEVEL, TREND, ComponentError, ComponentState, point_forecast
from forecasting.models import ModelSpec
from forecasting.peaks import HORIZON_YEAR, PeakStatistics, classify_history, summarize_peaks
from forecasting.pooling import (
    Combine,
    PanelPooling,
    PoolingSettings,
    calibrate,
    draw_mixture,
    estimate_pooling,
    fit_states,
    pooled_growth,
    series_weights,
)
from peakwatch import contract as c

log = logging.getLogger(__name__)

FAN_QUANTILES = (0.025, 0.1, 0.5, 0.9, 0.975)
# A pooling group (indicator and level) with fewer forecastable series than
# this pools with the whole indicator instead: a handful cannot say much.
MIN_POOL_GROUP = 10
ENGINE = "pooled level + damped trend"


@dataclass(frozen=True)
class ForecastSettings:
    n_paths: int = 1000
    horizon_year: int = HORIZON_YEAR
    seed: int = 20300101
    min_observed_years: int = 8
    # Pooling (forecasting.pooling): how the components share each series'
    # paths (``below_max``: the level model gets the share of the panel's
    # series below their maximum; ``equal``; ``inverse_mse``: by their recent
    # one-step errors; ``backtest``: the panel's CRPS-best share), whether the panel's backtests
    # set each horizon's band width, which horizons they score, how many series
    # estimate the shared parameters.
    combine: Combine = "below_max"
    calibrate_intervals: bool = False
    backtest_horizon: int = 5
    pooling_sample: int = 150
    # Estimated once per run (``pool_panel``), keyed by ``pooling_key``; a
    # series whose key is missing is pooled with itself alone.
    pooling: dict[str, PanelPooling] = field(default_factory=dict)

    def pooling_settings(self) -> PoolingSettings:
        return PoolingSettings(
            self.combine, self.calibrate_intervals, self.backtest_horizon, self.pooling_sample, seed=self.seed
        )


@dataclass(frozen=True)
class SeriesInput:
    region_id: str
    indicator: str
    unit: str
    years: np.ndarray  # consecutive years, first to last observed
    values: np.ndarray  # NaN where a year is missing
    target_year: int
    # Driver series on the same years (NaN where missing): gdp, population (scenarios).
    drivers: dict[str, np.ndarray] = field(default_factory=dict)
    # The panel's latest year for this indicator: history status counts from it.
    panel_last_year: int | None = None
    # Series pool with others of the same indicator and group (e.g. the region level).
    pool_group: str = ""


@dataclass(frozen=True)
class ForecastFan:
    """Per future year, quantiles of the simulated paths (FAN_QUANTILES)."""

    years: tuple[int, ...]
    quantiles: dict[float, tuple[float, ...]]


@dataclass(frozen=True)
class SeriesForecast:
    region_id: str
    indicator: str
    unit: str
    n_observed: int
    first_year: int
    last_observed_year: int
    filled_years: tuple[int, ...]
    model: str | None = None
    model_reason: str = ""
    status: str | None = None
    peaks: PeakStatistics | None = None
    fan: ForecastFan | None = None
    error: str | None = None
    history: tuple[float, ...] = field(default=())
    model_detail: str = ""
    # Median of the simulated paths for the fan's years.
    point_forecast: tuple[float, ...] = ()
    # The damped-trend component as a rebuildable statsmodels model.
    model_spec: ModelSpec | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def fill_gaps(values: np.ndarray) -> np.ndarray:
    """Interpolate missing years log-linearly (values are positive here)."""
    missing = np.isnan(values)
    if not missing.any():
        return values
    x = np.arange(len(values))
    return np.exp(np.interp(x, x[~missing], np.log(values[~missing])))


def series_seed(base_seed: int, region_id: str, indicator: str) -> int:
    """A seed that depends only on the series, never on partitioning or order."""
    digest = hashlib.sha256(f"{base_seed}|{region_id}|{indicator}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def pooling_key(series: SeriesInput) -> str:
    return f"{series.indicator}|{series.pool_group}" if series.pool_group else series.indicator


def pooling_for(series: SeriesInput, pooling: dict[str, "PanelPooling"]) -> "PanelPooling | None":
    """The series' group, or its indicator's when the group was too small to pool alone."""
    return pooling.get(pooling_key(series)) or pooling.get(series.indicator)


def forecastable(series: SeriesInput, settings: ForecastSettings) -> str | None:
    """Why the series cannot be forecast, or None."""
    observed = ~np.isnan(series.values)
    if observed.sum() < settings.min_observed_years:
        return f"only {observed.sum()} observed years, need {settings.min_observed_years}"
    if np.any(series.values[observed] <= 0):
        years = [int(y) for y in series.years[observed & (series.values <= 0)]]
        return f"non-positive values in {years} cannot be forecast on the log scale"
    return None


def pool_panel(series_list: list[SeriesInput], settings: ForecastSettings) -> dict[str, PanelPooling]:
    """The pooled parameters of every indicator (and group) of the panel: once
    per run, before the fit stage, so partitions do not change them."""
    groups: dict[str, list[SeriesInput]] = defaultdict(list)
    usable = [s for s in series_list if forecastable(s, settings) is None]
    for series in usable:
        groups[pooling_key(series)].append(series)
    for key in [k for k, members in groups.items() if "|" in k and len(members) < MIN_POOL_GROUP]:
        groups[key.split("|")[0]].extend(groups.pop(key))
    return {
        key: estimate_pooling(
            [np.log(s.values) for s in members],
            [f"{s.region_id}|{s.indicator}" for s in members],
            settings.pooling_settings(),
            settings.min_observed_years,
        )
        for key, members in sorted(groups.items())
    }


def with_pooling(settings: ForecastSettings, series_list: list[SeriesInput]) -> ForecastSettings:
    return replace(settings, pooling=pool_panel(series_list, settings))


@dataclass(frozen=True)
class SeriesFit:
    """A series filtered by both components, its growth pooled: where paths start."""

    pooling: PanelPooling
    states: dict[str, ComponentState]
    own_growth: float
    growth_sd: float
    weights: dict[str, float]
    future_years: np.ndarray


def fit_series(series: SeriesInput, settings: ForecastSettings) -> SeriesFit:
    pooling = pooling_for(series, settings.pooling) or pooling_for(series, pool_panel([series], settings))
    if pooling is None:
        raise ComponentError(forecastable(series, settings) or "nothing to pool")
    log_values = np.log(series.values)
    states = fit_states(log_values, pooling)
    growth, growth_sd = pooled_growth(states[TREND], int(np.isfinite(log_values).sum()), pooling)
    return SeriesFit(
        pooling=pooling,
        states={**states, TREND: states[TREND].with_growth(growth)},
        own_growth=states[TREND].growth,
        growth_sd=growth_sd,
        weights=series_weights(states, pooling, settings.combine),
        future_years=np.arange(series.years[-1] + 1, settings.horizon_year + 1),
    )


def draw_paths(fit: SeriesFit, n_paths: int, seed: int) -> np.ndarray:
    """The calibrated paths, in the series' units, shape (n_paths, future years)."""
    horizon = len(fit.future_years)
    log_paths = draw_mixture(fit.states, fit.growth_sd, fit.weights, horizon, n_paths, np.random.default_rng(seed))
    return np.exp(calibrate(log_paths, fit.pooling.scale_at(horizon)))


def simulate_paths(series: SeriesInput, settings: ForecastSettings) -> tuple[np.ndarray, np.ndarray]:
    """(future years, paths): the final calibrated paths ``forecast_series`` summarises.

    Public so that scoring code outside the engine sees exactly what the
    product sees. Raises ``ValueError`` for a series that cannot be forecast."""
    if (why := forecastable(series, settings)) is not None:
        raise ValueError(f"{series.region_id}/{series.indicator}: {why}")
    fit = fit_series(series, settings)
    return fit.future_years, draw_paths(fit, settings.n_paths, series_seed(settings.seed, series.region_id, series.indicator))


def describe_fit(fit: SeriesFit) -> str:
    level, trend = fit.states[LEVEL], fit.states[TREND]
    return (
        f"level {np.exp(level.level):.4g} (sigma {level.sigma:.3f}); damped trend growth {fit.own_growth:+.2%}/yr, "
        f"pooled {trend.growth:+.2%}/yr (sd {fit.growth_sd:.2%}), phi {trend.phi:.3f}, sigma {trend.sigma:.3f}"
    )


def trend_spec(series: SeriesInput, fit: SeriesFit) -> ModelSpec:
    """The damped-trend component with the panel's parameters (mlflow.statsmodels)."""
    trend = fit.states[TREND]
    return ModelSpec(
        family="ets_state_space",
        log_endog=tuple(float(v) for v in np.log(series.values)),
        params=(trend.alpha, trend.beta, trend.phi),
        options={"trend": True, "damped_trend": True, "initialization_method": "concentrated"},
    )


def forecast_series(series: SeriesInput, settings: ForecastSettings) -> SeriesForecast:
    observed = ~np.isnan(series.values)
    basics = dict(
        region_id=series.region_id,
        indicator=series.indicator,
        unit=series.unit,
        n_observed=int(observed.sum()),
        first_year=int(series.years[0]),
        last_observed_year=int(series.years[observed][-1]) if observed.any() else int(series.years[-1]),
        filled_years=tuple(int(y) for y in series.years[~observed]),
        history=tuple(float(v) for v in series.values),
    )
    if (why := forecastable(series, settings)) is not None:
        return SeriesForecast(**basics, error=why)
    try:
        fit = fit_series(series, settings)
    except ComponentError as exc:
        return SeriesForecast(**basics, error=str(exc))
    paths = draw_paths(fit, settings.n_paths, series_seed(settings.seed, series.region_id, series.indicator))
    peaks = summarize_peaks(series.years, series.values, fit.future_years, paths, series.target_year)
    quantiles = np.quantile(paths, FAN_QUANTILES, axis=0)
    fan = ForecastFan(
        years=tuple(int(y) for y in fit.future_years),
        quantiles={q: tuple(float(v) for v in row) for q, row in zip(FAN_QUANTILES, quantiles)},
    )
    return SeriesForecast(
        **basics,
        model=ENGINE,
        model_reason=fit.pooling.describe(),
        model_detail=describe_fit(fit),
        status=classify_history(series.years, series.values, series.panel_last_year),
        peaks=peaks,
        fan=fan,
        point_forecast=tuple(float(v) for v in np.median(paths, axis=0)),
        model_spec=trend_spec(series, fit),
    )


def forecast_partition(series_list: list[SeriesInput], settings: ForecastSettings) -> list[SeriesForecast]:
    """The unit of parallel work: a plain loop, no orchestration inside.

    Only these small summaries leave the worker; simulated paths do not.
    """
    results = []
    for series in series_list:
        try:
            results.append(forecast_series(series, settings))
        except Exception as exc:  # one bad series must not sink its partition
            log.exception("forecast failed for %s/%s", series.region_id, series.indicator)
            results.append(
                SeriesForecast(
                    region_id=series.region_id,
                    indicator=series.indicator,
                    unit=series.unit,
                    n_observed=int((~np.isnan(series.values)).sum()),
                    first_year=int(series.years[0]),
                    last_observed_year=int(series.years[-1]),
                    filled_years=(),
                    error=f"{type(exc).__name__}: {exc}",
                )
            )
    return results


def split_series(
    panel: pl.DataFrame,
    target_years: dict[str, int],
    indicators: tuple[str, ...] = c.FORECAST_INDICATORS,
    default_target_year: int = 2030,
    pool_groups: dict[str, str] | None = None,
) -> list[SeriesInput]:
    """Cut the contract frame into one gap-aware series per region and indicator.

    ``pool_groups`` maps a region to its pooling group (e.g. its level). The
    rows are sorted once and each series (and each driver) sliced from the
    columns as arrays: a Polars frame per group and a dict per driver series
    had doubled the cut's peak at 10 000 series (+64 -> +31 MB)."""
    # The columns used, before filtering copies the rows: `source` is a long
    # label on every row (half the panel's bytes at 10 000 series).
    panel = panel.select(c.REGION_ID, c.INDICATOR, c.YEAR, c.VALUE, c.UNIT).filter(pl.col(c.VALUE).is_not_null())
    drivers = _runs(panel.filter(pl.col(c.INDICATOR).is_in(c.DRIVER_INDICATORS)))
    forecast_rows = panel.filter(pl.col(c.INDICATOR).is_in(indicators))
    last_years = dict(forecast_rows.group_by(c.INDICATOR).agg(pl.col(c.YEAR).max()).iter_rows())
    series = []
    for (region_id, indicator), (unit, observed, observed_values) in _runs(forecast_rows).items():
        years = np.arange(observed[0], observed[-1] + 1)
        series.append(
            SeriesInput(
                region_id=region_id,
                indicator=indicator,
                unit=unit,
                years=years,
                values=_on_years(years, observed, observed_values),
                target_year=target_years.get(region_id, default_target_year),
                drivers={
                    name: _on_years(years, *found[1:]) for name in c.DRIVER_INDICATORS if (found := drivers.get((region_id, name)))
                },
                panel_last_year=int(last_years[indicator]),
                pool_group=(pool_groups or {}).get(region_id, ""),
            )
        )
    return series


def _runs(rows: pl.DataFrame) -> dict[tuple[str, str], tuple[str, np.ndarray, np.ndarray]]:
    """{(region_id, indicator): (unit, years, values)} of contract rows, years
    ascending: slices of two arrays, not a copy per group."""
    rows = c.sorted_by(rows, [c.REGION_ID, c.INDICATOR, c.YEAR])
    years, values = rows[c.YEAR].to_numpy(), rows[c.VALUE].to_numpy()
    groups = rows.with_row_index("start").group_by(c.REGION_ID, c.INDICATOR, maintain_order=True).agg(
        pl.col(c.UNIT).first(), pl.col("start").first(), pl.len()
    )
    return {
        (region_id, indicator): (unit, years[start : start + n], values[start : start + n])
        for region_id, indicator, unit, start, n in groups.iter_rows()
    }


def _on_years(years: np.ndarray, found_years: np.ndarray, found_values: np.ndarray) -> np.ndarray:
    """``found_values`` placed on consecutive ``years``, NaN where none was found."""
    placed = np.full(len(years), np.nan)
    inside = (found_years >= years[0]) & (found_years <= years[-1])
    placed[found_years[inside] - years[0]] = found_values[inside]
    return placed


def partition(items: list, n_partitions: int) -> list[list]:
    """Split into at most ``n_partitions`` contiguous, near-equal chunks."""
    n_partitions = max(1, min(n_partitions, len(items)))
    bounds = np.linspace(0, len(items), n_partitions + 1).astype(int)
    return [items[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


__all__ = [
    "ENGINE",
    "ForecastSettings",
    "SeriesForecast",
    "SeriesInput",
    "fill_gaps",
    "forecast_partition",
    "forecast_series",
    "point_forecast",
    "pool_panel",
    "simulate_paths",
    "split_series",
    "with_pooling",
]
