"""The change log on a real PostgreSQL server, where sequence numbers are
taken at insert time and transactions commit in any order."""

from __future__ import annotations

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from finweek_desktop.core.models import Change, Document
from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.startup import open_catalog


def test_two_interleaved_transactions_are_both_applied(tmp_path, postgres_url):
    catalog = open_catalog(tmp_path / "desk", database_url=postgres_url, seed=False)
    try:
        service = catalog.service
        a = service.documents.create_document(NewDocument(kind="report", title="Alpha draft"))
        b = service.documents.create_document(NewDocument(kind="report", title="Bravo draft"))
        assert service.writer.follower.pending() == 0

        slow, fast = Session(catalog.engine), Session(catalog.engine)
        slow.execute(update(Document).where(Document.id == a.id).values(title="Alpha final"))
        slow.execute(insert(Change).values(document_id=a.id, action="changed"))  # takes number n
        fast.execute(update(Document).where(Document.id == b.id).values(title="Bravo final"))
        fast.execute(insert(Change).values(document_id=b.id, action="changed"))  # takes n + 1
        fast.commit()

        assert service.writer.catch_up()
        assert [h.title for h in service.search("bravo").hits] == ["Bravo final"]
        position = service.writer.follower.position()
        assert len(position.gaps) == 1 and len(position.applied) == 1  # n is awaited, n + 1 applied

        slow.commit()  # n commits after n + 1 was applied
        assert service.writer.catch_up()
        assert [h.title for h in service.search("alpha").hits] == ["Alpha final"]
        assert service.writer.follower.position().gaps == {} and service.writer.follower.pending() == 0
        assert service.integrity.check().ok
        slow.close()
        fast.close()
    finally:
        catalog.close()


def test_a_second_desktop_follows_the_same_log(tmp_path, postgres_url):
    first = open_catalog(tmp_path / "a", database_url=postgres_url, seed=False)
    second = open_catalog(tmp_path / "b", database_url=postgres_url, seed=False)
    try:
        doc = first.service.documents.create_document(NewDocument(kind="report", title="Shared finding"))
        assert second.service.writer.catch_up()
        assert [h.id for h in second.service.search("shared finding").hits] == [doc.id]
        first.service.documents.delete_document(doc.id)
        assert second.service.writer.catch_up()
        assert second.service.search("shared finding").hits == ()
    finally:
        second.close()
        first.close()
