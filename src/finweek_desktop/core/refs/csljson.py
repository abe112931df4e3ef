"""CSL-JSON out and in: the array of items citeproc-js, citeproc-py, Zotero
and pandoc read. Persons as ``{"family", "given"}`` or ``{"literal"}``;
organizations (authors, editors) as ``{"literal"}``; dates as ``issued.date-parts`` in their
own precision."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable

from ..dates import PartialDate
from ..records import PersonName
from .record import ROLES_FIELD, ParsedFile, RefRecord, roles_of
from .types import csl_type, kind_of_csl


def _name(person: PersonName) -> dict:
    if person.literal:
        return {"literal": person.literal}
    return {"family": person.family, "given": person.given} if person.given else {"family": person.family}


def item_of(record: RefRecord) -> dict:
    item: dict = {"id": record.key, "type": csl_type(record.kind), "title": record.title}
    institutions = record.institutional_authors
    authors = [_name(p) for p in record.authors] + [{"literal": name} for name in institutions]
    if authors:
        item["author"] = authors
    if record.editors or record.editor_institutions:
        item["editor"] = [_name(p) for p in record.editors] + [{"literal": name} for name in record.editor_institutions]
    if record.subtitle:
        item["title-short"] = record.title
        item["title"] = f"{record.title}: {record.subtitle}"
    date = record.partial_date
    if date is not None:
        item["issued"] = {"date-parts": [[p for p in (date.year, date.month, date.day) if p is not None]]}
    for key, value in (
        ("container-title", record.container),
        ("publisher", record.publishers[0] if record.publishers else None),
        ("publisher-place", record.place),
        ("number", record.report_number),
        ("page", record.pages),
        ("ISBN", record.isbn),
        ("DOI", record.doi),
        ("URL", record.url),
        ("language", record.language),
        ("abstract", record.abstract),
        ("keyword", ", ".join(record.keywords)),
    ):
        if value:
            item[key] = value
    if record.roles:  # CSL-JSON's place for data of an application's own
        item["custom"] = {ROLES_FIELD: [{"name": name, "role": role} for name, role in record.roles]}
    return item


def write(records: Iterable[RefRecord]) -> Iterable[str]:
    """A JSON array, one item per line group."""
    yield "[\n"
    first = True
    for record in records:
        text = json.dumps(item_of(record), ensure_ascii=False, indent=2)
        yield ("" if first else ",\n") + text
        first = False
    yield "\n]\n"


def read(text: str, is_institution: Callable[[str, tuple[str, ...]], bool]) -> ParsedFile:
    result = ParsedFile()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        result.refused.append(("file", f"not JSON: {exc}"))
        return result
    if isinstance(data, dict):
        data = data.get("items", [data]) if "items" in data else [data]
    if not isinstance(data, list):
        result.refused.append(("file", "not a CSL-JSON array of items"))
        return result
    for number, item in enumerate(data, 1):
        label = str(item.get("id") or f"item {number}") if isinstance(item, dict) else f"item {number}"
        try:
            if not isinstance(item, dict):
                raise ValueError("not a CSL-JSON item (an object)")
            result.records.append(_record(item, label, is_institution))
        except (ValueError, TypeError, AttributeError) as exc:
            result.refused.append((label, str(exc)))
    return result


def _text(item: dict, key: str) -> str | None:
    value = item.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    if isinstance(value, str) and value.strip():
        return " ".join(value.split())
    return None


def _record(item: dict, label: str, is_institution) -> RefRecord:
    title = _text(item, "title")
    if not title:
        raise ValueError("the item has no title")
    subtitle = None
    short = _text(item, "title-short") or _text(item, "shortTitle")
    if short and title.startswith(short + ": ") and len(title) > len(short) + 2:
        title, subtitle = short, title[len(short) + 2 :]
    publishers = tuple(p for p in [_text(item, "publisher")] if p)
    persons: list[PersonName] = []
    institutions: dict[str, list[str]] = {"author": [], "editor": []}
    for key, role in (("author", "author"), ("editor", "editor")):
        names = item.get(key) or []
        if not isinstance(names, list):
            raise ValueError(f"{key} is not a list of names")
        for name in names:
            if not isinstance(name, dict):
                raise ValueError(f"a name of {key} is not an object")
            literal = " ".join(str(name.get("literal") or "").split())
            family = " ".join(str(name.get("family") or "").split())
            given = " ".join(str(name.get("given") or "").split())
            particle = " ".join(str(name.get("non-dropping-particle") or "").split())
            if particle:
                family = f"{particle} {family}"
            if literal and is_institution(literal, publishers):
                institutions[role].append(literal)
            elif literal:
                persons.append(PersonName("", "", literal, role))
            elif family:
                persons.append(PersonName(family, given, "", role))
    keywords = tuple(k.strip() for k in re.split(r"[,;]", _text(item, "keyword") or "") if k.strip())
    return RefRecord(
        kind=kind_of_csl(str(item.get("type") or "")).value,
        key=str(item.get("id") or ""),
        title=title,
        subtitle=subtitle,
        date=_date(item.get("issued")),
        language=_text(item, "language"),
        abstract=_text(item, "abstract") or "",
        persons=tuple(persons),
        institutions=tuple(dict.fromkeys(institutions["author"])),
        editor_institutions=tuple(dict.fromkeys(institutions["editor"])),
        publishers=publishers,
        place=_text(item, "publisher-place"),
        url=_text(item, "URL"),
        doi=_text(item, "DOI"),
        isbn=_text(item, "ISBN"),
        pages=_text(item, "page"),
        report_number=_text(item, "number"),
        container=_text(item, "container-title"),
        keywords=keywords,
        roles=roles_of(item["custom"].get(ROLES_FIELD)) if isinstance(item.get("custom"), dict) else (),
    )


def _date(issued) -> str | None:
    if not isinstance(issued, dict):
        return None
    parts = issued.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        try:
            numbers = [int(p) for p in parts[0][:3]]
        except (TypeError, ValueError):
            return None
        text = "-".join(f"{n:04d}" if i == 0 else f"{n:02d}" for i, n in enumerate(numbers))
    elif isinstance(issued.get("raw"), str):
        text = issued["raw"].strip()[:10]
    else:
        return None
    try:
        return PartialDate.parse(text).iso()
    except ValueError:
        match = re.match(r"\d{4}", text)
        return match[0] if match else None
