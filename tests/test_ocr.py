"""OCR of real generated scans: attach (never waits), OCR in the sandboxed
worker, search, and the hit's file and page; the failures each cost one file."""

from __future__ import annotations

import re
import threading

import pytest
from PIL import Image
from scans import needs_tesseract, scan_pdf, scan_png

from finweek_desktop.core.attachments import ocr
from finweek_desktop.core.attachments.extraction import TextStatus
from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.startup import open_catalog

PAGES = {
    "en": ("The Hengqin financial industry base\nhosts banks and insurance companies", "insurance"),
    "pt": ("A base financeira de Hengqin\nreúne bancos e seguradoras", "seguradoras"),
    "zh_hans": ("横琴金融产业基地\n聚集了银行和保险机构", "保险机构"),
    # Traditional on the page, Simplified in the query: the index folds both.
    "zh_hant": ("橫琴金融產業基地\n聚集了銀行和保險機構", "保险机构"),
}


def add_scans(service, *paths, title="Scanned report"):
    return service.attachments.create_document_with_files(NewDocument(kind="report", title=title), list(paths))


def statuses(service, doc_id):
    return [a.text_status for a in service.attachments.of(doc_id)]


@needs_tesseract
@pytest.mark.parametrize("language", list(PAGES))
def test_a_scan_is_stored_at_once_then_ocr_makes_it_searchable(empty_catalog, tmp_path, language):
    service = empty_catalog.service
    text, query = PAGES[language]
    doc = add_scans(service, scan_png(tmp_path / f"{language}.png", text))
    assert statuses(service, doc.id) == ["needs_ocr"]  # attaching did not wait for OCR
    assert service.search(query).total == 0
    assert service.search("ocr:needed").total == 1

    (outcome,) = service.reading.run()

    assert outcome.status == "ok"
    (a,) = service.attachments.of(doc.id)
    assert (a.text_status, a.text_source, a.text_summary) == ("ok", "ocr", "from OCR")
    hits = service.search(query).hits
    assert [h.id for h in hits] == [doc.id]
    assert [(w.attachment_id, w.name, w.page) for w in hits[0].where] == [(a.id, f"{language}.png", None)]
    assert service.search("ocr:needed").total == 0
    assert service.reading.pending() == []


@needs_tesseract
def test_a_hit_in_a_scanned_pdf_names_its_page(empty_catalog, tmp_path):
    service = empty_catalog.service
    pdf = scan_pdf(tmp_path / "blue-paper.pdf", ["Digital currency\nblue paper", "Hengqin smart finance\nindustrial park"])
    doc = add_scans(service, pdf)
    service.reading.run()
    (hit,) = service.search("smart finance").hits
    assert hit.id == doc.id
    assert hit.where[0].name == "blue-paper.pdf"
    assert hit.where[0].page == 2
    assert hit.where[0].label() == "in blue-paper.pdf, p. 2"
    assert service.search("currency").hits[0].where[0].page == 1


def test_a_text_pdf_hit_names_its_page_without_ocr(empty_catalog, tmp_path):
    from test_attachment_samples import pdf_bytes, write

    service = empty_catalog.service
    pages = ["Opening ceremony", "Theme forums", "Digital Alliance Initiative released"]
    doc = add_scans(service, write(tmp_path / "report.pdf", pdf_bytes(pages)))
    (a,) = service.attachments.of(doc.id)
    assert (a.text_status, a.text_source) == ("ok", "file")
    (hit,) = service.search("alliance").hits
    assert [(w.name, w.page) for w in hit.where] == [("report.pdf", 3)]


def test_the_pending_queue_survives_a_restart(data_dir, tmp_path):
    path = scan_png(tmp_path / "photo.png", "Hengqin")
    catalog = open_catalog(tmp_path / "c", seed=False)
    doc = add_scans(catalog.service, path)
    catalog.close()
    again = open_catalog(tmp_path / "c", seed=False)
    try:
        assert again.service.reading.pending() == [again.service.attachments.of(doc.id)[0].id]
    finally:
        again.close()


