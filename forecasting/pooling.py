"""What the whole panel says, estimated once per run before the fit stage.

A regional series has 10-20 yearly values: too few to carry a model of its
own. Following Raftery et al. (2017, Nature Climate Change 7:637), who pool
countries to project Kaya factors with calibrated intervals, every series of
one indicator (and pooling group) shares:

* the smoothing and damping of the two component models
  (``forecasting.components``): the level model's from the panel's yearly
  growth autocovariances; the damped trend's smoothing by maximising the
  panel's summed likelihood, its damping by the panel's out-of-sample
  multi-step errors (``damping``). Damping is thus estimated, from FPP3's
  lower bound 0.8 up to 1 (no damping, for growth that never faded), not assumed;
* the distribution of end-of-history growth, toward which each series'
  growth is pulled in proportion to how little its own years pin it down;
* how the two components are weighted: the level model ("growth stops now")
  gets the panel's share of series below their maximum (``share_below_max``),
  or equal shares, or the panel's backtests decide;
* the interval width per horizon, from backtest errors pooled across the
  panel (conformal-style), held at the last backtested horizon beyond it.

Everything here depends only on the panel, never on how it is partitioned:
the series are taken in an order fixed by their names.
"""

import hashlib
import logging
import warnings
from dataclasses import dataclass, field
from typing import Literal, Sequence

import numpy as np
from scipy.optimize import minimize

from forecasting.components import (
    COMPONENTS,
    LEVEL,
    TREND,
    ComponentError,
    ComponentState,
    component_model,
    damped_sums,
    filter_component,
    simulate_component,
)

log = logging.getLogger(__name__)

Combine = Literal["below_max", "equal", "backtest", "inverse_mse"]

Z_80 = 1.2816  # standard normal 90 % quantile: the half-width of an 80 % band in sds
ALPHA_BOUNDS = (0.05, 1.0)
PHI_BOUNDS = (0.8, 0.98)
PHI_GRID = (0.8, 0.84, 0.88, 0.92, 0.95, 0.98, 1.0)
SCALE_BOUNDS = (0.5, 3.0)
MIN_POINTS_PER_HORIZON = 10  # backtest points a horizon needs for its own factor (else the pooled)
WEIGHT_GRID = tuple(np.round(np.linspace(0.0, 1.0, 11), 2))
# Series in the damped trend's summed likelihood: enough for 3 parameters, a few seconds.
LIKELIHOOD_SAMPLE = 40


@dataclass(frozen=True)
class PoolingSettings:
    """How the panel is pooled (the ``forecast`` config's pooling keys)."""

    combine: Combine = "below_max"
    # Each horizon's band width from backtests: off, it widened CEADs' bands (docs/engine.md).
    calibrate_intervals: bool = False
    backtest_horizon: int = 5  # horizons whose errors choose the damping (and calibrate, when on)
    sample_size: int = 150  # series used to estimate the shared parameters
    backtest_paths: int = 200
    seed: int = 20300101


