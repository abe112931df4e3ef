"""Where a search hit matched: which attached file, and which page.

The index holds one entry per document (its files' text in ``body``); the
text of each page is kept in the database (``attachment_pages``), so the
index does not grow. For the hits of a result page, the query's words are
looked for in each file's pages with the index's own analysis
(``SearchIndex.text_matcher``: the same folding, stemming and Chinese
bigrams), and the pages holding most of them are the hit's places.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from ..attachments.filetypes import PAGED_IMAGES
from ..database import server_failure
from ..models import Attachment, AttachmentPage
from ..search.index import HitPlace, SearchIndex, SearchResults
from .writer import CatalogWriter

MAX_PLACES = 3  # per hit, best first


class HitPlaces:
    def __init__(self, writer: CatalogWriter, index: SearchIndex):
        self._writer = writer
        self._index = index

    def locate(self, results: SearchResults, only: Collection[int] | None = None) -> SearchResults:
        """The results with each hit's ``where`` filled in (best first); as
        they are when the database cannot be read (a team catalog's server
        away: search goes on from this desktop's index). ``only``: the hits
        to look in (the word matches of a search by meaning; a hit found by
        meaning alone shows its nearest passage instead)."""
        try:
            return self._locate(results, only)
        except DBAPIError as exc:
            if server_failure(exc) is None:
                raise
            return results

    def _locate(self, results: SearchResults, only: Collection[int] | None) -> SearchResults:
        ids = [hit.id for hit in results.hits if only is None or hit.id in only]
        if not ids:
            return results
        count = self._index.text_matcher(results.text)
        if count is None:
            return results
        with self._writer.read() as session:
            files = session.execute(
                select(Attachment.id, Attachment.document_id, Attachment.original_name, Attachment.mime_type)
                .where(Attachment.document_id.in_(ids), Attachment.text != "")
                .order_by(Attachment.id)
            ).all()
            pages = session.execute(
                select(AttachmentPage.attachment_id, AttachmentPage.page, AttachmentPage.text)
                .where(AttachmentPage.attachment_id.in_([f.id for f in files]), AttachmentPage.text != "")
                .order_by(AttachmentPage.attachment_id, AttachmentPage.page)
            ).all()
            by_file: dict[int, list[tuple[int, str]]] = {}
            for attachment_id, page, text in pages:
                by_file.setdefault(attachment_id, []).append((page, text))
            unpaged = [f.id for f in files if f.id not in by_file]
            whole = {
                row.id: row.text
                for row in session.execute(select(Attachment.id, Attachment.text).where(Attachment.id.in_(unpaged)))
            }
        places: dict[int, list[tuple[int, int, HitPlace]]] = {}
        for order, f in enumerate(files):
            paged = f.mime_type == "application/pdf" or len(by_file.get(f.id, ())) > 1
            candidates = by_file.get(f.id) or [(0, whole.get(f.id) or "")]
            for page, text in candidates:
                found = count(text)
                if found:
                    place = HitPlace(f.id, f.original_name, page if paged and page else None)
                    places.setdefault(f.document_id, []).append((-found, order * 100_000 + page, place))
        hits = tuple(
            replace(
                hit, where=tuple(p for _f, _o, p in sorted(places.get(hit.id, []), key=lambda x: x[:2])[:MAX_PLACES])
            )
            for hit in results.hits
        )
        return replace(results, hits=hits)


Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in fractions of the page, y downwards


class Highlights:
    """The words of a query on a page of a file, as rectangles to draw.

    A scanned page has OCR word boxes (stored with its text); a PDF page
    with a text layer has PDFium's character boxes. Each word (a run of
    Chinese characters counts as one) is kept when the query's words are
    in it by the index's own analysis, so what is highlighted is what
    search matched: accents, Traditional/Simplified and stems folded alike.
    """

    def __init__(self, writer: CatalogWriter, index: SearchIndex, pdf_words: Callable[[str, int], list]):
        self._writer = writer
        self._index = index
        self._pdf_words = pdf_words  # (sha256, page) -> [(word, rect)] of a stored PDF (Previews.page_words)

    def on_page(self, attachment_id: int, page: int | None, query: str) -> list[Rect]:
        count = self._index.text_matcher(query)
        if count is None:
            return []
        with self._writer.read() as session:
            row = session.get(Attachment, attachment_id)
            if row is None:
                return []
            stored = session.get(AttachmentPage, (attachment_id, page or 1))
            boxes, sha256, mime = (stored.boxes if stored else ""), row.sha256, row.mime_type
        if boxes:
            return _matching(json.loads(boxes), count)
        if mime == "application/pdf" and page:
            return [rect for word, rect in self._pdf_words(sha256, page) if count(word)]
        return []

    def find(self, attachment_id: int, query: str, pages: int) -> list[tuple[int | None, Rect]]:
        """Every place of the query's words in a file, page by page: (page
        1-based, or None for an image; rectangle). What find-in-preview steps
        through; ``pages`` is the file's page count (1 for an image)."""
        with self._writer.read() as session:
            row = session.get(Attachment, attachment_id)
            if row is None:
                return []
            paged = row.mime_type == "application/pdf" or (row.mime_type in PAGED_IMAGES and pages > 1)
        found: list[tuple[int | None, Rect]] = []
        for page in range(1, max(1, pages) + 1):
            found += [(page if paged else None, rect) for rect in self.on_page(attachment_id, page, query)]
        return found


