"""Transitional: bulk import moved to ``catalog/imports.py`` (``catalog.imports``).

Kept while callers move to ``service.imports.import_documents(items, ...)``.
"""

from __future__ import annotations

from .catalog.imports import ImportItem, ImportReport


def import_documents(service, items, **options) -> ImportReport:
    return service.imports.import_documents(items, **options)


__all__ = ["ImportItem", "ImportReport", "import_documents"]
