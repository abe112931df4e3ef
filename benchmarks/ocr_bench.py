"""OCR engines measured on pages that look like scans, made from known text.

    python benchmarks/ocr_bench.py                 # every engine installed, the whole set
    python benchmarks/ocr_bench.py --pages 1       # one page per language and condition
    python benchmarks/ocr_bench.py --save /tmp/p   # also keep the page images

The known text is ``benchmarks/ocr/texts.json``: four pages per language
(English, Portuguese, Simplified and Traditional Chinese). Each page is
rendered with Pillow at an A5 page size, then degraded like a scan: turned
by up to ±1.5°, blurred, speckled with dust and given an uneven grey paper.
Two conditions: 300 dpi with a light blur, 150 dpi with a heavier one.

Per engine the pages run in one child process (so its peak memory is its
own; the Tesseract CLI's processes are counted in, being its children).
Character accuracy is 1 − edit distance / length on the text with all
white space removed (Tesseract puts spaces between Chinese characters),
floored at 0; pages per minute is over all pages of the engine.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEXTS = HERE / "ocr" / "texts.json"
LANGUAGES = ("en", "pt", "zh_hans", "zh_hant")
CONDITIONS = {"300dpi": (300, 0.6), "150dpi": (150, 0.9)}  # dpi, blur radius in points/72 of an inch
FONTS = {
    "latin": "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "han": "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
}
ENGINES = ("tesseract", "rapidocr")


def texts() -> dict[str, list[str]]:
    data = json.loads(TEXTS.read_text(encoding="utf-8"))
    return {lang: data[lang] for lang in LANGUAGES}


def render_page(text: str, *, dpi: int = 300, blur: float = 0.6, seed: int = 0, han: bool | None = None):
    """An A5 page with ``text`` at 12 pt, degraded like a scan (a PIL image, mode L)."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    rng = random.Random(seed)
    if han is None:
        han = any("\u4e00" <= c <= "\u9fff" for c in text)
    width, height = round(148 / 25.4 * dpi), round(210 / 25.4 * dpi)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONTS["han" if han else "latin"], round(12 * dpi / 72))
    margin, line_height = round(0.6 * dpi), round(12 * dpi / 72 * 1.6)
    for i, line in enumerate(text.splitlines()):
        draw.text((margin, margin + i * line_height), line, fill=20, font=font)
    page = page.rotate(rng.uniform(-1.5, 1.5), resample=Image.BICUBIC, fillcolor=255, expand=False)
    page = page.filter(ImageFilter.GaussianBlur(blur * dpi / 150))
    # Uneven grey paper and dust: specks of 1-3 pixels, dark and light.
    pixels = page.load()
    shade = rng.randint(225, 245)
    grey = Image.new("L", page.size, shade)
    page = Image.composite(page, grey, page.point(lambda v: 255 if v < 250 else 0))
    pixels = page.load()
    for _ in range(width * height // 2500):
        x, y, size = rng.randrange(width - 3), rng.randrange(height - 3), rng.randint(1, 3)
        value = rng.choice((30, 90, 255))
        for dx in range(size):
            for dy in range(size):
                pixels[x + dx, y + dy] = value
    return page


def char_accuracy(truth: str, found: str) -> float:
    a, b = "".join(truth.split()), "".join(found.split())
    if not a:
        return 1.0 if not b else 0.0
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
        previous = current
    return max(0.0, 1 - previous[-1] / len(a))


def search_form(text: str) -> str:
    """The text as search sees it: Traditional folded to Simplified, accents
    and case folded, punctuation and dust ("。", "|") dropped."""
    import unicodedata

    from finweek_desktop.core.search.analysis import to_simplified

    text = unicodedata.normalize("NFKD", to_simplified(text).casefold())
    return "".join(c for c in text if c.isalnum())


# -- the child: one engine over the page files --------------------------------


def _ocr_tesseract(path: Path) -> str:
    import pytesseract

    return pytesseract.image_to_string(str(path), lang="chi_sim+chi_tra+eng+por")


_rapid = None


def _ocr_rapidocr(path: Path) -> str:
    global _rapid
    if _rapid is None:
        from rapidocr_onnxruntime import RapidOCR

        _rapid = RapidOCR()
    result, _elapsed = _rapid(str(path))
    return "\n".join(line[1] for line in result or [])


def child(engine: str, pages: list[str]) -> None:
    ocr = {"tesseract": _ocr_tesseract, "rapidocr": _ocr_rapidocr}[engine]
    out = []
    start = time.perf_counter()
    for page in pages:
        out.append(ocr(Path(page)))
    seconds = time.perf_counter() - start
    # ru_maxrss is in KiB on Linux: this process's peak, and its largest child's (Tesseract's CLI).
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    print(json.dumps({"texts": out, "seconds": seconds, "peak_kib": peak}))


# -- the parent -------------------------------------------------------------


def installed(engine: str) -> bool:
    if engine == "tesseract":
        try:
            import pytesseract

            pytesseract.get_tesseract_version()
            return True
        except Exception:
            return False
    try:
        import rapidocr_onnxruntime  # noqa: F401

        return True
    except ImportError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=4, help="pages per language and condition (at most 4)")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--save", type=Path, help="keep the page images here")
    parser.add_argument("--out", type=Path, help="write the raw results as JSON")
    args = parser.parse_args(argv)
    known = texts()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.save or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        pages = []  # (language, condition, truth, path)
        for condition, (dpi, blur) in CONDITIONS.items():
            for lang in LANGUAGES:
                for i, truth in enumerate(known[lang][: args.pages]):
                    path = folder / f"{lang}-{condition}-{i + 1}.png"
                    render_page(truth, dpi=dpi, blur=blur, seed=zlib.crc32(f"{lang}-{condition}-{i}".encode())).save(
                        path, dpi=(dpi, dpi)
                    )
                    pages.append((lang, condition, truth, path))
        results = {}
        for engine in args.engines.split(","):
            if not installed(engine):
                print(f"{engine}: not installed, skipped", file=sys.stderr)
                continue
            run = subprocess.run(
                [sys.executable, __file__, "--child", engine, *[str(p[3]) for p in pages]],
                capture_output=True,
                text=True,
                check=True,
            )
            data = json.loads(run.stdout.strip().splitlines()[-1])
            results[engine] = {
                **score(pages, data["texts"]),
                "pages": len(pages),
                "seconds": data["seconds"],
                "pages_per_minute": 60 * len(pages) / data["seconds"],
                "peak_rss_mb": data["peak_kib"] / 1024,
                "texts": data["texts"],
            }
    if args.out:
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    report(results)
    return 0


