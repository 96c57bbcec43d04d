"""Yearly log rates of each Kaya driver, resolved per region and scenario."""

import logging

import numpy as np

from forecasting.models import FittedModel, ModelFitError, fit_log_drift, fit_log_ets
from forecasting.scenarios.spec import (
    STATISTICAL,
    DriverPath,
    DriverSpec,
)

log = logging.getLogger(__name__)

# Years of simulated growth whose mean measures the trend uncertainty.
TREND_WINDOW = 10


def fit_driver(values: np.ndarray) -> FittedModel:
    """A driver's own model: the damped log-ETS, or the log random walk with
    drift when it cannot be fitted (cheap, and pinned by the scenario tests)."""
    try:
        return fit_log_ets(values)
    except ModelFitError as exc:
        log.info("falling back to drift: %s", exc)
        return fit_log_drift(values)


def statistical_path(values: np.ndarray, horizon: int, n_draws: int, rng: np.random.Generator) -> DriverPath:
    """Rates from the statistical forecast of one driver's history (positive, no gaps).

    The mean yearly log growth of the simulated paths gives the central rates;
    the spread of the first-year growth gives the yearly noise, and the spread
    of the mean growth over ``TREND_WINDOW`` years (less what the noise alone
    explains) the per-draw trend offset.
    """
    model = fit_driver(values)
    paths = model.simulate(horizon, n_draws, rng)
    growth = np.diff(np.log(np.column_stack([np.full(n_draws, values[-1]), paths])), axis=1)
    noise = float(growth[:, 0].std())
    window = min(TREND_WINDOW, horizon)
    trend_var = growth[:, :window].mean(axis=1).var() - noise**2 / window
    return DriverPath(
        rates=tuple(float(r) for r in growth.mean(axis=0)),
        sd=float(np.sqrt(max(trend_var, 0.0))),
        noise=noise,
        origin=f"{STATISTICAL}: {model.name}",
    )


def fixed_path(spec: DriverSpec, future_years: np.ndarray) -> DriverPath:
    """Step rates from the scenario file; before the first step the first rate applies.

    The label lists the steps as simulated, from the first simulated year: a
    first step written for 2030 reads "from 2024" when 2024 is simulated with it.
    """
    steps = sorted(spec.rates)
    rates, changes = [], []
    for year in future_years:
        current = steps[0][1]
        for start, rate in steps:
            if year >= start:
                current = rate
        rates.append(float(np.log1p(current)))
        if not changes or changes[-1][1] != current:
            changes.append((int(year), current))
    label = ", ".join(f"{rate:+.1%}/yr from {start}" for start, rate in changes)
    return DriverPath(rates=tuple(rates), sd=spec.sd, noise=spec.noise, origin=f"fixed: {label}")


def plan_energy_intensity(
    spec: DriverSpec,
    cut: tuple[int, int, float],
    years: np.ndarray,
    intensity: np.ndarray,
    future_years: np.ndarray,
) -> DriverPath:
    """Energy intensity cut by ``percent`` over [first, last] vs the year before, on schedule.

    The remaining cut from the last observed level is spread over the plan years
    still ahead; after the plan period the plan's average pace continues. A
    region already below its goal holds its intensity to the end of the plan
    period: meeting a plan never means raising intensity back up to it.
    """
    if len(years) != len(intensity):
        raise ValueError(f"{len(years)} years for {len(intensity)} intensity values: the base year would be misread")
    first, last, percent = cut
    pace = np.log(1 - percent / 100) / (last - first + 1)
    last_year = int(years[-1])
    base_year = first - 1
    rates = np.full(len(future_years), pace)
    met = ""
    if last_year < last and base_year in years:
        base = intensity[np.searchsorted(years, base_year)]
        goal = base * (1 - percent / 100)
        remaining = np.log(goal / intensity[-1]) / (last - last_year)
        if remaining > 0:
            met = f" (met by {last_year}: held to {last}, not raised)"
        rates[future_years <= last] = min(remaining, 0.0)
    origin = f"plan: -{percent:g}% {first}-{last} vs {base_year}{met}, then {np.expm1(pace):+.1%}/yr"
    return DriverPath(rates=tuple(float(r) for r in rates), sd=spec.sd, noise=spec.noise, origin=origin)


def plan_carbon_intensity(
    spec: DriverSpec,
    shares: dict[int, float],
    last_year: int,
    base_share: float,
    future_years: np.ndarray,
) -> DriverPath:
    """Carbon intensity of energy from non-fossil share targets met on schedule.

    Non-fossil energy emits nothing, so carbon intensity is proportional to the
    fossil share: CI_t = CI_last * (1 - s_t) / (1 - s_last). The share moves
    linearly between targets (never backwards) and keeps the last segment's
    pace after the last target, capped at 95 %.
    """
    knots = sorted((y, s) for y, s in shares.items() if y > last_year)
    share_years = [last_year] + [y for y, _ in knots]
    share_values = [base_share] + [max(s, base_share) for _, s in knots]
    if len(knots) >= 1:
        slope = (share_values[-1] - share_values[-2]) / (share_years[-1] - share_years[-2])
    else:
        slope = 0.0
    all_years = np.concatenate([[last_year], future_years])
    share = np.interp(all_years, share_years, share_values)
    beyond = all_years > share_years[-1]
    share[beyond] = share_values[-1] + slope * (all_years[beyond] - share_years[-1])
    share = np.maximum.accumulate(np.minimum(share, 95.0))
    rates = np.diff(np.log(1 - share / 100))
    targets = ", ".join(f"{s:g}% by {y}" for y, s in sorted(shares.items()))
    origin = f"plan: non-fossil {targets} (from {base_share:g}% in {last_year})"
    return DriverPath(rates=tuple(float(r) for r in rates), sd=spec.sd, noise=spec.noise, origin=origin)
