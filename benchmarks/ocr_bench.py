"""OCR engines measured on pages that look like scans, made from known text.

    python benchmarks/ocr_bench.py                 # every engine installed, the whole set
    python benchmarks/ocr_bench.py --pages 1       # one page per language and condition
    python benchmarks/ocr_bench.py --save /tmp/p   # also keep the page images

The known text is ``benchmarks/ocr/texts.json``: four pages per language
(English, Portuguese, Simplified and Traditional Chinese). Each page is
rendered with Pillow at an A5 page size, then degraded like a scan: turned
by up to ±1.5°, blurred, speckled with dust and given an uneven grey paper.
Two conditions: 300 dpi with a light blur, 150 dpi with a heavier one.
A third group, ``photos`` (``--groups``), stands in for photographed pages
(there is no camera here): the same text at 11 pt on an A5 sheet lying on a
desk, seen by a phone held over it (``photograph``: perspective, uneven
light and vignette, focus and motion blur, paper grain, sensor noise, JPEG
at quality 70; 1800x2400 pixels).

Engines: ``tesseract`` (pytesseract, Tesseract's defaults), ``rapidocr``,
and the app's own path (``core/attachments/ocr.py``: the Tesseract CLI as
the worker runs it) with each preparation of the page it knows:
``app`` (none), ``app+deskew``, ``app+flatten``, ``app+flatten+deskew``.

Per engine the pages run in one child process (so its peak memory is its
own; the Tesseract CLI's processes are counted in, being its children).
Character accuracy is 1 − edit distance / length on the text with all
white space removed (Tesseract puts spaces between Chinese characters),
floored at 0; "words found" is the share of the known text's words (Chinese
in pairs of characters, as the index cuts it) found anywhere in the output,
in any order: what a search can find. Pages per minute is over all pages of
the engine.
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
# The app's own path (core/attachments/ocr.py: Tesseract's CLI, TSV, the page
# prepared as ocr.PREPARE says), without and with its preparation.
APP_ENGINES = {"app": "none", "app+deskew": "deskew", "app+flatten": "flatten", "app+flatten+deskew": "flatten+deskew"}
GROUPS = {"scans": tuple(CONDITIONS), "photos": ("photo",)}


def texts() -> dict[str, list[str]]:
    data = json.loads(TEXTS.read_text(encoding="utf-8"))
    return {lang: data[lang] for lang in LANGUAGES}


def render_page(text: str, *, dpi: int = 300, blur: float = 0.6, seed: int = 0, han: bool | None = None):
    """An A5 page with ``text`` at 12 pt, degraded like a scan (a PIL image, mode L)."""
    from PIL import Image, ImageFilter

    rng = random.Random(seed)
    page = typeset(text, dpi=dpi, han=han)
    width, height = page.size
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


def typeset(text: str, *, dpi: int, han: bool | None = None, ink: int = 20, margin: float = 0.6, points: int = 12):
    """An A5 page with ``text`` at ``points`` (12 pt), clean (a PIL image, mode L);
    ``margin`` in inches. (At 0.6", the longest English line of the set runs
    past the sheet's right edge by about its last two letters.)"""
    from PIL import Image, ImageDraw, ImageFont

    if han is None:
        han = any("\u4e00" <= c <= "\u9fff" for c in text)
    width, height = round(148 / 25.4 * dpi), round(210 / 25.4 * dpi)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONTS["han" if han else "latin"], round(points * dpi / 72))
    margin_px, line_height = round(margin * dpi), round(points * dpi / 72 * 1.6)
    for i, line in enumerate(text.splitlines()):
        draw.text((margin_px, margin_px + i * line_height), line, fill=ink, font=font)
    return page


PHOTO_SIZE = (1800, 2400)  # a 4.3-megapixel phone photo, portrait, of an A5 sheet on a desk


