"""CSV and JSON out: the catalog's own fields, one row or object per document."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable

from .record import RefRecord

COLUMNS = (
    "id", "kind", "title", "subtitle", "date", "authors", "editors", "institutions", "publishers", "place",
    "container", "url", "doi", "isbn", "pages", "report_number", "language", "tags", "abstract",
)  # fmt: skip


def _row(record: RefRecord) -> dict:
    return {
        "id": record.document_id,
        "kind": record.kind,
        "title": record.title,
        "subtitle": record.subtitle or "",
        "date": record.date or "",
        "authors": [p.display for p in record.authors],
        "editors": [p.display for p in record.editors] + list(record.editor_institutions),
        "institutions": list(record.institutions),
        "publishers": list(record.publishers),
        "place": record.place or "",
        "container": record.container or "",
        "url": record.url or "",
        "doi": record.doi or "",
        "isbn": record.isbn or "",
        "pages": record.pages or "",
        "report_number": record.report_number or "",
        "language": record.language or "",
        "tags": list(record.keywords),
        "abstract": record.abstract,
    }


def write_csv(records: Iterable[RefRecord]) -> Iterable[str]:
    """A header and one row per document; lists joined with "; "."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for record in records:
        row = _row(record)
        writer.writerow(["; ".join(v) if isinstance(v, list) else v for v in (row[c] for c in COLUMNS)])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def write_json(records: Iterable[RefRecord]) -> Iterable[str]:
    yield "[\n"
    first = True
    for record in records:
        yield ("" if first else ",\n") + json.dumps(_row(record), ensure_ascii=False, indent=2)
        first = False
    yield "\n]\n"
