"""Each engine variant of docs/engine.md ("Every variant, one change at a time")
through the product's own evaluate protocol on the CEADs inventory.

    .venv/bin/python scripts/engine_variants.py [VARIANT ...]   # all by default; ~2 min each

Prints one Markdown row per variant: hold-out MASE, 80 % coverage (pooled and
lowest by horizon), and Brier / log score / worst reliability gap per cut.
Variants change one thing by patching the engine in this process only.
"""

import contextlib
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy import stats

from forecasting import components, evaluation, pooling, scores
from forecasting import series as engine
from forecasting.series import ForecastSettings
from peakwatch import evaluate as ev

CEADS = Path(__file__).resolve().parents[2] / "shared/data/ceads-cities/The_Emission_Inventories_for_290_Chinese_Cities_from_1997_to_2019.xlsx"
CUTS = (2008, 2010, 2012, 2014)


def after_pooling(transform):
    """pool_panel with every estimate passed through ``transform``."""
    original = engine.pool_panel

    def patched(series_list, settings):
        return {k: transform(v) for k, v in original(series_list, settings).items()}

    return [(engine, "pool_panel", patched), (evaluation, "pool_panel", patched)]


def likelihood_damping():
    """The damped trend's damping from the summed likelihood, not multi-step errors."""
    found = {}
    original = pooling.trend_params

    def params(sample):
        alpha, beta, phi = original(sample)
        found["phi"] = phi
        return alpha, beta, phi

    return [(pooling, "trend_params", params), (pooling, "damping", lambda *a, **k: found["phi"])]


# --- shocks and drift that are not the engine's (measured 2026-12-07, not kept) ---
#
# These variants change what one path's yearly shock or the level model's
# drift is. The engine has no hook for them, so they are keyed here by the
# pooled parameters a series' component states carry.

SHOCKS: dict[tuple, np.ndarray] = {}  # pooled parameters -> standardized shock sample
DRIFT: dict[tuple, float] = {}  # pooled parameters -> the level model's drift


def pooled_key(level_alpha, trend_alpha, trend_beta, trend_phi) -> tuple:
    return tuple(round(float(x), 12) for x in (level_alpha, trend_alpha, trend_beta, trend_phi))


def standardized_errors(y: np.ndarray, p: pooling.PanelPooling) -> np.ndarray:
    """Each component's one-step errors over the RMS of the (up to ten) before them:
    a shock in units of the sigma the engine would have used then."""
    out = []
    for name, params in (("level", (p.level_alpha,)), ("trend", (p.trend_alpha, p.trend_beta, p.trend_phi))):
        errors = np.asarray(components.component_model(y, name).smooth(np.array(params)).resid)
        errors = errors[np.isfinite(errors)]
        for t in range(5, len(errors)):
            rms = np.sqrt(np.mean(errors[max(0, t - components.RECENT_YEARS) : t] ** 2))
            if rms > 0:
                out.append(errors[t] / rms)
    return np.asarray(out)


def shock_variant(make_sample):
    """Shocks drawn from ``make_sample(z)`` (z: the panel's pooled standardized
    one-step errors) instead of the standard normal."""
    original = engine.estimate_pooling

    def estimate(log_series, keys, settings, min_train):
        p = original(log_series, keys, settings, min_train)
        z = np.concatenate([standardized_errors(y, p) for y in log_series if np.isfinite(y).sum() >= 8] or [np.zeros(0)])
        if len(z) >= 200:
            SHOCKS[pooled_key(p.level_alpha, p.trend_alpha, p.trend_beta, p.trend_phi)] = make_sample(z)
        return p

    return [(engine, "estimate_pooling", estimate), (engine, "draw_mixture", draw_mixture)]


def level_drift_variant():
    """The level model drifts at the panel's current growth (median over series of
    the mean log growth of their last three years), fading at the panel's damping."""
    original = engine.estimate_pooling

    def estimate(log_series, keys, settings, min_train):
        p = original(log_series, keys, settings, min_train)
        recent = [(y[o[-1]] - y[o[-4]]) / 3 for y in log_series
                  if len(o := np.flatnonzero(np.isfinite(y))) > 3 and o[-1] - o[-4] == 3]
        DRIFT[pooled_key(p.level_alpha, p.trend_alpha, p.trend_beta, p.trend_phi)] = float(np.median(recent)) if len(recent) >= 3 else 0.0
        return p

    return [(engine, "estimate_pooling", estimate), (engine, "draw_mixture", draw_mixture)]


