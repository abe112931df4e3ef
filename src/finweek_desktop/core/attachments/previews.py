"""Previews as files and PNG bytes: thumbnails, PDF pages, text.

Thumbnails are cached on disk under the store's ``previews/`` folder by
content hash and size, so they survive restarts, are shared by duplicates
and are simply rebuilt when the cache is deleted. Nothing here knows Qt.
"""

from __future__ import annotations

import io
import os
import re
import threading
import uuid
import warnings
from pathlib import Path

from PIL import Image, ImageOps

from ..privacy import PRIVATE_DIR, private_opener
from . import filetypes
from .decoding import decode_text
from .store import AttachmentStore

MAX_PIXELS = 60_000_000  # a 60 MP image still fits in memory; more is a bomb
MAX_PAGE_PIXELS = 40_000_000  # a rendered page at the requested zoom
TEXT_PREVIEW_BYTES = 256 * 1024
THUMBNAIL_SIZES = (64, 128, 256, 512)


class PreviewError(Exception):
    """No preview can be made; the message says why, for the user."""


class Previews:
    def __init__(self, store: AttachmentStore):
        self.store = store

    def can_preview(self, mime: str) -> bool:
        return mime in filetypes.THUMBNAIL_IMAGES or mime == filetypes.PDF

    def thumbnail(self, sha256: str, mime: str, size: int = 256) -> Path:
        """A PNG no larger than ``size`` pixels on either side."""
        if size not in THUMBNAIL_SIZES:
            raise ValueError(f"thumbnail size must be one of {THUMBNAIL_SIZES}")
        cached = self.store.previews / sha256[:2] / f"{sha256}-{size}.png"
        if cached.exists():
            return cached
        source = self._source(sha256)
        if mime in filetypes.THUMBNAIL_IMAGES:
            image = _open_image(source)
        elif mime == filetypes.PDF:
            image = _render_pdf_page(source, 0, max_side=size)
        else:
            raise PreviewError(f"no thumbnail for {mime} files")
        image.thumbnail((size, size))
        _write_png_atomically(image, cached)
        return cached

    def page_words(self, sha256: str, page: int) -> list[tuple[str, tuple[float, float, float, float]]]:
        """The words of a PDF page (1-based) with their boxes, from PDFium's
        text layer: (word, (x0, y0, x1, y1)) in fractions of the page, y down.
        A run of Chinese characters is one word."""
        return _page_words(self._source(sha256), page)

    def thumbnail_bytes(self, sha256: str, mime: str, size: int = 256) -> bytes:
        return self.thumbnail(sha256, mime, size).read_bytes()

    def page_count(self, sha256: str) -> int:
        with _pdf(self._source(sha256)) as pdf:
            return len(pdf)

    def render_page(self, sha256: str, page: int = 0, scale: float = 1.5) -> bytes:
        """A PDF page as PNG bytes at ``scale`` (1.0 = 72 dpi), for the viewer."""
        image = _render_pdf_page(self._source(sha256), page, scale=scale)
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        return buffer.getvalue()

    def frame_count(self, sha256: str) -> int:
        """The pages of a multi-page image (a scanned TIFF's frames)."""
        try:
            with Image.open(self._source(sha256)) as image:  # the headers only: no page is decoded
                return max(1, int(getattr(image, "n_frames", 1)))
        except (OSError, SyntaxError, ValueError, EOFError) as exc:  # not an image; a broken chain of frames
            raise PreviewError(f"the image's pages cannot be counted ({exc})") from None

    def render_frame(self, sha256: str, page: int = 0, scale: float = 1.5) -> bytes:
        """Page ``page`` (0-based) of a multi-page image as PNG bytes, sized as
        a PDF page is at ``scale`` (1.0 = 72 dpi, from the image's own dpi,
        150 when it has none), so the viewer pages and zooms it as a PDF."""
        image = _open_image(self._source(sha256), frame=page)
        dpi = float((image.info.get("dpi") or (150, 150))[0] or 150)
        factor = scale * 72 / dpi
        size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
        if size[0] * size[1] > MAX_PAGE_PIXELS:
            raise PreviewError(f"page {page + 1} is too large to render at this zoom ({size[0]}×{size[1]} pixels)")
        buffer = io.BytesIO()
        image.resize(size, Image.Resampling.LANCZOS).save(buffer, "PNG")
        return buffer.getvalue()

    def image_bytes(self, sha256: str, mime: str) -> bytes:
        """A full-size image as PNG bytes (checked against decompression bombs)."""
        if mime not in filetypes.THUMBNAIL_IMAGES:
            raise PreviewError(f"{mime} is not an image")
        buffer = io.BytesIO()
        _open_image(self._source(sha256)).save(buffer, "PNG")
        return buffer.getvalue()

    def text(self, sha256: str, max_bytes: int = TEXT_PREVIEW_BYTES) -> str:
        """The beginning of a text-like file, decoded as extraction decodes it."""
        with open(self._source(sha256), "rb") as handle:
            data = handle.read(max_bytes + 1)
        truncated = len(data) > max_bytes
        text, _ = decode_text(data[:max_bytes])
        return text + ("\n…" if truncated else "")

    def _source(self, sha256: str) -> Path:
        try:
            path = self.store.local_path(sha256)
        except OSError as exc:  # a team's server unreachable
            raise PreviewError(f"the file cannot be fetched: {exc}") from exc
        if not path.exists():
            raise PreviewError("the stored file is missing: run `finweek check`")
        return path


