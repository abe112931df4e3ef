"""Structural promises: the core never imports Qt, and nothing goes online."""

from __future__ import annotations

import socket
import subprocess
import sys

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
