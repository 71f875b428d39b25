"""The layout is the data flow: core/ at the bottom, index/ (write path) never imports rag/ (read path),
and no module or function grows past what one reader can hold."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Functions allowed over the length limit, each with the reason the README gives. None today.
LONG_FUNCTIONS: dict[str, str] = {}
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 80


def _imports(path: Path) -> set[str]:
    """Top-level package of every import in ``path``, including imports inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _modules(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (ROOT / package).rglob("*.py"))


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("core", {"index", "rag", "ui", "evals"}), ("index", {"rag", "ui", "evals"}), ("rag", {"ui", "evals"})],
)
def test_layers_import_downward_only(package: str, forbidden: set[str]) -> None:
    offending = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & forbidden)
        for path in _modules(package)
        if _imports(path) & forbidden
    }
    assert offending == {}


def test_the_import_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from rag.pipeline import open_pipeline\n", encoding="utf-8")
    assert "rag" in _imports(module)


def test_no_module_is_longer_than_the_limit() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in _modules("core", "index", "rag", "ui")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_function_is_longer_than_the_limit() -> None:
    long: dict[str, int] = {}
    for path in _modules("core", "index", "rag", "ui"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                name = f"{path.relative_to(ROOT)}:{node.name}"
                if lines > MAX_FUNCTION_LINES and name not in LONG_FUNCTIONS:
                    long[name] = lines
    assert long == {}
