"""The query language: Whoosh's parser, plus what researchers type.

Words are ANDed; OR, NOT, "exact phrases", field:value (title:, tag:, kind:,
org:, year:, ...), prefix* wildcards and fuzzy term~ work as expected. A
query the parser cannot make sense of is searched as plain words, with a
notice saying so, never an exception.

A word without a field searches ``title`` (weight 4) and ``body`` (subtitle,
organizations, tags, session, places, summary, notes and attachment text in
one field; see schema.py), each with its Portuguese shadow. ``title:``,
``subtitle:``, ``org:``, ``tag:``, ``session:``, ``place:``, ``kind:``,
``year:`` and ``lang:`` search their own fields. ``summary:``, ``notes:``,
``content:`` and ``text:`` are no longer indexed on their own: they search
``body``, so ``summary:x`` also finds a document holding x only in its notes,
attachments or metadata. A word or phrase that names a place or an
organization (unfielded or ``org:``) also searches that entity's other names
(synonyms.py): 横琴 finds "Hengqin", 澳門 finds "Macao".
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass

from whoosh import qparser, query
from whoosh.fields import TEXT

from ..dates import PartialDate
from ..vocabulary import DocumentKind
from .analysis import ENGLISH_STOP_WORDS, HAN_QUERY_MODES, WORDS_MODE, contains_han, fold_term
from .schema import DEFAULT_FIELDS, PORTUGUESE_SHADOWS
from .synonyms import SynonymPlugin, Synonyms
from .whoosh_internals import ChosenPrefix

FIELD_ALIASES = {
    "tag": ["tags"],
    "org": ["orgs", "organization", "organisation", "organizations", "publisher"],
    "language": ["lang"],
    "place": ["places"],
    # summary, notes and content are stored only, and indexed in body.
    "body": ["summary", "notes", "content", "text", "attachment"],
}
# The fields a user may name, for the error message on an unknown one.
KNOWN_FIELDS = ("title", "subtitle", "summary", "notes", "content", "body", "org", "tag", "kind",
                "session", "place", "language", "year", "date")

_KIND_TERM = re.compile(r'\bkind:("([^"]*)"|[^\s()]+)', re.IGNORECASE)
_FIELD_TERM = re.compile(r"(?<![\w\"])([A-Za-z_]+):")
_RAW_TERM = re.compile(r"[^\s()\"]*[*?~][^\s()\"]*")
_SYNTAX = re.compile(r"[\"()\[\]{}:^~*?+\\]")
_OPERATORS = re.compile(r"\b(AND|OR|NOT|ANDNOT|ANDMAYBE|TO)\b")


# A prefix query (fin*) matches the documents of at most this many of the
# words it expands to in each field: the most frequent ones. Uncapped, fin*
# expanded to hundreds of words in each of the (then 14) default fields
# (3.4 s at 50,000 documents); the rare expansions it drops add few documents and little
# relevance. A one-character Chinese prefix (the bigrams starting with that
# character) is never capped: it must find every document with it.
PREFIX_EXPANSIONS = 64


class CappedPrefix(ChosenPrefix):
    """A prefix query over the ``limit`` most frequent expansions per field."""

    def __init__(self, fieldname, text, boost=1.0, constantscore=True, limit=PREFIX_EXPANSIONS):
        super().__init__(fieldname, text, boost=boost, constantscore=constantscore)
        self.limit = limit

    def __eq__(self, other):
        return super().__eq__(other) and getattr(other, "limit", None) == self.limit

    def __hash__(self):
        return super().__hash__() ^ hash(self.limit)

    def choose(self, reader) -> list[bytes]:
        expansions = []
        try:
            for btext, info in reader.iter_prefix(self.fieldname, self.text):
                expansions.append((info.doc_frequency(), btext))
        except Exception:  # a field missing from a segment
            return []
        if len(expansions) <= self.limit:
            return [btext for _df, btext in expansions]
        top = heapq.nlargest(self.limit, expansions, key=lambda pair: (pair[0], pair[1]))
        return sorted(btext for _df, btext in top)


def cap_prefixes(q: query.Query, limit: int = PREFIX_EXPANSIONS) -> query.Query:
    """``q`` with every Latin prefix query capped (see PREFIX_EXPANSIONS)."""

    def cap(node):
        if type(node) is query.Prefix and not contains_han(node.text):
            return CappedPrefix(node.fieldname, node.text, boost=node.boost,
                                constantscore=node.constantscore, limit=limit)
        return node

    return q.accept(cap)


class QueryError(ValueError):
    """A query that cannot be searched at all; the message is for the user."""


@dataclass(frozen=True)
class ParsedQuery:
    query: query.Query
    notice: str | None = None  # shown to the user when the query was reinterpreted


class CatalogParser(qparser.QueryParser):
    """Whoosh's parser with the two rules our analysis needs.

    - An unquoted word is split into the words it holds: Latin words joined
      by punctuation stay a phrase ("Hengqin-Macao"), and a Chinese run is
      cut by jieba, each word a phrase of its bigrams; the parts are ANDed.
      So 横琴金融 means 横琴 AND 金融, matching 横琴新区金融服务, and never an
      OR of single characters. (``han_query="phrase"`` keeps the whole run
      one phrase, only for measuring against.)
    - A field with a Portuguese shadow is searched together with it, each
      document scored by the better of the two.
    """

    def __init__(self, fieldname, schema, han_query: str = "words", **kwargs):
        if han_query not in HAN_QUERY_MODES:
            raise ValueError(f"unknown Han query mode {han_query!r}")
        super().__init__(fieldname, schema, phraseclass=_words_query, **kwargs)
        self.han_query = han_query

    def term_query(self, fieldname, text, termclass, boost=1.0, tokenize=True, removestops=True):
        if removestops and text.lower() in ENGLISH_STOP_WORDS and not isinstance(self.schema[fieldname], TEXT):
            # Text fields drop stop words; without this, the tag field would
            # keep "of" in "risks of digital assets" as a required term.
            return None
        q = self._field_query(fieldname, text, termclass, boost, tokenize, removestops)
        shadow = PORTUGUESE_SHADOWS.get(fieldname)
        if shadow is None or not self.schema or shadow not in self.schema:
            return q
        q_pt = self._field_query(shadow, text, termclass, boost, tokenize, removestops)
        if q is None or q_pt is None:
            return q or q_pt
        return query.DisjunctionMax([q, q_pt])

    def _field_query(self, fieldname, text, termclass, boost, tokenize, removestops):
        field = self.schema[fieldname] if self.schema and fieldname in self.schema else None
        if field is None or termclass is not query.Term or not tokenize or not isinstance(field, TEXT):
            return super().term_query(fieldname, text, termclass, boost, tokenize, removestops)
        groups: dict[int, list[str]] = {}
        if self.han_query == "words":
            for token in field.analyzer(text, mode=WORDS_MODE, removestops=removestops):
                groups.setdefault(token.group, []).append(token.text)
        else:
            groups[0] = list(field.process_text(text, mode="query", removestops=removestops))
        parts = [_words_query(fieldname, texts, boost) for texts in groups.values() if texts]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else query.And(parts)


def _words_query(fieldname: str, texts: list[str], boost: float = 1.0, **kwargs) -> query.Query:
    """A term, or a phrase of several; one Chinese character is a prefix: the
    index holds bigrams, and only a run's last character on its own."""
    if len(texts) == 1:
        text = texts[0]
        if len(text) == 1 and contains_han(text):
            return query.Prefix(fieldname, text, boost=boost)
        return query.Term(fieldname, text, boost=boost)
    return query.Phrase(fieldname, texts, boost=boost, **kwargs)


