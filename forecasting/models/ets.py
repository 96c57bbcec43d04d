"""Exponential smoothing with a damped additive trend, fitted on the log scale.

Logs keep simulated paths positive and make the trend a growth rate; damping
lets growth fade instead of compounding for four decades.
"""

import logging
import warnings
from dataclasses import dataclass

import numpy as np
from statsmodels.tsa.exponential_smoothing.ets import ETSModel, ETSResults

from forecasting.models.base import ModelFitError

log = logging.getLogger(__name__)


@dataclass
class LogETS:
    results: ETSResults
    name: str = "ets_damped_log"

    def simulate(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        log_paths = self.results.simulate(horizon, anchor="end", repetitions=n_paths, rng=rng)
        return np.exp(np.asarray(log_paths).T.reshape(n_paths, horizon))


def fit_log_ets(values: np.ndarray, damped: bool = True) -> LogETS:
    if np.any(values <= 0):
        raise ModelFitError("log-scale ETS needs strictly positive values")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short series
        try:
            results = ETSModel(np.log(values), error="add", trend="add", damped_trend=damped).fit(disp=False)
        except (ValueError, np.linalg.LinAlgError) as exc:
            raise ModelFitError(f"ETS fit failed: {exc}") from exc
    if not np.all(np.isfinite(results.params)):
        raise ModelFitError("ETS fit gave non-finite parameters")
    return LogETS(results, name="ets_damped_log" if damped else "ets_log")
