"""What it takes: the smallest extra yearly intensity cut that makes the peak
come on time with the promised probability.

The lever scales path year k by (1 - cut)^k with GDP unchanged, i.e. a yearly
cut in carbon intensity of GDP (emissions) or energy intensity (energy) on top
of the scenario. Every candidate cut is evaluated on the same simulated draws
(common random numbers), so P(cut) is a deterministic function and bisection
converges on it.

Where P(cut) flattens out near the probability (e.g. the share of draws in
which a plant comes too late for any cut to offset), the cut where it crosses
is Monte Carlo noise: another seed moves it by several points. Such answers
are flagged as close calls, with the range of cuts whose P is within two
standard errors of the probability.
"""

import numpy as np

from forecasting.peaks import path_peak_years, share_of_paths
from forecasting.scenarios.kaya import apply_cut
from forecasting.scenarios.spec import WhatItTakes


def p_peak_by_target(
    history_years: np.ndarray,
    history_values: np.ndarray,
    years: np.ndarray,
    paths: np.ndarray,
    target_year: int,
    cut: float = 0.0,
) -> float:
    peak_years, _ = path_peak_years(history_years, history_values, years, apply_cut(paths, cut))
    return share_of_paths(peak_years <= target_year)  # as the forecast reports it


def median_yearly_cut(intensity_last: float, intensity_paths: np.ndarray, years: np.ndarray, target_year: int) -> float:
    """Median over draws of the mean yearly decline from the last observed year to the target."""
    last_year = int(years[0]) - 1
    target = min(max(target_year, int(years[0])), int(years[-1]))
    span = target - last_year
    ratio = intensity_paths[:, target - int(years[0])] / intensity_last
    return float(np.median(1.0 - ratio ** (1.0 / span)))


# A range of yearly cuts (fraction) wider than this, all with P within two
# standard errors of the probability, makes the answer a close call.
CLOSE_CALL_WIDTH = 0.01


def solve_cut(
    history_years: np.ndarray,
    history_values: np.ndarray,
    years: np.ndarray,
    paths: np.ndarray,
    target_year: int,
    probability: float,
    bounds: tuple[float, float],
    tolerance: float,
) -> tuple[float | None, float]:
    """Smallest cut in ``bounds`` with P(peak <= target) >= probability, by bisection.

    Returns (cut, P at cut); cut is None when even the upper bound falls short
    (then P is the upper bound's). The returned cut always meets the
    probability: only cuts verified to meet it are ever returned.
    """
    lo, hi = bounds

    def p(cut: float) -> float:
        return p_peak_by_target(history_years, history_values, years, paths, target_year, cut)

    p_hi = p(hi)
    if p_hi < probability:
        return None, p_hi
    p_lo = p(lo)
    if p_lo >= probability:
        return lo, p_lo
    while hi - lo > tolerance:
        mid = 0.5 * (lo + hi)
        p_mid = p(mid)
        if p_mid >= probability:
            hi, p_hi = mid, p_mid
        else:
            lo = mid
    return hi, p_hi


def what_it_takes(
    lever: str,
    history_years: np.ndarray,
    history_values: np.ndarray,
    years: np.ndarray,
    paths: np.ndarray,
    gdp_last: float,
    gdp_paths: np.ndarray,
    target_year: int,
    probability: float,
    bounds: tuple[float, float],
    tolerance: float,
) -> WhatItTakes:
    cut, achieved = solve_cut(
        history_years, history_values, years, paths, target_year, probability, bounds, tolerance
    )
    noise_range = None
    if cut is not None:
        se = float(np.sqrt(probability * (1.0 - probability) / paths.shape[0]))
        edges = [
            solve_cut(history_years, history_values, years, paths, target_year, q, bounds, tolerance)[0]
            for q in (max(probability - 2 * se, 0.0), min(probability + 2 * se, 1.0))
        ]
        noise_range = (edges[0], bounds[1] if edges[1] is None else edges[1])
    scenario_cut = median_yearly_cut(history_values[-1] / gdp_last, paths / gdp_paths, years, target_year)
    required = None if cut is None else 1.0 - (1.0 - scenario_cut) * (1.0 - cut)
    return WhatItTakes(
        lever=lever,
        probability=probability,
        reachable=cut is not None,
        extra_cut=cut,
        scenario_cut=scenario_cut,
        required_cut=required,
        achieved_probability=achieved,
        noise_range=noise_range,
        close_call=noise_range is not None and noise_range[1] - noise_range[0] > CLOSE_CALL_WIDTH,
    )
