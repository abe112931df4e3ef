"""A scanned multi-page TIFF is read page by page (issue 14): a time budget
by the page, progress by the page, a corrupt page costs that page only; and
a Simplified query finds the Traditional page and names it."""

from __future__ import annotations

import json
import time
from pathlib import Path

from scans import corrupt_tiff_page, needs_tesseract, scan_tiff

from finweek_desktop.core.attachments.extraction import Limits, TextStatus, extract_text, report_progress
from finweek_desktop.core.records import NewDocument

PAGES = [
    "The Hengqin financial industry base\nhosts banks and insurance companies",
    "橫琴金融產業基地\n聚集了銀行和保險機構",  # Traditional on the page
    "A base financeira de Hengqin\nreúne bancos e seguradoras",
]


def add_scans(service, *paths, title="Scanned report"):
    return service.attachments.create_document_with_files(NewDocument(kind="report", title=title), list(paths))


@needs_tesseract
def test_a_multi_page_tiff_is_read_page_by_page_and_a_simplified_query_opens_the_traditional_page(
    empty_catalog, tmp_path
):
    service = empty_catalog.service
    doc = add_scans(service, scan_tiff(tmp_path / "scan.tiff", PAGES))
    (a,) = service.attachments.of(doc.id)
    assert a.text_status == "needs_ocr"
    heard = []

    (outcome,) = service.reading.run(page_progress=lambda *said: heard.append(said))

    assert heard == [(a.id, "scan.tiff", page, 3) for page in range(4)]  # counted, then each page
    assert (outcome.status, outcome.pages, outcome.message) == ("ok", 3, "")
    (hit,) = service.search("保险机构").hits  # Simplified, as typed
    assert hit.id == doc.id
    assert [(w.name, w.page) for w in hit.where] == [("scan.tiff", 2)]
    assert hit.where[0].label() == "in scan.tiff, p. 2"
    assert service.highlights.on_page(a.id, 2, "保险机构")  # the OCR boxes of that page
    assert service.highlights.on_page(a.id, 1, "保险机构") == []
    assert [(w.name, w.page) for w in service.search("seguradoras").hits[0].where] == [("scan.tiff", 3)]


@needs_tesseract
def test_a_corrupt_page_of_a_tiff_costs_that_page_only(finweek, tmp_path):
    scan = corrupt_tiff_page(scan_tiff(tmp_path / "batch.tiff", PAGES), 2)
    code, out, _ = finweek("add", "--kind", "report", "--title", "Batch scan", str(scan))
    assert code == 0

    code, out, _ = finweek("ocr")

    assert code == 0
    lines = [line for line in out.splitlines() if "batch.tiff" in line]  # the seed's scans are read too
    assert [line.split(": ", 1)[1] for line in lines[:3]] == ["page 1 of 3", "page 2 of 3", "page 3 of 3"], out
    assert lines[3].endswith(
        "batch.tiff: from OCR (page 2 could not be read, OSError: decoder error -2; the other pages were read), 3 page(s)"
    )

    def places(query):
        code, out, _ = finweek("search", "--json", query)
        (hit,) = [h for h in json.loads(out)["hits"] if h["title"] == "Batch scan"]
        return [(w["name"], w["page"]) for w in hit["where"]]

    assert places("seguradoras") == [("batch.tiff", 3)]
    assert places("insurance companies") == [("batch.tiff", 1)]


@needs_tesseract
def test_a_tiff_whose_every_page_is_corrupt_fails_with_the_reason(empty_catalog, tmp_path):
    service = empty_catalog.service
    scan = scan_tiff(tmp_path / "gone.tiff", ["one", "two"])
    for page in (1, 2):
        corrupt_tiff_page(scan, page)
    add_scans(service, scan)
    (outcome,) = service.reading.run()
    assert outcome.status == "ocr_failed"
    assert outcome.message.startswith("OCR failed: no page could be read; page 1: OSError")


# -- the time budget by the page, with a stand-in for the OCR -------------------


def slow_pages(path: Path, mime: str):
    """A stand-in OCR target (run in the worker): four pages of a second
    and a half each, the count reported first, as ocr.py does."""
    from finweek_desktop.core.attachments.extraction import ExtractedText, PageText

    report_progress(0, 4)
    for page in range(1, 5):
        time.sleep(1.5)
        report_progress(page, 4)
    pages = tuple(PageText(n, f"page {n}") for n in range(1, 5))
    return ExtractedText(TextStatus.OK, "\n\n".join(p.text for p in pages), pages=pages)


STAND_IN = f"{__name__}:slow_pages"


def test_the_time_budget_follows_the_pages_the_worker_counts(tmp_path):
    path = tmp_path / "four-pages.tiff"
    path.write_bytes(b"II*\x00")  # the stand-in does not read it
    # Five seconds for the file as first known (one page); the stand-in needs six after it has counted.
    by_the_file = Limits(seconds=5.0, cpu_seconds=60)
    by_the_page = Limits(seconds=5.0, cpu_seconds=60, file_seconds=5.0, page_seconds=5.0, max_pages=100)

    heard: list[tuple[int, int]] = []
    read = extract_text(path, "image/tiff", limits=by_the_page, target=STAND_IN, progress=lambda *p: heard.append(p))
    assert read.status is TextStatus.OK and len(read.pages) == 4
    assert heard[0] == (0, 4) and heard[-1] == (4, 4) and heard == sorted(set(heard))

    cut = extract_text(path, "image/tiff", limits=by_the_file, target=STAND_IN)
    assert cut.status is TextStatus.FAILED
    assert cut.message == "text could not be extracted: the parser did not finish within 5 seconds"


def test_the_budget_by_the_page_is_capped():
    limits = Limits(seconds=150.0, file_seconds=60.0, page_seconds=90.0, max_pages=100)
    assert limits.budget(0) == 150.0  # nothing counted yet: what the file was given
    assert limits.budget(1) == 150.0
    assert limits.budget(20) == 60.0 + 20 * 90.0  # a 20-page TIFF
    assert limits.budget(5000) == 60.0 + 100 * 90.0  # no more than MAX_PAGES pages
    assert Limits(seconds=60.0).budget(20) == 60.0  # a parser's limit is the file's
