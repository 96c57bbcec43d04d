"""Local linear trend (UnobservedComponents) on logs: a stochastic level and
slope, so the growth rate itself can drift."""

import warnings
from dataclasses import dataclass

import numpy as np
from statsmodels.tsa.statespace.structural import UnobservedComponents, UnobservedComponentsResults

from forecasting.models.base import ModelFitError, ModelSpec, check_positive

OPTIONS = {"level": "local linear trend"}


@dataclass
class LogLocalLinearTrend:
    results: UnobservedComponentsResults
    name: str = "llt_log"
    detail: str = "local linear trend (unobserved components) on logs"

    def simulate(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        names = self.results.model.param_names
        variance = dict(zip(names, np.asarray(self.results.params)))
        mean = self.results.predicted_state[:, -1]
        cov = self.results.predicted_state_cov[:, :, -1]
        state = rng.multivariate_normal(mean, cov, size=n_paths, method="eigh")  # (n, [level, slope])
        level, slope = state[:, 0].copy(), state[:, 1].copy()
        sd = {k: np.sqrt(max(variance.get(f"sigma2.{k}", 0.0), 0.0)) for k in ("irregular", "level", "trend")}
        out = np.empty((n_paths, horizon))
        for step in range(horizon):
            out[:, step] = level + sd["irregular"] * rng.standard_normal(n_paths)
            level = level + slope + sd["level"] * rng.standard_normal(n_paths)
            slope = slope + sd["trend"] * rng.standard_normal(n_paths)
        return np.exp(out)

    def forecast(self, horizon: int) -> np.ndarray:
        return np.exp(np.asarray(self.results.forecast(horizon)))

    def spec(self, horizon: int) -> ModelSpec:
        return ModelSpec(
            family="llt",
            log_endog=tuple(float(v) for v in np.asarray(self.results.model.endog).ravel()),
            params=tuple(float(p) for p in self.results.params),
            options=dict(OPTIONS),
        )


def fit_log_llt(values: np.ndarray) -> LogLocalLinearTrend:
    check_positive(values, "local linear trend", minimum=6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            results = UnobservedComponents(np.log(values), **OPTIONS).fit(disp=False)
        except (ValueError, np.linalg.LinAlgError) as exc:
            raise ModelFitError(f"local linear trend fit failed: {exc}") from exc
    if not np.all(np.isfinite(results.params)):
        raise ModelFitError("local linear trend fit gave non-finite parameters")
    return LogLocalLinearTrend(results)
