"""A lost catalog database must never pass for a new one.

A failing disk or a sync tool can leave ``catalog.sqlite3`` empty (0 bytes)
or without the documents its WAL held. Opened naively, that is a new
catalog: the seed loads into it, and `check --repair` then "fixes" the
index and the attachment store by deleting everything the database no
longer names. So before anything writes, the database is compared with
what lies beside it, and a blank or empty database next to an index or a
store that holds content stops the open with a message.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

from .attachments.store import AttachmentStore
from .errors import CatalogDamaged
from .search.index import stored_document_count

_WHAT_TO_DO = (
    "Nothing was changed. `finweek recover` rebuilds a working catalog from the latest backup, "
    "what SQLite can still read or the search index, keeping the damaged file aside; "
    "or move the folder aside to start a new catalog."
)

# What SQLite says of a file that is not (or no longer) a whole database.
_DAMAGE_SIGNS = ("malformed", "not a database", "disk image", "corrupt")


def looks_damaged(exc: BaseException) -> bool:
    """Whether a database error means a damaged file (not a lock, a full disk, permissions)."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    return any(sign in text for sign in _DAMAGE_SIGNS)


def damaged_message(database: Path, reason: str) -> str:
    return f"the catalog database {database} is damaged ({reason}). {_WHAT_TO_DO}"


def database_is_blank(database: Path) -> bool:
    """No database file, one of 0 bytes, or one without a single table (a
    lost WAL can take the schema with it): SQLite would open each as new."""
    try:
        if database.stat().st_size == 0:
            return True
    except FileNotFoundError:
        return True
    try:  # read-only: a damaged file is left exactly as it is
        with closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as connection:
            return connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    except sqlite3.Error:
        return False  # not blank: opening it reports what is wrong


def refuse_blank_database(database: Path, index_dir: Path, store: AttachmentStore) -> None:
    """Before a blank database is created: stop if the index or the store
    holds content, which only a catalog that existed can have made."""
    in_index = stored_document_count(index_dir)
    files = store.count_files()
    if not in_index and not files:
        return
    state = "missing" if not database.exists() else "empty"
    raise CatalogDamaged(
        f"the catalog database {database} is {state}, but {_beside(in_index, files)}: "
        f"the database was lost or damaged. {_WHAT_TO_DO}"
    )


def refuse_emptied_database(database: Path, documents: int, index_dir: Path, deletions_logged: bool) -> None:
    """After opening an existing database: one with no documents beside an
    index that holds some lost them, unless its change log records that
    they were deleted (the index then follows)."""
    if documents or deletions_logged:
        return
    in_index = stored_document_count(index_dir)
    if not in_index:
        return
    raise CatalogDamaged(
        f"the catalog database {database} holds no documents, but {_beside(in_index, 0)}: "
        f"the database was emptied or damaged. {_WHAT_TO_DO}"
    )


def applied_through(index_dir: Path) -> int | None:
    """The last change of the log the index in ``index_dir`` applied (its
    position file); None when it does not say. Reads only."""
    from .index_follower import POSITION_FILE, Position  # the follower needs the search package, not this one

    try:
        position = Position.from_json(json.loads((index_dir / POSITION_FILE).read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return max([position.through, *position.applied])


BEHIND_INDEX = "is older than its search index"


def behind_index_reason(applied: int | None, last_logged: int) -> str | None:
    """Why a database whose change log ends at ``last_logged`` lost writes
    its index applied up to ``applied`` (a lost WAL, an older copy put in its
    place); None when it did not. New writes would take the lost changes'
    numbers and the index, taking them for applied, would never follow them.
    Read ``applied`` (``applied_through``) BEFORE the database: a write by
    another process in between then makes the database look newer, never
    older."""
    if applied is None or applied <= last_logged:
        return None
    return (
        f"{BEHIND_INDEX}: its change log ends at change {last_logged}, but the index applied changes up to "
        f"{applied} (the database lost its latest writes, e.g. with its -wal file)"
    )


def refuse_database_behind_index(database: Path, applied: int | None, last_logged: int) -> None:
    """After opening an existing database: stop if it lost writes its index applied."""
    reason = behind_index_reason(applied, last_logged)
    if reason is not None:
        raise CatalogDamaged(f"the catalog database {database} {reason}. {_WHAT_TO_DO}")


def _beside(in_index: int | None, files: int) -> str:
    parts = []
    if in_index is None:
        parts.append("its search index holds documents")
    elif in_index:
        parts.append(f"its search index holds {in_index} document(s)")
    if files:
        parts.append(f"its attachment store holds {files} file(s)")
    return " and ".join(parts)
