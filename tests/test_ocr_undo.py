"""A file's OCR (its text source and pages) survives detach + undo and the trash."""

from __future__ import annotations

from test_attachment_samples import pdf_bytes, write

from finweek_desktop.core.models import AttachmentPage
from finweek_desktop.core.records import NewDocument


def test_detach_and_undo_keep_the_pages_and_the_hit_page(empty_catalog, tmp_path):
    service = empty_catalog.service
    pdf = write(tmp_path / "report.pdf", pdf_bytes(["Opening", "Macau insurance forum"]))
    doc = service.attachments.create_document_with_files(NewDocument(kind="report", title="Report"), [pdf])
    (a,) = service.attachments.of(doc.id)
    service.attachments.detach(doc.id, a.id)
    with service.writer.read() as session:
        assert session.query(AttachmentPage).filter_by(attachment_id=a.id).count() == 0  # went with the file
    service.history.undo()
    (back,) = service.attachments.of(doc.id)
    assert (back.text_status, back.text_source) == ("ok", "file")
    (hit,) = service.search("insurance").hits
    assert [(w.name, w.page) for w in hit.where] == [("report.pdf", 2)]
