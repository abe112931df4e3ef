"""References in and out: export of documents as CSV, JSON, BibTeX, RIS and
CSL-JSON, import of the BibTeX, RIS and CSL-JSON files that Zotero, JabRef
and EndNote write, and citations through citeproc-py.

Everything here is plain data: a ``RefRecord`` (``record.py``) is what one
format's writer reads and one format's reader returns; the catalog part
``core/catalog/bibliography.py`` turns documents into records and records
into documents.
"""

from .record import RefRecord

EXPORT_FORMATS = ("csv", "json", "bibtex", "ris", "csl-json")
IMPORT_FORMATS = ("bibtex", "ris", "csl-json")

__all__ = ["EXPORT_FORMATS", "IMPORT_FORMATS", "RefRecord"]
