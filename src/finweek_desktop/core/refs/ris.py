"""RIS out and in, through ``rispy``.

Persons as ``AU - Family, Given`` (editors ``A2``; ``ED`` read too), a name
kept whole as it is, an organization as EndNote's corporate author or
editor: the name with a trailing comma. Dates as ``PY`` (year) and ``DA`` (``YYYY/MM/DD/``, empty
parts for an unknown month or day). A report's number is ``IS``, an ISBN
``SN``; files are ``L1``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import rispy

from ..dates import PartialDate
from ..records import PersonName
from .record import ROLES_FIELD, ParsedFile, RefRecord, decode_roles, encode_roles
from .types import kind_of_ris, ris_type


def _name(person: PersonName) -> str:
    if person.literal:
        return person.literal.rstrip(",")
    return f"{person.family}, {person.given}" if person.given else person.family


def entry_of(record: RefRecord) -> dict:
    entry: dict = {"type_of_reference": ris_type(record.kind)}
    institutions = record.institutional_authors
    authors = [_name(p) for p in record.authors] + [f"{name}," for name in institutions]
    if authors:
        entry["authors"] = authors
    if record.editors or record.editor_institutions:
        entry["secondary_authors"] = [_name(p) for p in record.editors] + [
            f"{name}," for name in record.editor_institutions
        ]
    entry["title"] = record.title
    if record.subtitle:
        entry["short_title"] = record.title
        entry["title"] = f"{record.title}: {record.subtitle}"
    if record.container:
        entry["secondary_title"] = record.container
    date = record.partial_date
    if date is not None:
        entry["year"] = str(date.year)
        entry["date"] = f"{date.year:04d}/{_two(date.month)}/{_two(date.day)}/"
    for key, value in (
        ("publisher", record.publishers[0] if record.publishers else None),
        ("place_published", record.place),
        ("number", record.report_number),
        ("issn", record.isbn),
        ("doi", record.doi),
        ("language", record.language),
        ("abstract", record.abstract),
    ):
        if value:
            entry[key] = value
    if record.pages:
        start, dash, end = record.pages.partition("-")
        entry["start_page"] = start.strip()
        if dash and end.strip("- "):
            entry["end_page"] = end.strip("- ")
    if record.url:
        entry["urls"] = [record.url]
    if record.keywords:
        entry["keywords"] = list(record.keywords)
    if record.key:
        entry["id"] = record.key
    if record.roles:  # EndNote's eighth custom field, marked as ours
        entry["custom8"] = f"{ROLES_FIELD}: {encode_roles(record.roles)}"
    return entry


def _two(value: int | None) -> str:
    return f"{value:02d}" if value else ""


def write(records: Iterable[RefRecord]) -> Iterable[str]:
    for record in records:
        text = rispy.dumps([entry_of(record)])
        text = text.split("\n", 1)[1] if text.startswith("1.") else text  # rispy numbers a file's first entry
        yield text + "\n"


# -- reading -------------------------------------------------------------


def read(text: str, is_institution: Callable[[str, tuple[str, ...]], bool]) -> ParsedFile:
    result = ParsedFile()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # One entry at a time: a malformed entry is refused alone.
    for number, chunk in enumerate(_entries(text), 1):
        if not re.search(r"^ER  -", chunk, re.MULTILINE):
            result.refused.append((_chunk_label(chunk, number), "the entry has no end (ER  - ): cut short?"))
            continue
        try:
            parsed = rispy.loads(chunk, skip_unknown_tags=True, mapping=_MAPPING, list_tags=_LIST_TAGS)
        except Exception as exc:
            result.refused.append((f"entry {number}", f"cannot be read: {exc}"))
            continue
        for entry in parsed:
            label = entry.get("id") or f"entry {number}"
            try:
                result.records.append(_record(entry, label, is_institution))
            except ValueError as exc:
                result.refused.append((label, str(exc)))
    return result


def _chunk_label(chunk: str, number: int) -> str:
    match = re.search(r"^(?:TI|T1)  - (.+)$", chunk, re.MULTILINE)
    return match[1].strip()[:60] if match else f"entry {number}"


_START = re.compile(r"^TY  - ", re.MULTILINE)
# rispy's tags plus ``ED`` (editor), which Reference Manager and older EndNote write and rispy does not map.
_MAPPING = {**rispy.TAG_KEY_MAPPING, "ED": "editors"}
_LIST_TAGS = [*rispy.LIST_TYPE_TAGS, "ED"]


def _entries(text: str) -> list[str]:
    starts = [m.start() for m in _START.finditer(text)]
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


def _record(entry: dict, label: str, is_institution) -> RefRecord:
    title = _one(entry, "title", "primary_title", "short_title", "translated_title")
    if not title:
        raise ValueError("the entry has no title")
    short = entry.get("short_title")
    subtitle = None
    if isinstance(short, str) and short and title.startswith(short + ": ") and len(title) > len(short) + 2:
        title, subtitle = short, title[len(short) + 2 :]
    publishers = tuple(p for p in [_one(entry, "publisher")] if p)
    persons: list[PersonName] = []
    institutions: dict[str, list[str]] = {"author": [], "editor": []}
    for key, role in (
        ("authors", "author"),
        ("first_authors", "author"),
        ("secondary_authors", "editor"),
        ("editors", "editor"),
    ):
        for raw in entry.get(key) or []:
            raw = " ".join(str(raw).split())
            if not raw:
                continue
            if raw.endswith(","):  # EndNote's corporate name
                institutions[role].append(raw.rstrip(", "))
            elif "," in raw:
                family, _, given = raw.partition(",")
                persons.append(PersonName(family.strip(), given.strip(), "", role))
            elif is_institution(raw, publishers):
                institutions[role].append(raw)
            else:
                persons.append(PersonName("", "", raw, role))
    pages = _one(entry, "start_page")
    end = _one(entry, "end_page")
    if pages and end:
        pages = f"{pages}-{end}"
    urls = entry.get("urls") or []
    files = [*(entry.get("file_attachments1") or []), *(entry.get("file_attachments2") or [])]
    files = [f for item in files for f in (item if isinstance(item, list) else [item])]
    return RefRecord(
        kind=kind_of_ris(entry.get("type_of_reference", "")).value,
        key=str(entry.get("id") or ""),
        title=title,
        subtitle=subtitle,
        date=_date(entry),
        language=_one(entry, "language"),
        abstract=_one(entry, "abstract", "notes_abstract") or "",
        persons=tuple(persons),
        institutions=tuple(dict.fromkeys(institutions["author"])),
        editor_institutions=tuple(dict.fromkeys(institutions["editor"])),
        publishers=publishers,
        place=_one(entry, "place_published"),
        url=urls[0].strip() if urls and isinstance(urls[0], str) else None,
        doi=_one(entry, "doi"),
        isbn=_one(entry, "issn"),
        pages=pages,
        report_number=_one(entry, "number"),
        container=_one(entry, "secondary_title", "journal_name", "alternate_title3"),
        keywords=tuple(k.strip() for k in entry.get("keywords") or [] if k.strip()),
        files=tuple(str(f).strip() for f in files if str(f).strip()),
        roles=_roles(entry),
    )


def _roles(entry: dict) -> tuple[tuple[str, str], ...]:
    value = _one(entry, "custom8") or ""
    prefix = f"{ROLES_FIELD}:"
    return decode_roles(value[len(prefix) :]) if value.startswith(prefix) else ()


def _one(entry: dict, *keys: str) -> str | None:
    for key in keys:
        value = entry.get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return None


def _date(entry: dict) -> str | None:
    for key in ("date", "year", "publication_year"):
        value = _one(entry, key)
        if not value:
            continue
        parts = value.split("/")
        match = re.match(r"(\d{4})", parts[0])
        if not match:
            continue
        year = match[1]
        month = parts[1] if len(parts) > 1 and parts[1].isdigit() else ""
        day = parts[2] if len(parts) > 2 and parts[2].isdigit() else ""
        text = year + (f"-{month}" if month else "") + (f"-{day}" if month and day else "")
        try:
            return PartialDate.parse(text).iso()
        except ValueError:
            return year
    return None
