"""Pooling across the panel: each estimate recovers a known answer on
constructed series, and the result does not depend on the order of the panel."""

import numpy as np
import pytest

from forecasting.components import LEVEL, TREND, ComponentState
from forecasting.pooling import (
    BacktestPoint,
    PanelPooling,
    PoolingSettings,
    damping,
    estimate_pooling,
    horizon_scales,
    level_alpha,
    pooled_growth,
    share_below_max,
)

RNG = np.random.default_rng(42)


def walk_with_noise(n_series: int, q: float, years: int = 20) -> list[np.ndarray]:
    """Random walks (sd sqrt(q)) seen through unit noise: the local level model with ratio q."""
    walks = np.cumsum(np.sqrt(q) * RNG.standard_normal((n_series, years)), axis=1)
    return list(0.05 * (walks + RNG.standard_normal((n_series, years))))


@pytest.mark.parametrize("q", [0.5, 4.0])
def test_level_smoothing_recovers_the_signal_to_noise_ratio(q):
    expected = (-q + np.sqrt(q * q + 4 * q)) / 2  # the local level model's steady-state gain
    assert level_alpha(walk_with_noise(300, q)) == pytest.approx(expected, abs=0.08)


def test_trending_series_do_not_pass_their_trend_off_as_persistence():
    walks = walk_with_noise(300, 1.0)
    trending = [y + 0.08 * np.arange(20) for y in walks]
    assert level_alpha(trending) == pytest.approx(level_alpha(walks), abs=1e-9)


def series_that_stop(n: int, stop_at: int) -> list[np.ndarray]:
    """Log series growing 8 %/yr that stop growing at year ``stop_at`` (of 20)."""
    t = np.arange(20)
    return [0.08 * np.minimum(t, stop_at) + 0.01 * RNG.standard_normal(20) for _ in range(n)]


def test_damping_is_strong_when_growth_stopped_and_weak_when_it_carried_on():
    stopped = damping(series_that_stop(20, 14), alpha=0.5, beta=0.1, horizon=5, min_train=8)
    carried = damping(series_that_stop(20, 40), alpha=0.5, beta=0.1, horizon=5, min_train=8)
    assert stopped == 0.8 and carried == 1.0  # growth that never faded is not damped


def test_a_series_that_says_little_is_pulled_toward_the_panel():
    pooling = PanelPooling(100, growth_center=0.02, growth_spread=0.01)
    noisy = ComponentState(TREND, 1.0, 0.10, 0.5, 0.1, 0.9, sigma=0.20)
    smooth = ComponentState(TREND, 1.0, 0.10, 0.5, 0.1, 0.9, sigma=0.01)
    noisy_growth, noisy_sd = pooled_growth(noisy, 10, pooling)
    smooth_growth, smooth_sd = pooled_growth(smooth, 10, pooling)
    own_sd = 0.20 / np.sqrt(10)  # the noisy series' own growth sd
    assert noisy_growth == pytest.approx(0.10 - own_sd)  # pulled, by at most one own sd
    assert 0.09 < smooth_growth < 0.10
    assert noisy_sd < 0.01 and smooth_sd < 0.01
    assert pooled_growth(noisy, 10, PanelPooling(1)) == (0.10, pytest.approx(0.2 / np.sqrt(10)))  # no panel: no pull


def test_interval_factors_widen_where_errors_outgrow_the_band_and_hold_beyond():
    rng = np.random.default_rng(0)
    points = []
    for h, spread in ((1, 1.0), (2, 2.0)):
        for _ in range(200):
            draws = {LEVEL: rng.standard_normal(200), TREND: rng.standard_normal(200)}
            points.append(BacktestPoint(h, float(spread * rng.standard_normal()), draws))
    scales = horizon_scales(points, {LEVEL: 0.5, TREND: 0.5}, 2)
    assert scales[0] == pytest.approx(1.0, abs=0.15) and scales[1] == pytest.approx(2.0, abs=0.3)
    assert list(PanelPooling(1, horizon_scale=scales).scale_at(4)) == [scales[0], scales[1], scales[1], scales[1]]


def test_the_estimate_depends_on_the_panel_not_on_its_order():
    panel = series_that_stop(12, 15)
    keys = [f"r{i}" for i in range(12)]
    settings = PoolingSettings(sample_size=8)
    forward = estimate_pooling(panel, keys, settings, 8)
    backward = estimate_pooling(panel[::-1], keys[::-1], settings, 8)
    assert forward == backward and forward.n_series == 8


def test_interval_factors_are_estimated_only_when_asked():
    panel, keys = series_that_stop(12, 15), [f"r{i}" for i in range(12)]
    assert estimate_pooling(panel, keys, PoolingSettings(), 8).horizon_scale == ()
    calibrated = estimate_pooling(panel, keys, PoolingSettings(calibrate_intervals=True), 8)
    assert len(calibrated.horizon_scale) == 5 and calibrated.backtest_points > 0


def test_a_series_unlike_the_panel_keeps_most_of_its_own_growth():
    """Flat for ten years among risers whose growth is all alike (a panel spread
    near zero would pull it all the way): limited translation stops the pull at
    one of its own sds."""
    pooling = PanelPooling(100, growth_center=0.06, growth_spread=0.001)
    flat = ComponentState(TREND, 1.0, 0.0, 0.5, 0.1, 0.9, sigma=0.03)
    growth, _ = pooled_growth(flat, 20, pooling)
    assert growth == pytest.approx(0.03 / np.sqrt(20)) and growth < 0.01


def test_the_share_below_max_counts_series_below_their_earlier_maximum_with_laplaces_rule():
    rising = np.log(np.arange(1.0, 11.0))
    fallen = np.concatenate([rising, [np.log(5.0)]])
    gappy = np.concatenate([rising, [np.nan, np.log(9.0), np.nan]])  # last observed value counts
    assert share_below_max([rising, fallen, fallen, gappy]) == pytest.approx((3 + 1) / (4 + 2))
    assert share_below_max([rising]) == pytest.approx(1 / 3)  # one series cannot say "never"
    assert share_below_max([]) == pytest.approx(1 / 2)


def test_the_level_models_share_is_the_panels_share_below_max_unless_told_otherwise():
    stalled = series_that_stop(8, 12) + [0.05 * np.arange(20)] * 2  # 8 flat (about half below max), 2 at max
    expected = share_below_max(stalled)
    keys = [f"s{i}" for i in range(len(stalled))]
    pooled = estimate_pooling(stalled, keys, PoolingSettings(), min_train=8)
    assert pooled.weights == {LEVEL: expected, TREND: 1 - expected}
    assert estimate_pooling(stalled, keys, PoolingSettings(combine="equal"), min_train=8).weights == {LEVEL: 0.5, TREND: 0.5}
