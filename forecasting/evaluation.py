"""Hold-out evaluation of the engine (``peakwatch evaluate``).

Protocol: series with at least ``min_observed`` observed years; the last
``n_test`` observed years are held out and forecast from the years before.
The selected model is chosen by rolling-origin backtests on the training
years only, so the held-out years never influence the choice. Every candidate,
the selection, and two references (the log random walk with drift, and
statsforecast's AutoETS when installed) are scored on the same points.
"""

import logging
from dataclasses import dataclass

import numpy as np

from forecasting.backtest import (
    PointErrors,
    backtest_candidate,
    fill_gaps,
    forecast_errors,
    naive_scale,
    rank_key,
    rolling_origins,
    score_points,
)
from forecasting.models import candidates_for
from forecasting.peaks import PEAKED, classify_history
from forecasting.series import ForecastSettings, SeriesInput, aligned_drivers, candidate_rng, series_seed

log = logging.getLogger(__name__)

SELECTED = "selected (backtest)"
AUTOETS = "statsforecast AutoETS"


@dataclass(frozen=True)
class HoldoutSplit:
    train: np.ndarray  # ends on an observed year; NaN gaps inside
    actual: np.ndarray  # the years after, NaN where not observed
    drivers: dict[str, np.ndarray]


@dataclass(frozen=True)
class SeriesEvaluation:
    region_id: str
    indicator: str
    chosen: str | None
    errors: dict[str, PointErrors]  # model -> held-out errors
    backtests: tuple = ()  # the candidates' BacktestScore on the training years


@dataclass(frozen=True)
class EvaluationRow:
    model: str
    n_series: int
    median_mase: float
    median_smape: float
    coverage_80: float
    coverage_95: float
    n_points: int


def holdout_split(series: SeriesInput, n_test: int = 5, min_observed: int = 10) -> HoldoutSplit | None:
    observed = np.flatnonzero(~np.isnan(series.values))
    if len(observed) < min_observed:
        return None
    train_end = observed[-n_test - 1]  # last observed year before the held-out ones
    drivers = {k: v[: train_end + 1] for k, v in aligned_drivers(series).items()}
    return HoldoutSplit(series.values[: train_end + 1], series.values[train_end + 1 :], drivers)


def autoets_errors(train: np.ndarray, actual: np.ndarray) -> PointErrors:
    """statsforecast's AutoETS (non-seasonal, on levels) and its own 80/95 % intervals."""
    from statsforecast.models import AutoETS  # benchmark-only dependency: pip install peakwatch[bench]

    filled = fill_gaps(train)
    pred = AutoETS(season_length=1).fit(filled).predict(len(actual), level=[80, 95])
    bounds = {level: (pred[f"lo-{level}"], pred[f"hi-{level}"]) for level in (80, 95)}
    return score_points(actual, pred["mean"], bounds, naive_scale(filled))


def evaluate_series(
    series: SeriesInput, settings: ForecastSettings, n_test: int = 5, min_observed: int = 10, with_autoets: bool = True
) -> SeriesEvaluation | None:
    split = holdout_split(series, n_test, min_observed)
    if split is None:
        return None
    seed = series_seed(settings.seed, series.region_id, series.indicator)
    candidates = candidates_for(split.drivers, settings.candidates)
    origins = rolling_origins(split.train, settings.backtest_origins, settings.backtest_horizon, settings.min_train_years)
    errors: dict[str, PointErrors] = {}
    backtests = []
    for i, cand in enumerate(candidates):
        if origins:
            backtests.append(
                backtest_candidate(
                    cand, split.train, split.drivers, origins, settings.backtest_horizon,
                    settings.backtest_paths, candidate_rng(seed, i),
                )
            )
        try:
            errors[cand.name] = forecast_errors(
                cand, split.train, split.drivers, split.actual, settings.n_paths, candidate_rng(seed, 100 + i)
            )
        except Exception as exc:  # scored as missing for this candidate
            log.debug("%s on %s failed: %s", cand.name, series.region_id, exc)
    ranked = sorted((s for s in backtests if s.ok and s.model in errors), key=rank_key)
    # Without backtests (short training window) the first candidate that fits is used, as in the run.
    chosen = ranked[0].model if ranked else next((cand.name for cand in candidates if cand.name in errors), None)
    if chosen is not None:
        index = next(i for i, cand in enumerate(candidates) if cand.name == chosen)
        scale = ranked[0].interval_scale if ranked else 1.0
        # Same draws as the raw candidate row, with the backtest-calibrated spread the run uses.
        errors[SELECTED] = forecast_errors(
            candidates[index], split.train, split.drivers, split.actual, settings.n_paths,
            candidate_rng(seed, 100 + index), scale,
        )
    if with_autoets:
        try:
            errors[AUTOETS] = autoets_errors(split.train, split.actual)
        except ImportError:
            raise
        except Exception as exc:
            log.debug("AutoETS on %s failed: %s", series.region_id, exc)
    return SeriesEvaluation(series.region_id, series.indicator, chosen, errors, tuple(backtests))


def summarize_evaluations(evaluations: list[SeriesEvaluation]) -> list[EvaluationRow]:
    """One row per model: median over series of MASE and sMAPE, coverage pooled over points.

    Only series that every model forecast are counted, so all rows score the
    same points (a model that failed on a series would otherwise skip its
    hardest cases)."""
    models = sorted({m for e in evaluations for m in e.errors}, key=lambda m: (m != SELECTED, m))
    common = [e for e in evaluations if all(m in e.errors and len(e.errors[m].scaled_abs) for m in models)]
    rows = []
    for model in models:
        parts = [e.errors[model] for e in common]
        if not parts:
            continue
        pooled = PointErrors.concat(parts)
        rows.append(
            EvaluationRow(
                model=model,
                n_series=len(parts),
                median_mase=float(np.median([p.scaled_abs.mean() for p in parts])),
                median_smape=float(np.median([p.smape.mean() for p in parts])),
                coverage_80=float(pooled.inside_80.mean()),
                coverage_95=float(pooled.inside_95.mean()),
                n_points=len(pooled.scaled_abs),
            )
        )
    return rows


def count_peaked(series_list: list[SeriesInput]) -> int:
    """Series whose observed history is ``peaked`` (peaks.classify_history)."""
    return sum(classify_history(s.years, s.values) == PEAKED for s in series_list if np.any(~np.isnan(s.values)))
