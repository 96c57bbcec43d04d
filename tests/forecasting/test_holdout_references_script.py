"""scripts/holdout_references.py backs docs/engine.md's MASE section: its simple
forecasters must be what their names say."""

import numpy as np

from tests.scripts import SCRIPTS_DIR, load_script

SCRIPT = SCRIPTS_DIR / "holdout_references.py"


def test_simple_forecasters_on_a_series_with_a_gap():
    script = load_script(SCRIPT)
    train = np.array([100.0, 110.0, np.nan, 130.0, 120.0])
    assert np.allclose(script.one_growth_rate(0.0)(train, 3), 120.0)
    assert np.allclose(script.one_growth_rate(0.1)(train, 2), 120.0 * np.exp([0.1, 0.2]))
    assert np.allclose(script.smoothed_level(1.0)(train, 2), 120.0)  # alpha 1 is the last value
    assert np.allclose(script.mean_of_last(2)(train, 4), 125.0)
    smoothed = script.smoothed_level(0.5)(train, 1)[0]
    assert 110.0 < smoothed < 125.0  # between the older values and the last ones
