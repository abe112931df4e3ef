"""OCR of scans and photos with Tesseract 5, run in the sandboxed worker.

Why Tesseract (benchmarks/README.md, "OCR engines"): on our generated scans,
as search sees the text, it read English, Portuguese and Traditional Chinese
about as well as RapidOCR or better, Simplified Chinese somewhat worse, at
twice the speed and a fifth of the memory, and its models come as Debian
packages. It is
driven through its command line (as the pytesseract binding does), one
page image at a time, asking for TSV: the words with their boxes. All four
languages are loaded together (``chi_sim+chi_tra+eng+por``): a page's
language is not known in advance, and one page may mix them.

``recognize(path, mime)`` is the worker's target (extraction.py runs it in a
child with a time and memory limit); the Tesseract processes it starts are
that child's and inherit its memory limit. The time limit is by the page:
the worker reports how many pages it found (a multi-page TIFF's frames) and
each page read, and the parent allows SECONDS_PER_FILE plus PAGE_SECONDS a
page, for at most MAX_PAGES pages. A page that cannot be decoded or read
costs that page only. Each page is prepared first where it needs it
(``prepare``: a photographed page's light evened out, its slant undone). Without Tesseract the app works:
files wait with status "needs OCR" and ``ENABLE_HINT`` says how to enable it.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from . import filetypes
from .extraction import (
    NEEDS_OCR_MESSAGE,
    ExtractedText,
    Limits,
    PageText,
    TextSource,
    TextStatus,
    report_progress,
)

LANGUAGES = ("chi_sim", "chi_tra", "eng", "por")
PACKAGES = "tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-chi-tra tesseract-ocr-por"
ENABLE_HINT = f"to read scans, install Tesseract: apt-get install {PACKAGES}"
TARGET = "finweek_desktop.core.attachments.ocr:recognize"

# Pages OCR'd per file; a longer scan gets its first pages and says so (the
# environment variable lets a test make a short file "long").
MAX_PAGES = int(os.environ.get("FINWEEK_OCR_MAX_PAGES", "100"))
MAX_PIXELS = 60_000_000  # an image larger than this is refused (a decompression bomb, or a poster)
DPI = 300  # PDF pages are rendered at this resolution
PAGE_SECONDS = 90  # per page, for the Tesseract process
SECONDS_PER_FILE = 60.0


class OcrError(Exception):
    """The file cannot be OCR'd; the message says why, for the user."""


@functools.cache
def missing() -> str | None:
    """Why OCR cannot run here (None when it can)."""
    binary = shutil.which("tesseract")
    if binary is None:
        return f"Tesseract is not installed; {ENABLE_HINT}"
    try:
        listed = subprocess.run(
            [binary, "--list-langs"], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL
        ).stdout.split()
    except (OSError, subprocess.SubprocessError) as exc:
        return f"Tesseract does not run ({exc}); {ENABLE_HINT}"
    lacking = [lang for lang in LANGUAGES if lang not in listed]
    if lacking:
        return f"Tesseract lacks the language data {', '.join(lacking)}; {ENABLE_HINT}"
    return None


def can_ocr(mime: str) -> bool:
    return mime == filetypes.PDF or mime in filetypes.IMAGE_TYPES


def limits_for(pages: int) -> Limits:
    """Time for the whole file: a minute, and PAGE_SECONDS a page, for at
    most MAX_PAGES pages. ``pages`` is what the catalog knows (a PDF's page
    rows; 1 for an image); the worker reports the real count as soon as it
    has opened the file (a multi-page TIFF's frames) and the budget follows
    it. The worker's own processor time is bounded by the pages known now
    (it decodes and renders; Tesseract, its child, has its own limit)."""
    seconds = SECONDS_PER_FILE + PAGE_SECONDS * max(1, min(pages, MAX_PAGES))
    return Limits(
        seconds=seconds,
        cpu_seconds=max(1, int(seconds)),
        memory_bytes=2048 * 1024 * 1024,
        file_seconds=SECONDS_PER_FILE,
        page_seconds=PAGE_SECONDS,
        max_pages=MAX_PAGES,
    )


