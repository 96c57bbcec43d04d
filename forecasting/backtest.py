"""Rolling-origin backtests: refit at several origins, score 1..H-year-ahead
forecasts with MASE, sMAPE and the coverage of simulated 80 % / 95 % intervals.

Gaps: the training window is interpolated (``fill_gaps``) for fitting, but a
held-out year that was never observed is not scored. An origin is always an
observed year, so no interpolation reaches into the held-out window.
"""

import logging
from dataclasses import dataclass

import numpy as np

from forecasting.models import Candidate, Drivers

log = logging.getLogger(__name__)

INTERVALS = {80: (0.10, 0.90), 95: (0.025, 0.975)}
# Interval calibration: simulated spreads are widened by the factor that makes
# 80 % of backtest log errors fall inside them (z_0.9 = 1.2816), never
# narrowed, and capped so one wild backtest cannot blow the paths up.
Z_80 = 1.2816
SCALE_BOUNDS = (1.0, 4.0)


@dataclass(frozen=True)
class BacktestScore:
    model: str
    mase: float
    smape: float  # percent, 0..200
    coverage_80: float
    coverage_95: float
    n_points: int
    n_origins: int
    error: str | None = None
    # Factor applied to the simulated spread on the log scale (see calibrate_paths).
    interval_scale: float = 1.0

    @property
    def ok(self) -> bool:
        return self.error is None and self.n_points > 0 and np.isfinite(self.mase)

    def as_dict(self) -> dict:
        """JSON-ready: NaN (nothing scored) becomes None."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        return {k: None if isinstance(v, float) and np.isnan(v) else v for k, v in out.items()}


@dataclass(frozen=True)
class PointErrors:
    """Per held-out point: scaled absolute error, sMAPE term, interval hits."""

    scaled_abs: np.ndarray
    smape: np.ndarray
    inside_80: np.ndarray
    inside_95: np.ndarray
    # Log error over the paths' log spread at that horizon, for calibration.
    z: np.ndarray

    @staticmethod
    def concat(parts: list["PointErrors"]) -> "PointErrors":
        if not parts:
            empty = np.array([])
            return PointErrors(empty, empty, empty.astype(bool), empty.astype(bool), empty)
        return PointErrors(*(np.concatenate([getattr(p, f) for p in parts]) for f in PointErrors.__dataclass_fields__))


def fill_gaps(values: np.ndarray) -> np.ndarray:
    """Interpolate missing years log-linearly (values are positive here)."""
    missing = np.isnan(values)
    if not missing.any():
        return values
    x = np.arange(len(values))
    return np.exp(np.interp(x, x[~missing], np.log(values[~missing])))


def naive_scale(train: np.ndarray) -> float:
    """MASE denominator: mean absolute one-step naive error over the training years
    (interpolated years included: they carry the trend between observations)."""
    diffs = np.abs(np.diff(train))
    return float(diffs.mean()) if len(diffs) else np.nan


def smape_terms(actual: np.ndarray, point: np.ndarray) -> np.ndarray:
    denom = np.abs(actual) + np.abs(point)
    return np.where(denom > 0, 200.0 * np.abs(actual - point) / np.where(denom > 0, denom, 1.0), 0.0)


def score_points(
    actual: np.ndarray,
    point: np.ndarray,
    bounds: dict[int, tuple[np.ndarray, np.ndarray]],
    scale: float,
    log_spread: np.ndarray | None = None,
) -> PointErrors:
    """Errors of one forecast at the held-out points that were observed (NaN actuals dropped)."""
    seen = ~np.isnan(actual)
    if log_spread is None:
        z = np.full(seen.sum(), np.nan)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (np.log(actual[seen]) - np.log(point[seen])) / log_spread[seen]
    a, p = actual[seen], point[seen]
    lo80, hi80 = (b[seen] for b in bounds[80])
    lo95, hi95 = (b[seen] for b in bounds[95])
    return PointErrors(
        scaled_abs=np.abs(a - p) / scale,
        smape=smape_terms(a, p),
        inside_80=(a >= lo80) & (a <= hi80),
        inside_95=(a >= lo95) & (a <= hi95),
        z=z,
    )


def path_bounds(paths: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    return {level: tuple(np.quantile(paths, qs, axis=0)) for level, qs in INTERVALS.items()}


def calibrate_paths(paths: np.ndarray, point: np.ndarray, scale: float) -> np.ndarray:
    """Widen each path's log deviation from the point forecast by ``scale``."""
    if scale == 1.0:
        return paths
    log_point = np.log(point)
    return np.exp(log_point + scale * (np.log(paths) - log_point))


