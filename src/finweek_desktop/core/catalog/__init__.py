"""The catalog service: every write goes through here (see service.py).

The service is one class assembled from parts with one job each: documents,
tags, reference data, attachments, and index integrity.
"""

from __future__ import annotations

from .common import EDITABLE_FIELDS, LIST_SORTS, DocumentFilter, NotFound, clean_tag_name, document_row, required_title
from .integrity import CheckReport, RepairNeedsConfirmation
from .service import CatalogService

__all__ = [
    "EDITABLE_FIELDS",
    "LIST_SORTS",
    "CatalogService",
    "CheckReport",
    "RepairNeedsConfirmation",
    "DocumentFilter",
    "NotFound",
    "required_title",
    "clean_tag_name",
    "document_row",
]
