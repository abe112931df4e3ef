"""Where a catalog lives on disk."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "finweek-desktop"
DATA_DIR_ENV = "FINWEEK_DATA_DIR"
DATABASE_URL_ENV = "FINWEEK_DATABASE_URL"


def resolve_data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """--data-dir, else $FINWEEK_DATA_DIR, else the platform's user data dir."""
    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get(DATA_DIR_ENV)
    if from_env:
        return Path(from_env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def resolve_database_url(explicit: str | None = None) -> str | None:
    """--database-url, else $FINWEEK_DATABASE_URL, else None (the catalog in the data folder)."""
    return explicit or os.environ.get(DATABASE_URL_ENV) or None


@dataclass(frozen=True)
class CatalogPaths:
    root: Path

    @property
    def database(self) -> Path:
        return self.root / "catalog.sqlite3"

    @property
    def index(self) -> Path:
        return self.root / "index"

    @property
    def attachments(self) -> Path:
        return self.root / "attachments"
