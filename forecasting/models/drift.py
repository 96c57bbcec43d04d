"""Random walk with drift on the log scale: the reference forecast and the
fallback when a richer model cannot be fitted."""

from dataclasses import dataclass

import numpy as np

from forecasting.models.base import ModelFitError


@dataclass
class LogDrift:
    last_log: float
    drift: float
    sigma: float
    name: str = "rw_drift_log"

    def simulate(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        steps = self.drift + self.sigma * rng.standard_normal((n_paths, horizon))
        return np.exp(self.last_log + np.cumsum(steps, axis=1))


def fit_log_drift(values: np.ndarray) -> LogDrift:
    if len(values) < 3 or np.any(values <= 0):
        raise ModelFitError("log drift needs at least 3 strictly positive values")
    diffs = np.diff(np.log(values))
    return LogDrift(last_log=float(np.log(values[-1])), drift=float(diffs.mean()), sigma=float(diffs.std(ddof=1)))
