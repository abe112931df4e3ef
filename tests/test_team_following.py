"""Each desktop's index follows the team catalog's change log, woken by
PostgreSQL's LISTEN/NOTIFY: what one desktop writes reaches the other's
search and its listeners (the window's refresh) without polling."""

from __future__ import annotations

import queue
import time

import pytest

from finweek_desktop.core.changes import ChangeSet
from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.startup import open_catalog

NO_POLL = 3600.0  # so only a notification can wake the listener within the test


@pytest.fixture
def a_and_b(tmp_path, postgres_url):
    a = open_catalog(tmp_path / "a", database_url=postgres_url, seed=False)
    b = open_catalog(tmp_path / "b", database_url=postgres_url, seed=False)
    heard: queue.Queue[ChangeSet] = queue.Queue()
    b.service.writer.listeners.append(heard.put)
    b.service.team.listen(poll=NO_POLL)
    deadline = time.monotonic() + 30
    while not b.service.team.listener.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert b.service.team.listener.connected
    yield a, b, heard
    b.close()
    a.close()


def _hear(heard: queue.Queue, doc_id: int, what: str) -> float:
    """Wait for B to announce ``doc_id`` under ``what``; returns how long it took."""
    start = time.monotonic()
    while True:
        changes = heard.get(timeout=60)
        if doc_id in getattr(changes, what):
            return time.monotonic() - start


def test_add_edit_tag_delete_on_a_reach_b_by_notification(a_and_b):
    a, b, heard = a_and_b
    doc = a.service.documents.create_document(NewDocument(kind="report", title="Macao bond market outlook"))
    _hear(heard, doc.id, "created")
    assert [h.id for h in b.service.search("bond market").hits] == [doc.id]

    a.service.documents.update_document(doc.id, title="Macao green bond market outlook")
    _hear(heard, doc.id, "changed")
    assert [h.id for h in b.service.search("green bond").hits] == [doc.id]

    a.service.tags.add_tag([doc.id], "Green finance")
    _hear(heard, doc.id, "changed")
    assert [h.id for h in b.service.search('tag:"green finance"').hits] == [doc.id]

    a.service.documents.delete_document(doc.id)
    _hear(heard, doc.id, "deleted")
    assert b.service.search("bond market").hits == ()
    assert b.service.writer.require_follower().pending() == 0


def test_a_desktop_that_was_closed_catches_up_at_open(tmp_path, postgres_url):
    a = open_catalog(tmp_path / "a", database_url=postgres_url, seed=False)
    b = open_catalog(tmp_path / "b", database_url=postgres_url, seed=False)
    b.close()
    try:
        doc = a.service.documents.create_document(NewDocument(kind="report", title="Hengqin tax notes"))
        b = open_catalog(tmp_path / "b", database_url=postgres_url, seed=False)
        assert [h.id for h in b.service.search("hengqin tax").hits] == [doc.id]
    finally:
        b.close()
        a.close()