@dataclass(frozen=True)
class PanelPooling:
    """Shared parameters of one indicator (and group) of the panel."""

    n_series: int  # series the estimates used
    level_alpha: float = 1.0
    trend_alpha: float = 0.5
    trend_beta: float = 0.05
    trend_phi: float = 0.9
    growth_center: float = 0.0
    growth_spread: float = np.inf  # between-series sd of growth; inf = no pooling
    weights: dict[str, float] = field(default_factory=lambda: {LEVEL: 0.5, TREND: 0.5})
    horizon_scale: tuple[float, ...] = ()  # interval factor per horizon 1..H; () = 1
    backtest_points: int = 0

    def scale_at(self, horizon: int) -> np.ndarray:
        """Factors for horizons 1..horizon: beyond the backtested ones, the last one holds."""
        if not self.horizon_scale:
            return np.ones(horizon)
        known = np.asarray(self.horizon_scale)
        return np.concatenate([known, np.full(max(0, horizon - len(known)), known[-1])])[:horizon]

    def digest(self) -> str:
        """A short fingerprint of the exact parameters: two runs pooled alike share it."""
        return hashlib.sha256(repr(sorted(self.__dict__.items())).encode()).hexdigest()[:10]

    def describe(self) -> str:
        weights = ", ".join(f"{k} {v:.0%}" for k, v in self.weights.items())
        scales = "/".join(f"{s:.2f}" for s in self.horizon_scale) or "none"
        return (
            f"pooled over {self.n_series} series: level alpha {self.level_alpha:.2f}; damped trend alpha "
            f"{self.trend_alpha:.2f}, beta {self.trend_beta:.2f}, phi {self.trend_phi:.3f}; growth pulled toward "
            f"{self.growth_center:+.2%}/yr (panel sd {self.growth_spread:.2%}); weights {weights}; "
            f"interval factors by horizon {scales} ({self.backtest_points} backtest points); pooling {self.digest()}"
        )


def pooling_order(key: str, seed: int) -> bytes:
    return hashlib.sha256(f"{seed}|{key}".encode()).digest()


def level_alpha(log_series: Sequence[np.ndarray]) -> float:
    """Smoothing of the local level model from the panel's growth autocovariances.

    Yearly log growth of a random walk seen through noise is w_t + e_t - e_(t-1):
    its lag-1 autocovariance is -var(e), its variance var(w) + 2 var(e). The
    signal-to-noise ratio q = var(w) / var(e) gives the steady-state gain
    alpha = (-q + sqrt(q^2 + 4q)) / 2. Growth is centred per series first, so
    trending series do not pass their trend off as persistence."""
    lag0, lag1, n0, n1 = 0.0, 0.0, 0, 0
    for y in log_series:
        g = np.diff(y)
        g = g - np.nanmean(g) if np.isfinite(g).sum() > 2 else g[:0]
        finite = g[np.isfinite(g)]
        lag0, n0 = lag0 + float(np.sum(finite**2)), n0 + len(finite)
        pairs = g[:-1] * g[1:]
        lag1, n1 = lag1 + float(np.nansum(pairs)), n1 + int(np.isfinite(pairs).sum())
    if n0 < 10 or n1 < 10:
        return 1.0
    variance, cov1 = lag0 / n0, lag1 / n1
    noise = min(max(-cov1, 0.0), 0.45 * variance)  # below var/2 keeps the walk's variance positive
    if noise <= 0:
        return 1.0
    q = (variance - 2 * noise) / noise
    return float(np.clip((-q + np.sqrt(q * q + 4 * q)) / 2, *ALPHA_BOUNDS))


def trend_params(log_series: Sequence[np.ndarray]) -> tuple[float, float, float]:
    """(alpha, beta, phi) of the damped trend maximising the panel's summed
    concentrated log-likelihood (each series keeps its own error variance)."""
    models = [component_model(y, TREND) for y in log_series if np.isfinite(y).sum() >= 5]
    if not models:
        return PanelPooling(0).trend_alpha, PanelPooling(0).trend_beta, PanelPooling(0).trend_phi

    def unpack(x: np.ndarray) -> np.ndarray:
        # beta = alpha * x[1] <= alpha keeps the trend slower than the level (the usual ETS constraint).
        return np.array([x[0], x[0] * x[1], x[2]])

    def negative_loglike(x: np.ndarray) -> float:
        total = 0.0
        for model in models:
            value = model.loglike(unpack(x))
            total -= value if np.isfinite(value) else -1e6
        return total

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        best = minimize(negative_loglike, np.array([0.5, 0.2, 0.9]), method="L-BFGS-B",
                        bounds=[ALPHA_BOUNDS, (0.0, 1.0), PHI_BOUNDS], options={"maxiter": 50})
    alpha, beta, phi = unpack(best.x)
    return float(alpha), float(beta), float(phi)


