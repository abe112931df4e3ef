"""Our document kinds and each format's reference types: the one table.

Export writes the type in the row of a kind; import reads any type in the
row (first the exported one, then the others the tools write), and a type no
row names becomes a report, with the entry kept.
"""

from __future__ import annotations

from ..vocabulary import DocumentKind

# kind: (BibTeX entry type, RIS TY, CSL type)
TYPES: dict[DocumentKind, tuple[str, str, str]] = {
    # a report by an institute or an authority
    DocumentKind.REPORT: ("techreport", "RPRT", "report"),
    # a blue paper (蓝皮书) is a published book of reports, with an ISBN
    DocumentKind.BLUE_PAPER: ("book", "BOOK", "book"),
    # an initiative or declaration issued at the event: a document of no other type
    DocumentKind.INITIATIVE: ("misc", "GEN", "document"),
    # the record of a session of the conference
    DocumentKind.SESSION_RECORD: ("inproceedings", "CONF", "paper-conference"),
    DocumentKind.NEWS_ARTICLE: ("article", "NEWS", "article-newspaper"),
}

# Other types the tools write, read as the nearest kind.
_IMPORT_ALIASES: dict[DocumentKind, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    DocumentKind.REPORT: (
        ("report", "manual", "unpublished", "phdthesis", "mastersthesis", "thesis", "online", "electronic"),
        ("GOVDOC", "STAND", "THES", "UNPB", "ELEC", "WEB", "EJOUR", "JOUR", "JFULL", "MGZN"),
        ("article-journal", "thesis", "standard", "webpage", "legislation", "regulation", "manuscript"),
    ),
    DocumentKind.BLUE_PAPER: (
        ("incollection", "inbook", "collection", "mvbook", "booklet", "proceedings"),
        ("CHAP", "EBOOK", "EDBOOK", "ECHAP", "SER"),
        ("chapter", "collection", "entry-encyclopedia"),
    ),
    DocumentKind.INITIATIVE: ((), ("PAMP", "BILL"), ("pamphlet", "bill")),
    DocumentKind.SESSION_RECORD: (
        ("conference",),
        ("CPAPER", "HEAR", "SOUND", "VIDEO"),
        ("speech", "event", "interview", "hearing"),
    ),
    DocumentKind.NEWS_ARTICLE: (("periodical",), ("NEWS", "MGZN"), ("article-magazine", "post", "post-weblog")),
}

DEFAULT_KIND = DocumentKind.REPORT


def _reverse(column: int) -> dict[str, DocumentKind]:
    table: dict[str, DocumentKind] = {}
    for kind, aliases in _IMPORT_ALIASES.items():
        for name in aliases[column]:
            table.setdefault(name.lower(), kind)
    for kind, names in TYPES.items():  # the exported types win
        table[names[column].lower()] = kind
    return table


_BY_BIBTEX, _BY_RIS, _BY_CSL = _reverse(0), _reverse(1), _reverse(2)


def bibtex_type(kind: str) -> str:
    return TYPES[DocumentKind(kind)][0]


def ris_type(kind: str) -> str:
    return TYPES[DocumentKind(kind)][1]


def csl_type(kind: str) -> str:
    return TYPES[DocumentKind(kind)][2]


def kind_of_bibtex(entry_type: str) -> DocumentKind:
    return _BY_BIBTEX.get(entry_type.strip().lower(), DEFAULT_KIND)


def kind_of_ris(ty: str) -> DocumentKind:
    return _BY_RIS.get(ty.strip().lower(), DEFAULT_KIND)


def kind_of_csl(csl: str) -> DocumentKind:
    return _BY_CSL.get(csl.strip().lower(), DEFAULT_KIND)
