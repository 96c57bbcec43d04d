"""The engine end to end on one series: known peak answers from constructed
series, the public paths are the product's, reproducibility, partitioning,
energy/emissions consistency."""

from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import numpy as np
import pytest

from forecasting.evaluation import cut_series, holdout_split
from forecasting.intensity import DOWN, UP, check_intensity, check_regions
from forecasting.peaks import PEAKED, RISING, path_peak_years
from forecasting.series import (
    ForecastSettings,
    SeriesInput,
    forecast_partition,
    forecast_series,
    partition,
    simulate_paths,
    split_series,
    with_pooling,
)
from forecasting.synthetic import simulate_panel
from peakwatch import contract as c

YEARS = np.arange(2000, 2020)
SETTINGS = ForecastSettings(n_paths=400, seed=11)


def make(values, indicator=c.CO2, region="test.region", years=YEARS):
    return SeriesInput(region, indicator, c.UNITS[indicator], years, np.asarray(values, float), 2030, panel_last_year=int(years[-1]))


def noisy(values, sd=0.01, seed=0):
    return np.asarray(values) * np.exp(sd * np.random.default_rng(seed).standard_normal(len(values)))


def p_no_new_high(series: SeriesInput, settings: ForecastSettings, years_ahead: int) -> float:
    _, paths = simulate_paths(series, settings)
    return float(np.mean(paths[:, :years_ahead].max(axis=1) <= np.nanmax(series.values)))


def test_flat_for_ten_years_after_a_rise_gets_a_high_p_of_no_new_high():
    """The known answer: a series that rose, dropped 15 % and sat flat for ten
    years rarely makes a new high in the next five; one still rising usually
    does (the level component, half the paths, keeps "growth may stop" open).
    Not near 1: in a panel of two the shared trend parameters come half from
    the riser (undamped, growth updated by a third of each error), and the
    flat series' trend paths carry that (0.69; 0.72 with damping capped at 0.98)."""
    flat = noisy(np.concatenate([np.linspace(10, 20, 10), np.full(10, 17.0)]), sd=0.02)
    rising = noisy(10 * 1.06 ** np.arange(20), sd=0.02)
    settings = with_pooling(SETTINGS, [make(flat, region="flat"), make(rising, region="rising")])
    p_flat = p_no_new_high(make(flat, region="flat"), settings, 5)
    p_rising = p_no_new_high(make(rising, region="rising"), settings, 5)
    assert p_flat > 0.65 and p_rising < 0.2 and p_flat - p_rising > 0.5


def test_a_riser_in_a_panel_that_has_stopped_is_likelier_to_stop_than_in_one_still_rising():
    """The level component's share is how common "growth has stopped" is in the
    panel now: a city still rising while most of its panel has turned (China's
    cities after 2013) gets a higher P of no new high than the same city in a
    panel where every series still rises (China's cities in 2006)."""
    riser = make(noisy(10 * 1.05 ** np.arange(20), sd=0.02, seed=1), region="riser")
    turned = [make(noisy(np.concatenate([10 * 1.05 ** np.arange(12), np.full(8, 10 * 1.05**11 * 0.95)]), sd=0.02, seed=s),
                   region=f"turned{s}") for s in range(2, 14)]
    rising = [make(noisy(10 * 1.05 ** np.arange(20), sd=0.02, seed=s), region=f"rising{s}") for s in range(2, 14)]
    in_turned = with_pooling(SETTINGS, [riser, *turned])
    in_rising = with_pooling(SETTINGS, [riser, *rising])
    assert in_turned.pooling[c.CO2].weights["level"] > 0.7 > 0.3 > in_rising.pooling[c.CO2].weights["level"]
    assert p_no_new_high(riser, in_turned, 5) > p_no_new_high(riser, in_rising, 5) + 0.1


def test_clean_peak_with_gaps_keeps_its_historical_peak():
    values = noisy(np.concatenate([np.linspace(10, 20, 8), np.linspace(19, 12, 12)]))
    values[[3, 12]] = np.nan  # 2003 and 2012 missing
    result = forecast_series(make(values), SETTINGS)
    assert result.ok and result.status == PEAKED
    assert result.filled_years == (2003, 2012)
    assert result.peaks.peak_year_median == YEARS[np.nanargmax(values)]
    assert result.peaks.p_peak_by_target > 0.9  # 40 % below the 2007 peak and falling


def test_far_bands_hold_a_panel_whose_growth_never_fades():
    """The known answer: log random walks drifting 3 %/yr (sd 2 %) keep that
    drift; the panel's backtests say so, the damping goes to 1, and the 80 %
    band holds the value 15 years out about 80 % of the time (capped at 0.98
    the damping had left it 30 %; docs/engine.md, "Far bands")."""
    rng = np.random.default_rng(7)
    walks = np.cumsum(0.03 + 0.02 * rng.standard_normal((150, 19 + 15)), axis=1)
    years = np.arange(2001, 2020)
    panel = [make(np.exp(w[:19]), region=f"walk{i}", years=years) for i, w in enumerate(walks)]
    settings = with_pooling(replace(SETTINGS, horizon_year=2034), panel)
    assert settings.pooling[c.CO2].trend_phi == 1.0
    fans = [forecast_series(s, settings).fan for s in panel]
    inside = [f.quantiles[0.1][14] <= np.exp(w[18 + 15]) <= f.quantiles[0.9][14] for f, w in zip(fans, walks)]
    assert 0.7 < np.mean(inside) < 0.9


