"""Entry point of the `finweek` command."""

from __future__ import annotations

import argparse
import errno
import logging
import sys

from sqlalchemy.exc import SQLAlchemyError

from ..core.backup import BackupError, RecoveryRefused, backup_if_due
from ..core.catalog import ChangedMeanwhile, NotFound
from ..core.catalog.snapshots import RestoreError
from ..core.changes import SAVED_NOT_YET_SEARCHABLE, ChangeSet
from ..core.damage import looks_damaged
from ..core.database import out_of_space_message, server_failure
from ..core.display import safe_display_name
from ..core.errors import CatalogFull, CatalogUnavailable, ReadOnlyCatalog
from ..core.paths import resolve_database_url
from ..core.search.index import IndexBusy, IndexDamaged
from ..core.search.query import QueryError
from ..core.startup import CatalogOpenError, database_error_message, open_catalog
from . import (
    attachments,
    backup,
    collections,
    documents,
    history,
    imports,
    maintenance,
    ocr,
    recover,
    reference,
    refs,
    search,
    tags,
    team,
)
from .output import CliError

COMMAND_GROUPS = [
    search,
    documents,
    attachments,
    ocr,
    tags,
    collections,
    reference,
    maintenance,
    history,
    refs,
    imports,
    team,
    backup,
    recover,
]
log = logging.getLogger("finweek_desktop.cli")


class _Parser(argparse.ArgumentParser):
    """Usage errors on one line too (argparse prints the whole usage)."""

    def error(self, message: str):
        if self.prog.endswith(" search") and "required: query" in message:
            # `finweek search -digital`: argparse took the query for an option.
            message += "; a query that starts with '-' goes after --, as in: finweek search -- -word"
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def parse_args(self, args=None, namespace=None):
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            message = f"unrecognized arguments: {' '.join(extras)}"
            if getattr(parsed, "command", None) == "search" and any(e.startswith("-") for e in extras):
                # the query is optional (`search --saved NAME`): `search -digital` ends here
                message += "; a query that starts with '-' goes after --, as in: finweek search -- -word"
            self.error(message)
        return parsed


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        default=argparse.SUPPRESS,
        help="catalog folder (default: $FINWEEK_DATA_DIR, else the user data folder)",
    )
    common.add_argument(
        "--database-url",
        default=argparse.SUPPRESS,
        help="a team catalog on a PostgreSQL server, e.g. postgresql+psycopg://alice@db.example/finweek "
        "(default: $FINWEEK_DATABASE_URL, else the catalog in the data folder); the index stays in the data folder",
    )
    common.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log progress to stderr"
    )
    parser = _Parser(
        prog="finweek",
        parents=[common],
        description="Search and manage the Shizimen Finance Week document catalog (offline).",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in COMMAND_GROUPS:
        group.register(subparsers, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "verbose", False):
        logging.getLogger("alembic").setLevel(logging.WARNING)
    catalog = None
    try:
        if not getattr(args, "opens_catalog", True):
            # backup, restore, recover: they work on the folder (a damaged
            # catalog, an empty target), not on an opened catalog.
            return args.handler(args) or 0
        catalog = open_catalog(
            getattr(args, "data_dir", None),
            database_url=resolve_database_url(getattr(args, "database_url", None)),
            progress=_progress_on_stderr,
        )
        unsearchable: list[ChangeSet] = []
        wrote: list[ChangeSet] = []

        def note_unsearchable(changes: ChangeSet) -> None:
            wrote.append(changes)
            if not changes.searchable:
                unsearchable.append(changes)

        catalog.service.writer.listeners.append(note_unsearchable)
        code = args.handler(args, catalog) or 0
        if catalog.read_only and catalog.database_url:  # a team catalog whose server cannot be reached
            print(f"finweek: note: {catalog.read_only}", file=sys.stderr)
        if unsearchable and catalog.service.writer.require_follower().pending():
            # Why: another writer, or a read-only folder or a full disk (named, with what to do, on a line of its own).
            problem = catalog.index.write_problem()
            why = f"\nfinweek: {problem}" if problem else " (another process is writing the search index)"
            print(f"finweek: {SAVED_NOT_YET_SEARCHABLE}{why}", file=sys.stderr)
        if wrote and code == 0 and getattr(args, "database_url", None) is None:
            _automatic_backup(catalog)
        return code
    except CliError as exc:
        return _fail(str(exc), exc.code)
    except (
        NotFound,
        QueryError,
        ValueError,
        CatalogOpenError,
        IndexDamaged,
        IndexBusy,
        RestoreError,
        ChangedMeanwhile,
        CatalogUnavailable,
        CatalogFull,
        ReadOnlyCatalog,
        BackupError,
        RecoveryRefused,
    ) as exc:
        return _fail(str(exc))
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT) and catalog is not None and catalog.database_url is None:
            # a full disk: say where and how much to free, not the system's bare words
            if catalog.read_only:
                return _fail(f"nothing was written: {catalog.read_only}")
            return _fail(out_of_space_message(catalog.paths.root))
        return _fail(f"{exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}")
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except SQLAlchemyError as exc:  # e.g. the database is locked or read-only
        failure = server_failure(exc)  # a team catalog's server away, or a role that may only read
        if failure is not None:
            return _fail(str(failure))
        if catalog is not None and catalog.read_only:  # a full disk: say where, and how much to free
            return _fail(f"nothing was written: {catalog.read_only}")
        if looks_damaged(exc):  # a damaged page that opening did not touch
            return _fail(
                f"the catalog database is damaged: {database_error_message(exc)}; "
                "`finweek recover` rebuilds a working catalog, keeping the damaged file aside"
            )
        return _fail(f"the catalog database failed: {database_error_message(exc)}")
    except Exception as exc:  # a bug: still one line, the traceback with -v
        log.info("unexpected error", exc_info=True)
        return _fail(f"unexpected {type(exc).__name__}: {exc} (run with -v for details)")
    finally:
        if catalog is not None:
            catalog.close()


def _automatic_backup(catalog) -> None:
    """The daily backup, after a command that wrote (reads stay quick);
    a backup that fails is a warning, never the command's failure."""
    try:
        info = backup_if_due(catalog.paths)
    except Exception as exc:
        log.info("automatic backup failed", exc_info=True)
        print(f"finweek: warning: the daily automatic backup failed: {exc}", file=sys.stderr)
        return
    if info is not None:
        print(f"finweek: daily automatic backup saved: {info.path}", file=sys.stderr)


def _fail(message: str, code: int = 1) -> int:
    # Messages name files and documents: their control characters are shown escaped.
    one_line = "; ".join(safe_display_name(line.strip()) for line in message.splitlines() if line.strip())
    print(f"finweek: error: {one_line}", file=sys.stderr)
    return code


def _progress_on_stderr(stage: str, done: int, total: int | None) -> None:
    if sys.stderr.isatty():
        of = f"/{total}" if total else ""
        print(f"\r{stage}: {done}{of}", end="" if total is None or done < total else "\n", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