@needs_tesseract
def test_bad_files_cost_themselves_only(empty_catalog, tmp_path):
    service = empty_catalog.service
    huge = tmp_path / "poster.png"
    Image.new("1", (20_000, 20_000), 1).save(huge)  # 400 megapixels, a small file
    corrupt = tmp_path / "broken.tiff"
    good_tiff = tmp_path / "good.tiff"
    Image.new("L", (200, 200), 255).save(good_tiff)
    corrupt.write_bytes(good_tiff.read_bytes()[:40] + b"\x00\xff" * 300)
    fine = scan_png(tmp_path / "fine.png", "Finance week\ninsurance forum")
    doc = add_scans(service, huge, corrupt, fine)
    assert statuses(service, doc.id) == ["needs_ocr"] * 3

    outcomes = {o.name: o for o in service.reading.run()}

    assert outcomes["poster.png"].status == "ocr_failed"
    assert "20,000×20,000 pixels" in outcomes["poster.png"].message
    assert outcomes["broken.tiff"].status == "ocr_failed"
    assert "cannot be read" in outcomes["broken.tiff"].message
    assert outcomes["fine.png"].status == "ok"
    assert service.search("insurance").total == 1
    assert service.search("ocr:failed").total == 1
    summaries = [a.text_summary for a in service.attachments.of(doc.id)]
    assert summaries[0].startswith("OCR failed: the image is 20,000×20,000 pixels")


@needs_tesseract
def test_a_long_scan_is_read_up_to_the_cap_and_says_so(empty_catalog, tmp_path, monkeypatch):
    monkeypatch.setenv("FINWEEK_OCR_MAX_PAGES", "2")  # read by the worker
    service = empty_catalog.service
    doc = add_scans(service, scan_pdf(tmp_path / "long.pdf", ["Page one", "Page two", "Page three", "Page four"]))
    (outcome,) = service.reading.run()
    assert outcome.status == "ok"
    assert "OCR read 2 pages of this file" in outcome.message and "2 were left" in outcome.message
    assert service.search("two").total == 1
    assert service.search("four").total == 0
    assert "OCR read 2 pages" in service.attachments.of(doc.id)[0].text_summary


def test_a_cancelled_run_leaves_the_file_pending(empty_catalog, tmp_path):
    if ocr.missing():
        pytest.skip("Tesseract is not installed")
    service = empty_catalog.service
    doc = add_scans(service, scan_png(tmp_path / "p.png", "Hengqin"))
    cancel = threading.Event()
    cancel.set()
    assert service.reading.run(cancel=cancel) == []
    assert statuses(service, doc.id) == ["needs_ocr"]


