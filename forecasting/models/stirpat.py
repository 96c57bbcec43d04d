"""STIRPAT regression on logs: ln C = a + b ln P + c ln A + e, e ~ AR(1)
(SARIMAX with ARIMA errors). P = population, A = GDP per capita (affluence).

The drivers' future paths come from their own log random walks with drift,
drawn path by path, so driver uncertainty reaches the emission paths.
"""

import warnings
from dataclasses import dataclass

import numpy as np
from statsmodels.tsa.statespace.sarimax import SARIMAX, SARIMAXResults

from peakwatch import contract as c
from forecasting.models.base import ModelFitError, ModelSpec, check_positive, draw_ar1
from forecasting.models.drift import LogDrift, fit_log_drift

OPTIONS = {"order": (1, 0, 0), "trend": "n"}
DRIVERS = (c.POPULATION, c.GDP)


def design(log_population: np.ndarray, log_affluence: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones_like(log_population), log_population, log_affluence])


@dataclass
class LogSTIRPAT:
    results: SARIMAXResults
    population: LogDrift
    affluence: LogDrift
    name: str = "stirpat_log"
    detail: str = ""

    def _beta_phi_sigma(self) -> tuple[np.ndarray, float, float]:
        values = np.asarray(self.results.params)
        params = dict(zip(self.results.model.param_names, values))
        beta = values[:3]  # exog coefficients come first: const, ln P, ln A
        return beta, float(params["ar.L1"]), float(np.sqrt(params["sigma2"]))

    def _exog_future(self, horizon: int) -> np.ndarray:
        return design(self.population.forecast_log(horizon), self.affluence.forecast_log(horizon))

    def simulate(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        beta, phi, sigma = self._beta_phi_sigma()
        log_p = np.log(self.population.simulate(horizon, n_paths, rng))
        log_a = np.log(self.affluence.simulate(horizon, n_paths, rng))
        endog = np.asarray(self.results.model.endog).ravel()
        exog = np.asarray(self.results.model.exog)
        last_error = endog[-1] - exog[-1] @ beta  # the AR error state at the origin
        errors = draw_ar1(last_error, phi, sigma, horizon, n_paths, rng)
        return np.exp(beta[0] + beta[1] * log_p + beta[2] * log_a + errors)

    def forecast(self, horizon: int) -> np.ndarray:
        return np.exp(np.asarray(self.results.forecast(horizon, exog=self._exog_future(horizon))))

    def spec(self, horizon: int) -> ModelSpec:
        return ModelSpec(
            family="stirpat",
            log_endog=tuple(float(v) for v in np.asarray(self.results.model.endog).ravel()),
            params=tuple(float(p) for p in self.results.params),
            options=dict(OPTIONS),
            log_exog=tuple(tuple(float(v) for v in row) for row in np.asarray(self.results.model.exog)),
            log_exog_future=tuple(tuple(float(v) for v in row) for row in self._exog_future(horizon)),
        )


def fit_stirpat(values: np.ndarray, drivers: dict[str, np.ndarray]) -> LogSTIRPAT:
    missing = [d for d in DRIVERS if d not in drivers]
    if missing:
        raise ModelFitError(f"STIRPAT needs drivers {missing}")
    population, gdp = drivers[c.POPULATION], drivers[c.GDP]
    for what, series in (("emissions", values), ("population", population), ("gdp", gdp)):
        check_positive(series, f"STIRPAT {what}", minimum=8)
    if not (len(values) == len(population) == len(gdp)):
        raise ModelFitError("STIRPAT drivers must cover the same years as the series")
    affluence = gdp / population
    exog = design(np.log(population), np.log(affluence))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            results = SARIMAX(np.log(values), exog=exog, **OPTIONS).fit(disp=False)
        except (ValueError, np.linalg.LinAlgError) as exc:
            raise ModelFitError(f"STIRPAT fit failed: {exc}") from exc
    if not np.all(np.isfinite(results.params)):
        raise ModelFitError("STIRPAT fit gave non-finite parameters")
    beta, _, _ = LogSTIRPAT(results, None, None)._beta_phi_sigma()  # type: ignore[arg-type]
    return LogSTIRPAT(
        results,
        population=fit_log_drift(population),
        affluence=fit_log_drift(affluence),
        detail=f"ln C = {beta[0]:.2f} + {beta[1]:.2f} ln P + {beta[2]:.2f} ln A, AR(1) errors",
    )
