"""ARIMA(p,1,q) with drift on logs, the order chosen by AICc from a small set.

Paths are simulated with a vectorised ARMA recursion on the differences
(statsmodels' own ``simulate`` loops per path and costs ~15x more).
"""

import warnings
from dataclasses import dataclass

import numpy as np
from statsmodels.tsa.arima.model import ARIMA, ARIMAResults

from forecasting.models.base import ModelFitError, ModelSpec, check_positive

# (p, 1, q) with a drift term; (0, 1, 0) + drift is the random walk reference.
ORDERS = ((1, 1, 0), (0, 1, 1), (1, 1, 1))


@dataclass
class LogARIMA:
    results: ARIMAResults
    order: tuple[int, int, int]
    name: str = "arima_log"
    detail: str = ""

    def _param(self, key: str) -> float:
        names = self.results.model.param_names
        return float(self.results.params[names.index(key)]) if key in names else 0.0

    def simulate(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        # y_t = drift * t + u_t, u ~ ARIMA(p,1,q): w_t = dy_t - drift is ARMA(p,q) with zero mean.
        drift, phi, theta = self._param("x1"), self._param("ar.L1"), self._param("ma.L1")
        sigma = np.sqrt(self._param("sigma2"))
        log_y = np.asarray(self.results.model.endog).ravel()
        last_w = log_y[-1] - log_y[-2] - drift
        last_eps = float(np.asarray(self.results.resid)[-1])
        shocks = sigma * rng.standard_normal((n_paths, horizon))
        w = np.full(n_paths, last_w)
        eps_prev = np.full(n_paths, last_eps)
        steps = np.empty((n_paths, horizon))
        for step in range(horizon):
            w = phi * w + shocks[:, step] + theta * eps_prev
            eps_prev = shocks[:, step]
            steps[:, step] = w + drift
        return np.exp(log_y[-1] + np.cumsum(steps, axis=1))

    def forecast(self, horizon: int) -> np.ndarray:
        return np.exp(np.asarray(self.results.forecast(horizon)))

    def spec(self, horizon: int) -> ModelSpec:
        return ModelSpec(
            family="arima",
            log_endog=tuple(float(v) for v in np.asarray(self.results.model.endog).ravel()),
            params=tuple(float(p) for p in self.results.params),
            options={"order": self.order, "trend": "t"},
        )


def fit_log_arima(values: np.ndarray, orders: tuple[tuple[int, int, int], ...] = ORDERS) -> LogARIMA:
    check_positive(values, "log-scale ARIMA", minimum=6)
    log_y = np.log(values)
    best = None
    for order in orders:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                results = ARIMA(log_y, order=order, trend="t").fit()
            except (ValueError, np.linalg.LinAlgError):
                continue
        if np.all(np.isfinite(results.params)) and np.isfinite(results.aicc):
            if best is None or results.aicc < best[1].aicc:
                best = (order, results)
    if best is None:
        raise ModelFitError("no ARIMA order could be fitted")
    order, results = best
    return LogARIMA(results, order, detail=f"ARIMA{order} with drift on logs (AICc {results.aicc:.1f})")
