"""The one start-up function: engine, migrations, index, service.

No module creates an engine or opens an index at import time; the CLI, the
GUI and the tests all call ``open_catalog`` and get the same objects.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from . import changelog
from .attachments.store import AttachmentStore
from .catalog import CatalogService
from .changes import ChangeAction
from .damage import (
    applied_through,
    damaged_message,
    database_is_blank,
    looks_damaged,
    refuse_blank_database,
    refuse_database_behind_index,
    refuse_emptied_database,
)
from .database import (
    current_revision,
    database_error_message,
    full_disk_message,
    head_revision,
    make_engine,
    server_failure,
    sqlite_url,
    upgrade_to_head,
)
from .errors import CatalogDamaged, CatalogOpenError
from .models import Change, Document
from .paths import CatalogPaths, resolve_data_dir
from .privacy import PRIVATE_DIR, make_private
from .search.index import IndexFull, SearchIndex
from .seed import load_seed
from .team import upkeep
from .team.files import TeamAttachmentStore
from .team.setup import known_team_catalog, remember_team_catalog, setting_up

log = logging.getLogger(__name__)

TEAMS_DIR = "teams"  # in the data folder: one folder per team catalog (its index and file cache)


__all__ = ["Catalog", "CatalogDamaged", "CatalogOpenError", "database_error_message", "open_catalog"]


@dataclass
class Catalog:
    paths: CatalogPaths
    engine: Engine
    index: SearchIndex
    service: CatalogService
    created: bool  # True when this call made a new catalog
    read_only: str | None = None  # why it is open for reading only (a full disk), for the user
    data_dir: Path | None = None  # the data folder it was opened with (a team catalog's index lives below it)
    database_url: str | None = None  # a team catalog's URL; None for the catalog in the data folder
    desktop: str | None = None  # a team catalog open with its server: this desktop's id in it (team/upkeep.py)
    upkept: bool = False  # this open did the team catalog's daily upkeep (the log pruned, the trash purged)

    def close(self) -> None:
        self.service.team.stop()
        self.service.writer.stop_following()
        self.service.meaning.stop_following()
        if self.desktop is not None:  # how far this desktop's index follows the log, for the pruning
            _report_applied(self)
        self.index.close()
        self.engine.dispose()


def _deletions_logged(engine: Engine) -> bool:
    """Whether the change log records deletions (the documents were deleted, not lost)."""
    with engine.connect() as connection:
        return bool(connection.scalar(select(func.count()).where(Change.action == ChangeAction.DELETED.value)))


def _last_logged(engine: Engine) -> int:
    with engine.connect() as connection:
        return changelog.last_seq(connection)


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
    if database_url is not None:
        return _open_team_catalog(resolve_data_dir(data_dir), database_url, seed=seed, progress=progress)
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
            if database_url is None and looks_damaged(exc):
                raise CatalogDamaged(damaged_message(paths.database, database_error_message(exc))) from exc
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
            if read_only is None:  # read-only (a full disk) is immutable=1: it sees nothing of the -wal file
                applied = applied_through(paths.index)  # first: see behind_index_reason
                refuse_database_behind_index(paths.database, applied, _last_logged(engine))
        except CatalogDamaged:
            engine.dispose()
            raise
        except Exception as exc:
            engine.dispose()
            if looks_damaged(exc):
                raise CatalogDamaged(damaged_message(paths.database, database_error_message(exc))) from exc
            raise
    index = SearchIndex(paths.index)
    service = CatalogService(engine, index, store)
    service.writer.full_disk = read_only  # a write is refused saying where and how much to free
    service.writer.full_disk_folder = paths.root if read_only else None
    if read_only is None:
        service.attachments.finish_interrupted_commits()  # files made live by a process killed before its commit
    try:
        if index.open():
            # New, damaged or of another version: filled from the database (the
            # seed below then reaches it through the change log).
            report = (lambda done, total: progress("Building the search index", done, total)) if progress else None
            service.integrity.reindex(progress=report)
        else:
            service.writer.catch_up()  # a busy index is no reason not to open: reads work
    except IndexFull as exc:  # a full disk: the database reads; the index is rebuilt once there is room
        log.warning("%s", exc)
    if created and seed:
        log.info("new catalog at %s: loading the default finance-week catalog", paths.root)
        load_seed(service)
    elif service.trash.entries():
        try:
            service.trash.purge_expired()
        except Exception:  # e.g. a full disk or a read-only folder: reading goes on
            log.warning("could not purge the trash", exc_info=True)
    if read_only is None and not created:
        _prune_log(service, engine)
    return Catalog(paths, engine, index, service, created, read_only, data_dir=paths.root)


def _prune_log(service: CatalogService, engine: Engine) -> None:
    """One's own catalog: drop the change log's rows older than KEEP_DAYS
    that its index and its embeddings have applied (a team catalog's log is
    pruned by its daily upkeep, team/upkeep.py). Never a reason not to open."""
    position = service.writer.require_follower().position()
    if position is None:
        return
    try:
        with engine.begin() as connection:
            embedded = upkeep.embedded_through(connection)
            through = position.through if embedded is None else min(position.through, embedded)
            removed = changelog.prune(connection, through)
        if removed:
            log.info("change log: %d changes older than %d days pruned", removed, changelog.KEEP_DAYS)
    except Exception:  # e.g. a full disk: the log is kept longer, that is all
        log.warning("could not prune the change log", exc_info=True)


def _open_team_catalog(
    data_dir: Path,
    database_url: str,
    *,
    seed: bool,
    progress: Callable[[str, int, int | None], None] | None,
) -> Catalog:
    """A catalog on a server: the schema and the seed once per team catalog
    (team/setup.py); the index and the file cache in a folder of the data
    folder named after the catalog's identity, so an index never meets
    another catalog's log."""
    engine = make_engine(database_url)
    try:
        with setting_up(engine) as setup:
            paths = CatalogPaths(data_dir / TEAMS_DIR / setup.catalog_id)
            try:
                paths.root.mkdir(PRIVATE_DIR, parents=True, exist_ok=True)
            except OSError as exc:
                raise CatalogOpenError(f"cannot create the data folder {paths.root}: {exc.strerror}") from exc
            make_private(data_dir)
            store = TeamAttachmentStore(paths.attachments, engine)  # the files in the database, cached here
            store.remove_leftovers()
            index = SearchIndex(paths.index)
            service = CatalogService(engine, index, store)
            service.attachments.finish_interrupted_commits()
            if index.open():  # new to this catalog: built from the database
                report = (lambda done, total: progress("Building the search index", done, total)) if progress else None
                service.integrity.reindex(progress=report)
            else:
                service.writer.catch_up()
            if setup.needs_seed and seed:
                log.info("new team catalog: loading the default finance-week catalog")
                load_seed(service)
                setup.seeded = True
    except CatalogOpenError:
        engine.dispose()
        raise
    except (OSError, SQLAlchemyError) as exc:
        engine.dispose()
        failure = CatalogOpenError(f"cannot open the team catalog: {database_error_message(exc)}")
        away = server_failure(exc)
        offline = _open_team_offline(data_dir, database_url, str(away)) if away is not None else None
        if offline is None:
            raise failure from exc
        return offline
    remember_team_catalog(data_dir, database_url, setup.catalog_id)
    catalog = Catalog(
        paths,
        engine,
        index,
        service,
        setup.seeded,
        data_dir=data_dir,
        database_url=database_url,
        desktop=upkeep.desktop_id(paths.root),
    )
    service.team.desktop = catalog.desktop  # an open desktop says so again now and then
    _report_applied(catalog)
    catalog.upkept = _team_upkeep(catalog)
    return catalog


