"""Model families, one per module. Each ``fit_*`` takes a positive yearly series
(no gaps) and returns a ``FittedModel`` that simulates future paths."""

from forecasting.models.base import FittedModel, ModelFitError
from forecasting.models.drift import fit_log_drift
from forecasting.models.ets import fit_log_ets

__all__ = ["FittedModel", "ModelFitError", "fit_log_drift", "fit_log_ets"]