def damping(log_series: Sequence[np.ndarray], alpha: float, beta: float, horizon: int, min_train: int) -> float:
    """The damping (from ``PHI_GRID``, 0.8-1) whose forecasts from
    the last ``horizon`` origins of each series were closest, 1..``horizon``
    years ahead, to what followed (``damping_errors``).

    The likelihood's damping answers "how does growth carry one year on"; the
    product needs "how far", across regime changes (China's cities, 2013)."""
    errors = damping_errors(log_series, alpha, beta, horizon, min_train)
    return float(min(errors, key=errors.get)) if errors else PanelPooling(0).trend_phi


def damping_errors(log_series: Sequence[np.ndarray], alpha: float, beta: float, horizon: int, min_train: int) -> dict[float, float]:
    """Per damping of ``PHI_GRID``: the mean absolute log error 1..``horizon`` years ahead
    from each series' last ``horizon`` origins (each filter sees only the years up
    to it), each series scaled by its sd of yearly change; {} without origins."""
    cases = []
    for y in log_series:
        observed = np.flatnonzero(np.isfinite(y))
        scale = max(float(np.nanstd(np.diff(y))), 1e-3)
        for origin in observed[observed >= observed[-1] - horizon]:
            if origin == observed[-1] or np.isfinite(y[: origin + 1]).sum() < min_train:
                continue
            try:
                state = filter_component(y[: origin + 1], TREND, alpha, beta, PHI_BOUNDS[1])
            except ComponentError:
                continue
            cases.append((state.level, state.growth, y[origin + 1 : origin + 1 + horizon], scale))
    # The filtered state barely depends on phi over the grid; the forecast does.
    return {
        phi: float(np.nanmean(np.concatenate([np.abs(ahead - (level + growth * damped_sums(phi, len(ahead)))) / scale
                                              for level, growth, ahead, scale in cases])))
        for phi in PHI_GRID
    } if cases else {}


def share_below_max(log_series: Sequence[np.ndarray]) -> float:
    """How common "growth has stopped" is now, the level model's share of the
    paths: the share of series whose last observed value is below their earlier
    maximum, as (k + 1) / (n + 2) (Laplace's rule: a panel of one says neither 0
    nor 1). Equal shares say "half" in every era; China's cities were about a
    quarter below their maximum in 2006, two thirds after the 2013 turn."""
    below = [bool(y[o[-1]] < np.max(y[o[:-1]])) for y in log_series if len(o := np.flatnonzero(np.isfinite(y))) >= 2]
    return (sum(below) + 1) / (len(below) + 2)


def growth_distribution(states: Sequence[ComponentState], n_years: Sequence[int]) -> tuple[float, float]:
    """Centre and between-series sd of end growth, net of each estimate's own noise
    (sigma^2 / n, the variance of a mean of n yearly changes)."""
    if len(states) < 3:
        return 0.0, np.inf
    growth = np.array([s.growth for s in states])
    noise = np.array([s.sigma**2 / max(n, 1) for s, n in zip(states, n_years)])
    center = float(np.median(growth))
    spread2 = (1.4826 * np.median(np.abs(growth - center))) ** 2 - float(np.median(noise))
    return center, float(np.sqrt(max(spread2, 1e-6)))


def pooled_growth(state: ComponentState, n_years: int, pooling: PanelPooling) -> tuple[float, float]:
    """The series' growth pulled toward the panel, and the sd left (normal-normal
    shrinkage), at most one own sd from its own estimate (Efron & Morris 1972,
    limited translation): a series unlike the panel keeps most of what it says."""
    own = state.sigma**2 / max(n_years, 1)
    if not np.isfinite(pooling.growth_spread):
        return state.growth, float(np.sqrt(own))
    prior = pooling.growth_spread**2
    weight = own / (own + prior)  # how far toward the panel: far when the series says little
    pull = np.clip(weight * (pooling.growth_center - state.growth), -np.sqrt(own), np.sqrt(own))
    return state.growth + float(pull), float(np.sqrt(own * prior / (own + prior)))


