"""Wake a desktop when a colleague commits: PostgreSQL LISTEN/NOTIFY.

Every write of a team catalog notifies ``changelog.NOTIFY_CHANNEL`` in its
transaction (delivered at commit). One thread per desktop LISTENs on its own
connection and, for each notification, lets the search index catch up with
the change log and announces what others wrote to the writer's listeners
(the GUI's one "catalog changed" signal). A slow poll does the same when no
notification came (a connection lost, a notification missed); when the
server goes away the thread keeps trying to listen again, by itself.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import URL

from ..changelog import NOTIFY_CHANNEL
from ..database import server_failure

log = logging.getLogger(__name__)

SLOW_POLL_SECONDS = 30.0
RECONNECT_SECONDS = 2.0


def libpq_conninfo(url: URL) -> str:
    """The libpq URI of a SQLAlchemy URL: its query (sslmode=..., service=...) passes through."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class ChangeListener:
    """A daemon thread running ``follow`` on each notification and every ``poll`` seconds."""

    def __init__(
        self,
        url: URL,
        follow: Callable[[], object],
        poll: float = SLOW_POLL_SECONDS,
        reconnect: float = RECONNECT_SECONDS,
    ):
        self._conninfo = libpq_conninfo(url)
        self._follow = follow
        self._poll = poll
        self._reconnect = reconnect
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.connected = False  # listening now
        self.last_error: str | None = None  # why not, for the user

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="finweek-team-listener", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.connected = False

    def _round(self) -> None:
        try:
            self._follow()
        except Exception as exc:  # the server away for a moment: the next round catches up
            away = server_failure(exc)
            if away is not None:
                log.info("could not follow the team catalog's change log: %s", away)
            else:
                log.warning("could not follow the team catalog's change log", exc_info=True)

    def _run(self) -> None:
        import psycopg  # the team extra: imported where a team catalog is followed, not by every desktop

        while not self._stop.is_set():
            try:
                self._listen()
            except psycopg.Error as exc:
                self.last_error = " ".join(str(exc).split()) or type(exc).__name__
                log.info("not listening to the team catalog: %s", self.last_error)
            self.connected = False
            if self._stop.wait(self._reconnect):
                return
            self._round()  # the poll goes on while the server is away

    def _listen(self) -> None:
        import psycopg

        with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=10) as connection:
            connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
            self.connected, self.last_error = True, None
            self._round()  # whatever was committed while this desktop was not listening
            last = time.monotonic()
            while not self._stop.is_set():
                woken = any(True for _ in connection.notifies(timeout=1.0, stop_after=1))
                if woken:
                    # A burst of commits (an import) is followed once: drain what is queued.
                    for _ in connection.notifies(timeout=0.05):
                        pass
                if woken or time.monotonic() - last >= self._poll:
                    self._round()
                    last = time.monotonic()