def draw_mixture(states, growth_sd, weights, horizon, n_paths, rng):
    """``pooling.draw_mixture`` with the variant's shocks and the level model's drift."""
    level, trend = states["level"], states["trend"]
    key = pooled_key(level.alpha, trend.alpha, trend.beta, trend.phi)
    sample = SHOCKS.get(key)
    n_level = round(weights.get("level", 0.0) * n_paths)
    parts = []
    for state, count, stream in zip((level, trend), (n_level, n_paths - n_level), rng.spawn(2)):
        if count == 0:
            continue
        shocks = stream.choice(sample, (count, horizon)) if sample is not None else stream.standard_normal((count, horizon))
        if state.name == "trend":
            growth, phi = state.growth + growth_sd * stream.standard_normal(count), state.phi
        else:
            growth, phi = np.full(count, DRIFT.get(key, 0.0)), trend.phi
        value, out = np.full(count, state.level), np.empty((count, horizon))
        for step in range(horizon):
            growth = phi * growth
            error = state.sigma * shocks[:, step]
            out[:, step] = value + growth + error
            value = value + growth + state.alpha * error
            growth = growth + state.beta * error
        parts.append(out)
    return np.concatenate(parts)


def fitted_t(z: np.ndarray) -> np.ndarray:
    """A Student-t (df, scale) fitted to z by maximum likelihood, centred at 0."""
    df, _, scale = stats.t.fit(z, floc=0)
    return scale * stats.t.rvs(df, size=20_000, random_state=np.random.default_rng(0))


def mirrored(z: np.ndarray) -> np.ndarray:
    """The errors and their mirror image: their lean (a model missing a trend) is bias, not noise."""
    return np.concatenate([z, -z])


def unit_variance(sample: np.ndarray) -> np.ndarray:
    """The sample's shape with the variance of the engine's own sigma."""
    return sample / np.sqrt(np.mean(sample**2))


def centred_sigma():
    """Each component's sigma as the sd of its recent one-step errors around their
    mean, not their RMS: a level model that misses a trend every year is biased,
    and if growth stops (its premise) only the spread is left."""
    original = components.filter_component

    def patched(log_values, name, alpha, beta=0.0, phi=1.0):
        state = original(log_values, name, alpha, beta, phi)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            resid = np.asarray(components.component_model(log_values, name).smooth(
                components.component_params(name, alpha, beta, phi)).resid)[-components.RECENT_YEARS:]
        resid = resid[np.isfinite(resid)]
        return replace(state, sigma=float(np.std(resid))) if len(resid) >= 3 else state

    return [(pooling, "filter_component", patched)]


def stop_from_the_trends_state(with_its_noise: bool):
    """"Growth stops now" starts where the damped trend's filter puts the
    series (a level model's smoothed level lags a riser's last value), and
    with ``with_its_noise`` carries the trend model's one-step noise (a level
    model's errors on a riser are its missed growth)."""
    original = pooling.fit_states

    def patched(log_values, panel_pooling):
        states = original(log_values, panel_pooling)
        level, trend = states["level"], states["trend"]
        states["level"] = replace(level, level=trend.level, sigma=trend.sigma if with_its_noise else level.sigma)
        return states

    return [(engine, "fit_states", patched)]


_share_below_max = pooling.share_below_max


def share_below_max_of_the_unpeaked(log_series) -> float:
    """``pooling.share_below_max`` over the series not long past their peak (the
    C40 criterion of ``peaks``): a country that peaked in the 1970s says nothing
    about whether a riser stops now."""
    from forecasting.peaks import PEAKED_MIN_DROP, PEAKED_MIN_YEARS

    def long_past(y):
        o = np.flatnonzero(np.isfinite(y))
        top = o[np.argmax(y[o])]
        return o[-1] - top > PEAKED_MIN_YEARS and y[o[-1]] <= y[top] + np.log(1 - PEAKED_MIN_DROP)

    return _share_below_max([y for y in log_series if np.isfinite(y).sum() >= 2 and not long_past(y)])


def share_clearly_below_max(log_series) -> float:
    """``pooling.share_below_max`` counting a series as below its maximum only
    when more than its recent noise (sd of its last ten yearly changes) below:
    a noise dip is not a stop."""
    below = []
    for y in log_series:
        o = np.flatnonzero(np.isfinite(y))
        if len(o) >= 3:
            noise = np.std(np.diff(y[o])[-10:])
            below.append(bool(y[o[-1]] < np.max(y[o[:-1]]) - noise))
    return (sum(below) + 1) / (len(below) + 2)


BETA_GRID = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3)


def growth_updates_by_multistep_errors():
    """The damped trend's growth smoothing (beta) chosen with the damping by the
    panel's out-of-sample 1-5-year errors (``pooling.damping``'s criterion),
    not by the likelihood (which puts beta at 0: growth never updates)."""
    chosen = {}
    original = pooling.trend_params

    def params(sample):
        alpha, _, _ = original(sample)
        grid = {(beta, phi): error for beta in BETA_GRID if beta <= alpha
                for phi, error in pooling.damping_errors(sample, alpha, beta, 5, 8).items()}
        beta, phi = min(grid, key=grid.get)
        chosen["phi"] = phi
        return alpha, beta, phi

    return [(pooling, "trend_params", params), (pooling, "damping", lambda *a, **k: chosen["phi"])]


