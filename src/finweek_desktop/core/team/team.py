"""The team part of the catalog service: following colleagues' writes as
they commit, and what `finweek team status` reports."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..database import current_revision, head_revision
from . import upkeep
from .listener import SLOW_POLL_SECONDS, ChangeListener

if TYPE_CHECKING:
    from ..catalog.writer import CatalogWriter

# How often an open desktop says how far its index follows the log (upkeep.py):
# a window left open for weeks keeps its changes from being pruned.
REPORT_SECONDS = 3600.0


@dataclass(frozen=True)
class TeamStatus:
    server: str  # host:port/database, no password
    database: str  # "postgresql" or "sqlite"
    schema_revision: str | None
    schema_head: str | None
    index_lag: int  # logged changes this desktop's index has not applied
    listening: bool  # woken by the server's notifications now
    cached_files: int
    cached_bytes: int

    def to_json(self) -> dict:
        return {
            "server": self.server,
            "database": self.database,
            "schema_revision": self.schema_revision,
            "schema_head": self.schema_head,
            "index_lag": self.index_lag,
            "listening": self.listening,
            "cached_files": self.cached_files,
            "cached_bytes": self.cached_bytes,
        }


class Team:
    def __init__(self, writer: CatalogWriter):
        self._writer = writer
        self.listener: ChangeListener | None = None
        self.desktop: str | None = None  # this desktop's id in the team catalog (set at open; upkeep.py)
        self._reported = time.monotonic()  # at open

    @property
    def shared(self) -> bool:
        """A catalog on a server, which other desktops write to."""
        return self._writer.engine.dialect.name == "postgresql"

    def listen(self, poll: float = SLOW_POLL_SECONDS, wake: Callable[[], object] | None = None) -> None:
        """Follow what other desktops commit as they commit it (LISTEN/NOTIFY),
        and every ``poll`` seconds in any case; nothing to do for a local catalog.
        ``wake``: called instead of ``follow`` from the listening thread (the
        window follows on its own worker, and refreshes from what it heard)."""
        if not self.shared or self.listener is not None:
            return
        follow = wake or self.follow

        def woken() -> None:
            follow()
            self._report_now_and_then()

        self.listener = ChangeListener(self._writer.engine.url, woken, poll=poll)
        self.listener.start()

    def _report_now_and_then(self) -> None:
        if self.desktop is None or time.monotonic() - self._reported < REPORT_SECONDS:
            return
        self._reported = time.monotonic()
        position = self._writer.require_follower().position()
        if position is not None:
            upkeep.report_applied(self._writer.engine, self.desktop, position.through)

    def follow(self) -> None:
        """Apply and announce what others wrote (what a notification triggers)."""
        self._writer.catch_up()
        self._writer.hear_others()

    def stop(self) -> None:
        if self.listener is not None:
            self.listener.stop()
            self.listener = None

    def status(self, cached_files: int, cached_bytes: int) -> TeamStatus:
        engine = self._writer.engine
        url = engine.url
        server = (
            f"{url.host or 'localhost'}:{url.port or 5432}/{url.database}" if self.shared else str(url.database or "")
        )
        return TeamStatus(
            server=server,
            database=engine.dialect.name,
            schema_revision=current_revision(engine),
            schema_head=head_revision(engine),
            index_lag=self._writer.require_follower().pending(),
            listening=self.listener is not None and self.listener.connected,
            cached_files=cached_files,
            cached_bytes=cached_bytes,
        )
