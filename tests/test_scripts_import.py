"""Every script in scripts/ still imports against today's code: a script that
names a moved module fails here, not the day someone reruns a benchmark
(scripts/engine_variants.py once imported flows.evaluate for weeks after it moved)."""

import importlib.util
from pathlib import Path

import pytest

SCRIPTS = sorted((Path(__file__).resolve().parents[1] / "scripts").glob("*.py"))


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_script_imports(script):
    spec = importlib.util.spec_from_file_location(f"script_{script.stem}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # runs the module body, not its __main__ block
    assert module.__doc__, f"{script.name} says what it is for"
