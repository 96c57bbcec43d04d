"""The random walk with drift's paths: intervals that cover what they claim far out."""

import numpy as np
import pytest

from forecasting.models import fit_log_drift

HORIZON = 35  # 2025 -> 2060, as the monthly run simulates


def coverage_80(n_years: int, horizon: int, replications: int = 600, seed: int = 3) -> float:
    """Share of log random walks (drift 3 %/yr, sd 5 %) whose true value ``horizon``
    years past ``n_years`` observed lies inside the fitted paths' 10-90 % band."""
    rng = np.random.default_rng(seed)
    inside = 0
    for _ in range(replications):
        steps = 0.03 + 0.05 * rng.standard_normal(n_years - 1 + horizon)
        log_values = np.concatenate([[0.0], np.cumsum(steps)])
        observed, truth = np.exp(log_values[:n_years]), np.exp(log_values[n_years - 1 + horizon])
        paths = fit_log_drift(observed).simulate(horizon, 400, rng)
        low, high = np.quantile(paths[:, -1], [0.1, 0.9])
        inside += low <= truth <= high
    return inside / replications


@pytest.mark.parametrize("n_years", [12, 20])
def test_far_intervals_cover_their_level(n_years):
    # With the drift taken as known, the band 35 years out covered 48 % (12
    # years) and 52 % (20 years) here: the drift's estimation error grows
    # with h, the yearly noise only with sqrt(h). Normal quantiles with sigma estimated
    # lose a point or two more (t with n-2 df), hence the lower bound.
    assert 0.74 <= coverage_80(n_years, HORIZON) <= 0.86


def test_one_year_ahead_spread_is_nearly_the_yearly_sd():
    # The drift's uncertainty adds sigma^2 / n to a one-year step's variance, no more.
    values = np.exp(np.cumsum(np.r_[0.0, np.tile([0.02, 0.06], 10)]))  # 21 years, sd of a change ~0.0290
    model = fit_log_drift(values)
    paths = model.simulate(1, 200_000, np.random.default_rng(0))
    spread = np.log(paths[:, 0]).std()
    assert spread == pytest.approx(model.sigma * np.sqrt(1 + 1 / model.n_steps), rel=0.01)
    assert model.n_steps == 20
