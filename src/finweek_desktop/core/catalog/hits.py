"""Where a search hit matched: which attached file, and which page.

The index holds one entry per document (its files' text in ``body``); the
text of each page is kept in the database (``attachment_pages``), so the
index does not grow. For the hits of a result page, the query's words are
looked for in each file's pages with the index's own analysis
(``SearchIndex.text_matcher``: the same folding, stemming and Chinese
bigrams), and the pages holding most of them are the hit's places.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from ..models import Attachment, AttachmentPage
from ..search.index import HitPlace, SearchIndex, SearchResults
from .writer import CatalogWriter

MAX_PLACES = 3  # per hit, best first


class HitPlaces:
    def __init__(self, writer: CatalogWriter, index: SearchIndex):
        self._writer = writer
        self._index = index

    def locate(self, results: SearchResults) -> SearchResults:
        """The results with each hit's ``where`` filled in (best first)."""
        if not results.hits:
            return results
        count = self._index.text_matcher(results.text)
        if count is None:
            return results
        ids = [hit.id for hit in results.hits]
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
            whole = {
                f.id: session.scalar(select(Attachment.text).where(Attachment.id == f.id))
                for f in files
                if f.id not in by_file
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
