"""Shared fixtures: real catalogs (SQLite file + Whoosh index) in tmp_path."""

from __future__ import annotations

import os
import sys

# Before any Qt import: GUI tests run without a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from finweek_desktop.core.startup import open_catalog


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    path = tmp_path / "data"
    # Keep every code path that consults the environment inside tmp_path.
    monkeypatch.setenv("FINWEEK_DATA_DIR", str(path))
    # No daily automatic backup after each test's first write (test_backup.py turns them on).
    monkeypatch.setenv("FINWEEK_BACKUP_KEEP", "0")
    monkeypatch.delenv("FINWEEK_BACKUP_DIR", raising=False)
    return path


@pytest.fixture
def catalog(data_dir):
    """A new catalog loaded with the embedded finance-week default."""
    cat = open_catalog(data_dir)
    yield cat
    cat.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_catalog(request, data_dir):
    """The seeded catalog on SQLite, then on a real PostgreSQL server (a team
    catalog): a test module opts in by overriding ``catalog`` with it."""
    if request.param == "sqlite":
        cat = open_catalog(data_dir)
    else:
        cat = open_catalog(data_dir, database_url=request.getfixturevalue("postgres_url"))
    yield cat
    cat.close()


@pytest.fixture
def service(catalog):
    return catalog.service


@pytest.fixture
def empty_catalog(tmp_path):
    cat = open_catalog(tmp_path / "empty", seed=False)
    yield cat
    cat.close()


@pytest.fixture
def seeded_id(service):
    """seeded_id("Blue Paper") -> the id of the one document titled like that."""

    def find(title_part: str) -> int:
        matches = [d.id for d in service.documents.list_documents() if title_part.lower() in d.title.lower()]
        assert len(matches) == 1, f"expected one document titled like {title_part!r}, found {matches}"
        return matches[0]

    return find


@pytest.fixture
def finweek(data_dir, capsys):
    """finweek("search", "x") runs the CLI in-process -> (exit code, stdout, stderr)."""
    from finweek_desktop.cli import main

    def run(*argv):
        code = main(["--data-dir", str(data_dir), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


from postgres import own_server, postgres_server, postgres_url  # noqa: E402,F401  (a real server, for team catalogs)

_EXIT_STATUS = [0]


def pytest_sessionfinish(session, exitstatus):
    """The GUI tests' Qt pool threads end before the interpreter does (as the
    app's main() does at exit)."""
    _EXIT_STATUS[0] = int(exitstatus)
    if "finweek_desktop.gui.tasks" in sys.modules:
        sys.modules["finweek_desktop.gui.tasks"].TaskRunner.end_all_threads()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """The report is written: end the process here. The Qt objects a few
    hundred GUI tests leave behind are otherwise destroyed during interpreter
    finalization, and PySide6 crashed there (a segfault after every test had
    passed, so .ci/run failed). The app's own exit is clean; only this
    teardown of the test process is skipped."""
    if "PySide6.QtCore" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS[0])