def make_parser(schema, han_query: str = "words", synonyms: Synonyms | None = None) -> qparser.QueryParser:
    """The catalog's parser; ``synonyms`` (names of one entity, see
    synonyms.py) may be replaced later: the parser reads them at each query."""
    parser = CatalogParser(None, schema, han_query=han_query)
    parser.add_plugin(SynonymPlugin(synonyms if synonyms is not None else Synonyms()))
    parser.add_plugin(qparser.MultifieldPlugin(list(DEFAULT_FIELDS), fieldboosts=DEFAULT_FIELDS))
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
    typed = text
    text = _date_ranges(text)

    problem = _syntax_problem(text)
    if problem is None:
        try:
            parsed = parser.parse(_fold_raw_terms(text))
        except Exception as exc:  # Whoosh raises assorted types on odd input
            problem = f"the query could not be parsed ({exc})"
        else:
            if _is_usable(parsed):
                return ParsedQuery(cap_prefixes(parsed))
            problem = "the query syntax was incomplete"
    elif problem == _DANGLING_OPERATOR:
        # "title:digital OR": drop the operator, keep the rest as typed.
        trimmed = _without_dangling_operators(text)
        if trimmed and _syntax_problem(trimmed) is None:
            parsed = parser.parse(_fold_raw_terms(trimmed))
            if _is_usable(parsed):
                shown = _without_dangling_operators(typed)
                return ParsedQuery(cap_prefixes(parsed), notice=f"{problem[0].upper()}{problem[1:]}; "
                                   f"searched for: {shown}")

    if _only_common_words(text):
        raise QueryError("the query holds only common words (such as “the” or “of”), which are not indexed: "
                         "add a more specific word")
    plain = plain_words(text)
    if not plain:
        raise QueryError(f"nothing to search for: {problem}")
    parsed = parser.parse(plain)
    if not _is_usable(parsed):
        raise QueryError(f"nothing to search for: {problem}")
    return ParsedQuery(cap_prefixes(parsed), notice=f"{problem[0].upper()}{problem[1:]}; searched for the words: {plain}")


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
    unquoted = _strip_phrases(text)
    for opening, closing, name in (("(", ")", "parenthesis"), ("[{", "]}", "range bracket")):
        depth = 0
        for ch in unquoted:
            depth += 1 if ch in opening else -1 if ch in closing else 0
            if depth < 0:
                break
        if depth:
            return f"the query has an unmatched {name}"
    if re.search(r"\b\w+:(\s|$)", _strip_phrases(text)):
        return "a field name is missing its value"
    if _LEADING_OPERATOR.match(text) or _TRAILING_OPERATOR.search(text):
        return _DANGLING_OPERATOR
    return None


