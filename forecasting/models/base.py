from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np


class ModelFitError(RuntimeError):
    """A model could not be fitted to a series; the caller falls back."""


@dataclass(frozen=True)
class ModelSpec:
    """Enough to rebuild a fitted statsmodels results object exactly, and small:
    the log-scale data, the model's keyword arguments and the fitted parameters.
    Shipped back from workers instead of a pickled results object."""

    family: str  # "ets_state_space" (the engine's damped trend); "ets", "arima", "llt", "stirpat" (earlier engines)
    log_endog: tuple[float, ...]
    params: tuple[float, ...]
    options: dict[str, Any] = field(default_factory=dict)
    log_exog: tuple[tuple[float, ...], ...] | None = None
    # Exogenous regressors for the forecast horizon (STIRPAT's driver medians).
    log_exog_future: tuple[tuple[float, ...], ...] | None = None


class FittedModel(Protocol):
    name: str
    detail: str

    def simulate(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        """Future paths in the series' own units, shape (n_paths, horizon)."""
        ...

    def forecast(self, horizon: int) -> np.ndarray:
        """Point forecast (the median: exp of the log-scale mean), shape (horizon,)."""
        ...

    def spec(self, horizon: int) -> ModelSpec | None:
        """A rebuildable description of the statsmodels model, or None (not statsmodels)."""
        ...


def check_positive(values: np.ndarray, what: str, minimum: int = 3) -> None:
    if len(values) < minimum or np.any(~np.isfinite(values)) or np.any(values <= 0):
        raise ModelFitError(f"{what} needs at least {minimum} finite, strictly positive values")


def draw_ar1(last: np.ndarray | float, phi: float, sigma: float, horizon: int, n_paths: int, rng) -> np.ndarray:
    """AR(1) continuation e_t = phi e_{t-1} + N(0, sigma^2) from ``last``, shape (n_paths, horizon)."""
    shocks = sigma * rng.standard_normal((n_paths, horizon))
    out = np.empty((n_paths, horizon))
    prev = np.broadcast_to(np.asarray(last, dtype=float), (n_paths,))
    for step in range(horizon):
        prev = phi * prev + shocks[:, step]
        out[:, step] = prev
    return out