def score(pages, texts) -> dict:
    scores: dict[str, list[float]] = {}
    folded: dict[str, list[float]] = {}
    for (lang, condition, truth, _path), found in zip(pages, texts, strict=True):
        scores.setdefault(f"{lang} {condition}", []).append(char_accuracy(truth, found))
        scores.setdefault(lang, []).append(char_accuracy(truth, found))
        folded.setdefault(lang, []).append(char_accuracy(search_form(truth), search_form(found)))
    return {
        "accuracy": {k: sum(v) / len(v) for k, v in scores.items()},
        "search_accuracy": {k: sum(v) / len(v) for k, v in folded.items()},
    }


def report(results: dict) -> None:
    header = ["engine", *LANGUAGES, "pages/min", "peak MB"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for engine, r in results.items():
        row = [engine, *(f"{r['accuracy'][lang]:.3f}" for lang in LANGUAGES)]
        row += [f"{r['pages_per_minute']:.1f}", f"{r['peak_rss_mb']:.0f}"]
        print("| " + " | ".join(row) + " |")
    print("\nAs search sees the text (Traditional folded to Simplified, accents, case and punctuation dropped):")
    for engine, r in results.items():
        print(f"| {engine} | " + " | ".join(f"{r['search_accuracy'][lang]:.3f}" for lang in LANGUAGES) + " |")
    for engine, r in results.items():
        detail = ", ".join(f"{k} {v:.3f}" for k, v in r["accuracy"].items() if " " in k)
        print(f"{engine}: {detail}")


def rescore(path: Path, pages_per_group: int = 4) -> None:
    """The table again from a saved --out file (the texts are in it)."""
    known = texts()
    results = json.loads(path.read_text(encoding="utf-8"))
    pages = [
        (lang, condition, truth, None)
        for condition in CONDITIONS
        for lang in LANGUAGES
        for truth in known[lang][:pages_per_group]
    ]
    for r in results.values():
        r.update(score(pages, r["texts"]))
    report(results)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--rescore":
        rescore(Path(sys.argv[2]))
        sys.exit(0)
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3:])
        sys.exit(0)
    sys.exit(main())
