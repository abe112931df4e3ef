"""Real scans for the OCR tests: pages rendered from known text and degraded
like a scanner's (benchmarks/ocr_bench.py's render_page), as PNG, TIFF and
image-only PDF files."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def render_page(text: str, *, dpi: int = 200, seed: int = 1):
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import ocr_bench
    finally:
        sys.path.remove(str(BENCHMARKS))
    return ocr_bench.render_page(text, dpi=dpi, blur=0.5, seed=seed)


def scan_png(path: Path, text: str, dpi: int = 200) -> Path:
    render_page(text, dpi=dpi).save(path, dpi=(dpi, dpi))
    return path


def scan_pdf(path: Path, pages: list[str], dpi: int = 200) -> Path:
    """A PDF of page images and no text layer, as a scanner makes."""
    images = [render_page(text, dpi=dpi, seed=i).convert("RGB") for i, text in enumerate(pages)]
    images[0].save(path, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return path


def tesseract_ready() -> bool:
    from finweek_desktop.core.attachments import ocr

    return shutil.which("tesseract") is not None and ocr.missing() is None


needs_tesseract = pytest.mark.skipif(
    not tesseract_ready(), reason="Tesseract with chi_sim, chi_tra, eng and por is not installed (.ci/run installs it)"
)
