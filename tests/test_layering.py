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


BASE = {"__init__", "settings", "db", "i18n", "logs"}  # the base every part of portal stands on
QUERIES = {"select", "objects", "update", "insert", "delete", "raw", "count", "exists"}
# Domain errors live with each domain (STYLE.md): the one name several layers may share.
SHARED_NAMES = {"__init__", "errors", "tables", "piccolo_app"}


def _sources(*parts: str) -> list[Path]:
    return [p for p in (ROOT.joinpath(*parts)).rglob("*.py") if "piccolo_migrations" not in p.parts]


def test_portal_holds_only_the_base_and_packages():
    loose = sorted(p.stem for p in (ROOT / "portal").glob("*.py") if p.stem not in BASE)
    assert loose == []


def _table_names(tree: ast.AST) -> set[str]:
    """Names bound to table classes: whatever is imported from a `tables` module."""
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[-1] == "tables"
        for alias in node.names
    }


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def database_work(path: Path) -> list[str]:
    """Queries on tables and transactions opened in this module, as `line: call`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    tables = _table_names(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if "transaction" in name:
            found.append(f"{node.lineno}: {name}")
        elif isinstance(func, ast.Attribute) and name in QUERIES and _root_name(func.value) in tables:
            found.append(f"{node.lineno}: {_root_name(func.value)}.{name}")
    return found


def test_the_web_layer_asks_services_and_never_queries_the_database():
    offenders = {str(p.relative_to(ROOT)): work for p in _sources("portal", "web") if (work := database_work(p))}
    assert offenders == {}


def test_the_check_finds_queries_and_transactions(tmp_path):
    handler = tmp_path / "handler.py"
    handler.write_text(
        "from portal.tickets.tables import Ticket as T\n"
        "from portal.db import write_transaction\n"
        "async def h(overview):\n"
        "    await overview.exists(1)\n"  # a service's function: fine
        "    async with write_transaction():\n"
        "        return await T.select(T.id).where(T.id == 1)\n"
    )
    assert database_work(handler) == ["5: write_transaction", "6: T.select"]


def test_the_web_layer_does_not_import_the_command_line():
    offenders = [
        str(p.relative_to(ROOT))
        for p in _sources("portal", "web")
        if any(
            isinstance(node, ast.ImportFrom) and (node.module or "").startswith("portal.cli")
            for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        )
    ]
    assert offenders == []


def test_module_names_do_not_clash_across_layers():
    """One name, one place: a newcomer looking for `accounts` finds one module or package, not two. A
    route module may be named after the package whose pages it serves (web/routes/tickets.py)."""
    places: dict[str, set[str]] = {}
    for package in ("portal", "kb", "auth"):
        for path in _sources(package):
            relative = path.relative_to(ROOT)
            if path.stem not in SHARED_NAMES:
                places.setdefault(path.stem, set()).add(str(relative))
            routes = relative.parts[:3] == ("portal", "web", "routes")
            for depth, part in enumerate(relative.parts[1:-1], start=2):
                if not routes:
                    places.setdefault(part, set()).add(str(Path(*relative.parts[:depth])) + "/")
    clashes = {
        name: sorted(where)
        for name, where in places.items()
        if (len(where) > 1 and not all(w.startswith("portal/web/routes/") or w.endswith("/") for w in where))
        or len([w for w in where if not w.endswith("/")]) > 1
    }
    assert clashes == {}
