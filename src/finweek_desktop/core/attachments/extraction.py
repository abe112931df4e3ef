"""Text extraction with a time and memory limit, in a separate process.

A parser that hangs, crashes or eats memory on a hostile file must cost
that one file and nothing else (calibre does the same). Each file gets a
fresh ``python -m finweek_desktop.core.attachments.worker`` child, handed its
limits on the command line: it sets RLIMIT_AS and RLIMIT_CPU on itself
first thing (POSIX), and the parent waits with a wall-clock timeout
everywhere. The result comes back as JSON in a file, never through stdout,
which a chatty library could pollute.
"""

from __future__ import annotations

import enum
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from . import filetypes

WORKER_MODULE = "finweek_desktop.core.attachments.worker"
DEFAULT_TARGET = "finweek_desktop.core.attachments.extractors:extract"


class TextStatus(enum.StrEnum):
    PENDING = "pending"  # not extracted yet (rows from before extraction existed)
    OK = "ok"
    NO_TEXT = "no_text"  # nothing to extract, and nothing OCR could read
    ENCRYPTED = "encrypted"
    FAILED = "failed"
    NEEDS_OCR = "needs_ocr"  # an image, or PDF pages without a text layer: the pending-OCR queue
    OCR_FAILED = "ocr_failed"


class TextSource(enum.StrEnum):
    NONE = ""
    FILE = "file"
    OCR = "ocr"
    FILE_AND_OCR = "file+ocr"  # a PDF whose pages without a text layer were OCR'd


@dataclass(frozen=True)
class PageText:
    """The text of one page (1-based), with OCR word boxes for a scanned page:
    ``(word, x0, y0, x1, y1)`` in fractions of the page's width and height."""

    page: int
    text: str
    boxes: tuple[tuple[str, float, float, float, float], ...] = ()

    def to_json(self) -> dict:
        return {"page": self.page, "text": self.text, "boxes": [list(b) for b in self.boxes]}

    @classmethod
    def from_json(cls, data: dict) -> PageText:
        return cls(data["page"], data["text"], tuple(tuple(b) for b in data.get("boxes", ())))


@dataclass(frozen=True)
class ExtractedText:
    status: TextStatus
    text: str = ""
    title: str | None = None
    message: str = ""
    pages: tuple[PageText, ...] = ()  # of a paged file (PDF, scanned TIFF); () for the others
    source: TextSource = TextSource.NONE

    @classmethod
    def failed(cls, why: str) -> ExtractedText:
        return cls(TextStatus.FAILED, message=f"text could not be extracted: {why}")

    def to_json(self) -> dict:
        return {
            "status": self.status.value,
            "text": self.text,
            "title": self.title,
            "message": self.message,
            "pages": [p.to_json() for p in self.pages],
            "source": self.source.value,
        }

    @classmethod
    def from_json(cls, data: dict) -> ExtractedText:
        return cls(
            TextStatus(data["status"]),
            data["text"],
            data["title"],
            data["message"],
            tuple(PageText.from_json(p) for p in data.get("pages", ())),
            TextSource(data.get("source", "")),
        )


NEEDS_OCR_MESSAGE = "the file needs OCR"


@dataclass(frozen=True)
class Limits:
    seconds: float = 60.0  # wall clock, for parsers stuck waiting
    cpu_seconds: int = 60  # for parsers stuck computing
    memory_bytes: int = 1536 * 1024 * 1024
    # A budget by the page (OCR): once the child says how many pages the file
    # has, the wall clock allows file_seconds + page_seconds a page, for at
    # most max_pages pages, and never less than ``seconds``.
    file_seconds: float = 0.0
    page_seconds: float = 0.0
    max_pages: int = 0

    def budget(self, pages: int) -> float:
        """Wall-clock seconds for a file the child found ``pages`` pages in."""
        if not self.page_seconds or pages <= 0:
            return self.seconds
        return max(self.seconds, self.file_seconds + self.page_seconds * min(pages, max(1, self.max_pages)))


# The child reports its progress ("PAGE PAGES", for OCR) in the file this
# environment variable names (worker.py's caller sets it; ocr.py writes it).
PROGRESS_ENV = "FINWEEK_WORKER_PROGRESS"


def report_progress(page: int, pages: int) -> None:
    """In the child: page ``page`` of ``pages`` is done (0: the count is known)."""
    where = os.environ.get(PROGRESS_ENV)
    if not where:
        return
    # One line a report, appended in one write: the parent hears every one,
    # however close together, and ignores a line not ended yet.
    with open(where, "a", encoding="ascii") as f:
        f.write(f"{page} {pages}\n")


