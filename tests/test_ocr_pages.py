"""A scanned multi-page TIFF is read page by page (issue 14): a time budget
by the page, progress by the page, a corrupt page costs that page only; and
a Simplified query finds the Traditional page and names it."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
from scans import corrupt_tiff_page, needs_tesseract, scan_tiff

from finweek_desktop.core.attachments import ocr
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
def test_the_highlight_of_a_chinese_word_covers_that_word_not_its_line(empty_catalog, tmp_path):
    # Tesseract reads 保險機構 as 保險, 機, 構 (boxes that overlap by a hair):
    # the highlight covers those boxes, and not 聚集了銀行和 before them.
    from finweek_desktop.core.models import AttachmentPage

    service = empty_catalog.service
    doc = add_scans(service, scan_tiff(tmp_path / "scan.tiff", PAGES[1:2]))
    (a,) = service.attachments.of(doc.id)
    (outcome,) = service.reading.run()
    assert outcome.status == "ok"
    with service.writer.read() as session:
        boxes = json.loads(session.get(AttachmentPage, (a.id, 1)).boxes)
    line = [b for b in boxes if "保" in b[0] or "行" in b[0]]
    assert line, boxes  # OCR read the line
    starts = min(b[1] for b in boxes if "保" in b[0])
    ends = max(b[3] for b in boxes if "构" in b[0])
    bank = next(b for b in boxes if "行" in b[0])

    rects = service.highlights.on_page(a.id, 1, "保险机构")

    assert rects
    assert min(r[0] for r in rects) >= starts - 1e-6 and max(r[2] for r in rects) <= ends + 1e-6
    assert max(r[2] for r in rects) > starts + (ends - starts) * 0.75  # 机构 too, not only 保险
    assert all(r[0] >= bank[3] - 0.01 for r in rects)  # nothing of 银行 before it


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
        "batch.tiff: from OCR (page 2 could not be read, OSError: decoder error -2; the other pages were read),"
        " 3 page(s)"
    )

    def places(query):
        _code, out, _ = finweek("search", "--json", query)
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


# -- photographed pages: turned straight before Tesseract reads them ------------


def photographed_line(path: Path, text: str, angle: float) -> Path:
    """A sheet with one line of text, turned by ``angle`` degrees and lying
    on a darker desk, as a phone held askew sees it (a JPEG)."""
    from PIL import Image
    from scans import BENCHMARKS

    sys.path.insert(0, str(BENCHMARKS))
    try:
        import ocr_bench
    finally:
        sys.path.remove(str(BENCHMARKS))
    sheet = ocr_bench.typeset(text, dpi=200, ink=30).crop((0, 0, 1165, 700))
    sheet = sheet.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=90)
    desk = Image.new("L", (sheet.width + 200, sheet.height + 200), 90)
    desk.paste(sheet, (100, 100))
    desk.convert("RGB").save(path, quality=80)
    return path


@pytest.mark.parametrize("angle", [4.0, -6.0])
def test_the_skew_of_a_page_photographed_askew_is_found(tmp_path, angle):
    from PIL import Image

    photo = photographed_line(tmp_path / "askew.jpg", "Cross-border wealth management connect\nfor Macao", angle)
    found = ocr.skew(Image.open(photo).convert("L"))
    assert abs(found + angle) <= ocr.SKEW_STEP  # turning by it sets the lines level
    straight = tmp_path / "straight.jpg"
    assert ocr.skew(Image.open(photographed_line(straight, "Cross-border wealth", 0.0)).convert("L")) == 0.0


@needs_tesseract
def test_a_page_photographed_askew_is_read_and_its_words_highlighted_where_they_are(empty_catalog, tmp_path):
    from PIL import Image

    service = empty_catalog.service
    photo = photographed_line(tmp_path / "askew.jpg", "The Hengqin smart finance industrial park", 6.0)
    doc = add_scans(service, photo)
    (outcome,) = service.reading.run()
    assert outcome.status == "ok"
    (a,) = service.attachments.of(doc.id)
    assert service.search("smart finance industrial park").hits[0].id == doc.id
    (box,) = service.highlights.on_page(a.id, None, "industrial")
    # The box is in fractions of the photo as it was (not as it was turned to be read): ink is inside it.
    image = Image.open(photo).convert("L")
    x0, y0, x1, y1 = (round(v * s) for v, s in zip(box, image.size * 2, strict=True))
    assert 0 < x1 - x0 < image.width / 3 and 0 < y1 - y0 < image.height / 8
    assert image.crop((x0, y0, x1, y1)).getextrema()[0] < 80  # the word's ink
    assert image.crop((x0, y1 + 40, x1, y1 + 120)).getextrema()[0] > 60  # and paper below it


@needs_tesseract
def test_a_phone_photo_stored_sideways_is_read_upright(empty_catalog, tmp_path):
    from PIL import Image

    service = empty_catalog.service
    upright = Image.open(photographed_line(tmp_path / "upright.jpg", "Digital currency blue paper", 0.0))
    sideways = tmp_path / "IMG_0412.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: turn 90° clockwise to show it
    upright.transpose(Image.Transpose.ROTATE_90).save(sideways, exif=exif, quality=85)
    doc = add_scans(service, sideways)
    (outcome,) = service.reading.run()
    assert outcome.status == "ok"
    assert service.search("digital currency blue paper").hits[0].id == doc.id
    (a,) = service.attachments.of(doc.id)
    ((x0, y0, x1, y1),) = service.highlights.on_page(a.id, None, "currency")
    assert x1 - x0 > y1 - y0  # a word lies across the page as the preview shows it, not down it
