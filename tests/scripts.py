"""The project's scripts (scripts/*.py) loaded as modules, for tests that check them."""

import importlib.util
from pathlib import Path
from types import ModuleType

SCRIPTS_DIR = Path(__file__).resolve().parents[1] / "scripts"


def load_script(path: Path) -> ModuleType:
    """Run the script's module body (not its ``__main__`` block) and return it."""
    spec = importlib.util.spec_from_file_location(f"script_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
