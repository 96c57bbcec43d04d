"""Exponential smoothing with an additive trend (damped or not), fitted on logs.

Logs keep simulated paths positive and make the trend a growth rate; damping
lets growth fade instead of compounding for four decades.
"""

import warnings
from dataclasses import dataclass

import numpy as np
from statsmodels.tsa.exponential_smoothing.ets import ETSModel, ETSResults

from forecasting.models.base import ModelFitError, ModelSpec, check_positive


@dataclass
class LogETS:
    results: ETSResults
    name: str = "ets_damped_log"
    detail: str = ""

    def simulate(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        log_paths = self.results.simulate(horizon, anchor="end", repetitions=n_paths, rng=rng)
        return np.exp(np.asarray(log_paths).reshape(horizon, n_paths).T)

    def forecast(self, horizon: int) -> np.ndarray:
        return np.exp(np.asarray(self.results.forecast(horizon)))

    def spec(self, horizon: int) -> ModelSpec:
        return ModelSpec(
            family="ets",
            log_endog=tuple(float(v) for v in self.results.model.endog),
            params=tuple(float(p) for p in self.results.params),
            options=ets_options(self.results.model.damped_trend, self.results.model.has_trend),
        )


def ets_options(damped: bool, trend: bool = True) -> dict:
    if not trend:
        return {"error": "add", "trend": None}
    return {"error": "add", "trend": "add", "damped_trend": bool(damped)}


def fit_log_ets(values: np.ndarray, damped: bool = True, trend: bool = True) -> LogETS:
    """Additive-trend ETS on logs (damped or not); ``trend=False`` is simple
    exponential smoothing: a level that follows the data, no growth."""
    check_positive(values, "log-scale ETS", minimum=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short series
        try:
            results = ETSModel(np.log(values), **ets_options(damped, trend)).fit(disp=False)
        except (ValueError, np.linalg.LinAlgError) as exc:
            raise ModelFitError(f"ETS fit failed: {exc}") from exc
    if not np.all(np.isfinite(results.params)):
        raise ModelFitError("ETS fit gave non-finite parameters")
    if not trend:
        return LogETS(results, name="ses_log", detail="simple exponential smoothing (level only) on logs")
    name = "ets_damped_log" if damped else "ets_log"
    return LogETS(results, name=name, detail=f"additive {'damped ' if damped else ''}trend on logs")
