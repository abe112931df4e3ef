"""One schema and one seed per team catalog, however many desktops open it at once.

The first desktop to open an empty database creates the schema and loads the
seed; a second one opening it at the same moment waits on a server-side
advisory lock, then finds both done. Whether the seed was loaded is a row of
``catalog_settings``, not a guess from what the catalog holds: a team that
deleted the seed's documents does not get them back at the next open.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, delete, func, insert, select, text

from ..database import upgrade_to_head
from ..models import CatalogSetting, Change, Document

# pg_advisory_lock takes a bigint: this one is "finweek setup" in ASCII.
SETUP_LOCK_KEY = 0x66696E7765656B
CATALOG_ID = "catalog_id"
SEEDED = "seeded"


@dataclass
class TeamSetup:
    catalog_id: str  # names this desktop's index and file cache of the catalog
    needs_seed: bool  # nothing was ever written and no desktop loaded the seed
    seeded: bool = False  # set by the caller once it loaded the seed


def read_setting(connection: Connection, key: str) -> str | None:
    return connection.scalar(select(CatalogSetting.value).where(CatalogSetting.key == key))


def _write_setting(connection: Connection, key: str, value: str) -> None:
    connection.execute(delete(CatalogSetting).where(CatalogSetting.key == key))
    connection.execute(insert(CatalogSetting).values(key=key, value=value))


@contextmanager
def _setup_lock(engine: Engine) -> Iterator[None]:
    if engine.dialect.name != "postgresql":
        yield  # a local catalog: one desktop, and SQLite serializes writers itself
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SETUP_LOCK_KEY})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SETUP_LOCK_KEY})
            connection.commit()


@contextmanager
def setting_up(engine: Engine) -> Iterator[TeamSetup]:
    """Migrate the schema, give the catalog its identity and say whether the
    seed is to be loaded, holding every other desktop off until the block
    (which loads the seed and sets ``seeded``) ends."""
    with _setup_lock(engine):
        upgrade_to_head(engine)
        with engine.begin() as connection:
            catalog_id = read_setting(connection, CATALOG_ID)
            if catalog_id is None:
                catalog_id = str(uuid.uuid4())
                _write_setting(connection, CATALOG_ID, catalog_id)
            untouched = (
                read_setting(connection, SEEDED) is None
                and not connection.scalar(select(func.count()).select_from(Change))
                and not connection.scalar(select(func.count()).select_from(Document))
            )
        setup = TeamSetup(catalog_id, untouched)
        yield setup
        if setup.seeded:
            with engine.begin() as connection:
                _write_setting(connection, SEEDED, "yes")


KNOWN_FILE = "catalogs.json"  # in <data folder>/teams: the team catalogs this desktop opened, by URL


def _url_key(database_url: str) -> str:
    from .urls import without_password

    return without_password(database_url)


def known_team_catalog(data_dir: Path, database_url: str) -> str | None:
    """The identity of the team catalog at this URL when this desktop last opened it."""
    try:
        known = json.loads((data_dir / "teams" / KNOWN_FILE).read_text(encoding="utf-8"))
        found = known.get(_url_key(database_url))
    except (OSError, ValueError, AttributeError):
        return None
    return found if isinstance(found, str) else None


def remember_team_catalog(data_dir: Path, database_url: str, catalog_id: str) -> None:
    """Note which catalog this URL named (so its copy opens when the server cannot be reached)."""
    path = data_dir / "teams" / KNOWN_FILE
    try:
        known = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(known, dict):
            known = {}
    except (OSError, ValueError):
        known = {}
    if known.get(_url_key(database_url)) == catalog_id:
        return
    known[_url_key(database_url)] = catalog_id
    temp = path.with_suffix(".tmp")
    try:
        temp.write_text(json.dumps(known, indent=1), encoding="utf-8")
        os.replace(temp, path)
    except OSError:
        pass  # only a convenience for working without the server
