"""The layering the code promises (README "Layout", issue 9), checked on the source text:
a thin CLI, views in ``khm.render``, a core that reads no files, one JSON writer."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "khm"
CLI_MAX_LINES = 250


def _modules(package: str) -> list[Path]:
    return sorted((SRC / package).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth (lazy imports inside functions count)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


@pytest.mark.parametrize("path", _modules("cli"), ids=lambda p: p.name)
def test_no_cli_module_is_over_250_lines(path: Path) -> None:
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= CLI_MAX_LINES, (
        f"{path.name}: {n} lines; move views to khm.render, logic to services"
    )


@pytest.mark.parametrize("path", _modules("render"), ids=lambda p: p.name)
def test_render_imports_no_services(path: Path) -> None:
    bad = {m for m in _imports(path) if m == "khm.services" or m.startswith("khm.services.")}
    assert not bad, f"{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize("path", _modules("core"), ids=lambda p: p.name)
def test_core_imports_no_io_store_or_terminal(path: Path) -> None:
    forbidden = ("khm.io", "khm.store", "khm.services", "khm.cli", "khm.render", "rich", "typer")
    bad = {m for m in _imports(path) if any(m == f or m.startswith(f + ".") for f in forbidden)}
    assert not bad, f"{path.name} imports {sorted(bad)}"


def test_services_build_no_tables() -> None:
    for path in _modules("services"):
        bad = {m for m in _imports(path) if m.startswith(("rich", "khm.render.table"))}
        assert not bad, f"{path.name} imports {sorted(bad)}: views belong in khm.render"


#: JSON text that is not output: the product-line filter matches the list as SQLAlchemy's
#: JSON type stored it (``json.dumps``), so it must spell it the same way
_NOT_OUTPUT = {SRC / "render" / "json.py", SRC / "store" / "lists.py"}


def test_json_is_written_in_one_place() -> None:
    """Only khm.render.json writes JSON (``json.loads`` to read is fine elsewhere)."""
    writers = []
    for path in SRC.rglob("*.py"):
        if path in _NOT_OUTPUT:
            continue
        text = path.read_text(encoding="utf-8")
        for needle in ("json.dumps(", "JSONEncoder", "orjson.dumps(", "encode_basestring"):
            if needle in text:
                writers.append(f"{path.relative_to(SRC)}: {needle}")
    assert not writers, "JSON written outside khm.render.json:\n" + "\n".join(writers)
