"""Backtest metrics on hand-computed cases, origins, calibration and selection."""

import numpy as np
import pytest

from forecasting.backtest import (
    BacktestScore,
    PointErrors,
    backtest_candidate,
    calibrate_paths,
    interval_scale,
    naive_scale,
    rolling_origins,
    score_points,
    select_candidate,
    summarize_errors,
)
from forecasting.models import CANDIDATES, REFERENCE, Candidate, candidates_for
from forecasting.series import ForecastSettings, SeriesInput, choose_model


def bounds(lo, hi):
    return {80: (np.array(lo, float), np.array(hi, float)), 95: (np.array(lo, float) - 1, np.array(hi, float) + 1)}


def test_mase_smape_and_coverage_by_hand():
    train = np.array([10.0, 12.0, 11.0, 13.0])  # naive errors 2, 1, 2 -> scale 5/3
    assert naive_scale(train) == pytest.approx(5 / 3)
    actual = np.array([14.0, np.nan, 10.0])  # the unobserved year is not scored
    point = np.array([13.0, 99.0, 12.0])
    errors = score_points(actual, point, bounds([13.5, 0, 11], [15, 0, 13]), naive_scale(train))
    np.testing.assert_allclose(errors.scaled_abs, [1 / (5 / 3), 2 / (5 / 3)])
    np.testing.assert_allclose(errors.smape, [200 * 1 / 27, 200 * 2 / 22])
    assert errors.inside_80.tolist() == [True, False]  # 10 < 11
    assert errors.inside_95.tolist() == [True, True]  # 10 >= 11 - 1
    score = summarize_errors("m", errors, n_origins=1)
    assert score.mase == pytest.approx((0.6 + 1.2) / 2)
    assert score.smape == pytest.approx((200 / 27 + 400 / 22) / 2)
    assert (score.coverage_80, score.coverage_95, score.n_points) == (0.5, 1.0, 2)


def test_no_observed_held_out_point_is_a_failed_score_not_zero_error():
    errors = score_points(np.array([np.nan]), np.array([1.0]), bounds([0], [2]), 1.0)
    score = summarize_errors("m", errors, 1)
    assert not score.ok and score.n_points == 0


def test_origins_step_back_from_the_end_and_skip_missing_years():
    values = np.arange(1.0, 21.0)
    assert rolling_origins(values, 3, 5, 8) == [12, 14, 16]  # last index 19: 19-3, 19-5, 19-7
    values[14] = np.nan
    assert rolling_origins(values, 3, 5, 8) == [12, 13, 16]  # 14 moves back to the observed 13
    assert rolling_origins(values[:9], 3, 5, 8) == []  # too short to train anywhere


def test_calibration_widens_log_deviations_about_the_point():
    point = np.array([10.0, 10.0])
    paths = np.array([[10 * np.e, 10.0], [10 / np.e, 10.0]])
    widened = calibrate_paths(paths, point, 2.0)
    np.testing.assert_allclose(widened[:, 0], [10 * np.e**2, 10 / np.e**2])
    assert interval_scale(np.array([0.1, 0.2, 0.1, 0.2])) == 1.0  # never narrows
    assert interval_scale(np.full(10, 2 * 1.2816)) == pytest.approx(2.0)


def test_selection_takes_lowest_mase_and_says_why():
    good = BacktestScore("good", 0.5, 3.0, 0.8, 0.95, 13, 3)
    bad = BacktestScore("bad", 1.5, 9.0, 0.8, 0.95, 13, 3)
    broken = BacktestScore("broken", np.nan, np.nan, np.nan, np.nan, 0, 3, error="fit failed")
    best, reason = select_candidate([bad, broken, good])
    assert best is good
    assert "lowest backtest MASE 0.50" in reason and "runner-up bad 1.50" in reason


def test_backtests_choose_the_model_that_obviously_wins():
    # A noiseless series that grew fast and then levelled off for good: the
    # level-only model forecasts it exactly, drift keeps climbing.
    values = np.concatenate([10 * 1.15 ** np.arange(8), np.full(12, 10 * 1.15**7)])
    names = ("ses_log", "rw_drift_log")
    settings = ForecastSettings(candidates=names, backtest_paths=100)
    model, reason, score, scores = choose_model(values, {}, settings, seed=1)
    assert model.name == "ses_log"
    by_name = {s.model: s for s in scores}
    assert by_name["ses_log"].mase < 0.05 < by_name["rw_drift_log"].mase
    assert "lowest backtest MASE" in reason and score is by_name["ses_log"]


def test_a_candidate_that_raises_is_scored_failed_not_fatal():
    def explode(values, drivers):
        raise RuntimeError("boom")

    score = backtest_candidate(Candidate("explodes", explode), np.arange(1.0, 20.0), {}, [12], 5, 50, np.random.default_rng(0))
    assert not score.ok and "boom" in score.error


def test_stirpat_only_where_both_drivers_exist():
    assert "stirpat_log" not in {c.name for c in candidates_for({})}
    both = {"gdp": np.ones(3), "population": np.ones(3)}
    assert "stirpat_log" in {c.name for c in candidates_for(both)}
    assert REFERENCE in CANDIDATES


def test_when_the_winner_cannot_be_refitted_the_next_one_is_used_and_said(monkeypatch):
    def fits_only_in_backtests(values, drivers):
        if len(values) == 20:  # the final fit on the whole history
            raise ValueError("singular matrix")
        return REFERENCE.fit(values * 0 + values[-1], drivers)  # a flat, near-perfect forecast

    flaky = Candidate("flaky", fits_only_in_backtests)
    values = np.concatenate([10 * 1.15 ** np.arange(8), np.full(12, 10 * 1.15**7)])
    monkeypatch.setattr("forecasting.series.candidates_for", lambda drivers, names=None: (flaky, REFERENCE))
    model, reason, score, scores = choose_model(values, {}, ForecastSettings(backtest_paths=50), seed=3)
    assert [s.model for s in scores] == ["flaky", "rw_drift_log"]
    assert model.name == "rw_drift_log"
    assert "next best by backtest" in reason and "singular matrix" in reason