def needs_parser(mime: str) -> bool:
    parsed = (filetypes.PDF, filetypes.DOCX, filetypes.HTML, "application/xhtml+xml")
    return mime in parsed or filetypes.is_text_like(mime)


def extract_text(
    path: Path,
    mime: str,
    *,
    sandbox: bool = True,
    limits: Limits = Limits(),
    target: str = DEFAULT_TARGET,
    cancel: threading.Event | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ExtractedText:
    """Text of the file at ``path``; never raises for a bad file.

    ``sandbox=False`` runs the parser in this process: only for files we
    ship ourselves (the seed catalog). ``target`` ("module:function") lets
    tests stand in a misbehaving parser, and OCR run in the same sandbox
    (ocr.py). Setting ``cancel`` kills the child: the result then says so.
    ``progress(page, pages)`` hears what the child reports (OCR: after each
    page), on this thread; the time limit then follows ``limits.budget``.
    """
    if mime in filetypes.IMAGE_TYPES and target == DEFAULT_TARGET:
        return ExtractedText(TextStatus.NEEDS_OCR, message=f"an image: {NEEDS_OCR_MESSAGE}")
    if mime.startswith("image/") and target == DEFAULT_TARGET:
        return ExtractedText(TextStatus.NO_TEXT, message=f"no text extractor for {mime}")
    if not needs_parser(mime) and target == DEFAULT_TARGET:
        return ExtractedText(TextStatus.NO_TEXT, message=f"no text extractor for {mime}")
    if not sandbox:
        return run_target(target, Path(path), mime)
    return _run_in_child(target, Path(path), mime, limits, cancel, progress)


def run_target(target: str, path: Path, mime: str) -> ExtractedText:
    """Call the extractor and turn any failure into a status (runs in the child)."""
    from importlib import import_module

    from .extractors import EncryptedError, ExtractionError

    module, _, name = target.partition(":")
    pages: tuple[PageText, ...] = ()
    try:
        result = getattr(import_module(module), name)(path, mime)
        if isinstance(result, ExtractedText):  # OCR: status, pages and source of its own
            return _cleaned(result)
        text, title, *paged = result
        if paged:  # a PDF: the text of each page, "" for a page without a text layer
            pages = tuple(PageText(i, _clean(t)) for i, t in enumerate(paged[0], 1))
    except EncryptedError as exc:
        return ExtractedText(TextStatus.ENCRYPTED, message=f"text could not be extracted: {exc}")
    except ExtractionError as exc:
        return ExtractedText.failed(str(exc))
    except MemoryError:
        return ExtractedText.failed("the parser ran out of memory")
    except RecursionError:
        return ExtractedText.failed("the file is nested too deeply to parse")
    except Exception as exc:  # a parser bug on a malformed file
        return ExtractedText.failed(f"{type(exc).__name__}: {exc}")
    from .extractors import MAX_TEXT_CHARS

    text, removed = _without_control_characters(text)
    text = _without_lone_surrogates(text[:MAX_TEXT_CHARS])
    title = _without_lone_surrogates(_without_control_characters(title)[0]) if title else title
    blank = [p.page for p in pages if not p.text.strip()]
    if not text.strip():
        if removed or not pages:
            why = "only control characters such as NUL bytes" if removed else "a scan needs OCR"
            return ExtractedText(TextStatus.NO_TEXT, title=title, message=f"the file contains no text ({why})")
        message = f"the file contains no text (a scan): {NEEDS_OCR_MESSAGE}"
        return ExtractedText(TextStatus.NEEDS_OCR, title=title, message=message, pages=pages)
    if blank:  # a PDF with scanned pages among its text pages: text now, the rest after OCR
        message = f"{len(blank)} of {len(pages)} pages have no text layer: they need OCR"
        return ExtractedText(TextStatus.NEEDS_OCR, text, title, message, pages, TextSource.FILE)
    return ExtractedText(TextStatus.OK, text=text, title=title, pages=pages, source=TextSource.FILE)


def _clean(text: str) -> str:
    return _without_lone_surrogates(_without_control_characters(text)[0])


def _cleaned(result: ExtractedText) -> ExtractedText:
    pages = tuple(PageText(p.page, _clean(p.text), p.boxes) for p in result.pages)
    return replace(result, text=_clean(result.text)[: _max_chars()], pages=pages)


def _max_chars() -> int:
    from .extractors import MAX_TEXT_CHARS

    return MAX_TEXT_CHARS


def _without_control_characters(text: str) -> tuple[str, int]:
    """The text without NULs and other control characters, which are not text
    (a file of NUL bytes decodes as millions of them); a form feed or vertical
    tab, which separate pages or lines, becomes a line break. Tabs and line
    breaks stay. Returns the text and how many characters went."""
    if not _CONTROL.search(text):
        return text, 0
    if "\x0b" in text or "\x0c" in text:
        text = text.replace("\x0b", "\n").replace("\x0c", "\n")
    before = len(text)
    text = _CONTROL.sub("", text)
    return text, before - len(text)


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]+")


