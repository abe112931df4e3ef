"""Make the attachments of the default catalog (db/seed/attachments/).

They are made for this catalog from the facts of the one source the seed
uses (a Xinhua report on the 3rd Shizimen Finance Week), in our own words,
and say so on their face: they are not the event's own publications.
The output is deterministic, so running this again changes nothing.

    python scripts/make_seed_attachments.py
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parents[1] / "db" / "seed" / "attachments"
MADE_FOR = (
    "Made for the finweek-desktop catalog from facts reported by Xinhua on 25 November. "
    "This is not a publication of the finance week or of its organizers."
)

FACT_SHEET_TITLE = "3rd Shizimen Finance Week: fact sheet"
FACT_SHEET = [
    (
        "The event",
        [
            "The 3rd Shizimen Finance Week ran for three days in Zhuhai, a city of Guangdong Province in "
            "South China. It set out to find new ideas for financial and industrial cooperation between "
            "Macao and the Hengqin New Area of Zhuhai.",
            "Its programme had an opening ceremony, a high-end discussion, special report and consulting "
            "sessions, and theme forums.",
            "Across these sessions the participants discussed the digital economy, digital currency, "
            "healthcare, cross-border capital, and insurance linking the Hengqin New Area with Macao.",
            "Experts and entrepreneurs at the sessions held that Hengqin has distinctive strengths for "
            "growing a finance industry under the national \"dual circulation\" development pattern.",
            "The Hengqin New Area administrative committee was the main organizer. Research and Development "
            "International (RDI), the Hengqin New Area financial services bureau and the Hengqin New Area "
            "financial services center supported the event.",
        ],
    ),
    (
        "Documents presented during the week",
        [
            "Digital Alliance Initiative. Released at the finance week, it takes the Guangdong (Hengqin)-Macao "
            "in-depth cooperation zone as its platform and blockchain technology as the basis for digital "
            "economic networks, which are to spread science and technology, capital, information and talent.",
            "2020 Hengqin New Area-Macao cooperation report. Published by China Economic Information Service "
            "(CEIS) together with the independent think tank Mongoose, it sets out four links between the "
            "Guangdong-Hong Kong-Macao Greater Bay Area and the \"dual circulation\" pattern.",
            "2020 digital currency blue paper. It was launched by 01 Think Tank, the Chinese Institute of "
            "Digital Assets and the Hengqin finance research institute.",
        ],
    ),
    (
        "Hengqin's financial landscape",
        [
            "In the eleven years since it was established, the Hengqin New Area has put together a system of "
            "financial services: a financial services bureau, a financial services center, the Hengqin "
            "Financial Investment Group, the Hengqin Finance Association, a high-end financial think tank and "
            "an institution for financial education and training.",
            "The Hengqin financial industry base opened in 2013. Its site covers 191,000 square meters and "
            "it now gathers banks, securities brokers and insurers in one cluster.",
            "The Hengqin smart finance industrial park began operating in 2018 and is meant to become a "
            "cluster of emerging financial technology companies.",
            "Looking ahead, Hengqin intends to draw on both the Greater Bay Area and the in-depth cooperation "
            "zone to show high-quality development.",
        ],
    ),
]

NOTE = f"""# Sessions and topics of the 3rd Shizimen Finance Week

*{MADE_FOR}*

## Sessions

- Opening ceremony
- High-end discussion
- Special report
- Consulting sessions
- Theme forums

## Topics of the week's discussions

The participants looked for ways through the main difficulties that the
financial sector faces as it develops in the Hengqin New Area and Macao. The
report names five topics for the week as a whole, without saying which
session took up which:

1. the digital economy;
2. digital currency;
3. healthcare;
4. cross-border capital;
5. insurance between the Hengqin New Area and Macao.

## Who took part

Experts and entrepreneurs attended the sessions. In their view Hengqin is
well placed to build up its finance industry within the "dual circulation"
development pattern.
"""


# -- a small PDF writer: Helvetica text pages, nothing else ----------------------------


def pdf_document(title: str, pages: list[list[tuple[str, float]]]) -> bytes:
    """``pages``: lines of (text, font size); text is encoded as WinAnsi."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below, once the page tree is known
    tree = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    bold = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
    kids = []
    for lines in pages:
        ops = [b"BT", b"72 770 Td"]
        for text, size in lines:
            face = b"/F2" if size > 11 else b"/F1"
            ops.append(face + b" %g Tf 0 -%g Td (%s) Tj" % (size, size * 1.45, _pdf_string(text)))
        ops.append(b"ET")
        stream = b"\n".join(ops)
        content = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                b"/Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> >> >>" % (tree, content, font, bold)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % tree
    objects[tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    info = add(b"<< /Title (%s) /Producer (finweek-desktop scripts/make_seed_attachments.py) >>" % _pdf_string(title))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, catalog, info, xref,
    )
    return bytes(out)


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def fact_sheet() -> bytes:
    pages = []
    for number, (heading, paragraphs) in enumerate(FACT_SHEET, start=1):
        lines: list[tuple[str, float]] = []
        if number == 1:
            lines.append((FACT_SHEET_TITLE, 18))
            lines.extend((line, 8) for line in textwrap.wrap(MADE_FOR, 110))
        lines.append((heading, 14))
        for paragraph in paragraphs:
            lines.extend((line, 10.5) for line in textwrap.wrap(paragraph, 90))
            lines.append(("", 6))
        lines.append((f"Page {number} of {len(FACT_SHEET)} - made for the catalog, not an original publication", 8))
        pages.append(lines)
    return pdf_document(FACT_SHEET_TITLE, pages)


# -- a timeline image --------------------------------------------------------------------


def timeline() -> Image.Image:
    width, height = 1200, 520
    image = Image.new("RGB", (width, height), "#fbfaf7")
    draw = ImageDraw.Draw(image)
    title = ImageFont.load_default(size=34)
    label = ImageFont.load_default(size=22)
    small = ImageFont.load_default(size=16)
    draw.text((60, 40), "Hengqin finance milestones named in the Xinhua report", font=title, fill="#1d2b36")
    draw.line((100, 260, 1100, 260), fill="#1d2b36", width=4)
    milestones = [
        (220, "2013", "Hengqin financial industry base", "opens; 191,000 square meters"),
        (560, "2018", "Hengqin smart finance", "industrial park starts operating"),
        (900, "3rd", "Shizimen Finance Week", "three days in Zhuhai"),
    ]
    for x, when, line1, line2 in milestones:
        draw.ellipse((x - 14, 246, x + 14, 274), fill="#c0392b")
        draw.text((x, 215), when, font=title, fill="#c0392b", anchor="ms")
        draw.text((x, 310), line1, font=label, fill="#1d2b36", anchor="ma")
        draw.text((x, 342), line2, font=label, fill="#1d2b36", anchor="ma")
    draw.text((60, 440), "Made for the finweek-desktop catalog; not a publication of the finance week.", font=small, fill="#555555")
    draw.text((60, 466), "The source report gives no year for the finance week itself.", font=small, fill="#555555")
    return image


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "shizimen-finance-week-fact-sheet.pdf").write_bytes(fact_sheet())
    timeline().save(OUT / "hengqin-finance-timeline.png", optimize=True)
    (OUT / "finance-week-sessions-note.md").write_text(NOTE, encoding="utf-8")
    for path in sorted(OUT.iterdir()):
        print(f"{path.relative_to(OUT.parents[2])}  {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
