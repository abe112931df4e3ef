"""BibTeX out (written here: a few lines per field) and in (``bibtexparser`` 2).

Out: one entry per record, keyed ``finweek<id>``; persons as ``Family,
Given``, a name kept whole in braces, an organization as an institutional
author or editor in double braces; the date both as BibTeX's ``year``/``month`` and as
biblatex's ``date`` in its own precision. In: the entries JabRef, Zotero
and EndNote write, with LaTeX decoded (``pylatexenc``, bibtexparser's own
dependency) in text fields and the ``file`` field in JabRef's
(``:path:PDF``) and Zotero's (``Description:path:mime``) forms.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable

import bibtexparser
from bibtexparser import middlewares
from pylatexenc.latex2text import LatexNodes2Text

from ..dates import PartialDate
from ..records import PersonName
from .record import ROLES_FIELD, ParsedFile, RefRecord, decode_roles, encode_roles
from .types import bibtex_type, kind_of_bibtex

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_SPECIAL = re.compile(r"([&%$#_{}])")


def escape(text: str) -> str:
    text = text.replace("\\", "\\textbackslash ")
    text = _SPECIAL.sub(r"\\\1", text)
    return text.replace("~", "\\textasciitilde ").replace("^", "\\textasciicircum ")


def _name(person: PersonName) -> str:
    if person.literal:
        return "{" + escape(person.literal) + "}"
    family = escape(person.family)
    if " " in person.family:  # "van der Berg", "Ferreira da Silva": one family name
        family = "{" + family + "}"
    return f"{family}, {escape(person.given)}" if person.given else family


def _names(persons: Iterable[PersonName], institutions: Iterable[str] = ()) -> str:
    parts = [_name(p) for p in persons] + ["{{" + escape(name) + "}}" for name in institutions]
    return " and ".join(parts)


def write(records: Iterable[RefRecord]) -> Iterable[str]:
    """The entries, one string each (a blank line after each)."""
    for record in records:
        entry_type = bibtex_type(record.kind)
        fields: list[tuple[str, str]] = []
        institutions = record.institutional_authors
        if record.authors or institutions:
            fields.append(("author", _names(record.authors, institutions)))
        if record.editors or record.editor_institutions:
            fields.append(("editor", _names(record.editors, record.editor_institutions)))
        fields.append(("title", escape(record.title)))
        if record.subtitle:
            fields.append(("subtitle", escape(record.subtitle)))
        if record.container:
            fields.append(("booktitle" if entry_type == "inproceedings" else "journal", escape(record.container)))
        date = record.partial_date
        if date is not None:
            fields.append(("date", date.iso()))
            fields.append(("year", str(date.year)))
        if record.publishers:
            fields.append(("institution" if entry_type == "techreport" else "publisher", escape(record.publishers[0])))
        for name, value in (
            ("address", record.place),
            ("number", record.report_number),
            ("pages", record.pages),
            ("isbn", record.isbn),
            ("doi", record.doi),
            ("url", record.url),
            ("language", record.language),
        ):
            if value:
                fields.append((name, value if name in ("doi", "url") else escape(value)))
        if record.abstract:
            fields.append(("abstract", escape(record.abstract)))
        if record.keywords:
            fields.append(("keywords", escape(", ".join(record.keywords))))
        if record.roles:
            fields.append((ROLES_FIELD, encode_roles(record.roles)))
        lines = [f"@{entry_type}{{{record.key},"]
        for name, value in fields:
            lines.append(f"  {name} = {{{value}}},")
        if date is not None and date.month is not None:
            lines.insert(len(lines), f"  month = {_MONTHS[date.month - 1]},")
        lines.append("}\n")
        yield "\n".join(lines) + "\n"


# -- reading -------------------------------------------------------------

_TO_TEXT = LatexNodes2Text(math_mode="verbatim", keep_comments=True)
_TEXT_FIELDS = (
    "title", "subtitle", "booktitle", "journal", "journaltitle", "publisher", "institution", "organization",
    "school", "address", "location", "abstract", "keywords", "number", "pages", "language", "langid",
)  # fmt: skip


def text_of(value: str) -> str:
    if "\\" not in value and "{" not in value and "$" not in value:
        return " ".join(value.split())
    try:
        return " ".join(_TO_TEXT.latex_to_text(value).split())
    except Exception:  # pylatexenc gives up on odd input: keep the text without the braces
        return " ".join(value.replace("{", "").replace("}", "").split())


def read(text: str, is_institution: Callable[[str, tuple[str, ...]], bool]) -> ParsedFile:
    result = ParsedFile()
    logging.getLogger("bibtexparser").setLevel(logging.ERROR)  # each failed block is reported below
    library = bibtexparser.parse_string(text, append_middleware=[middlewares.SeparateCoAuthors()])
    for block in library.failed_blocks:
        label = _label_of(block.raw or "")
        error = getattr(block, "error", None)
        lines = [line.strip() for line in str(error or "").splitlines() if line.strip()]
        reason = " ".join(lines[:2]) if lines else type(error).__name__ if error else "not a BibTeX entry"
        result.refused.append((label, f"cannot be read: {reason}"))
    for entry in library.entries:
        try:
            result.records.append(_record(entry, is_institution))
        except ValueError as exc:
            result.refused.append((entry.key or entry.entry_type, str(exc)))
    return result


def _label_of(raw: str) -> str:
    match = re.match(r"\s*@\s*(\w+)\s*[{(]\s*([^,\s]*)", raw)
    if match:
        return match[2] or match[1]
    return " ".join(raw.split())[:40]


def _record(entry, is_institution) -> RefRecord:
    raw = {k.lower(): v.value for k, v in entry.fields_dict.items()}

    def text(*names: str) -> str | None:
        for name in names:
            value = raw.get(name)
            if isinstance(value, str) and value.strip():
                return text_of(value) if name in _TEXT_FIELDS else " ".join(value.split())
        return None

    title = text("title")
    if not title:
        raise ValueError("the entry has no title")
    publishers = tuple(p for p in (text("publisher"), text("institution"), text("organization"), text("school")) if p)
    persons: list[PersonName] = []
    institutions: dict[str, list[str]] = {"author": [], "editor": []}
    for role in ("author", "editor"):
        names = raw.get(role)
        for name in names if isinstance(names, list) else []:
            _add_name(name, role, publishers, is_institution, persons, institutions[role])
    keywords = tuple(k.strip() for k in re.split(r"[,;]", text("keywords") or "") if k.strip())
    return RefRecord(
        kind=kind_of_bibtex(entry.entry_type).value,
        key=entry.key,
        title=title,
        subtitle=text("subtitle"),
        date=_date(raw),
        language=text("language", "langid"),
        abstract=text("abstract") or "",
        persons=tuple(persons),
        institutions=tuple(dict.fromkeys(institutions["author"])),
        editor_institutions=tuple(dict.fromkeys(institutions["editor"])),
        publishers=publishers[:1],
        place=text("address", "location"),
        url=text("url"),
        doi=text("doi"),
        isbn=text("isbn"),
        pages=text("pages"),
        report_number=text("number"),
        container=text("booktitle", "journal", "journaltitle"),
        keywords=keywords,
        files=tuple(parse_file_field(raw["file"])) if isinstance(raw.get("file"), str) else (),
        roles=decode_roles(raw[ROLES_FIELD]) if isinstance(raw.get(ROLES_FIELD), str) else (),
    )


def _add_name(name: str, role: str, publishers, is_institution, persons: list, institutions: list) -> None:
    """One name of ``role`` (author or editor): a person into ``persons``, an
    institution (double braces, or a name given whole that reads as one)
    into ``institutions``, the organizations in that role."""
    name = name.strip()
    if not name:
        return
    if name.startswith("{{") and name.endswith("}}"):
        institutions.append(text_of(name[2:-2]))
        return
    if name.startswith("{") and name.endswith("}") and _balanced(name[1:-1]):
        whole = text_of(name[1:-1])
        if is_institution(whole, publishers):
            institutions.append(whole)
        else:
            persons.append(PersonName("", "", whole, role))
        return
    parts = _split_at_commas(name)
    if len(parts) >= 2:
        family, given = text_of(parts[0]), text_of(" ".join(parts[-1:]))
        persons.append(PersonName(family, given, "", role))
        return
    words = name.split()
    if len(words) == 1:
        whole = text_of(name)
        if is_institution(whole, publishers):
            institutions.append(whole)
        else:
            persons.append(PersonName("", "", whole, role))
        return
    # "Given Family" (First von Last): BibTeX takes the last word as the family name.
    parsed = middlewares.names.parse_single_name_into_parts(name)
    family = text_of(" ".join(parsed.von + parsed.last))
    given = text_of(" ".join(parsed.first))
    persons.append(PersonName(family, given, "", role))


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += ch == "{"
        depth -= ch == "}"
        if depth < 0:
            return False
    return depth == 0


def _split_at_commas(name: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in name:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    parts.append("".join(current).strip())
    return parts


def _date(raw: dict) -> str | None:
    date = raw.get("date")
    if isinstance(date, str) and date.strip():
        try:
            return PartialDate.parse(date.strip()[:10]).iso()
        except ValueError:
            pass
    year = str(raw.get("year") or "").strip()
    if not re.fullmatch(r"\d{4}", year):
        return None
    month = str(raw.get("month") or "").strip().lower()[:3]
    number = _MONTHS.index(month) + 1 if month in _MONTHS else int(month) if month.isdigit() else None
    if number is None or not 1 <= number <= 12:
        return year
    day = str(raw.get("day") or "").strip()
    text = f"{year}-{number:02d}" + (f"-{int(day):02d}" if day.isdigit() else "")
    try:
        return PartialDate.parse(text).iso()
    except ValueError:
        return f"{year}-{number:02d}"


def parse_file_field(value: str) -> list[str]:
    """The paths of a ``file`` field: JabRef's ``:path:PDF`` and
    ``desc:path:PDF``, Zotero's ``Title:path:mime``, several joined by ``;``,
    with ``\\:``, ``\\;`` and ``\\\\`` escaped; or a bare path."""
    paths = []
    for item in _split_unescaped(value, ";"):
        parts = _split_unescaped(item, ":")
        # A Windows drive letter was split off its path ("C", "\\Users\\...").
        merged: list[str] = []
        for part in parts:
            if merged and len(merged[-1]) == 1 and merged[-1].isalpha() and part[:1] in ("\\", "/"):
                merged[-1] += ":" + part
            else:
                merged.append(part)
        parts = [_unescape(p) for p in merged]
        if len(parts) >= 3:
            path = parts[1]
        elif len(parts) == 2:
            path = parts[0] if "/" in parts[0] or "\\" in parts[0] else parts[1]
        else:
            path = parts[0]
        if path.strip():
            paths.append(path.strip())
    return paths


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if ch == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def _unescape(text: str) -> str:
    return re.sub(r"\\([\\:;])", r"\1", text)
