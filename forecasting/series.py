"""Three grains of forecasting work (STYLE.md): one series, a partition of series
(a plain loop), and the contract frame cut into series. The flow layer spreads
partitions over Dask; nothing here knows about it."""

import hashlib
import logging
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from peakwatch import contract as c
from forecasting.backtest import (
    BacktestScore,
    backtest_candidate,
    calibrate_paths,
    fill_gaps,
    rank_key,
    rolling_origins,
    select_candidate,
)
from forecasting.models import (
    REFERENCE,
    FittedModel,
    ModelFitError,
    ModelSpec,
    candidates_for,
    fit_log_drift,
    fit_log_ets,
)
from forecasting.models.stirpat import DRIVERS
from forecasting.peaks import HORIZON_YEAR, PeakStatistics, classify_history, summarize_peaks

log = logging.getLogger(__name__)

FAN_QUANTILES = (0.025, 0.1, 0.5, 0.9, 0.975)


@dataclass(frozen=True)
class ForecastSettings:
    n_paths: int = 1000
    horizon_year: int = HORIZON_YEAR
    seed: int = 20300101
    min_observed_years: int = 8
    # Rolling-origin backtests used to choose the model of each series.
    backtest_origins: int = 3
    backtest_horizon: int = 5
    backtest_paths: int = 200
    min_train_years: int = 8
    # Restrict the candidate menu by name (None = all that apply).
    candidates: tuple[str, ...] | None = None


