"""The engine's two component models, on log values, with parameters shared by
the whole panel (``forecasting.pooling``) rather than fitted series by series.

* ``level``: simple exponential smoothing, the local level model (a random walk
  seen through yearly noise). It forecasts "no more growth".
* ``trend``: exponential smoothing with a damped additive trend, whose growth
  fades at the panel's estimated rate.

statsmodels' state-space ``ExponentialSmoothing`` runs the filter (it handles
missing years, and concentrates the initial states out); the paths are drawn
here in numpy from the filtered end state, all paths at once.
"""

import warnings
from dataclasses import dataclass

import numpy as np
from statsmodels.tsa.statespace.exponential_smoothing import ExponentialSmoothing

LEVEL = "level"
TREND = "trend"
COMPONENTS = (LEVEL, TREND)
# One-step errors of these last years measure a component's noise: volatility
# is local, and a level model's errors over a past growth spurt are not noise
# it will meet again.
RECENT_YEARS = 10


@dataclass(frozen=True)
class ComponentState:
    """A component filtered to the last year: where its paths start."""

    name: str
    level: float  # log value
    growth: float  # log growth per year at the origin (0 for the level model)
    alpha: float
    beta: float
    phi: float
    sigma: float  # one-step error sd on the log scale

    def with_growth(self, growth: float) -> "ComponentState":
        return ComponentState(self.name, self.level, growth, self.alpha, self.beta, self.phi, self.sigma)


class ComponentError(ValueError):
    """The filter could not run on this series (too short, or not finite)."""


def component_model(log_values: np.ndarray, name: str) -> ExponentialSmoothing:
    trend = name == TREND
    return ExponentialSmoothing(log_values, trend=trend, damped_trend=trend, initialization_method="concentrated")


def component_params(name: str, alpha: float, beta: float, phi: float) -> np.ndarray:
    return np.array([alpha] if name == LEVEL else [alpha, beta, phi])


def filter_component(log_values: np.ndarray, name: str, alpha: float, beta: float = 0.0, phi: float = 1.0) -> ComponentState:
    """Run the filter with fixed (pooled) smoothing parameters; NaN years are skipped."""
    if np.sum(np.isfinite(log_values)) < 3:
        raise ComponentError(f"{name} model needs at least 3 observed years")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels warns about the concentrated start on short series
        results = component_model(log_values, name).smooth(component_params(name, alpha, beta, phi))
    state = np.asarray(results.filtered_state)[:, -1]
    # States: [level] for SES, [level, trend] with damping for the trend model
    # (statsmodels adds the error term first when initial states are concentrated).
    names = list(results.model.state_names)
    level = float(state[names.index("level")])
    growth = float(state[names.index("trend")]) if "trend" in names else 0.0
    errors = np.asarray(results.resid)[-RECENT_YEARS:]
    errors = errors[np.isfinite(errors)]
    sigma = float(np.sqrt(np.mean(errors**2))) if len(errors) >= 3 else float(np.sqrt(results.scale))
    if not np.isfinite([level, growth, sigma]).all():
        raise ComponentError(f"{name} model gave a non-finite state")
    return ComponentState(name, level, growth, alpha, beta, phi, sigma)


def damped_sums(phi: float, horizon: int) -> np.ndarray:
    """phi + phi^2 + ... + phi^h for h = 1..horizon: the growth a damped trend adds by h."""
    return np.cumsum(phi ** np.arange(1, horizon + 1))


def simulate_component(
    state: ComponentState, horizon: int, n_paths: int, rng: np.random.Generator, growth_sd: float = 0.0
) -> np.ndarray:
    """Log paths, shape (n_paths, horizon), from the innovations-form recursions.

    ``growth_sd`` draws each path's starting growth around the estimate (the
    uncertainty left after pooling), so far years carry it too."""
    errors = state.sigma * rng.standard_normal((n_paths, horizon))
    growth = state.growth + growth_sd * rng.standard_normal(n_paths) if state.name == TREND else np.zeros(n_paths)
    level = np.full(n_paths, state.level)
    out = np.empty((n_paths, horizon))
    for step in range(horizon):
        step_growth = state.phi * growth
        out[:, step] = level + step_growth + errors[:, step]
        level = level + step_growth + state.alpha * errors[:, step]
        growth = step_growth + state.beta * errors[:, step]
    return out


def point_forecast(state: ComponentState, horizon: int) -> np.ndarray:
    """The component's median log forecast."""
    if state.name == LEVEL:
        return np.full(horizon, state.level)
    return state.level + state.growth * damped_sums(state.phi, horizon)
