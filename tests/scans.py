"""Real scans for the OCR tests: pages rendered from known text and degraded
like a scanner's (benchmarks/ocr_bench.py's render_page), as PNG, TIFF and
image-only PDF files."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _ocr_bench():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import ocr_bench
    finally:
        sys.path.remove(str(BENCHMARKS))
    return ocr_bench


def render_page(text: str, *, dpi: int = 200, seed: int = 1):
    return _ocr_bench().render_page(text, dpi=dpi, blur=0.5, seed=seed)


def scan_png(path: Path, text: str, dpi: int = 200) -> Path:
    render_page(text, dpi=dpi).save(path, dpi=(dpi, dpi))
    return path


def scan_pdf(path: Path, pages: list[str], dpi: int = 200) -> Path:
    """A PDF of page images and no text layer, as a scanner makes."""
    images = [render_page(text, dpi=dpi, seed=i).convert("RGB") for i, text in enumerate(pages)]
    images[0].save(path, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return path


def tesseract_ready() -> bool:
    """Tesseract with its languages, and the fonts the scans are drawn with."""
    from finweek_desktop.core.attachments import ocr

    fonts = all(Path(font).is_file() for font in _ocr_bench().FONTS.values())
    return fonts and shutil.which("tesseract") is not None and ocr.missing() is None


needs_tesseract = pytest.mark.skipif(
    not tesseract_ready(),
    reason="Tesseract with chi_sim, chi_tra, eng and por, or the fonts scans are drawn with, "
    "is not installed (.ci/run installs them)",
)


def scan_tiff(path: Path, pages: list[str], dpi: int = 200, *, compression: str = "tiff_deflate") -> Path:
    """A multi-page TIFF, one scanned page a frame, as a sheet-feed scanner
    makes. The pages are cut to the top of the sheet where the text is (a
    quick test: Tesseract reads less paper)."""
    frames = []
    for i, text in enumerate(pages):
        page = render_page(text, dpi=dpi, seed=i)
        lines = len(text.splitlines())
        frames.append(page.crop((0, 0, page.width, round(dpi * (0.9 + 0.3 * lines)))))
    frames[0].save(path, save_all=True, append_images=frames[1:], compression=compression, dpi=(dpi, dpi))
    return path


def corrupt_tiff_page(path: Path, page: int) -> Path:
    """Overwrite the compressed data of one page (1-based) of a TIFF with
    garbage: that frame no longer decodes, the others still do."""
    from PIL import Image

    with Image.open(path) as image:
        image.seek(page - 1)
        offset, length = image.tag_v2[273][0], image.tag_v2[279][0]  # StripOffsets, StripByteCounts
    data = bytearray(path.read_bytes())
    data[offset + 2 : offset + length] = b"\xab" * (length - 2)  # the zlib header stays: the data is what breaks
    path.write_bytes(bytes(data))
    return path
