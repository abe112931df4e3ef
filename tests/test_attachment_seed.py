"""The default catalog ships attachments made for it, one of each preview kind."""

from __future__ import annotations

from PIL import Image

from finweek_desktop.core.seed import load_seed


def test_seeded_documents_have_their_files(service, seeded_id):
    news = service.attachments.of(seeded_id("brings new ideas"))
    assert [(a.original_name, a.mime_type, a.text_status) for a in news] == [
        ("shizimen-finance-week-fact-sheet.pdf", "application/pdf", "ok"),
        ("hengqin-finance-timeline.png", "image/png", "needs_ocr"),
    ]
    (note,) = service.attachments.of(seeded_id("Theme forums"))
    assert note.mime_type == "text/markdown"
    for a in (*news, note):
        assert a.path.exists()


def test_every_seed_file_says_it_was_made_for_the_catalog(service, seeded_id):
    pdf, _png = service.attachments.of(seeded_id("brings new ideas"))
    (note,) = service.attachments.of(seeded_id("Theme forums"))
    for a in (pdf, note):
        assert "not a publication of the finance week" in service.attachments.attachment_text(a.id).replace("\n", " ")


def test_the_fact_sheet_is_searchable_and_previewable(service, seeded_id):
    news = seeded_id("brings new ideas")
    # Page 3 of the fact sheet, worded differently from every summary.
    assert news in [h.id for h in service.search('"cluster of emerging financial technology companies"').hits]
    pdf, png = service.attachments.of(news)
    assert service.attachments.page_count(pdf.id) == 3
    for a in (pdf, png):
        with Image.open(service.attachments.thumbnail(a.id, 256)) as thumb:
            assert max(thumb.size) == 256


def test_loading_the_seed_again_adds_no_attachment(catalog, service, seeded_id):
    news = seeded_id("brings new ideas")
    assert load_seed(service) == 0
    assert len(service.attachments.of(news)) == 2
    assert service.integrity.check().ok
