"""The engine end to end on one series: known peak answers through the real
models, reproducibility, partitioning, energy/emissions consistency, hold-out split."""

from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from forecasting.evaluation import holdout_split
from forecasting.intensity import DOWN, UP, check_intensity, check_regions
from forecasting.peaks import CENSORED_YEAR, PEAKED, RISING
from forecasting.series import ForecastSettings, SeriesInput, forecast_partition, forecast_series, partition, split_series
from forecasting.synthetic import simulate_panel
from peakwatch import contract as c

YEARS = np.arange(2000, 2020)
SETTINGS = ForecastSettings(n_paths=400, seed=11, backtest_paths=100)
# Cheaper menu where the test is about plumbing, not about which model wins.
FEW = ForecastSettings(n_paths=400, seed=11, backtest_paths=100, candidates=("ets_damped_log", "stirpat_log", "rw_drift_log"))


def make(values, indicator=c.CO2, region="test.region", drivers=None):
    return SeriesInput(region, indicator, c.UNITS[indicator], YEARS, np.asarray(values, float), 2030, drivers or {})


def noisy(values, sd=0.01, seed=0):
    return np.asarray(values) * np.exp(sd * np.random.default_rng(seed).standard_normal(len(values)))


def test_clean_peak_with_gaps_keeps_its_historical_peak():
    values = noisy(np.concatenate([np.linspace(10, 20, 8), np.linspace(19, 12, 12)]))
    values[[3, 12]] = np.nan  # 2003 and 2012 missing
    result = forecast_series(make(values), SETTINGS)
    assert result.ok and result.status == PEAKED
    assert result.filled_years == (2003, 2012)
    assert result.peaks.peak_year_median == YEARS[np.nanargmax(values)]
    assert result.peaks.p_peak_by_target > 0.5  # most paths stay below the 2007 peak
    assert {s.model for s in result.backtests} >= {"ets_damped_log", "rw_drift_log"}


def test_steady_rise_is_censored_not_dropped():
    values = noisy(10 * 1.06 ** np.arange(20), sd=0.005)
    result = forecast_series(make(values), SETTINGS)
    assert result.status == RISING
    assert result.peaks.p_peak_by_target < 0.05
    assert result.peaks.peak_year_median > 2040
    assert sum(result.peaks.peak_year_distribution.values()) == pytest.approx(1.0)
    if result.model in ("ets_log", "rw_drift_log", "arima_log"):  # undamped growth never turns
        assert result.peaks.peak_year_median == CENSORED_YEAR


def test_same_seed_same_numbers_different_seed_different_paths():
    series = make(noisy(np.linspace(10, 20, 20), sd=0.03))
    first, again = forecast_series(series, FEW), forecast_series(series, FEW)
    assert first.peaks == again.peaks and first.backtests == again.backtests
    assert first.point_forecast == again.point_forecast
    other = forecast_series(series, ForecastSettings(**{**FEW.__dict__, "seed": 12}))
    assert other.fan != first.fan


@pytest.fixture(scope="module")
def panel_series():
    return split_series(simulate_panel(), {})[:4]


def test_partitions_in_other_processes_equal_the_sequential_loop(panel_series):
    sequential = forecast_partition(panel_series, FEW)
    with ProcessPoolExecutor(max_workers=2) as pool:
        parts = list(pool.map(forecast_partition, partition(panel_series, 2), [FEW, FEW]))
    parallel = [f for part in parts for f in part]
    assert any(f.model == "stirpat_log" for f in sequential) or all(len(f.backtests) == 3 for f in sequential)
    for a, b in zip(sequential, parallel):
        assert (a.model, a.peaks, a.backtests, a.point_forecast, a.fan) == (b.model, b.peaks, b.backtests, b.point_forecast, b.fan)


def test_split_series_attaches_gdp_and_population_drivers(panel_series):
    assert all(set(s.drivers) == {c.GDP, c.POPULATION} for s in panel_series)
    assert all(len(s.drivers[c.GDP]) == len(s.values) for s in panel_series)


def fake(indicator, history, point, first_year=2000):
    from forecasting.series import ForecastFan, SeriesForecast

    last_year = first_year + len(history) - 1
    years = tuple(range(max(last_year, 2019) + 1, max(last_year, 2019) + 1 + len(point)))
    return SeriesForecast(
        region_id="r", indicator=indicator, unit=c.UNITS[indicator], n_observed=len(history), first_year=first_year,
        last_observed_year=last_year, filled_years=(), model="m", history=tuple(history), point_forecast=tuple(point),
        fan=ForecastFan(years=years, quantiles={}),
    )


def test_energy_up_emissions_down_is_reported_as_disagreeing():
    energy = fake(c.ENERGY, [10.0], 10 * 1.03 ** np.arange(1, 12))
    co2 = fake(c.CO2, [20.0], 20 * 0.97 ** np.arange(1, 12))
    check = check_intensity(energy, co2)
    assert (check.energy_direction, check.co2_direction, check.directions_disagree) == (UP, DOWN, True)
    assert check.intensity_last_observed == pytest.approx(2.0)
    assert check.within_bounds
    assert check_regions([energy, co2])["r"] == check


def test_intensity_above_the_physical_ceiling_is_flagged_with_its_year():
    energy = fake(c.ENERGY, [10.0], np.full(11, 10.0))
    co2 = fake(c.CO2, [25.0], np.linspace(26, 36, 11))  # 2.6 .. 3.6 tCO2/tce
    check = check_intensity(energy, co2)
    assert not check.directions_disagree and not check.within_bounds
    assert check.first_year_out_of_bounds == 2025  # 3.1 is the first above 3.0


def test_energy_a_year_ahead_of_co2_is_checked_on_the_years_both_cover():
    """A CO2 inventory a year behind the energy yearbook: it had stopped the fit stage."""
    energy = fake(c.ENERGY, [10.0, 10.0, 12.0], np.full(11, 12.0), first_year=2018)  # to 2020, forecast 2021-2031
    co2 = fake(c.CO2, [20.0, 22.0], np.r_[24.0, np.full(10, 37.0)], first_year=2018)  # to 2019, forecast 2020-2030
    check = check_intensity(energy, co2)
    assert check.intensity_last_observed == pytest.approx(2.2)  # 2019, the last year both are observed
    assert check.first_year_out_of_bounds == 2021  # 37 / 12; 2020 is forecast for CO2 only
    assert check.intensity_end == pytest.approx(37.0 / 12.0)  # 2030, the last year both cover
    assert check_regions([energy, co2])["r"] == check


def test_a_zero_value_is_named_by_its_year():
    years = np.arange(2005, 2024)
    values = 10 * 1.03 ** np.arange(len(years))
    values[[5, 9]] = 0.0
    forecast = forecast_series(SeriesInput("r", c.CO2, "MtCO2", years, values, 2030), ForecastSettings(n_paths=100))
    assert forecast.error == "non-positive values in [2010, 2014] cannot be forecast on the log scale"


def test_holdout_split_keeps_the_last_five_observed_years_out():
    values = np.arange(1.0, 21.0)
    values[17] = np.nan
    split = holdout_split(make(values))
    assert len(split.train) == 14 and split.train[-1] == 14.0  # 2013 is the last training year
    assert np.isnan(split.actual).sum() == 1 and np.nansum(~np.isnan(split.actual)) == 5
    assert holdout_split(make(np.where(np.arange(20) < 11, np.nan, 1.0))) is None  # 9 observed years
