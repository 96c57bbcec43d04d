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

from flows import evaluate as ev
from forecasting import components, evaluation, pooling, scores
from forecasting import series as engine
from forecasting.series import ForecastSettings

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


VARIANTS = {
    "final": ([], ForecastSettings()),
    "damping by likelihood": (likelihood_damping(), ForecastSettings()),
    "noise from the whole history": ([(components, "RECENT_YEARS", 10_000)], ForecastSettings()),
    "weights by inverse recent MSE": ([], ForecastSettings(combine="inverse_mse")),
    "weights from backtests": ([], ForecastSettings(combine="backtest")),
    "level component only": (after_pooling(lambda p: replace(p, weights={"level": 1.0, "trend": 0.0})), ForecastSettings()),
    "trend component only": (after_pooling(lambda p: replace(p, weights={"level": 0.0, "trend": 1.0})), ForecastSettings()),
    "no growth pooling": (after_pooling(lambda p: replace(p, growth_spread=np.inf)), ForecastSettings()),
    "per-horizon calibration on": ([], ForecastSettings(calibrate_intervals=True)),
    "P as the plain share": ([(evaluation, "share_of_paths", lambda hits: float(np.mean(hits)))], ForecastSettings()),
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
