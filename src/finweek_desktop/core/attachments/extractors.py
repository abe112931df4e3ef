"""One text extractor per format. These run inside the sandboxed worker:
they may raise anything, hang or crash, and the worker turns that into a
status. Each returns (text, title or None)."""

from __future__ import annotations

import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

from . import filetypes
from .decoding import decode_text

MAX_TEXT_CHARS = 5_000_000  # beyond this the index gains nothing but weight
MAX_XML_BYTES = 200 * 1024 * 1024  # an uncompressed DOCX part; guards zip bombs


class ExtractionError(Exception):
    """The file cannot be read; the message says why, for the user."""


class EncryptedError(ExtractionError):
    pass


def extract(path: Path, mime: str) -> tuple[str, str | None] | tuple[str, str | None, list[str]]:
    """(text, title), and for a PDF the text of each page too."""
    path = Path(path)
    if path.stat().st_size == 0:
        raise ExtractionError("the file is empty (0 bytes)")
    if mime == filetypes.PDF:
        from .pdftext import pdf_text  # here: pdftext imports this module

        return pdf_text(path)
    if mime == filetypes.DOCX:
        return docx_text(path)
    if mime in (filetypes.HTML, "application/xhtml+xml"):
        return html_text(path.read_bytes())
    if filetypes.is_text_like(mime):
        return plain_text(path.read_bytes(), markdown=mime == filetypes.MARKDOWN)
    raise ExtractionError(f"no text extractor for {mime}")


# -- DOCX (WordprocessingML read with the standard library) --------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"


def docx_text(path: Path) -> tuple[str, str | None]:
    try:
        with zipfile.ZipFile(path) as archive:
            body = _xml(archive, "word/document.xml")
            core = _xml(archive, "docProps/core.xml", required=False)
    except zipfile.BadZipFile as exc:
        raise ExtractionError(f"not a readable DOCX file ({exc})") from None
    except ElementTree.ParseError as exc:
        raise ExtractionError(f"the DOCX file is damaged ({exc})") from None
    paragraphs: list[tuple[str, str]] = []  # (style, text)
    for para in body.iter(f"{_W}p"):
        style = para.find(f"{_W}pPr/{_W}pStyle")
        parts = []
        for node in para.iter():
            if node.tag == f"{_W}t" and node.text:
                parts.append(node.text)
            elif node.tag == f"{_W}tab":
                parts.append("\t")
            elif node.tag in (f"{_W}br", f"{_W}cr"):
                parts.append("\n")
        paragraphs.append((style.get(f"{_W}val", "") if style is not None else "", "".join(parts)))
    title = None
    if core is not None:
        node = core.find(_DC_TITLE)
        title = node.text.strip() if node is not None and node.text and node.text.strip() else None
    if title is None:
        title = next(
            (t.strip() for s, t in paragraphs if t.strip() and s.lower().startswith(("title", "heading"))), None
        )
    return "\n".join(t for _, t in paragraphs), title


def _xml(archive: zipfile.ZipFile, name: str, required: bool = True):
    try:
        info = archive.getinfo(name)
    except KeyError:
        if required:
            raise ExtractionError(f"not a Word document: {name} is missing") from None
        return None
    if info.file_size > MAX_XML_BYTES:
        raise ExtractionError(f"{name} would unpack to {info.file_size:,} bytes, too large to read")
    return ElementTree.fromstring(archive.read(name))


# -- HTML --------------------------------------------------------------------------

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_BLOCKS = {
    "p",
    "div",
    "br",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "header",
    "footer",
    "blockquote",
    "pre",
    "table",
    "ul",
    "ol",
    "dd",
    "dt",
    "hr",
    "figcaption",
}
# Content of these is never text a reader sees; nothing is ever fetched.
# Only elements whose content is code or markup-for-later: skipping <head>,
# <iframe> or <object> would lose the whole page when one is left unclosed.
_SKIPPED = {"script", "style", "template", "noscript"}


def html_text(data: bytes) -> tuple[str, str | None]:
    declared = _CHARSET.search(data[:4096])
    markup, _ = decode_text(data, declared.group(1).decode("ascii") if declared else None)
    parser = _TextParser()
    parser.feed(markup)
    parser.close()
    text = re.sub(r"[ \t\r\f\v]+", " ", "".join(parser.parts))
    text = re.sub(r"\s*\n\s*", "\n", text).strip()
    title = " ".join(parser.title.split())[:500] or " ".join(parser.first_heading.split())[:500]
    return text, title or None


class _TextParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []
        self.title = ""
        self.first_heading = ""
        self._in: str | None = None  # "title" or "h1" while inside one

    def handle_starttag(self, tag, attrs):
        if tag == "body":
            # Whatever the head left open (a <noscript>, a <title>) ends here.
            self.skipping.clear()
            if self._in == "title":
                self._in = None
        if tag in _SKIPPED:
            self.skipping.append(tag)
        if tag == "title" or (tag == "h1" and not self.first_heading):
            self._in = tag
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.skipping:
            # Also closes anything left open inside it.
            del self.skipping[len(self.skipping) - 1 - self.skipping[::-1].index(tag) :]
        if tag == self._in:
            self._in = None
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if self._in == "title":
            self.title += data  # the title, not body text
            return
        if self._in == "h1":
            self.first_heading += data
        if not self.skipping:
            self.parts.append(data)


# -- plain text and Markdown ---------------------------------------------------------

_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")


def plain_text(data: bytes, markdown: bool = False) -> tuple[str, str | None]:
    text, _ = decode_text(data)
    text = text.replace("\r\n", "\n")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    headings = [m.group(1) for m in map(_MD_HEADING.match, lines) if m] if markdown else []
    title = headings[0] if headings else (lines[0][:200] if lines else None)
    return text, title