def test_without_tesseract_files_wait_and_the_cli_says_how_to_enable_it(finweek, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs"))
    ocr.missing.cache_clear()
    try:
        code, out, _ = finweek("add", "--kind", "report", "--title", "A scan", str(scan_png(tmp_path / "s.png", "x")))
        assert code == 0
        code, out, _ = finweek("list", "--json")
        doc_id = max(d["id"] for d in __import__("json").loads(out))
        code, out, _ = finweek("attachments", str(doc_id))
        assert "needs OCR" in out
        assert f"OCR, which is not available: {ocr.ENABLE_HINT}" in out
        code, out, _ = finweek("check")
        assert "need OCR" in out and "apt-get install tesseract-ocr tesseract-ocr-chi-sim" in out
        code, _out, err = finweek("ocr")
        assert code != 0
        assert "OCR is not available" in err and "apt-get install" in err
    finally:
        ocr.missing.cache_clear()


@needs_tesseract
def test_finweek_ocr_shows_progress_and_search_json_says_file_and_page(finweek, tmp_path):
    pdf = scan_pdf(tmp_path / "notice.pdf", ["Stamped notice", "Cross-border capital\nfor Hengqin"])
    code, out, _ = finweek("add", "--kind", "report", "--title", "Scanned notice", str(pdf))
    assert code == 0
    code, out, _ = finweek("ocr")
    assert code == 0
    assert re.search(r"\[\d/\d\] \[\d+\] notice\.pdf: from OCR, 2 page\(s\)", out)
    code, out, _ = finweek("search", "--json", "cross-border capital")
    import json

    (hit,) = [h for h in json.loads(out)["hits"] if h["title"] == "Scanned notice"]
    assert hit["file"] == "notice.pdf" and hit["page"] == 2
    assert hit["where"][0]["name"] == "notice.pdf" and hit["where"][0]["page"] == 2
    code, out, _ = finweek("search", "cross-border capital")
    assert "in notice.pdf, p. 2" in out
    code, out, _ = finweek("ocr")
    assert "Nothing waits for OCR." in out
    code, out, _ = finweek("ocr", "--force")
    assert "[1/" in out


def test_status_lines():
    from finweek_desktop.core.attachments.records import status_line

    assert status_line("ok", "file", "") == "from the file"
    assert status_line("ok", "ocr", "") == "from OCR"
    assert status_line("needs_ocr", "", "") == "needs OCR"
    assert status_line("ocr_failed", "", "OCR failed: the image cannot be read") == "OCR failed: the image cannot be read"
    assert status_line(TextStatus.NO_TEXT.value, "", "OCR found no text in the file").startswith("no text: ")


@needs_tesseract
def test_ocr_that_runs_out_of_time_fails_with_the_reason_and_the_next_file_is_read(empty_catalog, tmp_path, monkeypatch):
    service = empty_catalog.service
    slow = add_scans(service, scan_png(tmp_path / "slow.png", "Hengqin"), title="Slow")
    (a,) = service.attachments.of(slow.id)
    monkeypatch.setattr(ocr, "SECONDS_PER_FILE", 0.0)
    monkeypatch.setattr(ocr, "PAGE_SECONDS", 0.05)  # less than a Python start: the child is killed
    (outcome,) = service.reading.run()
    assert outcome.status == "ocr_failed"
    assert outcome.message == "OCR failed: the OCR did not finish within 0.05 seconds"
    assert service.attachments.of(slow.id)[0].text_summary == outcome.message
    monkeypatch.undo()
    (again,) = service.reading.run([a.id], force=True)  # `finweek ocr --force ID` tries again
    assert again.status == "ok"


def test_pages_and_the_pending_queue_on_postgresql(tmp_path, postgres_url):
    from test_attachment_samples import pdf_bytes, write

    catalog = open_catalog(tmp_path / "desk", database_url=postgres_url, seed=False)
    try:
        service = catalog.service
        doc = add_scans(
            service,
            write(tmp_path / "report.pdf", pdf_bytes(["Opening", "Macau insurance"])),
            scan_png(tmp_path / "photo.png", "Finance week\ncapital forum"),
        )
        assert [a.text_status for a in service.attachments.of(doc.id)] == ["ok", "needs_ocr"]
        assert service.reading.pending() == [service.attachments.of(doc.id)[1].id]
        (hit,) = service.search("insurance").hits
        assert [(w.name, w.page) for w in hit.where] == [("report.pdf", 2)]
        assert service.search("ocr:needed").total == 1
        if not ocr.missing():
            service.reading.run()
            (hit,) = service.search("capital forum").hits
            assert [(w.name, w.page) for w in hit.where] == [("photo.png", None)]
    finally:
        catalog.close()


def test_find_and_hit_places_match_the_words_typed_not_their_synonyms(empty_catalog, tmp_path):
    """Searching "Hengqin" also searches the place's aliases ("Hengqin New
    Area"), but only the typed word is highlighted or looked for on a page."""
    from test_attachment_samples import pdf_bytes, write

    from finweek_desktop.core.models import Place

    service = empty_catalog.service
    with service.writer.writing() as (session, _touched):
        session.add(Place(name="Hengqin", aliases="Hengqin New Area"))
    service.reference.refresh_synonyms()
    doc = add_scans(service, write(tmp_path / "r.pdf", pdf_bytes(["A new area of study", "The Hengqin base"])))
    (a,) = service.attachments.of(doc.id)
    places = service.highlights.find(a.id, "hengqin", 2)
    assert [page for page, _rect in places] == [2]
    assert service.search("hengqin").hits[0].where[0].page == 2
