"""Random walk with drift on the log scale: the reference forecast and the
fallback when a richer model cannot be fitted."""

from dataclasses import dataclass

import numpy as np

from forecasting.models.base import ModelSpec, check_positive


@dataclass
class LogDrift:
    last_log: float
    drift: float
    sigma: float
    name: str = "rw_drift_log"
    detail: str = "random walk with drift on logs"

    def simulate(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        steps = self.drift + self.sigma * rng.standard_normal((n_paths, horizon))
        return np.exp(self.last_log + np.cumsum(steps, axis=1))

    def forecast(self, horizon: int) -> np.ndarray:
        return np.exp(self.last_log + self.drift * np.arange(1, horizon + 1))

    def forecast_log(self, horizon: int) -> np.ndarray:
        return self.last_log + self.drift * np.arange(1, horizon + 1)

    def spec(self, horizon: int) -> ModelSpec | None:
        return None  # not a statsmodels model: its three numbers are logged as params


def fit_log_drift(values: np.ndarray) -> LogDrift:
    check_positive(values, "log drift")
    diffs = np.diff(np.log(values))
    return LogDrift(last_log=float(np.log(values[-1])), drift=float(diffs.mean()), sigma=float(diffs.std(ddof=1)))
