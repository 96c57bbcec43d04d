"""forecasting/ must stay pure: no orchestration, tracking or validation imports."""

import ast
from pathlib import Path

FORBIDDEN = {"prefect", "prefect_dask", "dask", "distributed", "mlflow", "great_expectations"}
PACKAGE = Path(__file__).resolve().parents[2] / "forecasting"


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_forecasting_imports_no_orchestration_or_tracking():
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(imported_roots(path) & FORBIDDEN)
        for path in PACKAGE.rglob("*.py")
        if imported_roots(path) & FORBIDDEN
    }
    assert offenders == {}


def test_forecasting_does_no_file_io():
    io_calls = {"open", "read_text", "write_text", "read_bytes", "write_bytes", "read_csv", "write_csv"}
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                if name in io_calls:
                    offenders.append(f"{path.name}:{node.lineno} {name}")
    assert offenders == []