def _is_han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


HAN_JOIN = 6  # neighbouring Chinese boxes tried together: a word of up to this many boxes is found


def _matching(boxes: list, count: Callable[[str], int]) -> list[Rect]:
    """The OCR words that hold the query's words. Tesseract reads Chinese a
    character or two at a time, so neighbouring Chinese boxes on a line are
    also tried together, up to HAN_JOIN of them: the shortest run from each
    box that holds a query word is kept, and a run that holds a shorter kept
    one is dropped, so what is highlighted is the matched words, not their
    whole line."""
    rects: list[Rect] = []
    for line in _han_lines(boxes):
        if not count("".join(word for word, *_ in line)):
            continue  # one analysis for most lines: the runs are tried only where the words are
        runs: list[tuple[int, int]] = [(0, 0)] if len(line) == 1 else []  # a lone word: matched just now
        for first in range(len(line) if len(line) > 1 else 0):
            for last in range(first, min(first + HAN_JOIN, len(line))):
                if count("".join(word for word, *_ in line[first : last + 1])):
                    runs.append((first, last))
                    break
        kept: list[tuple[int, int]] = []
        for first, last in runs:
            if any(a >= first and b <= last and (a, b) != (first, last) for a, b in runs):
                continue
            if kept and first <= kept[-1][1] + 1:  # touching words (保险|机构): one rectangle
                kept[-1] = (kept[-1][0], max(last, kept[-1][1]))
            else:
                kept.append((first, last))
        for first, last in kept:
            covered = line[first : last + 1]
            rects.append(
                (
                    min(b[1] for b in covered),
                    min(b[2] for b in covered),
                    max(b[3] for b in covered),
                    max(b[4] for b in covered),
                )
            )
    return rects


def _han_lines(boxes: list) -> list[list]:
    """The boxes in reading order, neighbouring Chinese ones on a line
    grouped (each other box alone). Tesseract's boxes of neighbouring
    characters may overlap by a hair, so a small overlap still joins."""
    lines: list[list] = []
    for box in boxes:
        word, x0, y0, _, y1 = box
        if lines and word and _is_han(word[0]) and _is_han(lines[-1][-1][0][-1]):
            _, _, b0, a1, b1 = lines[-1][-1]
            height = b1 - b0
            if abs((y0 + y1) / 2 - (b0 + b1) / 2) < height and -height / 2 <= x0 - a1 < height * 1.5:
                lines[-1].append(box)
                continue
        lines.append([box])
    return lines
