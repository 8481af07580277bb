"""The dependency direction: kb and auth never import portal or Litestar, nor each other."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"kb": {"portal", "litestar", "auth"}, "auth": {"portal", "litestar", "kb"}}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_upwards(package):
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    offenders = {path: names for path, names in offenders.items() if names}
    assert offenders == {}


def test_only_the_web_layer_imports_litestar():
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "portal").rglob("*.py")
        if "web" not in path.relative_to(ROOT / "portal").parts[:1] and "litestar" in imported_packages(path)
    ]
    assert offenders == []
