"""Run slow work off the UI thread and get ``(result, error)`` back on it.

One helper in the spirit of Picard's ``run_task``: the function runs on a
QThreadPool; its result or exception travels back through a queued signal
and the callback runs on the main thread, where widgets may be touched.
Writes go through a one-thread pool so they happen in the order asked.
A function may accept a ``progress`` keyword (a Progress object): it reports
``(done, total)`` and can check ``cancelled``.
"""

from __future__ import annotations

import inspect
import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot
from shiboken6 import isValid

log = logging.getLogger(__name__)

Callback = Callable[[Any, BaseException | None], None]


class Cancelled(Exception):
    """Raised inside a task that noticed it was cancelled."""


class Progress(QObject):
    """Handed to a task; thread-safe reporting and cancellation."""

    changed = Signal(int, int, str)  # done, total (0 = unknown), message

    def __init__(self):
        super().__init__()
        self._cancel = threading.Event()

    def report(self, done: int, total: int | None = None, message: str = "") -> None:
        self.changed.emit(int(done), int(total or 0), message)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()


class _Relay(QObject):
    """Lives on the main thread; its slot runs there (a queued connection)."""

    done = Signal(object, object)

    def __init__(self, handler: Callable[[_Relay, Any, BaseException | None], None]):
        super().__init__()
        self._handler = handler
        self.done.connect(self._deliver)

    @Slot(object, object)
    def _deliver(self, result, error) -> None:
        self._handler(self, result, error)


class _Task(QRunnable):
    def __init__(self, func: Callable[[], Any], relay: _Relay):
        super().__init__()
        self.setAutoDelete(True)
        self._func = func
        self._relay = relay

    def run(self) -> None:
        try:
            result, error = self._func(), None
        except BaseException as exc:  # handed to the callback, never lost
            result, error = None, exc
        try:
            self._relay.done.emit(result, error)
        except RuntimeError:  # the application quit while this task ran
            log.debug("task finished after shutdown", exc_info=error)


_RUNNERS: weakref.WeakSet[TaskRunner] = weakref.WeakSet()


class TaskRunner(QObject):
    """Owns the pools; ``pending`` counts tasks not yet called back."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.read_pool = QThreadPool(self)
        self.read_pool.setMaxThreadCount(max(2, QThreadPool.globalInstance().maxThreadCount() // 2))
        self.write_pool = QThreadPool(self)
        self.write_pool.setMaxThreadCount(1)
        self._relays: set[_Relay] = set()
        _RUNNERS.add(self)

    @staticmethod
    def end_all_threads() -> None:
        """Let every runner's pool threads end, before the interpreter does:
        a pool thread that ran Python and is torn down during interpreter
        finalization crashes the process at exit (seen once a window owned
        several runners: the app's, background OCR's)."""
        for runner in list(_RUNNERS):
            if isValid(runner):
                runner.read_pool.waitForDone()  # waits for the threads to exit, and removes them
                runner.write_pool.waitForDone()
        QThreadPool.globalInstance().waitForDone()

    @property
    def pending(self) -> int:
        return len(self._relays)

    def run(
        self,
        func: Callable[..., Any],
        callback: Callback | None = None,
        *,
        write: bool = False,
        progress: Progress | None = None,
    ) -> None:
        if progress is not None and "progress" in inspect.signature(func).parameters:
            work = lambda: func(progress=progress)  # noqa: E731
        else:
            work = func

        def deliver(relay, result, error):
            self._relays.discard(relay)
            relay.deleteLater()
            if not isValid(self):
                # The window that asked has been closed and deleted since:
                # nobody is left to show the result (the relay outlives it).
                return
            if not self._relays:
                self.busy_changed.emit(False)
            if callback is not None:
                callback(result, error)
            elif error is not None and not isinstance(error, Cancelled):
                log.error("background task failed", exc_info=error)

        relay = _Relay(deliver)
        self._relays.add(relay)
        if len(self._relays) == 1:
            self.busy_changed.emit(True)
        (self.write_pool if write else self.read_pool).start(_Task(work, relay))

    def wait(self, msecs: int = 30000) -> None:
        """Block until the pools are idle (for shutdown)."""
        self.write_pool.waitForDone(msecs)
        self.read_pool.waitForDone(msecs)


class LatestOnly:
    """Runs reads on a runner's pool and delivers only the latest answer.

    For views that ask again before the last answer came back (a filter
    being typed, a header clicked twice): each ``run`` makes the answers of
    earlier calls stale; ``invalidate`` does the same without asking anew
    (the caller got fresher data itself).
    """

    def __init__(self, runner: TaskRunner):
        self._runner = runner
        self._generation = 0
        self._answered = 0

    @property
    def pending(self) -> bool:
        """True while the latest request has not been answered."""
        return self._answered != self._generation

    def invalidate(self) -> None:
        self._generation += 1
        self._answered = self._generation

    def run(self, func: Callable[[], Any], callback: Callback) -> None:
        self._generation += 1
        generation = self._generation

        def deliver(result, error):
            if generation != self._generation:
                return  # a newer request (or a direct reload) superseded this one
            self._answered = generation
            callback(result, error)

        self._runner.run(func, deliver)
