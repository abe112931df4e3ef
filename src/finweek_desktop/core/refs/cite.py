"""Citations through ``citeproc-py`` and the CSL styles shipped in
``resources/csl`` (from the CSL styles repository, CC BY-SA 3.0; see the
README there).

Two things citeproc-py 0.11 does differently from citeproc-js, which the
styles are written for, are made up for here, before citeproc-py sees them:

- It drops a ``<group>`` that holds only literal text, so GB/T 7714's
  document type code (``[R]``, ``[M]``, ``[N]``...) vanished from every entry
  without a URL or DOI. The style is loaded with that one group wrapped in a
  ``<choose>`` (the group as it is when a URL, DOI or medium is there, the
  type code alone otherwise): the rendering the style's authors meant.
- It puts a space between a CJK family and given name and initializes CJK
  given names ("李 华", "李, . 华" in APA). A name in Han characters is
  handed to it whole ("李华"), as GB/T 7714 and Chinese usage write it.
- It applies a family name's ``text-case`` to a name given whole, so GB/T
  7714 printed "HENGQIN FINANCE INSTITUTE" for an institution, which the
  standard writes as it is ("World Health Organization"). For that style the
  family names of persons are upper-cased here and the style's
  ``text-case="uppercase"`` on ``name-part`` is dropped in memory.
"""

from __future__ import annotations

import io
import re
from functools import lru_cache

from ..resources import resource_path
from .csljson import item_of
from .record import RefRecord

STYLES = {
    "gb7714": "china-national-standard-gb-t-7714-2015-numeric.csl",
    "apa": "apa.csl",
    "chicago": "chicago-author-date.csl",
}
FORMATS = ("text", "html")

_TYPE_CODE_GROUP = """    <group delimiter="/" prefix="[" suffix="]">
      <text macro="type-id"/>
      <text macro="medium-id"/>
    </group>"""
_TYPE_CODE_FIXED = (
    '<choose><if variable="URL DOI medium" match="any">'
    + _TYPE_CODE_GROUP
    + '</if><else><text macro="type-id" prefix="[" suffix="]"/></else></choose>'
)
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class CitationError(ValueError):
    """A style or format the catalog has not got."""


@lru_cache(maxsize=8)
def _style_text(style: str) -> bytes:
    try:
        name = STYLES[style]
    except KeyError:
        raise CitationError(f"unknown style {style!r}; choose one of: {', '.join(STYLES)}") from None
    text = resource_path("csl", name).read_text(encoding="utf-8")
    if style == "gb7714":
        text = text.replace(_TYPE_CODE_GROUP, _TYPE_CODE_FIXED, 1)
        text = text.replace('<name-part name="family" text-case="uppercase"/>', '<name-part name="family"/>')
    return text.encode("utf-8")


def csl_item(record: RefRecord, key: str, style: str = "") -> dict:
    item = item_of(record)
    item["id"] = key
    for role in ("author", "editor"):
        names = item.get(role)
        if names:
            item[role] = [_whole_if_han(name) for name in names]
            if style == "gb7714":
                item[role] = [{**n, "family": n["family"].upper()} if "family" in n else n for n in item[role]]
    return item


def _whole_if_han(name: dict) -> dict:
    if "literal" in name or not _HAN.search(name.get("family", "") + name.get("given", "")):
        return name
    return {"literal": name.get("family", "") + name.get("given", "")}


def bibliography(records: list[RefRecord], style: str, fmt: str = "text") -> list[str]:
    """One formatted entry per record, in the style's order (a numeric style:
    the order given)."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON

    if fmt not in FORMATS:
        raise CitationError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    if not records:
        return []
    items = [csl_item(r, f"item{n}", style) for n, r in enumerate(records)]
    csl_style = CitationStylesStyle(io.BytesIO(_style_text(style)), validate=False)
    output = formatter.html if fmt == "html" else formatter.plain
    bib = CitationStylesBibliography(csl_style, CiteProcJSON(items), output)
    for item in items:
        bib.register(Citation([CitationItem(item["id"])]))
    return [_clean(str(entry), fmt) for entry in bib.bibliography()]


def in_text(records: list[RefRecord], style: str, fmt: str = "text") -> str:
    """The in-text citation of the records together: "[1-3]", "(Wang, 2023; Smith, 2022)"."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON

    if fmt not in FORMATS:
        raise CitationError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    if not records:
        return ""
    items = [csl_item(r, f"item{n}", style) for n, r in enumerate(records)]
    csl_style = CitationStylesStyle(io.BytesIO(_style_text(style)), validate=False)
    bib = CitationStylesBibliography(
        csl_style, CiteProcJSON(items), formatter.html if fmt == "html" else formatter.plain
    )
    citation = Citation([CitationItem(item["id"]) for item in items])
    bib.register(citation)
    return " ".join(str(bib.cite(citation, lambda _item: None)).split())


def _clean(text: str, fmt: str) -> str:
    text = " ".join(text.split())
    if fmt == "text":
        text = re.sub(r"^\[(\d+)\](?=\S)", r"[\1] ", text)
    return text