def _report_applied(catalog: Catalog) -> None:
    position = catalog.service.writer.require_follower().position()
    if position is not None and catalog.desktop is not None:
        upkeep.report_applied(catalog.engine, catalog.desktop, position.through)


def _team_upkeep(catalog: Catalog) -> bool:
    """Once a day per team catalog, by one desktop however many open it at
    once: prune the change log of what every desktop applied, purge the
    trash of what is past the retention. Never a reason not to open."""
    if not upkeep.claim(catalog.engine):
        return False
    try:
        removed, through = upkeep.prune_log(catalog.engine)
        purged = catalog.service.trash.purge_expired()
        log.info("team catalog upkeep: %d changes pruned (through %d), %d trash items purged", removed, through, purged)
    except Exception:
        log.warning("the team catalog's upkeep failed; another open will do it", exc_info=True)
    return True


def _open_team_offline(data_dir: Path, database_url: str, why: str) -> Catalog | None:
    """The server cannot be reached: open this desktop's copy of a team
    catalog it opened before, for searching (writes are refused, the
    connection comes back by itself). None when there is no such copy."""
    catalog_id = known_team_catalog(data_dir, database_url)
    if catalog_id is None:
        return None
    paths = CatalogPaths(data_dir / TEAMS_DIR / catalog_id)
    if not paths.index.is_dir():
        return None
    engine = make_engine(database_url)
    index = SearchIndex(paths.index)
    try:
        if index.open():  # no usable copy: it would need the database to be rebuilt
            index.close()
            engine.dispose()
            return None
    except Exception:
        engine.dispose()
        return None
    store = TeamAttachmentStore(paths.attachments, engine)
    service = CatalogService(engine, index, store)
    note = f"{why}: searching this desktop's copy; changes cannot be saved until the server is back"
    log.info("%s", note)  # the caller says it to the user
    return Catalog(paths, engine, index, service, False, note, data_dir=data_dir, database_url=database_url)
