"""Entry point of the `finweek` command."""

from __future__ import annotations

import argparse
import logging
import sys

from sqlalchemy.exc import SQLAlchemyError

from ..core.catalog import NotFound
from ..core.catalog.snapshots import RestoreError
from ..core.changes import SAVED_NOT_YET_SEARCHABLE, ChangeSet
from ..core.display import safe_display_name
from ..core.search.index import IndexDamaged
from ..core.search.query import QueryError
from ..core.startup import CatalogOpenError, database_error_message, open_catalog
from . import attachments, documents, history, maintenance, ocr, reference, search, tags
from .output import CliError

COMMAND_GROUPS = [search, documents, attachments, ocr, tags, reference, maintenance, history]
log = logging.getLogger("finweek_desktop.cli")


class _Parser(argparse.ArgumentParser):
    """Usage errors on one line too (argparse prints the whole usage)."""

    def error(self, message: str):
        if self.prog.endswith(" search") and "required: query" in message:
            # `finweek search -digital`: argparse took the query for an option.
            message += "; a query that starts with '-' goes after --, as in: finweek search -- -word"
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


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
        help="use another database (e.g. a shared PostgreSQL catalog); the index stays in the data folder",
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
        catalog = open_catalog(
            getattr(args, "data_dir", None),
            database_url=getattr(args, "database_url", None),
            progress=_progress_on_stderr,
        )
        unsearchable: list[ChangeSet] = []

        def note_unsearchable(changes: ChangeSet) -> None:
            if not changes.searchable:
                unsearchable.append(changes)

        catalog.service.writer.listeners.append(note_unsearchable)
        code = args.handler(args, catalog) or 0
        if unsearchable and catalog.service.writer.require_follower().pending():
            print(f"finweek: {SAVED_NOT_YET_SEARCHABLE} (another process is writing the search index)", file=sys.stderr)
        return code
    except CliError as exc:
        return _fail(str(exc), exc.code)
    except (NotFound, QueryError, ValueError, CatalogOpenError, IndexDamaged, RestoreError) as exc:
        return _fail(str(exc))
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except OSError as exc:
        return _fail(f"{exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}")
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except SQLAlchemyError as exc:  # e.g. the database is locked or read-only
        if catalog is not None and catalog.read_only:  # a full disk: say where, and how much to free
            return _fail(f"nothing was written: {catalog.read_only}")
        return _fail(f"the catalog database failed: {database_error_message(exc)}")
    except Exception as exc:  # a bug: still one line, the traceback with -v
        log.info("unexpected error", exc_info=True)
        return _fail(f"unexpected {type(exc).__name__}: {exc} (run with -v for details)")
    finally:
        if catalog is not None:
            catalog.close()


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
