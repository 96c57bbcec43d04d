"""Rebuild a statsmodels results object from a ``ModelSpec`` without refitting:
the same data and parameters through the model's filter give the same
forecasts as the fitted model on the worker."""

import numpy as np
from statsmodels.tsa.arima.model import ARIMA
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.statespace.exponential_smoothing import ExponentialSmoothing
from statsmodels.tsa.statespace.sarimax import SARIMAX
from statsmodels.tsa.statespace.structural import UnobservedComponents

from forecasting.models.base import ModelSpec


def rebuild_results(spec: ModelSpec):
    endog = np.asarray(spec.log_endog)
    params = np.asarray(spec.params)
    options = dict(spec.options)
    if spec.family == "ets_state_space":
        return ExponentialSmoothing(endog, **options).smooth(params)
    if spec.family == "ets":
        return ETSModel(endog, **options).smooth(params)
    if spec.family == "arima":
        return ARIMA(endog, order=tuple(options["order"]), trend=options["trend"]).filter(params)
    if spec.family == "llt":
        return UnobservedComponents(endog, **options).filter(params)
    if spec.family == "stirpat":
        exog = np.asarray(spec.log_exog)
        return SARIMAX(endog, exog=exog, order=tuple(options["order"]), trend=options["trend"]).filter(params)
    raise ValueError(f"unknown model family {spec.family!r}")


def forecast_log(spec: ModelSpec, results, horizon: int) -> np.ndarray:
    """Log-scale point forecast of rebuilt (or reloaded) results."""
    if spec.family == "stirpat":
        return np.asarray(results.forecast(horizon, exog=np.asarray(spec.log_exog_future)[:horizon]))
    return np.asarray(results.forecast(horizon))
