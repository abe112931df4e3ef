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
- It ignores ``initialize="false"`` on a ``<name>``, so Chicago's
  style-wide ``initialize-with`` turned "Chan, Mei Ling" into "Chan, M. L.".
  For Chicago the ``initialize-with`` moves, in memory, from the style onto
  the names that say ``initialize="true"`` (the short forms), as CSL 1.0.1
  reads it.
- It suppresses a variable a ``<substitute>`` rendered only when the
  substitute names that variable itself, not through a macro. APA and
  Chicago substitute the title for a missing author through a macro, so a
  document with no author printed its title twice ("Opening ceremony.
  (2020). Opening ceremony."). CSL says substituted variables are empty for
  the rest of the entry; ``_suppress_substituted`` makes citeproc-py 0.11.1
  (pinned) do that for variables a macro rendered too, and for names (an
  editor standing in for the author is not printed again as the editor).
- It prints a ``<label variable="...">`` whose variable is empty (CSL: a
  label shows only with its variable), so Chicago ended a newspaper article
  with a stray "Edition."; ``_suppress_substituted`` fixes that too, and
  title-cases a label in the style's language ("(Ed.)" in APA, not "(ed.)").
- It lets a ``<names>`` without ``<name>`` in a ``<substitute>`` take the
  ``<name>``, ``<et-al>`` and ``<label>`` of the ``<names>`` it substitutes
  for (CSL 1.0.2, "Substitute") only when it is a direct child of the
  substitute. Chicago substitutes the editor for a missing author inside a
  ``<choose>``, so an edited book printed "Mei Ling Chan, Ka Ho Wong. 2020."
  (the style's bare defaults) instead of "Chan, Mei Ling, and Ka Ho Wong,
  eds. 2020."; ``_suppress_substituted`` extends the inheritance to such a
  ``<names>`` at any depth inside the substitute. (GB/T 7714's author
  ``<names>`` has no ``<label>``, so its editors print unlabelled, as the
  style file says; APA's editor substitute is a direct child and was right.)
- It does not collapse citation numbers: a style asking for
  ``collapse="citation-number"`` (GB/T 7714) got "[1,2,3]". Runs of three or
  more consecutive numbers become a range ("[1-3,5]"), as the CSL
  specification defines the collapse and GB/T 7714-2015 (10.1.2) writes it
  with a short dash.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Sequence
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
    if style == "chicago":
        head = re.search(r"<style [^>]*>", text)
        mark = re.search(r' initialize-with="([^"]*)"', head[0]) if head else None
        if head and mark:
            text = text.replace(head[0], head[0].replace(mark[0], ""), 1)
            text = text.replace('initialize="true"', f'initialize="true" initialize-with="{mark[1]}"')
    return text.encode("utf-8")


_patching = threading.Lock()  # citations are formatted on the window's workers too
_rendering = threading.local()  # per thread: a stack of lists, the variables a substitute's child rendered


def _suppress_substituted() -> None:
    """Make citeproc-py treat every variable a ``<substitute>`` rendered,
    through a macro too, as empty for the rest of the entry, and let a
    ``<names>`` nested in a substitute inherit its owner's name and label
    (see above)."""
    from citeproc import model

    with _patching:
        if not getattr(model.Substitute, "_finweek_suppresses", False) and citeproc_release_matches():
            _patch(model)


PATCHED_RELEASE = "0.11.1"  # the citeproc-py whose methods _patch replaces (pinned in pyproject.toml)


def citeproc_release_matches() -> bool:
    """Whether the installed citeproc-py is the release ``_patch`` was written
    against. Another release keeps its own rendering (a title may print twice)
    rather than have methods of a different shape replaced."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("citeproc-py") == PATCHED_RELEASE
    except PackageNotFoundError:
        return False


def _patch(model) -> None:
    plain_variable = model.Text._variable

    def _variable(self, item, context):
        text = plain_variable(self, item, context)
        if text:
            for rendered in getattr(_rendering, "stack", ()):
                rendered.append((self.tag, self.get("variable")))
        return text

    def render(self, item, context=None, **kwargs):
        stack = _rendering.__dict__.setdefault("stack", [])
        for child in self.getchildren():
            rendered: list[tuple[str, str]] = []
            stack.append(rendered)
            try:
                if isinstance(child, model.Names) and child.name is None:
                    names = self.xpath_search("./parent::cs:names[1]")[0]
                    text = child.render(item, names_context=names, context=context, **kwargs)
                else:
                    text = child.render(item, context=context, **kwargs)
            except model.VariableError:
                continue
            finally:
                stack.pop()
            if text:
                self.add_to_repressed_list(child, context)
                repressed = context.get_layout().repressed
                for tag, variable in rendered:  # rendered through a macro: repressed like a named one
                    if variable not in repressed.setdefault(tag, []):
                        repressed[tag].append(variable)
                return text
        return None

    plain_label = model.Label.process

    def label(self, item, variable=None, plural=None, context=None, **kwargs):
        own = self.get("variable")
        if variable is None and own and own != "locator":
            try:
                if not item.reference[own.replace("-", "_")]:
                    return None
            except model.VariableError:
                return None  # a label of an empty variable: nothing (CSL 1.0.2, "Label")
        return plain_label(self, item, variable=variable, plural=plural, context=context, **kwargs)

    def label_markup(self, text):
        # A term's text-case="title" ("(Ed.)" in APA) in the style's own language: citeproc-py passed
        # no language here, and title case applies only to English, so a label kept its lower case.
        if text:
            language = self.get_root().get("default-locale", "en")[:2]
            return self.wrap(self.format(self.case(self.strip_periods(text), language)))
        return None

    plain_names = model.Names.process

    def names(self, item, names_context=None, context=None, **kwargs):
        layout_context = context if context is not None else self
        try:
            repressed = getattr(layout_context.get_layout(), "repressed", {}).get(self.tag, [])
        except IndexError:  # outside a layout (no entry being rendered): nothing substituted
            repressed = []
        variable = self.get("variable")
        roles = variable.split()
        kept = [role for role in roles if role not in repressed]
        if not kept:  # every role substituted before: empty, so this element's own substitute, if any
            substitute = self.substitute()
            if substitute is None:
                raise model.VariableError
            return substitute.render(item, context=layout_context, **kwargs)
        if len(kept) < len(roles):
            self.set("variable", " ".join(kept))
        if names_context is None and self.name is None:
            # CSL 1.0.2, "Substitute": a <names> without <name> in a <substitute> takes the <name>, <et-al>
            # and <label> of the <names> the substitute belongs to. citeproc-py does this only for a direct
            # child of <substitute>; one inside a <choose> (Chicago's and GB/T 7714's editor) fell back to
            # the style's bare defaults ("Mei Ling Chan, Ka Ho Wong", no "eds.").
            owner = self.xpath_search("./ancestor::cs:substitute[1]/parent::cs:names[1]")
            if owner:
                names_context = owner[0]
        try:
            text = plain_names(self, item, names_context=names_context, context=context, **kwargs)
        finally:
            self.set("variable", variable)
        for rendered in getattr(_rendering, "stack", ()):
            rendered.extend((self.tag, role) for role in kept if role in item.reference)
        return text

    model.Text._variable = _variable
    model.Names.process = names
    model.Label.process = label
    model.Label.markup = label_markup
    model.Substitute.render = render
    model.Substitute._finweek_suppresses = True


def csl_item(record: RefRecord, key: str, style: str = "") -> dict:
    item = item_of(record)
    item["id"] = key
    item.pop("custom", None)  # the catalog's own data, nothing to cite
    for role in ("author", "editor"):
        names = item.get(role)
        if names:
            item[role] = [_whole_if_han(name) for name in names]
            if style == "gb7714":
                item[role] = [{**n, "family": n["family"].upper()} if "family" in n else n for n in item[role]]
    if style == "apa" and "publisher" in item:
        # APA 7 (9.24, 10.2): when the author and publisher are the same, the publisher is omitted.
        # (an editor who stands in for a missing author likewise)
        groups = {n["literal"].casefold() for n in item.get("author") or item.get("editor", []) if "literal" in n}
        if item["publisher"].casefold() in groups:
            del item["publisher"]
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
    _suppress_substituted()
    items = [csl_item(r, f"item{n}", style) for n, r in enumerate(records)]
    csl_style = CitationStylesStyle(io.BytesIO(_style_text(style)), validate=False)
    output = formatter.html if fmt == "html" else formatter.plain
    bib = CitationStylesBibliography(csl_style, CiteProcJSON(items), output)
    for item in items:
        bib.register(Citation([CitationItem(item["id"])]))
    return [_clean(str(entry), fmt) for entry in bib.bibliography()]


def in_text(records: list[RefRecord], style: str, fmt: str = "text", cited: Sequence[int] | None = None) -> str:
    """The in-text citation of the records together: "[1-3]", "(Wang, 2023; Smith, 2022)".

    ``cited``: the positions in ``records`` this citation cites, when
    ``records`` is the whole bibliography (numbered in its order) and the
    citation names only some of it ("[1-3,5]"); all of them by default."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON

    if fmt not in FORMATS:
        raise CitationError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    if not records:
        return ""
    _suppress_substituted()
    items = [csl_item(r, f"item{n}", style) for n, r in enumerate(records)]
    positions = list(range(len(items))) if cited is None else list(dict.fromkeys(cited))
    if not positions or any(not 0 <= p < len(items) for p in positions):
        raise CitationError(f"cited positions must be among 0 to {len(items) - 1}: {list(cited or [])}")
    csl_style = CitationStylesStyle(io.BytesIO(_style_text(style)), validate=False)
    bib = CitationStylesBibliography(
        csl_style, CiteProcJSON(items), formatter.html if fmt == "html" else formatter.plain
    )
    if cited is not None:  # the bibliography's numbers first, in its order
        bib.register(Citation([CitationItem(item["id"]) for item in items]))
    citation = Citation([CitationItem(items[p]["id"]) for p in positions])
    bib.register(citation)
    text = " ".join(str(bib.cite(citation, lambda _item: None)).split())
    if _collapses_numbers(style):
        text = _NUMBER_LIST.sub(lambda m: "[" + collapse_numbers(m[1]) + "]", text)
    return text


_NUMBER_LIST = re.compile(r"\[(\d+(?:,\d+)+)\]")


@lru_cache(maxsize=8)
def _collapses_numbers(style: str) -> bool:
    head = re.search(rb"<citation [^>]*>", _style_text(style))
    return head is not None and b'collapse="citation-number"' in head[0]


def collapse_numbers(numbers: str, delimiter: str = ",", dash: str = "-") -> str:
    """ "1,2,3,5" -> "1-3,5": each run of three or more consecutive numbers
    as its first and last (CSL's ``collapse="citation-number"``), in order."""
    values = sorted({int(n) for n in numbers.split(delimiter)})
    parts: list[str] = []
    start = 0
    for end in range(1, len(values) + 1):
        if end == len(values) or values[end] != values[end - 1] + 1:
            run = values[start:end]
            parts += [f"{run[0]}{dash}{run[-1]}"] if len(run) >= 3 else [str(n) for n in run]
            start = end
    return delimiter.join(parts)


def _clean(text: str, fmt: str) -> str:
    text = " ".join(text.split())
    if fmt == "text":
        text = re.sub(r"^\[(\d+)\](?=\S)", r"[\1] ", text)
    return text
