"""The index journal: what a crash between database and index leaves to redo."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from finweek_desktop.core.journal import IndexJournal


def _mark_each(path: str, first: int, count: int) -> None:
    journal = IndexJournal(Path(path))
    for doc_id in range(first, first + count):
        journal.mark([doc_id])


def test_processes_writing_at_once_lose_no_pending_id(tmp_path):
    # The CLI and the desktop app may write to one catalog at the same time.
    path = tmp_path / "index-pending.json"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_mark_each, args=(str(path), 1000 * k, 150)) for k in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    expected = {1000 * k + i for k in range(4) for i in range(150)}
    assert IndexJournal(path).pending() == expected


def test_clearing_nothing_keeps_what_is_pending(tmp_path):
    journal = IndexJournal(tmp_path / "j.json")
    journal.mark([3, 4])
    journal.clear(())
    journal.clear([3])
    assert journal.pending() == {4}
    journal.reset()
    assert journal.pending() == set()


def test_reindex_settles_what_was_pending(service):
    # An interrupted write left ids pending; a full rebuild covers them.
    service.journal.mark([1, 2])
    service.reindex()
    assert service.journal.pending() == set()
