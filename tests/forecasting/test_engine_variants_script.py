"""scripts/engine_variants.py reproduces docs/engine.md's variant table: it must
import, patch only what exists, and leave the engine's paths alone where a
variant changes nothing."""

import numpy as np

from forecasting.pooling import PanelPooling, draw_mixture, fit_states, pooled_growth
from tests.scripts import SCRIPTS_DIR, load_script

SCRIPT = SCRIPTS_DIR / "engine_variants.py"


def test_every_variant_patches_an_attribute_that_exists():
    variants = load_script(SCRIPT).VARIANTS
    assert "final" in variants
    for name, (patches, _) in variants.items():
        for owner, attribute, _ in patches:
            assert hasattr(owner, attribute), f"{name}: {owner.__name__}.{attribute} is gone"


def test_the_scripts_paths_are_the_engines_when_no_shock_or_drift_is_registered():
    script = load_script(SCRIPT)
    rng = np.random.default_rng(3)
    log_values = np.log(100 * np.exp(np.cumsum(0.05 + 0.02 * rng.standard_normal(15))))
    pooling = PanelPooling(50, level_alpha=0.8, trend_alpha=0.6, trend_beta=0.1, trend_phi=0.9)
    states = fit_states(log_values, pooling)
    _, growth_sd = pooled_growth(states["trend"], 15, pooling)
    args = (states, growth_sd, {"level": 0.5, "trend": 0.5}, 12, 400)
    engine = draw_mixture(*args, np.random.default_rng(7))
    assert np.array_equal(script.draw_mixture(*args, np.random.default_rng(7)), engine)
    script.DRIFT[script.pooled_key(0.8, 0.6, 0.1, 0.9)] = 0.05  # the drift variant must change the level half
    assert not np.array_equal(script.draw_mixture(*args, np.random.default_rng(7)), engine)
