"""Every script in scripts/ still imports against today's code: a script that
names a moved module fails here, not the day someone reruns a benchmark
(scripts/engine_variants.py once imported flows.evaluate for weeks after it moved)."""

import pytest

from tests.scripts import SCRIPTS_DIR, load_script

SCRIPTS = sorted(SCRIPTS_DIR.glob("*.py"))


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_script_imports(script):
    module = load_script(script)
    assert module.__doc__, f"{script.name} says what it is for"