def test_a_peak_decades_back_is_near_certain_not_a_coin_toss():
    """The old engine gave countries that peaked in the 1970s P(peak <= 2030) of
    0.63-0.74 with bands ~50 years wide (level models spreading without bound)."""
    years = np.arange(1960, 2011)
    log_level = np.where(years < 1973, 0.03 * (years - 1973), -0.012 * (years - 1973))
    series = make(noisy(100 * np.exp(log_level), sd=0.02, seed=3), years=years)
    result = forecast_series(series, SETTINGS)
    assert result.peaks.p_peak_by_target > 0.9
    assert result.peaks.peak_year_p10 == result.peaks.peak_year_median == 1973


def test_a_recent_peak_is_possible_not_impossible():
    """A country cut in 2000 that went on to peak in 2005 got P = 0.00."""
    years = np.arange(1960, 2001)
    series = make(noisy(100 * np.exp(0.03 * (years - 2005) * (years < 2005)), sd=0.02, seed=4), years=years)
    p = forecast_series(series, SETTINGS).peaks.p_peak_by_target
    assert 0.1 < p < 0.9


def test_steady_rise_gets_a_small_p_but_never_exactly_zero():
    """The level component's paths say growth may stop now, as it did for
    China's cities in 2013: the panel's share (a third, for a series pooled
    alone) and equal shares keep that possibility; weights by recent one-step
    errors all but drop it for a series this smooth."""
    series = make(noisy(10 * 1.06 ** np.arange(20), sd=0.005))
    panel_share = forecast_series(series, SETTINGS).peaks.p_peak_by_target
    equal = forecast_series(series, replace(SETTINGS, combine="equal")).peaks.p_peak_by_target
    by_errors = forecast_series(series, replace(SETTINGS, combine="inverse_mse")).peaks.p_peak_by_target
    assert forecast_series(series, SETTINGS).status == RISING
    assert 0 < by_errors < 0.01 < panel_share < equal < 0.3


def test_simulate_paths_is_what_forecast_series_summarises():
    series = make(noisy(np.linspace(10, 20, 20), sd=0.03))
    settings = with_pooling(SETTINGS, [series])
    years, paths = simulate_paths(series, settings)
    result = forecast_series(series, settings)
    assert tuple(int(y) for y in years) == result.fan.years
    np.testing.assert_array_equal(np.median(paths, axis=0), result.point_forecast)
    np.testing.assert_array_equal(np.quantile(paths, 0.9, axis=0), result.fan.quantiles[0.9])
    peak_years, _ = path_peak_years(series.years, series.values, years, paths)
    assert result.peaks.p_peak_by_target == pytest.approx((np.sum(peak_years <= 2030) + 0.5) / (len(paths) + 1))


def test_same_seed_same_numbers_different_seed_different_paths():
    series = make(noisy(np.linspace(10, 20, 20), sd=0.03))
    first, again = forecast_series(series, SETTINGS), forecast_series(series, SETTINGS)
    assert first.peaks == again.peaks and first.point_forecast == again.point_forecast
    other = forecast_series(series, replace(SETTINGS, seed=12))
    assert other.fan != first.fan


@pytest.fixture(scope="module")
def panel_series():
    return split_series(simulate_panel(), {})


def test_partitions_in_other_processes_equal_the_sequential_loop(panel_series):
    """Pooling once, before partitioning: 1 and 3 partitions give the same numbers."""
    settings = with_pooling(SETTINGS, panel_series)
    sequential = forecast_partition(panel_series, settings)
    with ProcessPoolExecutor(max_workers=2) as pool:
        parts = list(pool.map(forecast_partition, partition(panel_series, 3), [settings] * 3))
    parallel = [f for part in parts for f in part]
    assert len(parallel) == len(sequential) == len(panel_series)
    for a, b in zip(sequential, parallel):
        assert (a.model_reason, a.peaks, a.point_forecast, a.fan) == (b.model_reason, b.peaks, b.point_forecast, b.fan)


def test_a_partition_alone_would_pool_differently(panel_series):
    """Why pooling happens before the fit stage: pooled on a part of the panel,
    a series' forecast moves."""
    whole = with_pooling(SETTINGS, panel_series)
    alone = with_pooling(SETTINGS, panel_series[:2])
    assert forecast_series(panel_series[0], whole).peaks != forecast_series(panel_series[0], alone).peaks


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
    train, actual = holdout_split(make(values))
    assert len(train.values) == 14 and train.values[-1] == 14.0  # 2013 is the last training year
    assert train.panel_last_year == 2013  # counted as the panel stood then
    assert np.isnan(actual).sum() == 1 and np.sum(~np.isnan(actual)) == 5
    assert holdout_split(make(np.where(np.arange(20) < 11, np.nan, 1.0))) is None  # 9 observed years


def test_cut_series_ends_on_the_last_observed_year_up_to_the_cut():
    values = np.arange(1.0, 21.0)
    values[10] = np.nan  # 2010
    at = cut_series(make(values), 2010)
    assert at.years[-1] == 2009 and at.panel_last_year == 2010
