"""Model families, one per module. Each ``fit_*`` takes a positive yearly series
(no gaps) and returns a ``FittedModel`` that forecasts and simulates paths.

``CANDIDATES`` is the menu the backtests choose from, in order of preference
when scores tie; the log random walk with drift is the reference and fallback.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from forecasting.models.arima import fit_log_arima
from forecasting.models.base import FittedModel, ModelFitError, ModelSpec
from forecasting.models.drift import fit_log_drift
from forecasting.models.ets import fit_log_ets
from forecasting.models.llt import fit_log_llt
from forecasting.models.stirpat import DRIVERS, fit_stirpat

Drivers = dict[str, np.ndarray]


@dataclass(frozen=True)
class Candidate:
    name: str
    fit: Callable[[np.ndarray, Drivers], FittedModel]
    needs_drivers: bool = False


REFERENCE = Candidate("rw_drift_log", lambda values, drivers: fit_log_drift(values))
CANDIDATES: tuple[Candidate, ...] = (
    Candidate("ets_damped_log", lambda values, drivers: fit_log_ets(values, damped=True)),
    Candidate("ets_log", lambda values, drivers: fit_log_ets(values, damped=False)),
    Candidate("ses_log", lambda values, drivers: fit_log_ets(values, trend=False)),
    Candidate("arima_log", lambda values, drivers: fit_log_arima(values)),
    Candidate("llt_log", lambda values, drivers: fit_log_llt(values)),
    Candidate("stirpat_log", fit_stirpat, needs_drivers=True),
    REFERENCE,
)


def candidates_for(drivers: Drivers, names: tuple[str, ...] | None = None) -> tuple[Candidate, ...]:
    """The candidates that apply to a series: STIRPAT only where its drivers exist."""
    has_drivers = all(d in drivers for d in DRIVERS)
    return tuple(
        cand
        for cand in CANDIDATES
        if (has_drivers or not cand.needs_drivers) and (names is None or cand.name in names)
    )


__all__ = [
    "CANDIDATES",
    "REFERENCE",
    "Candidate",
    "Drivers",
    "FittedModel",
    "ModelFitError",
    "ModelSpec",
    "candidates_for",
    "fit_log_arima",
    "fit_log_drift",
    "fit_log_ets",
    "fit_log_llt",
    "fit_stirpat",
]
