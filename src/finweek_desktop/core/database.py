"""Engine creation and schema migrations.

Every SQLite-specific setting of the project lives here: the rest of the code
speaks portable SQLAlchemy, so a shared catalog can move to PostgreSQL by
passing a database URL instead of a file.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event

from .resources import db_path

log = logging.getLogger(__name__)


def sqlite_url(path: Path, *, read_only: bool = False) -> str:
    """``read_only``: opened without creating the -wal and -shm files, as a
    full disk has no room for them (commits a crash left in a WAL are not seen)."""
    if read_only:
        return f"sqlite:///file:{path}?mode=ro&immutable=1&uri=true"
    return f"sqlite:///{path}"


# How long a desktop waits for a team catalog's server before saying it cannot be reached.
CONNECT_TIMEOUT_SECONDS = 10


def make_engine(url: str) -> Engine:
    if url.startswith("postgresql"):
        # pre_ping: a connection the server dropped (a restart) is replaced
        # before use, so the desktop reconnects by itself. Everything in the
        # URL's query (sslmode=..., sslrootcert=..., service=...) goes to libpq as is.
        return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        read_only = "immutable=1" in url
        event.listen(engine, "connect", _configure_read_only if read_only else _configure_sqlite_connection)
    return engine


def _configure_read_only(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _configure_sqlite_connection(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # Cascades in the models rely on enforced foreign keys.
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL keeps readers (the GUI) going while a writer commits, and survives
    # a crash mid-write with the last committed state intact.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # A second process writing waits briefly instead of failing at once.
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_commits_durable(engine: Engine) -> bool:
    """Put every committed transaction safely on disk now; False when that
    could not be done in time (a reader held an old snapshot throughout).

    WAL with synchronous=NORMAL may lose the last commits to a power cut
    (they sit in the unsynced WAL until a checkpoint): fine for most writes,
    not for one after which a stored file is deleted, which must not come
    back as a row without its file.
    """
    if engine.dialect.name != "sqlite":
        return True  # a server database syncs each commit
    with engine.connect() as connection:
        # FULL syncs the WAL, copies it into the database and syncs that,
        # waiting (busy_timeout) for readers of older snapshots to finish.
        busy, _, _ = connection.exec_driver_sql("PRAGMA wal_checkpoint(FULL)").one()
    return not busy


# Below this, writing is hopeless: SQLite's -shm alone takes 32 KB, an index
# commit some MB. Asking for this much lets a catalog work again.
NEEDED_FREE_BYTES = 64 * 1024 * 1024


def full_disk_message(folder: Path) -> str | None:
    """What to tell the user when the disk holding ``folder`` is (nearly)
    full; None when it is not."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return None
    if free >= 1024 * 1024:
        return None
    return (
        f"the disk holding {folder} is full ({free // 1024} KB free): the catalog is open for reading only; "
        f"free at least {NEEDED_FREE_BYTES // (1024 * 1024)} MB there to write again"
    )


def database_error_message(exc: BaseException) -> str:
    """What went wrong, in one line: the driver's own message when there is
    one, without SQLAlchemy's statement dump and documentation link."""
    reason = getattr(exc, "orig", None) or exc
    return " ".join(str(reason).split()) or type(reason).__name__


def out_of_space_message(folder: Path) -> str:
    """What to tell the user when a write found the disk holding ``folder``
    full after the catalog opened (a file being copied into the store)."""
    try:
        free = f" ({shutil.disk_usage(folder).free // 1024:,} KB free)"
    except OSError:
        free = ""
    return (
        f"the disk holding {folder} is full{free}: what this command had not saved yet was not written; "
        f"free at least {NEEDED_FREE_BYTES // (1024 * 1024)} MB there and try again"
    )


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(db_path("migrations")))
    # (configparser reads % as interpolation: a read-only URL holds %3A)
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    config.attributes["engine"] = engine
    return config


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(engine: Engine) -> bool:
    """Bring the schema to the newest revision; True when anything ran."""
    if current_revision(engine) == head_revision(engine):
        return False
    log.info("upgrading catalog schema to %s", head_revision(engine))
    command.upgrade(alembic_config(engine), "head")
    return True


_NO_PRIVILEGE = "42501"  # PostgreSQL's insufficient_privilege


def server_failure(exc: BaseException) -> Exception | None:
    """What a database error of a team catalog means for the user: the
    server away (CatalogUnavailable) or a role without the right to write
    (ReadOnlyCatalog); None for anything else."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    from .errors import CatalogUnavailable, ReadOnlyCatalog

    if not isinstance(exc, DBAPIError):
        return None
    state = getattr(exc.orig, "sqlstate", None)
    if state == _NO_PRIVILEGE:
        return ReadOnlyCatalog()
    if exc.connection_invalidated or (
        isinstance(exc, OperationalError | InterfaceError)
        and type(exc.orig).__module__.startswith("psycopg")
        and (state is None or state.startswith(("08", "57P")))
    ):
        reason = " ".join(str(exc.orig).split()) or type(exc.orig).__name__
        return CatalogUnavailable(f"the team catalog's server cannot be reached ({reason})")
    return None