_DANGLING_OPERATOR = "an operator is missing a term"
_LEADING_OPERATOR = re.compile(r"^\s*(AND|OR|ANDNOT|ANDMAYBE)\b")
_TRAILING_OPERATOR = re.compile(r"\b(AND|OR|NOT|ANDNOT|ANDMAYBE)\s*$")


def _without_dangling_operators(text: str) -> str:
    return _LEADING_OPERATOR.sub("", _TRAILING_OPERATOR.sub("", text)).strip()


def _only_common_words(text: str) -> bool:
    words = plain_words(text).lower().split()
    return bool(words) and all(w in ENGLISH_STOP_WORDS or w in ("and", "or", "not") for w in words)


# date:2020, date:2020-11, date:>=2019, date:<2020-06-30, date:[2019 TO 2020-06].
_DATE_RANGE = re.compile(r"\bdate:\[\s*(?:([^\s\]]+)\s+)?TO(?:\s+([^\s\]]+))?\s*\]", re.IGNORECASE)
_DATE_COMPARISON = re.compile(r'\bdate:(>=|<=|>|<)?(?:"([^"]*)"|([^\s()\[\]"^]+))', re.IGNORECASE)
_QUOTED = re.compile(r'(?i:\bdate:)?"[^"]*"')  # a phrase, or a quoted date


_FIRST_DATE_KEY = 10000  # 0001


def _date_bounds(value: str) -> tuple[int, int]:
    """The first and last sort keys (YYYYMMDD, unknown parts 00) of a
    partial date: 2020 covers 20200000..20201299, so a document dated only
    to the year or the month falls inside its year."""
    try:
        date = PartialDate.parse(value)
    except ValueError:
        raise QueryError(f"date:{value} is not a date; write YYYY, YYYY-MM or YYYY-MM-DD") from None
    first = date.sort_key()
    if date.day is not None:
        return first, first
    if date.month is not None:
        return first, first + 99
    return first, first + 1299


def _date_ranges(text: str) -> str:
    """Rewrite date: values into ranges over the index's date keys."""

    # An open upper end stays open; the lower end is year 1 (10000), never
    # open or 0: Whoosh's unsigned numeric ranges read a lower bound of 0 or
    # none as "everything".
    def between(match: re.Match) -> str:
        low = _date_bounds(match.group(1))[0] if match.group(1) else _FIRST_DATE_KEY
        high = f" {_date_bounds(match.group(2))[1]}" if match.group(2) else ""
        return f"date:[{low} TO{high}]"

    def compare(match: re.Match) -> str:
        operator = match.group(1) or ""
        value = match.group(2) if match.group(2) is not None else match.group(3)
        first, last = _date_bounds(value)
        if operator in (">", ">="):
            return f"date:[{last + 1 if operator == '>' else first} TO]"
        if operator in ("<", "<="):
            return f"date:[{_FIRST_DATE_KEY} TO {first - 1 if operator == '<' else last}]"
        return f"date:[{first} TO {last}]"

    def rewrite(part: str) -> str:
        return _DATE_COMPARISON.sub(compare, _DATE_RANGE.sub(between, part))

    # Outside phrases only ("filed date:2020 report" stays a phrase), but
    # date:"2020" is a date.
    out, at = [], 0
    for quoted in _QUOTED.finditer(text):
        is_date = quoted.group(0).lower().startswith("date:")
        out += [rewrite(text[at:quoted.start()]), rewrite(quoted.group(0)) if is_date else quoted.group(0)]
        at = quoted.end()
    out.append(rewrite(text[at:]))
    return "".join(out)


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