def fit_states(log_values: np.ndarray, pooling: PanelPooling) -> dict[str, ComponentState]:
    return {
        LEVEL: filter_component(log_values, LEVEL, pooling.level_alpha),
        TREND: filter_component(log_values, TREND, pooling.trend_alpha, pooling.trend_beta, pooling.trend_phi),
    }


def draw_mixture(
    states: dict[str, ComponentState],
    growth_sd: float,
    weights: dict[str, float],
    horizon: int,
    n_paths: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Log paths of the components, ``weights`` of them each (rounded), stacked.
    Each component draws from its own stream, so a weight change does not move
    the other component's paths."""
    counts = {name: int(round(weights.get(name, 0.0) * n_paths)) for name in COMPONENTS}
    counts[TREND] = n_paths - counts[LEVEL]
    streams = rng.spawn(len(COMPONENTS))
    parts = [
        simulate_component(states[name], horizon, counts[name], stream, growth_sd)
        for name, stream in zip(COMPONENTS, streams)
        if counts[name] > 0
    ]
    return np.concatenate(parts)


def series_weights(states: dict[str, ComponentState], pooling: PanelPooling, combine: Combine) -> dict[str, float]:
    """The components' shares of one series' paths: the panel's, or with
    ``inverse_mse`` each component's inverse recent one-step mean squared error
    (Bates & Granger 1969): a model that has been missing every year weighs
    little."""
    if combine != "inverse_mse":
        return pooling.weights
    precision = {name: 1 / max(state.sigma, 1e-6) ** 2 for name, state in states.items()}
    total = sum(precision.values())
    return {name: precision[name] / total for name in COMPONENTS}


def calibrate(log_paths: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Widen (or narrow) each horizon's spread around its median by ``scale``."""
    median = np.median(log_paths, axis=0)
    return median + scale * (log_paths - median)


@dataclass(frozen=True)
class BacktestPoint:
    horizon: int
    log_actual: float
    component_paths: dict[str, np.ndarray]  # component -> log draws at this point
    weights: dict[str, float] | None = None  # the series' own (inverse_mse), else the panel's


def backtest_points(
    log_series: Sequence[np.ndarray], pooling: PanelPooling, settings: PoolingSettings, min_train: int
) -> list[BacktestPoint]:
    """Forecasts from every origin in the last ``backtest_horizon`` years of each
    series (enough observed years before it), scored at the years after it
    that were observed. Parameters stay fixed: only the filters rerun."""
    rng = np.random.default_rng(settings.seed)
    points = []
    for y in log_series:
        observed = np.flatnonzero(np.isfinite(y))
        for origin in observed[observed >= observed[-1] - settings.backtest_horizon]:
            if origin == observed[-1] or np.isfinite(y[: origin + 1]).sum() < min_train:
                continue
            try:
                states = fit_states(y[: origin + 1], pooling)
            except ComponentError:
                continue
            n_years = int(np.isfinite(y[: origin + 1]).sum())
            growth, growth_sd = pooled_growth(states[TREND], n_years, pooling)
            states = {**states, TREND: states[TREND].with_growth(growth)}
            ahead = min(settings.backtest_horizon, len(y) - origin - 1)
            own = series_weights(states, pooling, settings.combine) if settings.combine == "inverse_mse" else None
            draws = {
                name: simulate_component(states[name], ahead, settings.backtest_paths, rng, growth_sd)
                for name in COMPONENTS
            }
            for h in range(1, ahead + 1):
                if np.isfinite(y[origin + h]):
                    points.append(BacktestPoint(h, float(y[origin + h]), {k: v[:, h - 1] for k, v in draws.items()}, own))
    return points


def crps(draws: np.ndarray, actual: float) -> float:
    """Continuous ranked probability score of an ensemble (sorted-sample form)."""
    x = np.sort(draws)
    n = len(x)
    spread = np.sum((2 * np.arange(1, n + 1) - n - 1) * x) / (n * n)
    return float(np.mean(np.abs(x - actual)) - spread)


def mixture_draws(point: BacktestPoint, weights: dict[str, float]) -> np.ndarray:
    weights = point.weights or weights
    n = len(point.component_paths[LEVEL])
    k = int(round(weights[LEVEL] * n))
    return np.concatenate([point.component_paths[LEVEL][:k], point.component_paths[TREND][: n - k]])


def backtest_weights(points: Sequence[BacktestPoint]) -> dict[str, float]:
    """The level share with the lowest mean CRPS over the backtest points."""
    best = min(WEIGHT_GRID, key=lambda w: np.mean([crps(mixture_draws(p, {LEVEL: w}), p.log_actual) for p in points]))
    return {LEVEL: float(best), TREND: float(1 - best)}


def horizon_scales(points: Sequence[BacktestPoint], weights: dict[str, float], horizon: int) -> tuple[float, ...]:
    """Per horizon, the factor that puts 80 % of the pooled backtest errors inside
    the mixture's 80 % band (errors in units of the band's half-width on their
    side of the median, times z_0.9). Horizons with too few points take the
    factor of all points."""

    def factor(subset: Sequence[BacktestPoint]) -> float:
        z = []
        for p in subset:
            draws = mixture_draws(p, weights)
            lo, mid, hi = np.quantile(draws, [0.1, 0.5, 0.9])
            half = (hi - mid) if p.log_actual >= mid else (mid - lo)
            if half > 0:
                z.append(abs(p.log_actual - mid) / half * Z_80)
        return float(np.clip(np.quantile(z, 0.8) / Z_80, *SCALE_BOUNDS)) if len(z) >= 3 else 1.0

    overall = factor(points)
    return tuple(
        factor(at) if len(at := [p for p in points if p.horizon == h]) >= MIN_POINTS_PER_HORIZON else overall
        for h in range(1, horizon + 1)
    )


def estimate_pooling(log_series: Sequence[np.ndarray], keys: Sequence[str], settings: PoolingSettings, min_train: int) -> PanelPooling:
    """The shared parameters of one group of series (log values, NaN = missing),
    from a sample of at most ``settings.sample_size`` chosen by name (``keys``)."""
    order = sorted(range(len(log_series)), key=lambda i: pooling_order(keys[i], settings.seed))
    sample = [log_series[i] for i in order[: settings.sample_size] if np.isfinite(log_series[i]).sum() >= 3]
    if not sample:
        return PanelPooling(0)
    alpha, beta, _ = trend_params(sample[:LIKELIHOOD_SAMPLE])
    phi = damping(sample, alpha, beta, settings.backtest_horizon, min_train)
    base = PanelPooling(len(sample), level_alpha=level_alpha(sample), trend_alpha=alpha, trend_beta=beta, trend_phi=phi)
    states, n_years = [], []
    for y in sample:
        try:
            states.append(filter_component(y, TREND, alpha, beta, phi))
            n_years.append(int(np.isfinite(y).sum()))
        except ComponentError:
            continue
    center, spread = growth_distribution(states, n_years)
    base = PanelPooling(**{**base.__dict__, "growth_center": center, "growth_spread": spread})
    if settings.combine == "below_max":  # a count over the whole group, not an estimate from the sample
        base = PanelPooling(**{**base.__dict__, "weights": {LEVEL: (w := share_below_max(log_series)), TREND: 1 - w}})
    if settings.combine != "backtest" and not settings.calibrate_intervals:
        return base
    points = backtest_points(sample, base, settings, min_train)
    if not points:
        return base
    weights = backtest_weights(points) if settings.combine == "backtest" else base.weights
    scales = horizon_scales(points, weights, settings.backtest_horizon) if settings.calibrate_intervals else ()
    return PanelPooling(**{**base.__dict__, "weights": weights, "horizon_scale": scales, "backtest_points": len(points)})
