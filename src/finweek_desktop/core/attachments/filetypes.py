"""What kind of file is this? Content first, then the name."""

from __future__ import annotations

import mimetypes
import zipfile
from pathlib import Path

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HTML = "text/html"
MARKDOWN = "text/markdown"
PLAIN = "text/plain"
OCTET = "application/octet-stream"

IMAGE_TYPES = {"image/jpeg", "image/png", "image/tiff", "image/webp", "image/gif", "image/bmp"}
# Formats Pillow thumbnails for us (GIF and BMP come free with it).
THUMBNAIL_IMAGES = IMAGE_TYPES
PAGED_IMAGES = {"image/tiff"}  # may hold several pages (a sheet-feed scan): previewed page by page, as a PDF

_EXTRA_EXTENSIONS = {".md": MARKDOWN, ".markdown": MARKDOWN, ".txt": PLAIN, ".webp": "image/webp", ".docx": DOCX}
_MAGIC = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)


def guess_mime(path: Path, name: str | None = None) -> str:
    """The MIME type of the file at ``path``; ``name`` is its original name."""
    name = name or Path(path).name
    with open(path, "rb") as handle:
        head = handle.read(1024)
    # PDF allows junk before the header; 1 KiB is what readers accept too.
    if b"%PDF-" in head:
        return PDF
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"PK\x03\x04" and _is_docx(path):
        return DOCX
    by_name = mime_from_name(name)
    if by_name != OCTET:
        return by_name
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return HTML
    return OCTET


def mime_from_name(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in _EXTRA_EXTENSIONS:
        return _EXTRA_EXTENSIONS[suffix]
    return mimetypes.guess_type(name, strict=False)[0] or OCTET


def is_text_like(mime: str) -> bool:
    return mime.startswith("text/") and mime != HTML


def _is_docx(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
