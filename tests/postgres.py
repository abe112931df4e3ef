"""A real PostgreSQL server for the tests, started once per test session.

initdb refuses to run as root, so as root the server runs as the
``postgres`` user. Where PostgreSQL is not installed the tests that need it
are skipped, unless FINWEEK_REQUIRE_POSTGRES=1 (CI sets it) makes that a
failure.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest


def _bindir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="finweek-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._databases = 0

    def _run(self, *argv: str) -> None:
        command = [str(self.bindir / argv[0]), *argv[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self, *, fsync: bool = False) -> None:
        """``fsync``: sync commits as a real server does (the benchmarks); the tests need not."""
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        self._options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync={'on' if fsync else 'off'}"
        self.restart()

    def restart(self) -> None:
        """Start the server again (after ``kill``): the benchmarks restart it mid-run."""
        self._run("pg_ctl", "-D", str(self.data), "-o", self._options, "-l", str(self.root / "log"), "-w", "start")

    def kill(self) -> None:
        """Stop the server at once, as a crash or a reboot of the machine would."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass  # stopped already (a test killed it)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def new_database(self) -> str:
        """A fresh, empty database; its SQLAlchemy URL."""
        import psycopg

        self._databases += 1
        name = f"finweek_{self._databases}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(f"CREATE DATABASE {name}")
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"


def _server():
    bindir = _bindir()
    if bindir is None:
        if os.environ.get("FINWEEK_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL is not installed, and FINWEEK_REQUIRE_POSTGRES=1")
        pytest.skip("PostgreSQL is not installed")
    server = PostgresServer(bindir)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server():
    yield from _server()


@pytest.fixture(scope="module")
def own_server():
    """A server of the module's own, which its tests may kill and restart."""
    yield from _server()


@pytest.fixture
def postgres_url(postgres_server):
    return postgres_server.new_database()
