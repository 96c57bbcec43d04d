"""The import contract: each room imports only the rooms below it (and the
libraries its job needs), as docs/architecture.md draws them.

Every import counts, those inside functions too. A new module falls in the
room of its folder; a new room must be added here (and to the page) before
its first import passes.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("flows", "forecasting", "validation", "peakwatch")

# room -> the modules in it (longest prefix wins)
ROOMS = {
    "ground": ("peakwatch", "peakwatch.contract", "peakwatch.redact", "peakwatch.gc_scope"),
    "forecasting": ("forecasting",),
    "validation": ("validation",),
    "config": ("peakwatch.config",),
    "results": ("peakwatch.results",),
    "store": ("peakwatch.store",),
    "sources": ("peakwatch.sources",),
    "tracking": ("peakwatch.tracking",),
    "reporting": ("peakwatch.reporting",),
    "evaluate": ("peakwatch.evaluate",),
    "flows": ("flows",),
    "cli": ("peakwatch.cli",),
}
# room -> the rooms it may import (its own always)
MAY_IMPORT = {
    "ground": set(),
    "forecasting": {"ground"},
    "validation": {"ground"},  # the data contract; not forecasting
    "config": {"ground", "forecasting", "validation"},  # the settings objects it hands down
    "results": {"ground", "forecasting"},
    "store": {"ground", "forecasting", "results"},  # a series' files are its forecast's tables
    "sources": {"ground", "config", "store"},
    "tracking": {"ground", "forecasting", "results", "store"},
    "reporting": {"ground", "forecasting", "results"},
    "evaluate": {"ground", "forecasting", "config", "sources", "store"},
    "flows": set(ROOMS) - {"cli"},
    "cli": set(ROOMS),
}
ORCHESTRATION = {"prefect", "prefect_dask", "dask", "distributed"}
# room -> the third-party libraries it must not import
FORBIDDEN_LIBRARIES = {
    "ground": ORCHESTRATION | {"mlflow", "great_expectations"},
    "forecasting": ORCHESTRATION | {"mlflow", "great_expectations"},
    "validation": ORCHESTRATION | {"mlflow"},
    "config": ORCHESTRATION | {"mlflow"},
    "results": ORCHESTRATION | {"mlflow", "great_expectations"},
    "store": ORCHESTRATION | {"mlflow", "great_expectations"},
    "sources": ORCHESTRATION | {"mlflow", "great_expectations"},
    "tracking": ORCHESTRATION | {"great_expectations"},
    "reporting": ORCHESTRATION | {"mlflow", "great_expectations"},
    "evaluate": ORCHESTRATION | {"mlflow", "great_expectations"},
    "flows": set(),
    "cli": set(),
}


def room_of(module: str) -> str | None:
    best = None
    for room, prefixes in ROOMS.items():
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > len(best[1]):
                    best = (room, prefix)
    return best[0] if best else None


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every absolute import in the file, nested ones too."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            # `from peakwatch import tracking` names a room, not a function
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names if node.module in PACKAGES]
    return found


def sources() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def violations(paths: list[Path] | None = None, root: Path = ROOT) -> list[str]:
    found = []
    for path in sources() if paths is None else paths:
        room = room_of(module_name(path, root))
        assert room is not None, f"{path.relative_to(root)} is in no room: add its folder to ROOMS"
        for line, module in imports(path):
            where = f"{path.relative_to(root)}:{line}"
            target = room_of(module)
            if target is not None and target != room and target not in MAY_IMPORT[room]:
                found.append(f"{where} ({room}) imports {module} ({target})")
            if module.split(".")[0] in FORBIDDEN_LIBRARIES[room]:
                found.append(f"{where} ({room}) imports {module}")
    return found


def test_every_room_imports_only_what_is_below_it():
    assert violations() == []


def test_the_contract_catches_an_upward_import(tmp_path):
    """A lower room importing a higher one, or forecasting an orchestrator, is reported."""
    (tmp_path / "forecasting").mkdir()
    (tmp_path / "validation").mkdir()
    bad = tmp_path / "forecasting" / "probe.py"
    bad.write_text("import mlflow\nfrom peakwatch.tracking import runs\nfrom flows import monthly\n", encoding="utf-8")
    sideways = tmp_path / "validation" / "probe.py"
    sideways.write_text("from forecasting.series import fill_gaps\nfrom peakwatch import contract\n", encoding="utf-8")
    reported = violations([bad, sideways], root=tmp_path)
    assert reported == [
        "forecasting/probe.py:1 (forecasting) imports mlflow",
        "forecasting/probe.py:2 (forecasting) imports peakwatch.tracking (tracking)",
        "forecasting/probe.py:3 (forecasting) imports flows (flows)",
        "forecasting/probe.py:3 (forecasting) imports flows.monthly (flows)",
        "validation/probe.py:1 (validation) imports forecasting.series (forecasting)",
    ]


@pytest.mark.parametrize("lower", ["validation", "results", "store", "reporting"])
def test_lower_rooms_may_not_import_forecasting_internals_or_orchestrators(lower):
    """validation/ reads the data contract from below, never forecasting/;
    nothing under flows/ and tracking/ imports an orchestrator."""
    assert "flows" not in MAY_IMPORT[lower] and "tracking" not in MAY_IMPORT[lower]
    assert ORCHESTRATION <= FORBIDDEN_LIBRARIES[lower]
    if lower == "validation":
        assert "forecasting" not in MAY_IMPORT[lower]


def test_every_module_directly_under_flows_imports_prefect_or_dask():
    """flows/ is orchestration only; the package face is the exception."""
    lacking = []
    for path in sorted((ROOT / "flows").glob("*.py")):
        if path.name == "__init__.py":
            continue
        roots = {module.split(".")[0] for _, module in imports(path)}
        if not roots & ORCHESTRATION:
            lacking.append(path.name)
    assert lacking == []
