"""Single-series models kept for the scenario engine's drivers (the damped
log-ETS, and the log random walk with drift as its fallback and as the
evaluation's reference), and the rebuild of logged statsmodels models.
Series forecasts use the pooled components (``forecasting.components``)."""

from forecasting.models.base import FittedModel, ModelFitError, ModelSpec
from forecasting.models.drift import fit_log_drift
from forecasting.models.ets import fit_log_ets

__all__ = ["FittedModel", "ModelFitError", "ModelSpec", "fit_log_drift", "fit_log_ets"]
