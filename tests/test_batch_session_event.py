"""Batch edit (issue 13): a document put in a session is put in that
session's event too, and one undo takes both back. Real catalog."""

from __future__ import annotations

from finweek_desktop.core.records import NewDocument


def test_a_session_given_in_a_batch_brings_its_event(catalog):
    service = catalog.service
    session = service.reference.sessions()[0]
    event = service.reference.events()[0]
    ids = [
        service.documents.create_document(NewDocument(kind="report", title=f"Imported note {n}")).id for n in range(3)
    ]
    assert all(service.documents.get_document(i).event is None for i in ids)
    result = service.batch.edit(ids, session_id=session.id)
    assert sorted(result.documents) == sorted(ids)
    for doc_id in ids:
        detail = service.documents.get_document(doc_id)
        assert (detail.session, detail.event) == (session.name, event["name"])
    service.history.undo()
    for doc_id in ids:
        detail = service.documents.get_document(doc_id)
        assert (detail.session_id, detail.event) == (None, None)
    # taking documents out of a session leaves their event
    service.history.redo()
    service.batch.edit(ids, session_id=None)
    assert all(service.documents.get_document(i).event == event["name"] for i in ids)
