"""The one start-up function: engine, migrations, index, service.

No module creates an engine or opens an index at import time; the CLI, the
GUI and the tests all call ``open_catalog`` and get the same objects.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from .attachments.store import AttachmentStore
from .catalog import CatalogService
from .changes import ChangeAction
from .damage import database_is_blank, refuse_blank_database, refuse_emptied_database
from .database import current_revision, full_disk_message, head_revision, make_engine, sqlite_url, upgrade_to_head
from .errors import CatalogDamaged, CatalogOpenError
from .models import Change, Document
from .paths import CatalogPaths, resolve_data_dir
from .privacy import PRIVATE_DIR, make_private
from .search.index import SearchIndex
from .seed import load_seed

log = logging.getLogger(__name__)


__all__ = ["Catalog", "CatalogDamaged", "CatalogOpenError", "database_error_message", "open_catalog"]


@dataclass
class Catalog:
    paths: CatalogPaths
    engine: Engine
    index: SearchIndex
    service: CatalogService
    created: bool  # True when this call made a new catalog
    read_only: str | None = None  # why it is open for reading only (a full disk), for the user

    def close(self) -> None:
        self.service.writer.stop_following()
        self.service.meaning.stop_following()
        self.index.close()
        self.engine.dispose()


def database_error_message(exc: BaseException) -> str:
    """What went wrong, in one line: the driver's own message when there is
    one, without SQLAlchemy's statement dump and documentation link."""
    reason = getattr(exc, "orig", None) or exc
    return " ".join(str(reason).split()) or type(reason).__name__


def _deletions_logged(engine: Engine) -> bool:
    """Whether the change log records deletions (the documents were deleted, not lost)."""
    with engine.connect() as connection:
        return bool(connection.scalar(select(func.count()).where(Change.action == ChangeAction.DELETED.value)))


def _count_documents(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Document)) or 0


def open_catalog(
    data_dir: str | os.PathLike | None = None,
    *,
    database_url: str | None = None,
    seed: bool = True,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> Catalog:
    """Open (creating, migrating, seeding and indexing as needed) a catalog.

    ``database_url`` selects another database (a shared PostgreSQL catalog);
    the index (which follows the database's change log) stays in ``data_dir``, one per desktop.
    """
    paths = CatalogPaths(resolve_data_dir(data_dir))
    try:
        paths.root.mkdir(PRIVATE_DIR, parents=True, exist_ok=True)
    except OSError as exc:
        raise CatalogOpenError(f"cannot create the data folder {paths.root}: {exc.strerror}") from exc
    make_private(paths.root)  # before anything is written in it
    store = AttachmentStore(paths.attachments)
    store.remove_leftovers()  # temporary copies of processes that ended (killed mid-import)
    created = database_url is None and database_is_blank(paths.database)
    if created:
        refuse_blank_database(paths.database, paths.index, store)
    engine = make_engine(database_url or sqlite_url(paths.database))
    read_only = None
    try:
        upgrade_to_head(engine)
    except Exception as exc:
        engine.dispose()
        where = paths.database if database_url is None else "at the given --database-url"
        read_only = full_disk_message(paths.root) if database_url is None and not created else None
        if read_only is None:
            raise CatalogOpenError(f"cannot open the catalog database {where}: {database_error_message(exc)}") from exc
        # A full disk: no room for SQLite's -wal and -shm files. Reading needs none.
        log.warning("%s", read_only)
        engine = make_engine(sqlite_url(paths.database, read_only=True))
        if current_revision(engine) != head_revision(engine):
            engine.dispose()
            raise CatalogOpenError(read_only) from exc

    if database_url is None and not created:
        try:
            refuse_emptied_database(paths.database, _count_documents(engine), paths.index, _deletions_logged(engine))
        except CatalogDamaged:
            engine.dispose()
            raise
    index = SearchIndex(paths.index)
    service = CatalogService(engine, index, store)
    if read_only is None:
        service.attachments.finish_interrupted_commits()  # files made live by a process killed before its commit
    if index.open():
        # New, damaged or of another version: filled from the database (the
        # seed below then reaches it through the change log).
        report = (lambda done, total: progress("Building the search index", done, total)) if progress else None
        service.integrity.reindex(progress=report)
    else:
        service.writer.catch_up()  # a busy index is no reason not to open: reads work
    if created and seed:
        log.info("new catalog at %s: loading the default finance-week catalog", paths.root)
        load_seed(service)
    elif service.trash.entries():
        try:
            service.trash.purge_expired()
        except Exception:  # e.g. a full disk or a read-only folder: reading goes on
            log.warning("could not purge the trash", exc_info=True)
    return Catalog(paths, engine, index, service, created, read_only)