def _open_image(path: Path, frame: int = 0) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice it; make both an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(path)
            if frame:
                try:
                    image.seek(frame)
                except EOFError:
                    raise PreviewError(f"the image has no page {frame + 1}") from None
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise PreviewError(
                    f"the image is too large to preview safely ({width}×{height} pixels; limit {MAX_PIXELS:,})"
                )
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PreviewError(f"the image is too large to preview safely ({exc})") from None
    except (OSError, SyntaxError, ValueError) as exc:  # Pillow's ways of saying "damaged"
        raise PreviewError(f"the image cannot be read ({exc})") from None
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB")
    return image


_WORD = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[^\W\d_][\w'’-]*|\d[\d.,]*")


def _page_words(path: Path, page: int) -> list[tuple[str, tuple[float, float, float, float]]]:
    with _pdf(path) as pdf:
        if not 1 <= page <= len(pdf):
            return []
        pdf_page = pdf[page - 1]
        width, height = pdf_page.get_size()
        textpage = pdf_page.get_textpage()
        text = textpage.get_text_range()
        words = []
        for match in _WORD.finditer(text):
            boxes = [textpage.get_charbox(i) for i in range(match.start(), match.end())]
            boxes = [b for b in boxes if b[2] > b[0] or b[3] > b[1]]
            if not boxes:
                continue
            left, bottom = min(b[0] for b in boxes), min(b[1] for b in boxes)
            right, top = max(b[2] for b in boxes), max(b[3] for b in boxes)
            words.append((match.group(), (left / width, 1 - top / height, right / width, 1 - bottom / height)))
        return words


# PDFium is not thread-safe: two threads inside it at once (a thumbnail and
# a page render on the GUI's worker pool) crash the process. Every use of
# pypdfium2 goes through _pdf, which holds this lock from open to close.
_PDFIUM_LOCK = threading.RLock()


class _pdf:
    """pypdfium2 document as a context manager with readable errors."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        import pypdfium2 as pdfium

        _PDFIUM_LOCK.acquire()
        try:
            self.document = pdfium.PdfDocument(str(self.path))
        except pdfium.PdfiumError as exc:
            _PDFIUM_LOCK.release()
            if "password" in str(exc).lower():
                raise PreviewError("the PDF is encrypted (password-protected); no preview") from None
            raise PreviewError(f"the PDF cannot be opened ({exc})") from None
        except BaseException:
            _PDFIUM_LOCK.release()
            raise
        return self.document

    def __exit__(self, *exc):
        try:
            self.document.close()
        finally:
            _PDFIUM_LOCK.release()


def _render_pdf_page(path: Path, index: int, *, scale: float | None = None, max_side: int | None = None) -> Image.Image:
    with _pdf(path) as pdf:
        if not 0 <= index < len(pdf):
            raise PreviewError(f"the PDF has {len(pdf)} page(s); there is no page {index + 1}")
        page = pdf[index]
        try:
            width, height = page.get_size()  # points
            if width <= 0 or height <= 0:
                raise PreviewError(f"page {index + 1} has no area")
            if scale is None:
                scale = max_side / max(width, height)
            pixels = width * scale * height * scale
            if pixels > MAX_PAGE_PIXELS:
                raise PreviewError(
                    f"page {index + 1} is too large to render at this zoom "
                    f"({width * scale:.0f}×{height * scale:.0f} pixels; limit {MAX_PAGE_PIXELS:,})"
                )
            bitmap = page.render(scale=scale)
            try:
                return bitmap.to_pil().copy()
            finally:
                bitmap.close()
        finally:
            page.close()


def _write_png_atomically(image: Image.Image, target: Path) -> None:
    for folder in (target.parent.parent, target.parent):  # previews/, then its shard
        folder.mkdir(PRIVATE_DIR, exist_ok=True)
    temp = target.with_name(f".{uuid.uuid4().hex}.tmp")
    try:
        with open(temp, "xb", opener=private_opener) as handle:  # a thumbnail shows the document
            image.save(handle, "PNG")
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
