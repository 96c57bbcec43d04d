"""Scores by hand, the peak-event protocol's bookkeeping, and the run's own check."""

import numpy as np
import pytest

from peakwatch import contract as c
from forecasting.evaluation import (
    BASE_RATE,
    ENGINE,
    RANDOM_WALK,
    base_rate,
    calibration_check,
    new_high_ahead,
    score_peak_events,
)
from forecasting.scores import bootstrap_difference, brier_terms, log_terms, reliability_table, worst_bin_gap
from forecasting.series import ForecastSettings, SeriesInput

YEARS = np.arange(2000, 2020)


def make(values, region="r"):
    return SeriesInput(region, c.CO2, "MtCO2", YEARS, np.asarray(values, float), 2030, panel_last_year=2019)


def test_brier_and_log_score_by_hand():
    p, y = np.array([0.9, 0.2]), np.array([True, False])
    np.testing.assert_allclose(brier_terms(p, y), [0.01, 0.04])
    np.testing.assert_allclose(log_terms(p, y), [-np.log(0.9), -np.log(0.8)])
    assert np.isfinite(log_terms(np.array([0.0]), np.array([True]))).all()  # a reference's 0 is floored, not infinite


def test_reliability_bins_and_the_worst_gap_among_big_bins():
    p = np.r_[np.full(20, 0.1), np.full(5, 0.9)]
    y = np.r_[np.zeros(15), np.ones(5), np.zeros(5)]
    table = reliability_table(p, y)
    assert [(b.lower, b.count) for b in table] == [(0.0, 20), (0.8, 5)]
    assert table[0].observed == pytest.approx(0.25) and table[1].observed == 0.0
    assert worst_bin_gap(table) == pytest.approx(0.15)  # the 5-case bin (off by 0.9) is too small to count


def test_bootstrap_interval_holds_a_clear_difference_away_from_zero():
    diff = bootstrap_difference(np.full(50, 0.1), np.full(50, 0.3) + np.linspace(-0.05, 0.05, 50))
    assert diff.mean == pytest.approx(-0.2) and diff.high < 0 and diff.low < diff.mean < diff.high


def test_a_new_high_counts_only_observed_years_in_the_window():
    values = np.r_[np.linspace(10, 20, 13), [19.0, np.nan, 21.0, 18.0, 18.0, 18.0, 18.0]]  # 2012 = 20, 2015 = 21
    series = make(values)
    assert new_high_ahead(series, 2012, 2) is False  # 2013 below, 2014 unobserved
    assert new_high_ahead(series, 2012, 3) is True
    assert new_high_ahead(make(np.r_[np.full(13, 1.0), np.full(7, np.nan)]), 2012, 5) is None


def test_the_base_rate_comes_from_the_five_cuts_before():
    flat = make(np.r_[np.linspace(10, 20, 6), np.full(14, 15.0)], "flat")  # never a new high after 2005
    rising = make(10 * 1.05 ** np.arange(20), "rising")
    settings = ForecastSettings(min_observed_years=5)
    # cuts 2007-2011, window 3: the flat series has no new high at each, the riser always one
    assert base_rate([flat, rising], 2012, 3, settings) == pytest.approx(0.5)


def test_peak_events_score_the_engine_against_both_references():
    rng = np.random.default_rng(0)
    panel = [make(10 * 1.05 ** np.arange(20) * np.exp(0.02 * rng.standard_normal(20)), f"up{i}") for i in range(4)]
    panel += [make(np.r_[np.linspace(10, 20, 8), np.full(12, 15.0)] * np.exp(0.02 * rng.standard_normal(20)), f"flat{i}")
              for i in range(4)]
    scores = score_peak_events(panel, 2014, ForecastSettings(n_paths=200))
    assert (scores.cut, scores.window, scores.n) == (2014, 5, 8)
    assert set(scores.forecasters) == {ENGINE, RANDOM_WALK, BASE_RATE}
    p = scores.probabilities(ENGINE)
    assert np.all((p > 0) & (p < 1))
    happened = scores.outcomes()
    assert p[happened].mean() > p[~happened].mean() + 0.3  # the flat ones did not rise again, and the engine said so
    summary = scores.as_summary()
    assert summary["series"] == 8 and set(summary["brier"]) == {ENGINE, RANDOM_WALK, BASE_RATE}


def test_the_runs_own_check_cuts_its_panel_before_its_last_year():
    panel = [make(10 * 1.03 ** np.arange(20), f"r{i}") for i in range(3)]
    checks = calibration_check(panel, ForecastSettings(n_paths=100), windows=(5, 7), max_series=2)
    assert [(s.cut, s.window, s.n) for s in checks] == [(2014, 5, 2), (2012, 7, 2)]
