"""The catalog: one writer shared by small parts (see service.py).

``CatalogService`` composes them: documents, tags, reference data,
attachments, index integrity, imports, undo history and the trash.
"""

from __future__ import annotations

from .check_report import CheckReport, RepairNeedsConfirmation
from .common import (
    EDITABLE_FIELDS,
    LIST_SORTS,
    ChangedMeanwhile,
    DocumentFilter,
    NotFound,
    clean_tag_name,
    document_row,
    required_title,
)
from .service import CatalogService

__all__ = [
    "EDITABLE_FIELDS",
    "LIST_SORTS",
    "CatalogService",
    "ChangedMeanwhile",
    "CheckReport",
    "DocumentFilter",
    "NotFound",
    "RepairNeedsConfirmation",
    "clean_tag_name",
    "document_row",
    "required_title",
]
