"""Peak-year statistics from observed history plus simulated future paths.

Semantics (ARCHITECTURE.md, "Forecast semantics"):

* The peak year of one path is the argmax over history + that path.
* A path whose maximum is its last simulated year is still rising at the
  horizon: it is *censored* and counted as ``CENSORED_YEAR`` (= horizon + 1,
  read ">horizon"), never dropped. Because the sentinel sorts after every real
  year, quantiles and P(peak <= target) stay exact.
* The historical status is counted from the panel's latest year (not each
  series' own last year) and uses the C40 criterion of a peak: the maximum
  more than ``PEAKED_MIN_YEARS`` years before the latest year, the latest
  point at most that old, and at least ``PEAKED_MIN_DROP`` below the maximum.
* P(peak <= target) is a share of finitely many paths: it is reported as
  (k + 1/2) / (n + 1), never exactly 0 or 1, since no sample of paths
  proves that a future year cannot happen.
"""

from dataclasses import dataclass

import numpy as np

HORIZON_YEAR = 2060
CENSORED_YEAR = HORIZON_YEAR + 1
PEAKED_MIN_YEARS = 5
PEAKED_MIN_DROP = 0.10
# Fewer observed years than this leave the status unknown.
STATUS_MIN_YEARS = 6
# Mean yearly growth over the last five observed years below which a series
# that has not peaked counts as a plateau rather than rising.
PLATEAU_MAX_GROWTH = 0.01

PEAKED = "peaked"
PLATEAU = "plateau"
RISING = "rising"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class PeakStatistics:
    peak_year_median: float
    peak_year_p10: float
    peak_year_p90: float
    p_peak_by_target: float
    p_censored: float
    peak_value_median: float
    peak_value_p10: float
    peak_value_p90: float
    target_year: int
    # Histogram of path peak years: year -> share of paths (CENSORED_YEAR = ">2060").
    peak_year_distribution: dict[int, float]


def classify_history(years: np.ndarray, values: np.ndarray, latest_year: int | None = None) -> str:
    """Status of the observed history: ``peaked``, ``plateau``, ``rising`` or ``unknown``.

    Counted from ``latest_year`` (the panel's latest year; default the
    series' own last year). A series whose last observation is more than
    ``PEAKED_MIN_YEARS`` older than that, or with fewer than
    ``STATUS_MIN_YEARS`` observed years, is ``unknown``: too old or too short
    to say. Missing years (NaN) are ignored.
    """
    observed = ~np.isnan(values)
    years, values = years[observed], values[observed]
    if len(values) == 0:
        raise ValueError("classify_history needs at least one observed value")
    latest = int(years[-1]) if latest_year is None else int(latest_year)
    if latest - years[-1] > PEAKED_MIN_YEARS or len(values) < STATUS_MIN_YEARS:
        return UNKNOWN
    peak_index = int(np.argmax(values))
    if latest - years[peak_index] > PEAKED_MIN_YEARS and values[-1] <= (1 - PEAKED_MIN_DROP) * values[peak_index]:
        return PEAKED
    recent = years >= years[-1] - PEAKED_MIN_YEARS
    if recent.sum() >= 2 and np.all(values[recent] > 0):
        span = years[recent][-1] - years[recent][0]
        growth = (values[recent][-1] / values[recent][0]) ** (1 / span) - 1
        if growth < PLATEAU_MAX_GROWTH:
            return PLATEAU
    return RISING


def share_of_paths(hits: np.ndarray) -> float:
    """P of an event from path outcomes, shrunk half a path toward 1/2 (never 0 or 1)."""
    return float((np.sum(hits) + 0.5) / (len(hits) + 1))


def path_peak_years(
    history_years: np.ndarray,
    history_values: np.ndarray,
    path_years: np.ndarray,
    paths: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Peak year and peak value of every path (rows of ``paths``).

    History with gaps is compared on its observed values only. A path whose
    maximum falls on its last year is censored (``CENSORED_YEAR``).
    """
    observed = ~np.isnan(history_values)
    hist_max = np.max(history_values[observed])
    hist_peak_year = history_years[observed][np.argmax(history_values[observed])]
    path_argmax = np.argmax(paths, axis=1)
    path_max = paths[np.arange(len(paths)), path_argmax]
    future_peak = path_max > hist_max
    peak_years = np.where(future_peak, path_years[path_argmax], hist_peak_year).astype(float)
    censored = future_peak & (path_argmax == len(path_years) - 1)
    peak_years[censored] = CENSORED_YEAR
    peak_values = np.where(future_peak, path_max, hist_max)
    return peak_years, peak_values


def summarize_peaks(
    history_years: np.ndarray,
    history_values: np.ndarray,
    path_years: np.ndarray,
    paths: np.ndarray,
    target_year: int,
) -> PeakStatistics:
    peak_years, peak_values = path_peak_years(history_years, history_values, path_years, paths)
    # "lower" keeps the median an actual year (or the censoring sentinel).
    p10, p50, p90 = np.quantile(peak_years, [0.1, 0.5, 0.9], method="lower")
    v10, v50, v90 = np.quantile(peak_values, [0.1, 0.5, 0.9])
    years, counts = np.unique(peak_years.astype(int), return_counts=True)
    return PeakStatistics(
        peak_year_median=float(p50),
        peak_year_p10=float(p10),
        peak_year_p90=float(p90),
        p_peak_by_target=share_of_paths(peak_years <= target_year),
        p_censored=float(np.mean(peak_years == CENSORED_YEAR)),
        peak_value_median=float(v50),
        peak_value_p10=float(v10),
        peak_value_p90=float(v90),
        target_year=target_year,
        peak_year_distribution={int(y): float(c) / len(peak_years) for y, c in zip(years, counts)},
    )


def format_peak_year(year: float) -> str:
    """Human label for a peak year, with the censoring sentinel shown as '>2060'."""
    return f">{HORIZON_YEAR}" if year >= CENSORED_YEAR else str(int(year))