def _without_lone_surrogates(text: str) -> str:
    """Broken PDF font maps yield halves of UTF-16 pairs, which no UTF-8
    writer (the result file, SQLite) accepts: pairs are joined, lone halves
    become U+FFFD, and the rest of the text survives."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _run_in_child(
    target: str,
    path: Path,
    mime: str,
    limits: Limits,
    cancel: threading.Event | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ExtractedText:
    with tempfile.TemporaryDirectory(prefix="finweek-extract-") as work:
        out = Path(work) / "result.json"
        reports = Path(work) / "progress.txt"
        command = [
            sys.executable,
            "-m",
            WORKER_MODULE,
            str(limits.memory_bytes),
            str(limits.cpu_seconds),
            target,
            str(path),
            mime,
            str(out),
        ]
        errors = Path(work) / "stderr.txt"
        with open(errors, "wb") as stderr:
            # Its own process group, so a cancel or a timeout also ends what
            # it started (the Tesseract CLI).
            child = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env=_child_env(reports),
                start_new_session=True,
            )
            started = time.monotonic()
            allowed = limits.seconds
            heard = 0

            def hear() -> None:
                nonlocal allowed, heard
                for page, pages in _progress_said(reports, heard):
                    heard += 1
                    if pages > 0:
                        allowed = max(allowed, limits.budget(pages))
                        if progress is not None:
                            progress(page, pages)

            while True:
                try:
                    child.wait(timeout=0.1)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if cancel is not None and cancel.is_set():
                    _kill(child)
                    return ExtractedText.failed(CANCELLED)
                hear()
                if time.monotonic() - started > allowed:
                    _kill(child)
                    return ExtractedText.failed(f"the parser did not finish within {allowed:g} seconds")
            hear()  # what was said since the last look
        if child.returncode != 0 or not out.exists():
            return ExtractedText.failed(_why_it_died(child.returncode, errors.read_bytes(), limits))
        data = json.loads(out.read_text(encoding="utf-8"))
    return ExtractedText.from_json(data)


CANCELLED = "cancelled"


def _kill(child: subprocess.Popen) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, AttributeError):  # gone already; no process groups (Windows)
        child.kill()
    child.wait()


def _progress_said(reports: Path, heard: int) -> list[tuple[int, int]]:
    """The reports after the first ``heard`` ones (whole lines only)."""
    try:
        lines = reports.read_text(encoding="ascii").split("\n")[:-1]  # the last is not ended yet (or "")
    except OSError:  # nothing said yet
        return []
    said = []
    for line in lines[heard:]:
        try:
            page, pages = line.split()
            said.append((int(page), int(pages)))
        except ValueError:
            said.append((0, 0))  # not ours: counted, not heard
    return said


def _child_env(reports: Path | None = None) -> dict[str, str]:
    # The child must import what this process imports (an editable install,
    # a test's own module), so it gets our sys.path.
    env = dict(os.environ)
    if reports is not None:
        env[PROGRESS_ENV] = str(reports)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def _why_it_died(code: int, stderr: bytes, limits: Limits) -> str:
    if code < 0:
        sig = -code
        if sig == getattr(signal, "SIGXCPU", -1):
            return f"the parser used more than {limits.cpu_seconds} seconds of processor time"
        if sig == signal.SIGKILL:
            return "the parser was killed (out of memory or processor time)"
        return f"the parser crashed ({signal.Signals(sig).name})"
    last = stderr.decode("utf-8", "replace").strip().splitlines()
    if last and "MemoryError" in last[-1]:
        return f"the parser needed more than {limits.memory_bytes // (1024 * 1024)} MB of memory"
    return f"the parser failed (exit code {code}{': ' + last[-1][:200] if last else ''})"
