"""The change log: written with every write, read by whatever follows it.

Every transaction of the catalog's writer adds one ``changes`` row per
document it touched, in the same transaction (a transactional outbox), so a
committed write can never be missing from the log. The search index of each
desktop follows the log (``index_follower.py``); a team catalog's desktops
all follow the one log of the shared database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, select, text, update
from sqlalchemy.orm import Session as DbSession

from .changes import ChangeAction
from .models import Change, ChangeLogState, utcnow

# How long the log keeps a change: a desktop away for longer rebuilds its index.
KEEP_DAYS = 30
# On PostgreSQL every write notifies this channel; it is delivered at commit
# (never for a rolled-back write), and wakes the other desktops' followers.
NOTIFY_CHANNEL = "finweek_changes"


@dataclass(frozen=True)
class LoggedChange:
    seq: int
    document_id: int | None
    action: str


def record(
    session: DbSession,
    created: Iterable[int],
    changed: Iterable[int],
    deleted: Iterable[int],
    aliases: bool,
    collections: bool = False,
) -> list[Change]:
    """Add the log rows of one transaction (call last, just before commit:
    on a server, a sequence number taken by a transaction that then rolls
    back is a gap the followers must wait out)."""
    rows = [Change(document_id=i, action=ChangeAction.CREATED.value) for i in sorted(created)]
    rows += [Change(document_id=i, action=ChangeAction.CHANGED.value) for i in sorted(changed)]
    rows += [Change(document_id=i, action=ChangeAction.DELETED.value) for i in sorted(deleted)]
    if aliases:
        rows.append(Change(document_id=None, action=ChangeAction.ALIASES.value))
    if collections:  # other desktops redraw their sidebars
        rows.append(Change(document_id=None, action=ChangeAction.COLLECTIONS.value))
    session.add_all(rows)
    if rows and session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})
    return rows


def read_after(connection: Connection, seq: int, limit: int) -> list[LoggedChange]:
    rows = connection.execute(
        select(Change.seq, Change.document_id, Change.action).where(Change.seq > seq).order_by(Change.seq).limit(limit)
    )
    return [LoggedChange(*row) for row in rows]


def last_seq(connection: Connection) -> int:
    return connection.scalar(select(func.max(Change.seq))) or pruned_through(connection)


def pruned_through(connection: Connection) -> int:
    """Every change up to this sequence may be gone from the log."""
    return connection.scalar(select(ChangeLogState.pruned_through).where(ChangeLogState.id == 1)) or 0


def prune(connection: Connection, applied_through: int, older_than_days: int = KEEP_DAYS) -> int:
    """Drop changes older than the given age that every follower applied
    (through ``applied_through``: one's own catalog, startup.py); returns
    how many. The caller commits."""
    cutoff = utcnow() - dt.timedelta(days=older_than_days)
    through = connection.scalar(select(func.max(Change.seq)).where(Change.at < cutoff))
    if through is None or min(through, applied_through) <= pruned_through(connection):
        return 0  # nothing new to drop: no write (a read-only command never waits for the lock)
    return prune_through(connection, min(through, applied_through))


def prune_through(connection: Connection, through: int) -> int:
    """Drop the changes up to sequence ``through`` (a team catalog: what every
    desktop applied, team/upkeep.py); returns how many. The caller commits."""
    if through <= 0:
        return 0
    removed = connection.execute(delete(Change).where(Change.seq <= through)).rowcount
    connection.execute(
        update(ChangeLogState)
        .where(ChangeLogState.id == 1, ChangeLogState.pruned_through < through)
        .values(pruned_through=through)
    )
    return removed
