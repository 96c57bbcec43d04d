import numpy as np
import pytest

from forecasting.peaks import (
    CENSORED_YEAR,
    PEAKED,
    PLATEAU,
    RISING,
    classify_history,
    format_peak_year,
    path_peak_years,
    summarize_peaks,
)

YEARS = np.arange(2005, 2024)
FUTURE = np.arange(2024, 2061)


def peaked_in_2012() -> np.ndarray:
    rise = np.linspace(10, 20, 2012 - 2005 + 1)
    fall = np.linspace(19.5, 15, 2023 - 2012)
    return np.concatenate([rise, fall])


def test_series_that_peaked_in_2012_and_fell_since_is_peaked():
    values = peaked_in_2012()
    assert classify_history(YEARS, values) == PEAKED
    flat_future = np.full((200, len(FUTURE)), 14.0)
    stats = summarize_peaks(YEARS, values, FUTURE, flat_future, target_year=2030)
    assert stats.peak_year_median == 2012
    assert stats.p_peak_by_target == pytest.approx(200.5 / 201)  # all 200 paths, shrunk half a path: never exactly 1
    assert stats.peak_value_median == pytest.approx(20.0)


def test_maximum_less_than_five_years_back_is_not_peaked():
    values = np.concatenate([np.linspace(10, 20, 14), [20.1, 20.05, 20.2, 20.1, 20.15]])  # max in 2021
    assert classify_history(YEARS, values) == PLATEAU


def test_steady_rise_is_rising_and_never_peaks_by_2030():
    values = 10 * 1.05 ** np.arange(len(YEARS))
    assert classify_history(YEARS, values) == RISING
    rng = np.random.default_rng(0)
    growth = 0.04 + 0.01 * rng.standard_normal((1000, len(FUTURE)))
    paths = values[-1] * np.exp(np.cumsum(growth, axis=1))
    stats = summarize_peaks(YEARS, values, FUTURE, paths, target_year=2030)
    assert stats.p_peak_by_target < 0.01
    assert stats.peak_year_median == CENSORED_YEAR


def test_path_rising_to_2060_is_censored_not_dropped():
    values = np.linspace(10, 20, len(YEARS))
    rising = np.linspace(21, 40, len(FUTURE))
    falling_after_2030 = np.concatenate([np.linspace(21, 30, 7), np.linspace(29, 10, len(FUTURE) - 7)])
    paths = np.vstack([rising, falling_after_2030])
    peak_years, peak_values = path_peak_years(YEARS, values, FUTURE, paths)
    assert peak_years.tolist() == [CENSORED_YEAR, 2030]
    assert peak_values.tolist() == [40, 30]
    stats = summarize_peaks(YEARS, values, FUTURE, paths, target_year=2030)
    assert stats.p_peak_by_target == 0.5
    assert stats.p_censored == 0.5
    assert sum(stats.peak_year_distribution.values()) == pytest.approx(1.0)
    assert format_peak_year(CENSORED_YEAR) == ">2060"


def test_gaps_are_ignored_for_status_and_peak():
    values = peaked_in_2012()
    values[[3, 8, 15]] = np.nan  # 2008, 2013, 2020 missing
    assert classify_history(YEARS, values) == PEAKED
    peak_years, _ = path_peak_years(YEARS, values, FUTURE, np.full((3, len(FUTURE)), 1.0))
    assert set(peak_years) == {2012}
