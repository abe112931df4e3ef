"""A team catalog's daily upkeep: its change log pruned to what every desktop
has applied, and its trash purged of what is past the retention.

Each desktop says how far its index follows the log (a ``desktop:<id>`` row
of ``catalog_settings``: the sequence it applied through, and when it said
so), at open and at close. Once a day, the first desktop to open the catalog
claims the upkeep (a conditional update of the ``upkeep_on`` row: two
desktops opening at once, one does it) and

- drops the log's changes that every desktop seen in the last ``KEEP_DAYS``
  days has applied, and that the team's embeddings have taken in; changes
  older than ``KEEP_DAYS`` go whoever has not applied them: a desktop away
  for longer finds its index behind what the log keeps and rebuilds it
  (``index_follower.py``), so it still finds everything;
- purges the trash of what was deleted more than the retention ago
  (``catalog/trash.py``), as one's own catalog does at every open.

Nothing here ever stops a catalog from opening: a role that may only read,
or a server gone meanwhile, leaves the upkeep to another desktop or day.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from pathlib import Path

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from .. import changelog
from ..index_follower import Position
from ..models import CatalogSetting, Change, EmbeddingState, utcnow

log = logging.getLogger(__name__)

DESKTOP_PREFIX = "desktop:"
UPKEEP = "upkeep_on"
DESKTOP_FILE = "desktop-id"  # in this desktop's folder of the team catalog
KEEP_DAYS = changelog.KEEP_DAYS


def desktop_id(folder: Path) -> str:
    """This desktop's name for the team catalog whose copy is in ``folder``, made once."""
    path = folder / DESKTOP_FILE
    try:
        known = path.read_text(encoding="utf-8").strip()
        if known:
            return known
    except OSError:
        pass
    made = str(uuid.uuid4())
    try:
        path.write_text(made, encoding="utf-8")
    except OSError:
        log.warning("cannot keep this desktop's id in %s", folder)
    return made


def report_applied(engine: Engine, desktop: str, through: int) -> bool:
    """Say that this desktop's index applied the log through ``through``."""
    key = DESKTOP_PREFIX + desktop
    value = json.dumps({"through": through, "at": utcnow().isoformat()})
    try:
        with engine.begin() as connection:
            if not connection.execute(
                update(CatalogSetting).where(CatalogSetting.key == key).values(value=value)
            ).rowcount:
                connection.execute(insert(CatalogSetting).values(key=key, value=value))
        return True
    except SQLAlchemyError as exc:  # a read-only role, the server away: the log is kept longer, that is all
        log.info("could not note how far this desktop follows the change log: %s", exc)
        return False


def claim(engine: Engine, today: dt.date | None = None) -> bool:
    """Whether this desktop does today's upkeep: True for exactly one of the
    desktops that ask on a day, however many ask at once."""
    day = (today or utcnow().date()).isoformat()
    try:
        with engine.begin() as connection:
            claimed = connection.execute(
                update(CatalogSetting).where(CatalogSetting.key == UPKEEP, CatalogSetting.value < day).values(value=day)
            ).rowcount
            if claimed:
                return True
            if connection.scalar(select(CatalogSetting.value).where(CatalogSetting.key == UPKEEP)) is not None:
                return False  # done today already (or being done)
            connection.execute(insert(CatalogSetting).values(key=UPKEEP, value=day))
        return True
    except IntegrityError:  # another desktop inserted the row a moment before: it does the upkeep
        return False
    except SQLAlchemyError as exc:
        log.info("no upkeep of the team catalog from this desktop: %s", exc)
        return False


def applied_by_all(connection: Connection, keep_days: int = KEEP_DAYS) -> int:
    """The highest sequence every desktop seen in the last ``keep_days`` days,
    and the team's embeddings, have applied; older changes go regardless."""
    now = utcnow()
    recent = now - dt.timedelta(days=keep_days)
    throughs = []
    rows = connection.execute(
        select(CatalogSetting.value).where(CatalogSetting.key.startswith(DESKTOP_PREFIX, autoescape=True))
    )
    for (value,) in rows:
        try:
            said = json.loads(value)
            at = dt.datetime.fromisoformat(said["at"])
            if at >= recent:
                throughs.append(int(said["through"]))
        except (ValueError, KeyError, TypeError):
            continue
    embedded = embedded_through(connection)
    if embedded is not None:
        throughs.append(embedded)
    through = min(throughs) if throughs else 0
    too_old = connection.scalar(select(func.max(Change.seq)).where(Change.at < recent)) or 0
    return max(through, too_old)


def embedded_through(connection: Connection) -> int | None:
    """How far the catalog's embeddings follow the change log; None before
    the first embedding (they start from what the log keeps then)."""
    embedded = connection.scalar(select(EmbeddingState.position).where(EmbeddingState.id == 1))
    if not embedded:
        return None
    try:
        return Position.from_json(json.loads(embedded)).through
    except (ValueError, KeyError, TypeError):
        return None


def prune_log(engine: Engine, keep_days: int = KEEP_DAYS) -> tuple[int, int]:
    """Drop what every desktop applied (and what is too old); (rows dropped, pruned through)."""
    with engine.begin() as connection:
        through = applied_by_all(connection, keep_days)
        removed = changelog.prune_through(connection, through)
        return removed, changelog.pruned_through(connection)