# -- in the worker ------------------------------------------------------------


def recognize(path: Path, mime: str) -> ExtractedText:
    """OCR the file: every page of an image (a TIFF may hold several), the
    pages of a PDF that have no text layer. A file it cannot read gets
    status OCR_FAILED with the reason; run_target turns any other exception
    into a failure."""
    try:
        return _recognize(Path(path), mime)
    except OcrError as exc:
        return ExtractedText(TextStatus.OCR_FAILED, message=f"OCR failed: {exc}")


def _recognize(path: Path, mime: str) -> ExtractedText:
    why = missing()
    if why:
        raise OcrError(why)
    if mime == filetypes.PDF:
        return _pdf(path)
    if mime in filetypes.IMAGE_TYPES:
        return _image(path)
    raise OcrError(f"OCR reads images and PDFs, not {mime}")


def _image(path: Path) -> ExtractedText:
    """Every frame of the image (a scanned TIFF may hold many), each one a
    page: a frame that cannot be decoded or read costs that page only."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    # Opening reads the header only: the size is checked here, before any
    # pixel is decoded, to give the reason in the user's terms.
    Image.MAX_IMAGE_PIXELS = None
    unreadable = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError)
    try:
        image = Image.open(path)
        width, height = image.size
    except unreadable as exc:
        raise OcrError(f"the image cannot be read ({type(exc).__name__}: {exc})") from None
    if width * height > MAX_PIXELS:
        raise OcrError(
            f"the image is {width:,}×{height:,} pixels ({width * height / 1e6:.0f} megapixels);"
            f" OCR reads images up to {MAX_PIXELS / 1e6:.0f} megapixels"
        )
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # and each frame of a TIFF as it is decoded
    try:
        frames = int(getattr(image, "n_frames", 1))
    except unreadable:  # a broken chain of pages: read those that can be reached
        frames = 1
    report_progress(0, min(frames, MAX_PAGES))
    pages: list[PageText] = []
    lost: list[tuple[int, str]] = []  # (page, why)
    with tempfile.TemporaryDirectory(prefix="finweek-ocr-") as work:
        number = 0
        while number < MAX_PAGES:
            number += 1
            try:
                image.seek(number - 1)
            except EOFError:
                break
            except (Image.DecompressionBombError, *unreadable) as exc:
                lost.append((number, _why(exc)))
                break  # the pages after it cannot be found
            try:
                # Decoded, and upright as the preview shows it: a phone's photo
                # is stored sideways with an EXIF orientation saying so.
                frame = ImageOps.exif_transpose(image).convert("L")
                if frame.width * frame.height > MAX_PIXELS:
                    raise OcrError(f"{frame.width:,}×{frame.height:,} pixels is too large")
                dpi = image.info.get("dpi", (0, 0))[0]
                pages.append(_page(frame, Path(work), int(dpi) if dpi else None, number))
            except (OcrError, Image.DecompressionBombError, *unreadable) as exc:
                lost.append((number, _why(exc)))
                pages.append(PageText(number, ""))
            report_progress(number, max(frames, number))
    if lost and not any(p.text for p in pages) and max(frames, len(pages)) == 1:
        why = lost[0][1]
        raise OcrError(why if why.startswith("Tesseract") else f"the image cannot be read ({why})")
    _some_page_read(pages, lost)
    return _result(pages, frames, TextSource.OCR, _lost_note(lost))


def _why(exc: BaseException) -> str:
    if isinstance(exc, OcrError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _some_page_read(pages: list[PageText], lost: list[tuple[int, str]]) -> None:
    """Raise OcrError naming the first page lost when no page of several could be read."""
    if lost and not any(p.text for p in pages):
        page, why = lost[0]
        raise OcrError(f"no page could be read; page {page}: {why}")


def _lost_note(lost: list[tuple[int, str]]) -> str:
    """What a file lost to pages that could not be read, in one line."""
    if not lost:
        return ""
    named = ", ".join(str(page) for page, _why in lost[:5]) + (" …" if len(lost) > 5 else "")
    which = "page" if len(lost) == 1 else "pages"
    return f"{which} {named} could not be read, {lost[0][1][:120]}; the other pages were read"


def _pdf(path: Path) -> ExtractedText:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        raise OcrError(f"not a readable PDF ({exc})") from None
    pages: list[PageText] = []
    lost: list[tuple[int, str]] = []
    had_text = False
    try:
        count = len(pdf)
        report_progress(0, count)
        done = 0
        with tempfile.TemporaryDirectory(prefix="finweek-ocr-") as work:
            for index in range(count):
                number = index + 1
                try:
                    page = pdf[index]
                    layer = page.get_textpage().get_text_range().replace("\r\n", "\n").strip()
                except pdfium.PdfiumError as exc:
                    lost.append((number, f"PdfiumError: {exc}"))
                    pages.append(PageText(number, ""))
                    continue
                if layer:  # a page with a text layer keeps it
                    had_text = True
                    pages.append(PageText(number, layer))
                elif done >= MAX_PAGES:
                    pages.append(PageText(number, ""))
                else:
                    done += 1
                    try:
                        width, height = page.get_size()
                        scale = min(DPI / 72, (MAX_PIXELS / max(1.0, width * height)) ** 0.5)
                        image = page.render(scale=scale, grayscale=True).to_pil().convert("L")
                        pages.append(_page(image, Path(work), round(scale * 72), number))
                    except (OcrError, pdfium.PdfiumError, OSError, ValueError) as exc:
                        lost.append((number, _why(exc)))
                        pages.append(PageText(number, ""))
                report_progress(number, count)
    finally:
        pdf.close()
    if lost and not any(p.text for p in pages) and count == 1:
        raise OcrError(lost[0][1])
    _some_page_read(pages, lost)
    source = TextSource.FILE_AND_OCR if had_text else TextSource.OCR
    skipped = sum(1 for p in pages if not p.text) - len(lost) if done >= MAX_PAGES else 0
    note = f"OCR read {MAX_PAGES} pages of this file, the most it reads in one; {skipped} were left" if skipped else ""
    return _result(pages, count, source, "; ".join(n for n in (note, _lost_note(lost)) if n))


def _result(pages: list[PageText], count: int, source: TextSource, note: str) -> ExtractedText:
    if count > MAX_PAGES and "OCR read" not in note:
        capped = f"OCR read the first {MAX_PAGES} of {count} pages, the most it reads in one file"
        note = f"{capped}; {note}" if note else capped
    text = "\n\n".join(p.text for p in pages if p.text)
    if not text.strip():
        message = "OCR found no text in the file" + (f"; {note}" if note else "")
        return ExtractedText(TextStatus.NO_TEXT, message=message, pages=tuple(pages))
    return ExtractedText(TextStatus.OK, text, None, note, tuple(pages), source)


def _page(image, work: Path, dpi: int | None, number: int) -> PageText:
    """One page (a PIL image, mode L): prepared, read, its word boxes in the
    fractions of ``image`` (what the preview shows)."""
    prepared, angle = prepare(image)
    png = work / f"{number}.png"
    prepared.save(png)
    read = _read(png, prepared.size, dpi, number)
    if not angle:
        return read
    boxes = []
    for word, *box in read.boxes:
        x0, y0, x1, y1 = _unrotated((box[0], box[1], box[2], box[3]), angle, prepared.size, image.size)
        boxes.append((word, x0, y0, x1, y1))
    return PageText(read.page, read.text, tuple(boxes))


# What is done to a page before Tesseract reads it (benchmarks/README.md,
# "Photographed pages"): "flatten" evens out the light of a page lit
# unevenly (the local background subtracted, then the contrast stretched:
# Tesseract's global threshold otherwise turns a dim corner, or a whole dim
# page, to noise); "deskew" turns a page photographed askew straight
# (Tesseract's layout analysis splits lines slanted a few degrees into
# columns). Each is done only where it is needed: a scan, evenly lit and
# turned by a degree or so, goes to Tesseract as it is (both steps made
# clean scans read slightly worse when applied to every page). "none"
# turns both off; the benchmark sets it to compare.
PREPARE = "flatten+deskew"
SKEW_STEP = 0.5  # degrees: the resolution of the skew search
MIN_SKEW = 2.0  # degrees: less is left to Tesseract, which reads such lines well
MAX_SKEW = 10.0
UNEVEN = 30  # grey levels between the dimmer and the brighter parts of the paper (5th and 95th percentiles)


def prepare(image):
    """The page as Tesseract gets it, and the angle it was turned by (0.0:
    as it was). Pillow only, about half a second a page."""
    from PIL import Image

    steps = PREPARE.split("+")
    angle = skew(image) if "deskew" in steps else 0.0
    background = _background(image)
    fill = _percentile(background, 50)
    if "flatten" in steps and _percentile(background, 95) - _percentile(background, 5) > UNEVEN:
        image, fill = flatten(image, background), 255
    if abs(angle) < MIN_SKEW:
        return image, 0.0
    return image.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=fill), angle


def _background(image):
    """The page without its ink: the brightest nearby, blurred, on an
    eighth-size copy."""
    from PIL import ImageFilter

    return image.reduce(8).filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.GaussianBlur(2))


def _percentile(image, percent: float) -> int:
    histogram = image.histogram()
    wanted, seen = sum(histogram) * percent / 100, 0
    for level, count in enumerate(histogram):
        seen += count
        if seen >= wanted:
            return level
    return 255


def flatten(image, background=None):
    """The page with its light evened out: its background brought to white,
    then the darkest half percent stretched to black."""
    from PIL import Image, ImageChops, ImageOps

    background = (background or _background(image)).resize(image.size, Image.Resampling.BILINEAR)
    return ImageOps.autocontrast(ImageChops.add(image, ImageChops.invert(background)), cutoff=(0.5, 0))


def skew(image) -> float:
    """The angle (degrees, counter-clockwise) that sets the page's lines
    level: the turn of a small copy at which its rows of ink differ most
    (a projection profile). The copy is flattened first (the local
    background subtracted) so that a desk around a photographed sheet, or
    a shadow, is not taken for ink."""
    from PIL import Image, ImageChops, ImageFilter, ImageStat

    small = image.copy()
    small.thumbnail((800, 800))
    background = small.reduce(4).filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.GaussianBlur(2))
    # Paper: where the background is light, away from its edges (a desk's border is no line of text).
    paper = background.filter(ImageFilter.MinFilter(7)).point(lambda v: 255 if v > 140 else 0)
    background, paper = (b.resize(small.size, Image.Resampling.BILINEAR) for b in (background, paper))
    darker = ImageChops.subtract(background, small.filter(ImageFilter.MedianFilter(3)))
    ink = ImageChops.multiply(darker.point(lambda v: 255 if v > 45 else 0), paper)
    best, angle = -1.0, 0.0
    steps = round(MAX_SKEW / SKEW_STEP)
    for step in sorted(range(-steps, steps + 1), key=abs):  # from 0 outwards: a tie keeps the smaller turn
        turned = ink.rotate(step * SKEW_STEP, Image.Resampling.NEAREST)
        rows = turned.resize((1, turned.height), Image.Resampling.BOX)
        spread = ImageStat.Stat(rows).var[0]
        if spread > best * 1.001:
            best, angle = spread, step * SKEW_STEP
    return angle


def _unrotated(
    box: tuple[float, float, float, float], angle: float, turned: tuple[int, int], size: tuple[int, int]
) -> tuple[float, float, float, float]:
    """A box in fractions of the turned page, in fractions of the page as it
    was (the box of its four corners turned back)."""
    import math

    (tw, th), (w, h) = turned, size
    a = math.radians(angle)
    cos, sin = math.cos(a), math.sin(a)
    x0, y0, x1, y1 = box
    xs, ys = [], []
    for fx, fy in ((x0, y0), (x1, y0), (x1, y1), (x0, y1)):
        dx, dy = fx * tw - tw / 2, fy * th - th / 2
        # Pillow turns counter-clockwise with y downwards: a point of the turned page comes from here.
        xs.append(w / 2 + cos * dx - sin * dy)
        ys.append(h / 2 + sin * dx + cos * dy)
    _word, *back = word_box("", (max(0.0, min(xs)), max(0.0, min(ys)), min(w, max(xs)), min(h, max(ys))), size)
    return back[0], back[1], back[2], back[3]


def _read(png: Path, size: tuple[int, int], dpi: int | None, number: int) -> PageText:
    """One page image through Tesseract: its text and word boxes."""
    command = ["tesseract", str(png), "stdout", "-l", "+".join(LANGUAGES), "--psm", "3"]
    if dpi:
        command += ["--dpi", str(dpi)]
    env = dict(os.environ, OMP_THREAD_LIMIT="1")  # one core: the app and the machine stay responsive
    try:
        run = subprocess.run(
            [*command, "tsv"], capture_output=True, timeout=PAGE_SECONDS, stdin=subprocess.DEVNULL, env=env
        )
    except subprocess.TimeoutExpired:
        raise OcrError(f"Tesseract did not finish page {number} within {PAGE_SECONDS} seconds") from None
    if run.returncode != 0:
        last = run.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OcrError(f"Tesseract failed on page {number}: {last[-1][:200] if last else run.returncode}")
    return _from_tsv(run.stdout.decode("utf-8", "replace"), size, number)


def _from_tsv(tsv: str, size: tuple[int, int], number: int) -> PageText:
    lines: dict[tuple[int, int, int], list[str]] = {}
    boxes = []
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        word = (row.get("text") or "").strip()
        if row.get("level") != "5" or not word:
            continue
        left, top, w, h = (int(row[k]) for k in ("left", "top", "width", "height"))
        key = (int(row["block_num"]), int(row["par_num"]), int(row["line_num"]))
        lines.setdefault(key, []).append(word)
        boxes.append(word_box(word, (left, top, left + w, top + h), size))
    text = "\n".join(join_words(words) for words in lines.values())
    return PageText(number, text, tuple(boxes))


BOX_DECIMALS = 4  # a ten-thousandth of the page: a third of a pixel of an A4 page at 300 dpi


def word_box(
    word: str, pixels: tuple[float, float, float, float], size: tuple[int, int]
) -> tuple[str, float, float, float, float]:
    """A word's box as stored with its page: (word, x0, y0, x1, y1) in
    fractions of the page, rounded (at full precision each number took
    about 19 characters in the page's JSON, most of a scanned page's bytes)."""
    (x0, y0, x1, y1), (width, height) = pixels, size
    r = BOX_DECIMALS
    return (word, round(x0 / width, r), round(y0 / height, r), round(x1 / width, r), round(y1 / height, r))


def join_words(words: list[str]) -> str:
    """Tesseract's words joined into a line: with a space between words, but
    none between Chinese characters (it reads each as a word), so the index
    sees 横琴新区, not 横 琴 新 区."""
    out = ""
    for word in words:
        if out and not (_is_han(out[-1]) and _is_han(word[0])):
            out += " "
        out += word
    return out


def _is_han(char: str) -> bool:
    return "\u3000" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or "\uff00" <= char <= "\uffef"


def needs_ocr(status: str) -> bool:
    return status == TextStatus.NEEDS_OCR.value


__all__ = ["ENABLE_HINT", "NEEDS_OCR_MESSAGE", "OcrError", "can_ocr", "missing", "recognize"]
