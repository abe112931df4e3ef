"""PDF text and title, with pypdf, or pypdfium2 when pypdf cannot decrypt.

Runs inside the sandboxed extraction worker, like every extractor."""

from __future__ import annotations

from pathlib import Path

from .extractors import MAX_TEXT_CHARS, EncryptedError, ExtractionError

_ENCRYPTED = "the PDF is encrypted (password-protected)"


def pdf_text(path: Path) -> tuple[str, str | None, list[str]]:
    """The text, the title, and the text of each page ("" for a page without a text layer)."""
    from pypdf.errors import DependencyError

    try:
        pages, title = _pypdf_pages(path)
    except DependencyError:
        # pypdf needs the `cryptography` package for AES; pdfium decrypts by itself.
        pages, title = _pdfium_pages(path)
    every = [p.strip() for p in pages]
    pages = [p for p in every if p]
    # Pages apart by a blank line, so a snippet never runs across two pages.
    return "\n\n".join(pages), title or _first_line(pages[:3]), every


def _pypdf_pages(path: Path) -> tuple[list[str], str | None]:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted and not _opens_without_password(reader):
            raise EncryptedError(_ENCRYPTED)
        pages: list[str] = []
        length = 0
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            length += len(pages[-1])
            if length > MAX_TEXT_CHARS:
                break
        title = _metadata_title(reader)
    except FileNotDecryptedError:
        raise EncryptedError(_ENCRYPTED) from None
    except PdfReadError as exc:
        raise ExtractionError(f"not a readable PDF ({exc})") from None
    return pages, title


def _opens_without_password(reader) -> bool:
    # Many PDFs are "encrypted" with an empty user password: readable by all.
    from pypdf.errors import DependencyError

    try:
        return bool(reader.decrypt(""))
    except DependencyError:
        raise  # not a password matter: pdf_text falls back to pdfium
    except Exception:
        return False


def _metadata_title(reader) -> str | None:
    try:
        title = reader.metadata.title if reader.metadata else None
    except Exception:  # a damaged info dictionary costs the title only
        return None
    return title.strip() if isinstance(title, str) and title.strip() else None


def _pdfium_pages(path: Path) -> tuple[list[str], str | None]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise EncryptedError(_ENCRYPTED) from None
        raise ExtractionError(f"not a readable PDF ({exc})") from None
    try:
        pages: list[str] = []
        length = 0
        for index in range(len(pdf)):
            textpage = pdf[index].get_textpage()
            pages.append(textpage.get_text_range().replace("\r\n", "\n"))
            length += len(pages[-1])
            if length > MAX_TEXT_CHARS:
                break
        title = (pdf.get_metadata_dict().get("Title") or "").strip() or None
    finally:
        pdf.close()
    return pages, title


def _first_line(pages: list[str]) -> str | None:
    """A title from page 1 when the metadata has none: its first line with
    a letter in it (the heading, usually), else the next page's (a cover
    that is a picture and a page number)."""
    for line in "\n".join(pages).splitlines():
        line = " ".join(line.split())
        if any(c.isalpha() for c in line):
            return line if len(line) <= 200 else line[:200].rsplit(" ", 1)[0] + "…"
    return None