def photograph(text: str, *, seed: int = 0, quality: int = 70):
    """``text`` printed on an A5 sheet and photographed with a phone held
    over a desk (a PIL RGB image, to be saved as JPEG at ``quality``): the
    sheet is seen in perspective (the phone tilted a little, corners moved
    by up to 6% of the frame), lit unevenly (light from one side, a darker
    corner, vignetting), slightly out of focus and shaken (a short motion
    blur), on paper with grain and sensor noise. There is no camera here:
    these stand in for the "real photographed pages" of issue 14."""
    from PIL import Image, ImageChops, ImageFilter

    rng = random.Random(seed)
    sheet = typeset(text, dpi=250, ink=35, points=11)  # every line fits within the margins
    # Paper: blotches a few millimetres wide and a fine grain, around a warm off-white.
    sw, sh = sheet.size
    blotches = Image.effect_noise((sw // 24, sh // 24), 40).resize(sheet.size, Image.Resampling.BICUBIC)
    fine = Image.effect_noise(sheet.size, 18)
    paper = ImageChops.add(
        blotches.point(lambda v: 128 + (v - 128) // 12), fine.point(lambda v: (v - 128) // 5 + 128), 1.0, -128
    )
    sheet = ImageChops.multiply(sheet, paper.point(lambda v: max(0, min(255, v + 115))))
    tint = (rng.randint(246, 255), rng.randint(238, 248), rng.randint(220, 235))
    sheet = Image.merge("RGB", [sheet.point(lambda v, t=t: v * t // 255) for t in tint])
    # Perspective: the sheet's corners land in the frame, each moved a little.
    fw, fh = PHOTO_SIZE
    inset_x, inset_y = fw * 0.09, fh * 0.07
    jitter = 0.06

    def corner(x: float, y: float) -> tuple[float, float]:
        return x + rng.uniform(-jitter, jitter) * fw, y + rng.uniform(-jitter, jitter) * fh

    quad = [corner(inset_x, inset_y), corner(fw - inset_x, inset_y), corner(fw - inset_x, fh - inset_y)]
    quad.append(corner(inset_x, fh - inset_y))
    coefficients = _perspective(quad, [(0, 0), (sw, 0), (sw, sh), (0, sh)])
    desk = (rng.randint(70, 110), rng.randint(55, 80), rng.randint(40, 60))
    photo = sheet.transform(
        PHOTO_SIZE, Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BICUBIC, fillcolor=desk
    )
    # Light: brighter on one side, a shadow towards a corner, and the lens's vignette.
    angle = rng.choice((0, 90, 180, 270)) + rng.uniform(-30, 30)
    light = Image.linear_gradient("L").resize((512, 512)).rotate(angle, Image.Resampling.BILINEAR, fillcolor=128)
    depth = rng.randint(90, 140)
    light = light.crop((128, 128, 384, 384)).resize(PHOTO_SIZE).point(lambda v: 255 - max(0, v - 64) * depth // 128)
    vignette = Image.radial_gradient("L").resize(PHOTO_SIZE).point(lambda v: 255 - max(0, v - 110) * 60 // 145)
    shade = ImageChops.multiply(light, vignette)
    photo = Image.merge("RGB", [ImageChops.multiply(band, shade) for band in photo.split()])
    # Focus and a steady-ish hand: a Gaussian blur, then a short motion blur.
    photo = photo.filter(ImageFilter.GaussianBlur(rng.uniform(0.8, 1.3)))
    motion = [[0.0] * 5 for _ in range(5)]
    horizontal = rng.random() < 0.5
    for i in range(5):
        motion[2 if horizontal else i][i if horizontal else 2] = 1 / 5
    photo = photo.filter(ImageFilter.Kernel((5, 5), [v for row in motion for v in row]))
    # Sensor noise, stronger where it is dark.
    noise = Image.effect_noise(PHOTO_SIZE, 10)
    photo = Image.merge("RGB", [ImageChops.add(band, noise, scale=1.0, offset=-128) for band in photo.split()])
    return photo


def _perspective(quad, rect) -> list[float]:
    """Pillow's PERSPECTIVE coefficients that map the frame's points
    ``quad`` back to the sheet's corners ``rect`` (what transform() needs)."""
    import numpy

    rows, values = [], []
    for (x, y), (u, v) in zip(quad, rect, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        values += [u, v]
    return [float(c) for c in numpy.linalg.solve(numpy.array(rows), numpy.array(values))]


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


def words_found(truth: str, found: str) -> float:
    """The share of the truth's words that the OCR'd text has somewhere, as
    search sees them (folded as search_form does; Chinese as the index cuts
    it, in pairs of characters): what a query can find, whatever the order
    the lines were read in."""
    wanted = _words(truth)
    return len(wanted & _words(found)) / len(wanted) if wanted else 1.0


def _words(text: str) -> set[str]:
    import re
    import unicodedata

    from finweek_desktop.core.search.analysis import to_simplified

    text = unicodedata.normalize("NFKD", to_simplified(text).casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    words = set(re.findall(r"[a-z0-9]+", text))
    for run in re.findall(r"[\u4e00-\u9fff]+", text):
        words.update(run[i : i + 2] for i in range(max(1, len(run) - 1)))
    return words


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


def _ocr_app(path: Path) -> str:
    from finweek_desktop.core.attachments import ocr

    mime = "image/jpeg" if path.suffix == ".jpg" else "image/png"
    read = ocr.recognize(path, mime)
    return read.text


def child(engine: str, pages: list[str]) -> None:
    if engine in APP_ENGINES:
        from finweek_desktop.core.attachments import ocr as app_ocr

        app_ocr.PREPARE = APP_ENGINES[engine]
        ocr = _ocr_app
    else:
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
    if engine == "tesseract" or engine in APP_ENGINES:
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


def make_pages(folder: Path, per_language: int, groups: list[str]) -> list[tuple[str, str, str, Path]]:
    """The page files: (language, condition, known text, path)."""
    known = texts()
    pages = []
    for condition, (dpi, blur) in CONDITIONS.items():
        if "scans" not in groups:
            break
        for lang in LANGUAGES:
            for i, truth in enumerate(known[lang][:per_language]):
                path = folder / f"{lang}-{condition}-{i + 1}.png"
                seed = zlib.crc32(f"{lang}-{condition}-{i}".encode())
                render_page(truth, dpi=dpi, blur=blur, seed=seed).save(path, dpi=(dpi, dpi))
                pages.append((lang, condition, truth, path))
    if "photos" in groups:
        for lang in LANGUAGES:
            for i, truth in enumerate(known[lang][:per_language]):
                path = folder / f"{lang}-photo-{i + 1}.jpg"
                photograph(truth, seed=zlib.crc32(f"{lang}-photo-{i}".encode())).save(path, quality=70)
                pages.append((lang, "photo", truth, path))
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=4, help="pages per language and condition (at most 4)")
    parser.add_argument("--engines", default=",".join(ENGINES), help=f"of {', '.join([*ENGINES, *APP_ENGINES])}")
    parser.add_argument("--groups", default="scans,photos", help="scans (300 and 150 dpi), photos, or both")
    parser.add_argument("--save", type=Path, help="keep the page images here")
    parser.add_argument("--out", type=Path, help="write the raw results as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.save or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        pages = make_pages(folder, args.pages, args.groups.split(","))
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
                "set": [[lang, condition, str(path.name)] for lang, condition, _truth, path in pages],
            }
    if args.out:
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    report(results)
    return 0


def score(pages, texts) -> dict:
    scores: dict[str, list[float]] = {}
    folded: dict[str, list[float]] = {}
    found: dict[str, list[float]] = {}
    for (lang, condition, truth, _path), text in zip(pages, texts, strict=True):
        group = next(g for g, conditions in GROUPS.items() if condition in conditions)
        for key in (f"{lang} {condition}", f"{lang} {group}"):
            scores.setdefault(key, []).append(char_accuracy(truth, text))
            folded.setdefault(key, []).append(char_accuracy(search_form(truth), search_form(text)))
            found.setdefault(key, []).append(words_found(truth, text))
    mean = {k: sum(v) / len(v) for k, v in scores.items()}
    return {
        "accuracy": mean,
        "search_accuracy": {k: sum(v) / len(v) for k, v in folded.items()},
        "words_found": {k: sum(v) / len(v) for k, v in found.items()},
    }


def report(results: dict) -> None:
    measures = (
        ("accuracy", "Character accuracy"),
        (
            "search_accuracy",
            "As search sees the text (Traditional folded to Simplified, accents, case and punctuation dropped)",
        ),
        ("words_found", "Words found (the truth's words, Chinese in character pairs, present anywhere in the output)"),
    )
    for measure, title in measures:
        print(f"\n{title}:\n")
        header = ["engine", "pages", *LANGUAGES]
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for engine, r in results.items():
            for group in GROUPS:
                if f"{LANGUAGES[0]} {group}" not in r[measure]:
                    continue
                row = [engine, group, *(f"{r[measure].get(f'{lang} {group}', float('nan')):.3f}" for lang in LANGUAGES)]
                print("| " + " | ".join(row) + " |")
    print()
    for engine, r in results.items():
        print(f"{engine}: {r['pages']} pages, {r['pages_per_minute']:.1f} pages/min, peak {r['peak_rss_mb']:.0f} MB")
        detail = ", ".join(f"{k} {v:.3f}" for k, v in r["accuracy"].items() if k.split()[1] in CONDITIONS)
        if detail:
            print(f"  by condition: {detail}")


def rescore(path: Path) -> None:
    """The tables again from a saved --out file (the texts are in it)."""
    known = texts()
    results = json.loads(path.read_text(encoding="utf-8"))
    for r in results.values():
        if "set" in r:
            pages = [
                (lang, cond, known[lang][int(name.rsplit("-", 1)[1].split(".")[0]) - 1], None)
                for lang, cond, name in r["set"]
            ]
        else:  # saved before photos: the scans set, four pages per language
            pages = [(lang, c, t, None) for c in CONDITIONS for lang in LANGUAGES for t in known[lang][:4]]
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