def interval_scale(z: np.ndarray) -> float:
    finite = np.abs(z[np.isfinite(z)])
    if len(finite) < 3:
        return 1.0
    return float(np.clip(np.quantile(finite, 0.8) / Z_80, *SCALE_BOUNDS))


def summarize_errors(model: str, errors: PointErrors, n_origins: int) -> BacktestScore:
    n = len(errors.scaled_abs)
    if n == 0:
        return BacktestScore(model, np.nan, np.nan, np.nan, np.nan, 0, n_origins, error="no held-out points")
    return BacktestScore(
        model=model,
        mase=float(np.mean(errors.scaled_abs)),
        smape=float(np.mean(errors.smape)),
        coverage_80=float(np.mean(errors.inside_80)),
        coverage_95=float(np.mean(errors.inside_95)),
        n_points=n,
        n_origins=n_origins,
        interval_scale=interval_scale(errors.z),
    )


def rolling_origins(values: np.ndarray, n_origins: int, horizon: int, min_train: int) -> list[int]:
    """Indices of the last training year of each origin, oldest first.

    Origins step back two years at a time from ``horizon - 2`` years before the
    end (3, 5, 7 for H=5), so later origins score the short horizons and earlier
    ones the full 1..H range. Each origin is moved back to an observed year and
    needs ``min_train`` observed years up to it.
    """
    observed = ~np.isnan(values)
    last = int(np.flatnonzero(observed)[-1])
    origins = []
    for k in range(n_origins):
        origin = last - max(1, horizon - 2) - 2 * k
        while origin >= 0 and not observed[origin]:
            origin -= 1
        if origin >= 0 and observed[: origin + 1].sum() >= min_train and origin not in origins:
            origins.append(origin)
    return sorted(origins)


def forecast_errors(
    candidate: Candidate,
    train: np.ndarray,
    drivers: Drivers,
    actual: np.ndarray,
    n_paths: int,
    rng: np.random.Generator,
    scale: float = 1.0,
) -> PointErrors:
    """Fit ``candidate`` on gap-filled ``train`` and score it on ``actual`` (NaN = unobserved);
    ``scale`` widens the simulated intervals (calibrate_paths)."""
    filled = fill_gaps(train)
    model = candidate.fit(filled, {k: fill_gaps(v[: len(train)]) for k, v in drivers.items()})
    horizon = len(actual)
    point = model.forecast(horizon)
    paths = calibrate_paths(model.simulate(horizon, n_paths, rng), point, scale)
    log_spread = np.std(np.log(paths), axis=0)
    return score_points(actual, point, path_bounds(paths), naive_scale(filled), log_spread)


def backtest_candidate(
    candidate: Candidate,
    values: np.ndarray,
    drivers: Drivers,
    origins: list[int],
    horizon: int,
    n_paths: int,
    rng: np.random.Generator,
) -> BacktestScore:
    parts = []
    for origin in origins:
        actual = values[origin + 1 : origin + 1 + horizon]
        try:
            parts.append(forecast_errors(candidate, values[: origin + 1], drivers, actual, n_paths, rng))
        except Exception as exc:  # a candidate that breaks is scored as failed, not fatal
            log.debug("backtest of %s failed: %s", candidate.name, exc)
            return BacktestScore(candidate.name, np.nan, np.nan, np.nan, np.nan, 0, len(origins), error=str(exc))
    return summarize_errors(candidate.name, PointErrors.concat(parts), len(origins))


def rank_key(score: BacktestScore) -> tuple[float, float]:
    """Lower is better: MASE first, then how far 80 % coverage misses 80 %."""
    return (score.mase, abs(score.coverage_80 - 0.8))


def select_candidate(scores: list[BacktestScore]) -> tuple[BacktestScore | None, str]:
    """The candidate with the lowest backtest MASE, and a sentence saying why."""
    usable = [s for s in scores if s.ok]
    if not usable:
        return None, "no candidate could be backtested"
    ranked = sorted(usable, key=rank_key)
    best = ranked[0]
    reason = (
        f"lowest backtest MASE {best.mase:.2f} of {len(usable)} candidates over {best.n_points} held-out points "
        f"({best.n_origins} origins; sMAPE {best.smape:.1f} %, 80 % cover {best.coverage_80:.0%}, "
        f"intervals widened x{best.interval_scale:.2f})"
    )
    if len(ranked) > 1:
        reason += f"; runner-up {ranked[1].model} {ranked[1].mase:.2f}"
    return best, reason
