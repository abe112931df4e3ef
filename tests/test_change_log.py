"""The one write path: writes are logged with their transaction, the index
follows the log, and a committed write is reported as saved whatever the
index does. Real SQLite catalogs and Whoosh indexes in tmp_path; the busy
index is held by another process, as a long import would hold it."""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import insert, select, update

from finweek_desktop.core import changelog
from finweek_desktop.core.changes import SAVED_NOT_YET_SEARCHABLE
from finweek_desktop.core.index_follower import Position
from finweek_desktop.core.models import Change, ChangeLogState, Document, EmbeddingState, utcnow
from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.startup import open_catalog

# Holds the Whoosh writer of an index until its stdin closes.
_HOLD_WRITER = """
import sys
from whoosh import index
writer = index.open_dir(sys.argv[1], indexname="catalog").writer()
print("holding", flush=True)
sys.stdin.read()
writer.cancel()
"""


@pytest.fixture
def busy_index(data_dir):
    """Start holding the index's writer in another process; call to release."""
    holders = []

    def hold():
        proc = subprocess.Popen([sys.executable, "-c", _HOLD_WRITER, str(data_dir / "index")],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "holding"
        holders.append(proc)

        def release():
            proc.stdin.close()
            proc.wait(timeout=30)

        return release

    yield hold
    for proc in holders:
        if proc.poll() is None:
            proc.kill()


def titles(service, query):
    return [h.title for h in service.search(query).hits]


def test_every_write_is_logged_in_its_transaction(service):
    before = _seqs(service)
    doc = service.documents.create_document(NewDocument(kind="report", title="Logged", tags=("insurance",)))
    service.tags.add_tag([doc.id], "fintech")
    service.documents.delete_document(doc.id)
    rows = _rows(service, after=max(before))
    assert [(r.document_id, r.action) for r in rows] == [
        (doc.id, "created"), (doc.id, "changed"), (doc.id, "deleted")]
    assert service.writer.follower.pending() == 0
    assert service.writer.follower.position().through == rows[-1].seq


def test_a_failed_transaction_logs_nothing(service):
    before = _seqs(service)
    with pytest.raises(RuntimeError), service.writer.writing() as write:
        write.session.add(Document(kind="report", title="Never"))
        write.session.flush()
        raise RuntimeError("cancelled")
    assert _seqs(service) == before


def test_a_write_while_another_process_holds_the_index_is_saved_and_searchable_later(data_dir, finweek, busy_index):
    assert finweek("list")[0] == 0  # the catalog exists
    release = busy_index()
    code, out, err = finweek("add", "--kind", "report", "--title", "Written while busy")
    assert code == 0, err
    assert "Added" in out
    # Saved, and said so while the writer is still held: it did not wait for it.
    assert SAVED_NOT_YET_SEARCHABLE in err and "error" not in err
    # Any other command still opens the catalog and reads.
    code, out, err = finweek("search", "Written while busy")
    assert code == 0, err
    # `check` says the document is not in the index yet, and why: no repair is needed.
    code, out, err = finweek("check")
    assert code == 1 and "1 document(s) missing from the index" in out
    assert "1 change(s) wait in the change log for the search index" in out and "no repair needed" in out
    release()
    # Once the index is free, the next command's open catches up: no repair.
    code, out, _ = finweek("search", "Written while busy")
    assert code == 0 and "Written while busy" in out
    assert finweek("check")[0] == 0


def test_the_change_set_says_not_searchable_yet_and_the_service_catches_up(catalog, busy_index):
    service = catalog.service
    seen = []
    service.writer.listeners.append(seen.append)
    release = busy_index()
    doc = service.documents.create_document(NewDocument(kind="report", title="Patience pays"))
    assert service.documents.get_document(doc.id).title == "Patience pays"  # saved
    assert [c.created for c in seen] == [frozenset({doc.id})] and not seen[0].searchable
    assert service.writer.follower.pending() >= 1
    assert service.writer.catch_up() is False  # still busy: nothing raised
    release()
    assert service.writer.catch_up() is True
    assert titles(service, "patience") == ["Patience pays"]


def test_a_change_committed_after_a_later_one_was_applied_is_not_skipped(catalog):
    """What a server's sequences do: number 2 commits after number 3."""
    service = catalog.service
    a = service.documents.create_document(NewDocument(kind="report", title="Alpha early"))
    b = service.documents.create_document(NewDocument(kind="report", title="Bravo early"))
    base = service.writer.follower.position().through
    with catalog.engine.begin() as connection:
        connection.execute(update(Document).where(Document.id == b.id).values(title="Bravo late"))
        connection.execute(insert(Change).values(seq=base + 2, document_id=b.id, action="changed", at=_now()))
    assert service.writer.catch_up()
    position = service.writer.follower.position()
    assert position.through == base and position.applied == {base + 2} and base + 1 in position.gaps
    assert titles(service, "bravo") == ["Bravo late"]
    # The slower transaction commits its change, numbered before the one applied.
    with catalog.engine.begin() as connection:
        connection.execute(update(Document).where(Document.id == a.id).values(title="Alpha late"))
        connection.execute(insert(Change).values(seq=base + 1, document_id=a.id, action="changed", at=_now()))
    assert service.writer.catch_up()
    assert titles(service, "alpha") == ["Alpha late"]
    assert service.writer.follower.position() == Position(base + 2)


def test_a_gap_never_filled_is_taken_for_a_rollback_after_the_grace_period():
    position = Position(10)
    position.advance([12, 13], now=100.0, grace=300.0)
    assert (position.through, position.gaps) == (10, {11: 100.0})
    position.advance([], now=300.0, grace=300.0)
    assert position.through == 10
    position.advance([], now=401.0, grace=300.0)
    assert position == Position(13)


def test_a_follower_behind_what_the_log_keeps_rebuilds(catalog):
    service = catalog.service
    doc = service.documents.create_document(NewDocument(kind="report", title="Before the gap"))
    # The index misses a change (written behind its back), then the log is pruned past it.
    with catalog.engine.begin() as connection:
        connection.execute(update(Document).where(Document.id == doc.id).values(title="Renamed unseen"))
        last = changelog.last_seq(connection)
        connection.execute(update(ChangeLogState).values(pruned_through=last + 5))
    assert titles(service, "unseen") == []
    assert service.writer.catch_up()
    assert titles(service, "unseen") == ["Renamed unseen"]
    assert service.writer.follower.position().through == last + 5


def test_an_index_without_a_position_is_rebuilt_at_open(data_dir):
    catalog = open_catalog(data_dir)
    count = catalog.service.documents.count_documents()
    position_file = catalog.index.directory / "finweek-index-position.json"
    catalog.close()
    position_file.unlink()  # an index from before the change log
    catalog = open_catalog(data_dir)
    try:
        assert position_file.exists() and catalog.index.doc_count() == count
        assert catalog.service.integrity.check().ok
    finally:
        catalog.close()


def test_a_write_during_a_rebuild_is_applied_before_the_rebuild_returns(data_dir):
    """Another process (a second catalog on the same folder) writes while this
    one rebuilds: the write is saved at once and found after the rebuild."""
    rebuilding = open_catalog(data_dir)
    other = open_catalog(data_dir)
    try:
        in_rebuild = threading.Event()
        written = threading.Event()
        source = rebuilding.service.integrity.indexed_documents

        def slow_documents(ids=None):
            for document in source(ids):
                if ids is None:
                    in_rebuild.set()
                    written.wait(30)
                yield document

        rebuilding.service.writer.follower._documents = slow_documents
        thread = threading.Thread(target=rebuilding.service.integrity.reindex)
        thread.start()
        assert in_rebuild.wait(30)
        seen = []
        other.service.writer.listeners.append(seen.append)
        doc = other.service.documents.create_document(NewDocument(kind="report", title="Written mid rebuild"))
        assert not seen[0].searchable  # saved while the rebuild holds the writer
        gone, edited, tagged = [d.id for d in other.service.documents.list_documents()[:3]]
        other.service.documents.delete_document(gone)
        other.service.documents.update_document(edited, title="Retitled mid rebuild")
        other.service.tags.add_tag([tagged], "rebuildtag")
        written.set()
        thread.join(60)
        assert sorted(titles(rebuilding.service, "mid rebuild")) == ["Retitled mid rebuild", "Written mid rebuild"]
        assert [h.id for h in rebuilding.service.search("tag:rebuildtag").hits] == [tagged]
        in_index = rebuilding.service.index.fingerprints()
        assert doc.id in in_index and gone not in in_index
        assert rebuilding.service.integrity.check().ok
    finally:
        other.close()
        rebuilding.close()


def _now():
    from finweek_desktop.core.models import utcnow

    return utcnow()


def _seqs(service):
    with service.engine.connect() as connection:
        return list(connection.scalars(select(Change.seq))) or [0]


def _rows(service, after):
    with service.engine.connect() as connection:
        return changelog.read_after(connection, after, 100)


def test_what_another_process_writes_is_announced_here(data_dir):
    """The app and the CLI on one folder: the app hears the CLI's writes,
    not its own twice, whoever applied them to the shared index."""
    app, cli = open_catalog(data_dir), open_catalog(data_dir)
    try:
        heard = []
        app.service.writer.listeners.append(heard.append)
        mine = app.service.documents.create_document(NewDocument(kind="report", title="Mine"))
        theirs = cli.service.documents.create_document(NewDocument(kind="report", title="Theirs"))
        cli.service.documents.delete_document(mine.id)
        assert [c.created for c in heard] == [frozenset({mine.id})]
        changes = app.service.writer.hear_others()
        assert changes.created == {theirs.id} and changes.deleted == {mine.id}
        assert heard[-1] == changes
        assert app.service.writer.hear_others().empty  # nothing new
    finally:
        cli.close()
        app.close()


def test_following_in_the_background_applies_and_announces(data_dir, busy_index):
    app, cli = open_catalog(data_dir), open_catalog(data_dir)
    try:
        heard = threading.Event()
        app.service.writer.listeners.append(lambda changes: heard.set())
        release = busy_index()
        doc = cli.service.documents.create_document(NewDocument(kind="report", title="Waiting in the log"))
        app.service.writer.follow_in_background(interval=0.1)
        assert heard.wait(30)  # announced even before it is searchable
        release()
        deadline = time.monotonic() + 30
        while app.service.writer.follower.pending() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [h.id for h in app.service.search("waiting in the log").hits] == [doc.id]
    finally:
        cli.close()
        app.close()


def test_a_reindex_during_an_import_fails_neither(data_dir):
    """`finweek reindex` beside a long import (another catalog on the same
    folder): the rebuild waits for the import's index writer, the import
    ends as it started, and both are in the index afterwards."""
    from finweek_desktop.core.catalog.imports import ImportItem

    importing, rebuilding = open_catalog(data_dir), open_catalog(data_dir)
    try:
        started, go_on = threading.Event(), threading.Event()
        items = [ImportItem(NewDocument(kind="report", title=f"Imported {n}"), content=f"importword{n}")
                 for n in range(60)]

        def on_item(position, _item):
            if position == 30:  # three batches committed, the index writer open
                started.set()
                go_on.wait(30)

        outcome = {}
        thread = threading.Thread(target=lambda: outcome.update(report=importing.service.imports.import_documents(
            items, batch_size=10, sandbox=False, on_item=on_item)))
        thread.start()
        assert started.wait(30)
        reindexed = threading.Thread(target=lambda: outcome.update(count=rebuilding.service.integrity.reindex()))
        reindexed.start()
        time.sleep(0.5)  # the rebuild is waiting for the import now
        go_on.set()
        thread.join(120)
        reindexed.join(120)
        assert outcome["report"].count == 60
        assert outcome["count"] == rebuilding.service.documents.count_documents() == 69  # it waited
        assert titles(rebuilding.service, "importword59") == ["Imported 59"]
        assert rebuilding.service.integrity.check().ok
    finally:
        rebuilding.close()
        importing.close()


def test_ones_own_catalog_prunes_at_open_what_is_older_than_the_log_keeps_and_every_follower_applied(
        data_dir, caplog):
    catalog = open_catalog(data_dir)
    service = catalog.service
    old = service.documents.create_document(NewDocument(kind="report", title="Kept from long ago"))
    service.tags.add_tag([old.id], "ancient")
    recent = service.documents.create_document(NewDocument(kind="report", title="Zanzibar memo, written lately"))
    seqs = _seqs(service)
    aged = [s for s in seqs if s < max(seqs)]  # every change but the last, 40 days old
    with catalog.engine.begin() as connection:
        connection.execute(update(Change).where(Change.seq.in_(aged)).values(at=utcnow() - dt.timedelta(days=40)))
        # The embeddings applied the log only up to the tag: what follows stays for them.
        lagging = aged[-2]
        state = {"model": "", "model_version": "", "generation": 0, "position": json.dumps(Position(lagging).to_json())}
        if connection.execute(update(EmbeddingState).where(EmbeddingState.id == 1).values(**state)).rowcount == 0:
            connection.execute(insert(EmbeddingState).values(id=1, **state))
    catalog.close()

    with caplog.at_level(logging.WARNING):
        catalog = open_catalog(data_dir)
    try:
        service = catalog.service
        assert _seqs(service) == [s for s in seqs if s > lagging]
        with catalog.engine.connect() as connection:
            assert changelog.pruned_through(connection) == lagging
        # Opened again with nothing new to drop: no write at all, so a search
        # never waits for the lock another process (an import) holds.
        import sqlite3

        locker = sqlite3.connect(data_dir / "catalog.sqlite3", isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")
        try:
            with catalog.engine.begin() as connection:
                connection.exec_driver_sql("PRAGMA busy_timeout = 0")
                assert changelog.prune(connection, lagging) == 0
                connection.exec_driver_sql("PRAGMA busy_timeout = 5000")  # as the catalog set it
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        # No follower is behind what the log keeps: nothing is rebuilt, all is found.
        assert not [r for r in caplog.records if "rebuild" in r.getMessage() or "again" in r.getMessage()]
        assert [h.id for h in service.search("tag:ancient").hits] == [old.id]
        assert [h.id for h in service.search("zanzibar").hits] == [recent.id]
        assert service.integrity.check().ok
    finally:
        catalog.close()

    with catalog_at(data_dir) as again:  # the embeddings caught up: the rest of the old changes go
        with again.engine.begin() as connection:
            connection.execute(update(EmbeddingState).where(EmbeddingState.id == 1)
                               .values(position=json.dumps(Position(max(seqs)).to_json())))
    with catalog_at(data_dir) as again:
        assert _seqs(again.service) == [max(seqs)]
        assert again.service.writer.follower.position().through >= max(seqs)


@contextmanager
def catalog_at(data_dir):
    catalog = open_catalog(data_dir)
    try:
        yield catalog
    finally:
        catalog.close()