# Every row below "final" changes one thing from the equal-weights engine (the
# default until 2026-12-07, against which these rows were measured).
EQUAL = ForecastSettings(combine="equal")


VARIANTS = {
    "final": ([], ForecastSettings()),
    "equal weights (the previous engine)": ([], EQUAL),
    "damping by likelihood": (likelihood_damping(), EQUAL),
    "noise from the whole history": ([(components, "RECENT_YEARS", 10_000)], EQUAL),
    "weights by inverse recent MSE": ([], replace(EQUAL, combine="inverse_mse")),
    "weights from backtests": ([], replace(EQUAL, combine="backtest")),
    "level component only": (after_pooling(lambda p: replace(p, weights={"level": 1.0, "trend": 0.0})), EQUAL),
    "trend component only": (after_pooling(lambda p: replace(p, weights={"level": 0.0, "trend": 1.0})), EQUAL),
    "no growth pooling": (after_pooling(lambda p: replace(p, growth_spread=np.inf)), EQUAL),
    "per-horizon calibration on": ([], replace(EQUAL, calibrate_intervals=True)),
    "P as the plain share": ([(evaluation, "share_of_paths", lambda hits: float(np.mean(hits)))], EQUAL),
    "shocks: Student-t fitted to the panel's errors": (shock_variant(fitted_t), EQUAL),
    "shocks: the panel's errors, mirrored": (shock_variant(mirrored), EQUAL),
    "shocks: the panel's errors, mirrored, unit variance": (
        shock_variant(lambda z: unit_variance(mirrored(z))), EQUAL),
    "sigma around the errors' mean": (centred_sigma(), EQUAL),
    "level drifts at the panel's current growth": (level_drift_variant(), EQUAL),
    "growth updating (beta) by multi-step errors": (growth_updates_by_multistep_errors(), EQUAL),
    # Two on the final engine: would its level shares let the narrower bands through?
    "final + shocks: the panel's errors mirrored, unit variance": (
        shock_variant(lambda z: unit_variance(mirrored(z))), ForecastSettings()),
    "final + shocks: Student-t fitted to the panel's errors": (shock_variant(fitted_t), ForecastSettings()),
    "final + sigma around the errors' mean": (centred_sigma(), ForecastSettings()),
    "final + growth stops from the trend's level": (stop_from_the_trends_state(False), ForecastSettings()),
    "final + growth stops from the trend's level, with its noise": (stop_from_the_trends_state(True), ForecastSettings()),
    "final + level share among series not long past their peak": (
        [(pooling, "share_below_max", share_below_max_of_the_unpeaked)], ForecastSettings()),
    "final + level share counts only series below their maximum by more than their noise": (
        [(pooling, "share_below_max", share_clearly_below_max)], ForecastSettings()),
    # Before the grid reached 1 (no damping): the usual bounds, 0.8-0.98.
    "damping grid capped at 0.98": ([(pooling, "PHI_GRID", pooling.PHI_GRID[:-1])], ForecastSettings()),
    # The damping sat on the grid's lower bound (0.8) at every cut from 2010: is the bound binding?
    "final + damping grid down to 0.5": (
        [(pooling, "PHI_GRID", (0.5, 0.6, 0.7) + pooling.PHI_GRID[:-1])], ForecastSettings()),
}


def row(name: str, panel) -> str:
    patches, settings = VARIANTS[name]
    with contextlib.ExitStack() as stack:
        for owner, attribute, value in patches:
            stack.enter_context(_patched(owner, attribute, value))
        result = ev.evaluate_panel(panel, settings, cuts=CUTS, with_autoets=False)
    overall = next(r for r in result.holdout if r.horizon == 0)
    lowest = min(r.coverage_80 for r in result.holdout if r.horizon)
    cells = [f"{overall.mase[ev.ENGINE]:.3f}", f"{overall.coverage_80:.1%}", f"{lowest:.1%}"]
    cells += [f"{s.brier(ev.ENGINE):.3f}/{s.log_score(ev.ENGINE):.3f}/{scores.worst_bin_gap(s.reliability()):.3f}"
              for s in result.events]
    return f"| {name} | " + " | ".join(cells) + " |"


@contextlib.contextmanager
def _patched(owner, attribute, value):
    old = getattr(owner, attribute)
    setattr(owner, attribute, value)
    try:
        yield
    finally:
        setattr(owner, attribute, old)


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    names = sys.argv[1:] or list(VARIANTS)
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        sys.exit(f"unknown variant(s) {unknown}; choose from {list(VARIANTS)}")
    ceads_panel = ev.load_ceads_panel(CEADS)
    print("| variant | MASE | cov80 | lowest cov80 by horizon | " + " | ".join(map(str, CUTS)) + " |")
    for variant in names:
        print(row(variant, ceads_panel), flush=True)
