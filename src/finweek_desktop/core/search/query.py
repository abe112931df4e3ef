"""The query language: Whoosh's parser, plus what researchers type.

Words are ANDed; OR, NOT, "exact phrases", field:value (title:, tag:, kind:,
org:, year:, ...), prefix* wildcards and fuzzy term~ work as expected. A
query the parser cannot make sense of is searched as plain words, with a
notice saying so, never an exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from whoosh import qparser, query

from ..vocabulary import DocumentKind
from .analysis import fold_term
from .schema import DEFAULT_FIELDS

FIELD_ALIASES = {
    "tag": ["tags"],
    "org": ["orgs", "organization", "organisation", "organizations", "publisher"],
    "language": ["lang"],
    "place": ["places"],
    "content": ["text", "attachment"],
}
# The fields a user may name, for the error message on an unknown one.
KNOWN_FIELDS = ("title", "subtitle", "summary", "notes", "content", "org", "tag", "kind",
                "session", "place", "language", "year", "date")

_KIND_TERM = re.compile(r'\bkind:("([^"]*)"|[^\s()]+)', re.IGNORECASE)
_FIELD_TERM = re.compile(r"(?<![\w\"])([A-Za-z_]+):")
_RAW_TERM = re.compile(r"[^\s()\"]*[*?~][^\s()\"]*")
_SYNTAX = re.compile(r"[\"()\[\]{}:^~*?+\\]")
_OPERATORS = re.compile(r"\b(AND|OR|NOT|ANDNOT|ANDMAYBE|TO)\b")


class QueryError(ValueError):
    """A query that cannot be searched at all; the message is for the user."""


@dataclass(frozen=True)
class ParsedQuery:
    query: query.Query
    notice: str | None = None  # shown to the user when the query was reinterpreted


def make_parser(schema) -> qparser.QueryParser:
    parser = qparser.MultifieldParser(list(DEFAULT_FIELDS), schema, fieldboosts=DEFAULT_FIELDS)
    parser.add_plugin(qparser.FuzzyTermPlugin())
    parser.add_plugin(qparser.GtLtPlugin())
    parser.add_plugin(qparser.FieldAliasPlugin(FIELD_ALIASES))
    return parser


def parse_query(text: str, parser: qparser.QueryParser) -> ParsedQuery:
    text = text.strip()
    if not text:
        raise QueryError("type something to search for")
    text = _normalize_kinds(text)
    _check_field_names(text)

    problem = _syntax_problem(text)
    if problem is None:
        try:
            parsed = parser.parse(_fold_raw_terms(text))
        except Exception as exc:  # Whoosh raises assorted types on odd input
            problem = f"the query could not be parsed ({exc})"
        else:
            if _is_usable(parsed):
                return ParsedQuery(parsed)
            problem = "the query syntax was incomplete"

    plain = plain_words(text)
    if not plain:
        raise QueryError(f"nothing to search for: {problem}")
    parsed = parser.parse(plain)
    if not _is_usable(parsed):
        raise QueryError(f"nothing to search for: {problem}")
    return ParsedQuery(parsed, notice=f"{problem[0].upper()}{problem[1:]}; searched for the words: {plain}")


def plain_words(text: str) -> str:
    """The words of a query with every piece of syntax removed."""
    text = _FIELD_TERM.sub(" ", text)
    text = _SYNTAX.sub(" ", text)
    text = _OPERATORS.sub(lambda m: m.group(1).lower(), text)
    return " ".join(text.split())


def _normalize_kinds(text: str) -> str:
    def replace(match: re.Match) -> str:
        value = match.group(2) if match.group(2) is not None else match.group(1)
        try:
            return "kind:" + DocumentKind.parse(value).value
        except ValueError as exc:
            raise QueryError(str(exc)) from None

    return _KIND_TERM.sub(replace, text)


def _check_field_names(text: str) -> None:
    aliases = {a for names in FIELD_ALIASES.values() for a in names}
    for match in _FIELD_TERM.finditer(_strip_phrases(text)):
        name = match.group(1).lower()
        if name not in KNOWN_FIELDS and name not in aliases:
            raise QueryError(f"unknown field {name!r}; fields are: {', '.join(KNOWN_FIELDS)}")


def _strip_phrases(text: str) -> str:
    """Replace each "phrase" by a placeholder word, so its contents are not
    taken for syntax while `field:"a phrase"` still has a value."""
    return re.sub(r'"[^"]*"', "_phrase_", text)


def _syntax_problem(text: str) -> str | None:
    if text.count('"') % 2:
        return "the query has an unmatched quote"
    depth = 0
    for ch in _strip_phrases(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return "the query has an unmatched parenthesis"
    if depth:
        return "the query has an unmatched parenthesis"
    if re.search(r"\b\w+:(\s|$)", _strip_phrases(text)):
        return "a field name is missing its value"
    if re.match(r"^\s*(AND|OR|ANDNOT|ANDMAYBE)\b", text) or re.search(r"\b(AND|OR|NOT|ANDNOT|ANDMAYBE)\s*$", text):
        return "an operator is missing a term"
    return None


def _fold_raw_terms(text: str) -> str:
    """Wildcard and fuzzy terms bypass the analyzer: fold their case and accents."""

    def fold(match: re.Match) -> str:
        word = match.group(0)
        prefix, sep, rest = word.rpartition(":")
        return f"{prefix}{sep}{fold_term(rest)}"

    return _RAW_TERM.sub(fold, text)


def _is_usable(parsed: query.Query) -> bool:
    if parsed is None or parsed is query.NullQuery:
        return False
    if isinstance(parsed, query.Query) and parsed.is_leaf():
        return True
    return any(_is_usable(child) for child in parsed.children()) if parsed.children() else False