@dataclass(frozen=True)
class SeriesInput:
    region_id: str
    indicator: str
    unit: str
    years: np.ndarray  # consecutive years, first to last observed
    values: np.ndarray  # NaN where a year is missing
    target_year: int
    # Driver series on the same years (NaN where missing), for STIRPAT: gdp, population.
    drivers: dict[str, np.ndarray] = field(default_factory=dict)


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
    # The chosen model's backtest, and every candidate's (a small table).
    backtest: BacktestScore | None = None
    backtests: tuple[BacktestScore, ...] = ()
    # Point (median) forecast of the chosen model for the fan's years.
    point_forecast: tuple[float, ...] = ()
    # A rebuildable description of the chosen statsmodels model (None for drift).
    model_spec: ModelSpec | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def series_seed(base_seed: int, region_id: str, indicator: str) -> int:
    """A seed that depends only on the series, never on partitioning or order."""
    digest = hashlib.sha256(f"{base_seed}|{region_id}|{indicator}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def candidate_rng(seed: int, index: int) -> np.random.Generator:
    """Independent streams per candidate, so adding one does not shift the others."""
    return np.random.default_rng([seed, index])


def fit_model(values: np.ndarray) -> tuple[FittedModel, str]:
    """The damped log-ETS, or the log random walk with drift when it fails: no
    backtests. Kept for the scenario engine's driver fits (cheap, and pinned by
    its tests); series forecasts use ``choose_model``."""
    try:
        return fit_log_ets(values), "damped trend on logs; default model"
    except ModelFitError as exc:
        log.info("falling back to drift: %s", exc)
        return fit_log_drift(values), f"fallback: {exc}"


def choose_model(
    values: np.ndarray, drivers: dict[str, np.ndarray], settings: ForecastSettings, seed: int
) -> tuple[FittedModel, str, BacktestScore | None, tuple[BacktestScore, ...]]:
    """Backtest every candidate, fit the best on the whole (gap-filled) history.

    Falls back down the ranking, then to the log random walk with drift, when a
    fit fails; the reason says which and why.
    """
    filled = fill_gaps(values)
    filled_drivers = {k: fill_gaps(v) for k, v in drivers.items()}
    candidates = candidates_for(filled_drivers, settings.candidates)
    origins = rolling_origins(values, settings.backtest_origins, settings.backtest_horizon, settings.min_train_years)
    scores: tuple[BacktestScore, ...] = ()
    if origins:
        scores = tuple(
            backtest_candidate(
                cand, values, drivers, origins, settings.backtest_horizon, settings.backtest_paths,
                candidate_rng(seed, i),
            )
            for i, cand in enumerate(candidates)
        )
        best, reason = select_candidate(list(scores))
        ranked = sorted((s for s in scores if s.ok), key=rank_key)
        # When no candidate could be backtested, try them in menu order.
        order = [next(cand for cand in candidates if cand.name == s.model) for s in ranked] or list(candidates)
    else:
        best, reason = None, f"too few observed years for backtests (need {settings.min_train_years} before an origin)"
        order = list(candidates)
    failures = []
    for cand in order:
        try:
            model = cand.fit(filled, filled_drivers)
        except Exception as exc:  # statsmodels raises more than ModelFitError; fall back, don't fail
            failures.append(f"{cand.name}: {type(exc).__name__}: {exc}")
            continue
        score = next((s for s in scores if s.model == cand.name), None)
        if best is None:
            reason = f"{reason}; first candidate that fits"
        elif cand.name != best.model:
            reason = f"{cand.name} next best by backtest (fit failed: {'; '.join(failures)})"
        return model, reason, score, scores
    model = REFERENCE.fit(filled, filled_drivers)
    return model, f"fallback: {'; '.join(failures) or 'no candidate'}", None, scores


def aligned_drivers(series: SeriesInput) -> dict[str, np.ndarray]:
    """Drivers usable for this series: same length and no gap at either end."""
    usable = {}
    for name, values in series.drivers.items():
        same_years = len(values) == len(series.values)
        if same_years and not np.isnan(values[[0, -1]]).any() and np.all(values[~np.isnan(values)] > 0):
            usable[name] = values
    return usable


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
    if observed.sum() < settings.min_observed_years:
        return SeriesForecast(
            **basics, error=f"only {observed.sum()} observed years, need {settings.min_observed_years}"
        )
    if np.any(series.values[observed] <= 0):
        years = [int(y) for y in series.years[observed & (series.values <= 0)]]
        return SeriesForecast(**basics, error=f"non-positive values in {years} cannot be forecast on the log scale")
    seed = series_seed(settings.seed, series.region_id, series.indicator)
    try:
        model, reason, score, scores = choose_model(series.values, aligned_drivers(series), settings, seed)
    except ModelFitError as exc:
        return SeriesForecast(**basics, error=str(exc))
    future_years = np.arange(series.years[-1] + 1, settings.horizon_year + 1)
    rng = np.random.default_rng(seed)
    point = model.forecast(len(future_years))
    scale = score.interval_scale if score is not None else 1.0
    paths = calibrate_paths(model.simulate(len(future_years), settings.n_paths, rng), point, scale)
    peaks = summarize_peaks(series.years, series.values, future_years, paths, series.target_year)
    quantiles = np.quantile(paths, FAN_QUANTILES, axis=0)
    fan = ForecastFan(
        years=tuple(int(y) for y in future_years),
        quantiles={q: tuple(float(v) for v in row) for q, row in zip(FAN_QUANTILES, quantiles)},
    )
    return SeriesForecast(
        **basics,
        model=model.name,
        model_reason=reason,
        model_detail=model.detail,
        status=classify_history(series.years, series.values),
        peaks=peaks,
        fan=fan,
        backtest=score,
        backtests=scores,
        point_forecast=tuple(float(v) for v in point),
        model_spec=model.spec(len(future_years)),
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
) -> list[SeriesInput]:
    """Cut the contract frame into one gap-aware series per region and indicator.

    The rows are sorted once and each series (and each driver) sliced from
    the columns as arrays: a Polars frame per group and a dict per driver
    series had doubled the cut's peak at 10 000 series (+64 -> +31 MB)."""
    # The columns used, before filtering copies the rows: `source` is a long
    # label on every row (half the panel's bytes at 10 000 series).
    panel = panel.select(c.REGION_ID, c.INDICATOR, c.YEAR, c.VALUE, c.UNIT).filter(pl.col(c.VALUE).is_not_null())
    drivers = _runs(panel.filter(pl.col(c.INDICATOR).is_in(DRIVERS)))
    series = []
    for (region_id, indicator), (unit, observed, observed_values) in _runs(
        panel.filter(pl.col(c.INDICATOR).is_in(indicators))
    ).items():
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
                    name: _on_years(years, *found[1:]) for name in DRIVERS if (found := drivers.get((region_id, name)))
                },
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
