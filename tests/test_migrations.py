"""Alembic migrations: an empty database upgrades to head and matches the models."""

from __future__ import annotations

import sqlite3

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from finweek_desktop.core.database import alembic_config, current_revision, head_revision, make_engine, sqlite_url, upgrade_to_head
from finweek_desktop.core.models import Base
from finweek_desktop.core.startup import open_catalog


def test_empty_database_upgrades_to_head_and_matches_models(tmp_path):
    engine = make_engine(sqlite_url(tmp_path / "empty.sqlite3"))
    assert current_revision(engine) is None

    assert upgrade_to_head(engine) is True
    assert current_revision(engine) == head_revision(engine)
    with engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diffs == []
    assert {"documents", "tags", "organizations", "attachments", "sessions", "events"} <= set(
        inspect(engine).get_table_names()
    )
    # A second upgrade has nothing to do.
    assert upgrade_to_head(engine) is False
    engine.dispose()


def test_foreign_keys_are_enforced_on_every_connection(tmp_path):
    engine = make_engine(sqlite_url(tmp_path / "fk.sqlite3"))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_catalog_behind_head_is_migrated_at_start(tmp_path):
    # A catalog made by the first release: schema 0001, no documents.
    db = tmp_path / "data" / "catalog.sqlite3"
    db.parent.mkdir()
    engine = make_engine(sqlite_url(db))
    command.upgrade(alembic_config(engine), "0001")
    engine.dispose()
    assert sqlite3.connect(db).execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)

    catalog = open_catalog(tmp_path / "data")
    try:
        assert current_revision(catalog.engine) == head_revision(catalog.engine)
        assert catalog.service.documents.count_documents() == 0  # not a new catalog: no seed
    finally:
        catalog.close()
