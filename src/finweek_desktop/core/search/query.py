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

Every query answers or is refused with a QueryError, quickly. Control
characters and lone surrogates are spaces; a query longer than
MAX_QUERY_CHARS, or one whose wildcard, prefix or fuzzy term would look
through more than EXPANSION_SCAN words of a field, is refused ("this query
is too broad"); each such term stands for a bounded number of words. A long
run of words without query syntax (a paragraph pasted from a document) is
searched as a passage: by its most selective words and bigrams, a share of
which a document must hold (``Passage``, ``select_passage``).
"""

from __future__ import annotations

import contextvars
import heapq
import math
import re
from contextlib import contextmanager
from dataclasses import dataclass, replace

from whoosh import qparser, query
from whoosh.fields import TEXT
from whoosh.support.levenshtein import distance as _edit_distance

from ..dates import PartialDate
from ..vocabulary import DocumentKind
from .analysis import ENGLISH_STOP_WORDS, HAN_QUERY_MODES, WORDS_MODE, contains_han, fold_term
from .schema import DEFAULT_FIELDS, PORTUGUESE_SHADOWS
from .synonyms import SynonymPlugin, Synonyms
from .whoosh_internals import ChosenFuzzy, ChosenPrefix, ChosenTermRange, ChosenWildcard

FIELD_ALIASES = {
    "tag": ["tags"],
    "org": ["orgs", "organization", "organisation", "organizations", "publisher"],
    "language": ["lang"],
    "place": ["places"],
    # summary, notes and content are stored only, and indexed in body.
    "body": ["summary", "notes", "content", "text", "attachment"],
}
# The fields a user may name, for the error message on an unknown one.
KNOWN_FIELDS = (
    "title",
    "subtitle",
    "summary",
    "notes",
    "content",
    "body",
    "org",
    "tag",
    "kind",
    "session",
    "place",
    "language",
    "year",
    "date",
    "ocr",
)

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
# A wildcard (f*n*, *ance, te?t) and a fuzzy term (finance~) likewise.
WILDCARD_EXPANSIONS = 64
FUZZY_EXPANSIONS = 32
FUZZY_MAX_DISTANCE = 2
# The words of a field one prefix, wildcard, fuzzy term or field:* may look
# through (in a segment) before the query is refused as too broad (about
# 10 µs a word): *a, a* or a~ over the body of a big catalog would read its
# whole word list.
EXPANSION_SCAN = 10_000
# And all of a search's expanding terms together (each field, each
# segment, the snippets' second look), inside ``expansion_budget()``.
EXPANSION_BUDGET = 40_000
_BUDGET: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("expansion_budget", default=None)


@contextmanager
def expansion_budget(words: int | None = None):
    """Bound the words all expanding terms look through while inside."""
    token = _BUDGET.set([EXPANSION_BUDGET if words is None else words])
    try:
        yield
    finally:
        _BUDGET.reset(token)


# Longer queries are refused; a pasted paragraph is far shorter.
MAX_QUERY_CHARS = 2000
# Leaves of a parsed query (each unfielded word is four: title, body and
# their Portuguese shadows); more are refused as too long.
MAX_QUERY_LEAVES = 400
# Parentheses nested deeper are searched as plain words.
MAX_NESTING = 16
# A query of at least this many words (two Chinese characters counting as
# one) and no query syntax is a pasted passage, searched by its
# PASSAGE_TERMS most selective words, of which a document must hold
# PASSAGE_SHARE.
PASSAGE_MIN_WORDS = 12
PASSAGE_TERMS = 12
PASSAGE_SHARE = 0.5
PASSAGE_CANDIDATES = 400  # distinct words of a passage looked up, at most
# A passage of common words only (no distinctive word to choose) would read
# the postings of PASSAGE_TERMS words each in most documents: 1.5 s at
# 50,000 documents on a first search. Its words are taken rarest first
# while their document frequencies add up to at most PASSAGE_POSTINGS times
# the catalog's documents, and never fewer than PASSAGE_MIN_TERMS.
PASSAGE_POSTINGS = 2.0
PASSAGE_MIN_TERMS = 4


class QueryError(ValueError):
    """A query that cannot be searched at all; the message is for the user."""


class QueryTooBroad(QueryError):
    """A query whose expanding terms would take too long to search."""


def _too_broad(what: str) -> QueryTooBroad:
    return QueryTooBroad(
        f"this query is too broad: {what} matches too many words; give more letters before * or ?, or fewer ~"
    )


def _scan(reader, fieldname: str, prefix: str, what: str, keep=None) -> list[tuple[int, bytes]]:
    """(document frequency, word) of the words of ``fieldname`` starting with
    ``prefix`` that ``keep`` accepts; QueryTooBroad past EXPANSION_SCAN."""
    out: list[tuple[int, bytes]] = []
    try:
        words = reader.iter_prefix(fieldname, prefix)
    except Exception:  # a field missing from a segment
        return []
    scanned = 0
    budget = _BUDGET.get()
    while True:
        try:
            btext, info = next(words)
        except StopIteration:
            return out
        except Exception:  # a field missing from a segment
            return out
        scanned += 1
        if scanned > EXPANSION_SCAN:
            raise _too_broad(what)
        if budget is not None:
            budget[0] -= 1
            if budget[0] < 0:
                raise _too_broad(what)
        if keep is None or keep(btext):
            out.append((info.doc_frequency(), btext))


def _most_frequent(expansions: list[tuple[int, bytes]], limit: int | None) -> list[bytes]:
    if limit is None or len(expansions) <= limit:
        return sorted(btext for _df, btext in expansions)
    top = heapq.nlargest(limit, expansions, key=lambda pair: (pair[0], pair[1]))
    return sorted(btext for _df, btext in top)


class CappedPrefix(ChosenPrefix):
    """A prefix query over the ``limit`` most frequent expansions per field
    (None: all of them), refused past EXPANSION_SCAN words."""

    def __init__(self, fieldname, text, boost=1.0, constantscore=True, limit=PREFIX_EXPANSIONS):
        super().__init__(fieldname, text, boost=boost, constantscore=constantscore)
        self.limit = limit

    def __eq__(self, other):
        return super().__eq__(other) and getattr(other, "limit", None) == self.limit

    def __hash__(self):
        return super().__hash__() ^ hash(self.limit)

    def choose(self, reader) -> list[bytes]:
        return _most_frequent(_scan(reader, self.fieldname, self.text, f"{self.text}*"), self.limit)


class BoundedWildcard(ChosenWildcard):
    """A wildcard over at most WILDCARD_EXPANSIONS words per field (the
    most frequent), refused when it would look through too many."""

    def choose(self, ixreader) -> list[bytes]:
        text = self.text
        literal = re.split(r"[*?]", text, maxsplit=1)[0]
        pattern = re.compile(_wildcard_pattern(text))
        field = ixreader.schema[self.fieldname] if self.fieldname in ixreader.schema else None  # noqa: SIM401  # a Schema has no get()
        if field is None:
            return []

        def keep(btext: bytes) -> bool:
            try:
                return pattern.fullmatch(field.from_bytes(btext)) is not None
            except Exception:
                return False

        return _most_frequent(_scan(ixreader, self.fieldname, literal, text, keep), WILDCARD_EXPANSIONS)

    def normalize(self):
        return self  # Whoosh's would turn it into an unbounded Prefix or Every


def _wildcard_pattern(text: str) -> str:
    return "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in text)


class BoundedFuzzy(ChosenFuzzy):
    """A fuzzy term over at most FUZZY_EXPANSIONS words per field (the most
    frequent within the distance), ranked like a prefix (ranking.py)."""

    ranked_as_expansion = True

    def __init__(self, fieldname, text, boost=1.0, maxdist=1, prefixlength=1, constantscore=True):
        super().__init__(
            fieldname,
            text,
            boost=boost,
            maxdist=min(max(int(maxdist), 0), FUZZY_MAX_DISTANCE),
            prefixlength=max(int(prefixlength), 1),
            constantscore=constantscore,
        )

    def choose(self, ixreader) -> list[bytes]:
        field = ixreader.schema[self.fieldname] if self.fieldname in ixreader.schema else None  # noqa: SIM401  # a Schema has no get()
        if field is None:
            return []
        text, maxdist = self.text, self.maxdist

        def keep(btext: bytes) -> bool:
            try:
                return _edit_distance(field.from_bytes(btext), text, limit=maxdist) <= maxdist
            except Exception:
                return False

        found = _scan(ixreader, self.fieldname, text[: self.prefixlength], f"{text}~", keep)
        return _most_frequent(found, FUZZY_EXPANSIONS)

    def normalize(self):
        return self


# A range of words ({2020 TO ], "title:[a TO c]") stands for at most this
# many words per field; a wider one is refused as too broad.
RANGE_EXPANSIONS = 512


class BoundedTermRange(ChosenTermRange):
    """A range of words refused as too broad past RANGE_EXPANSIONS words."""

    def choose(self, reader) -> list[bytes]:
        out = []
        for btext in super().choose(reader):
            out.append(btext)
            if len(out) > RANGE_EXPANSIONS:
                raise QueryTooBroad(
                    "this query is too broad: a range matches too many words; narrow it, or search a date with date:"
                )
        return out

    def normalize(self):
        return self


def cap_prefixes(q: query.Query, limit: int = PREFIX_EXPANSIONS) -> query.Query:
    """``q`` with every expanding term bounded: Latin prefixes capped (see
    PREFIX_EXPANSIONS), Chinese ones, wildcards, fuzzy terms and field:*
    bounded by EXPANSION_SCAN, ranges of words by RANGE_EXPANSIONS."""

    def cap(node):
        kind = type(node)
        if kind is query.Prefix:
            return CappedPrefix(
                node.fieldname,
                node.text,
                boost=node.boost,
                constantscore=node.constantscore,
                limit=None if contains_han(node.text) else limit,
            )
        if kind is query.Wildcard:
            return BoundedWildcard(node.fieldname, node.text, boost=node.boost, constantscore=node.constantscore)
        if kind is query.FuzzyTerm:
            return BoundedFuzzy(
                node.fieldname,
                node.text,
                boost=node.boost,
                maxdist=node.maxdist,
                prefixlength=node.prefixlength,
                constantscore=node.constantscore,
            )
        if kind is query.TermRange:
            return BoundedTermRange(
                node.fieldname,
                node.start,
                node.end,
                node.startexcl,
                node.endexcl,
                boost=node.boost,
                constantscore=node.constantscore,
            )
        if kind is query.Every and node.fieldname not in (None, "", "*"):
            if node.fieldname in _EVERYWHERE_FIELDS:  # every document has a title
                return query.Every(boost=node.boost)
            return CappedPrefix(node.fieldname, "", boost=node.boost, limit=None)
        return node

    return q.accept(cap)


_EVERYWHERE_FIELDS = {"title", "title_pt", "body", "body_pt"}


@dataclass(frozen=True)
class ParsedQuery:
    query: query.Query
    notice: str | None = None  # shown to the user when the query was reinterpreted
    # A pasted passage: its distinct words, in order; select_passage keeps
    # the most selective of them for a searcher.
    passage: tuple[str, ...] | None = None


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
    """The query for ``text``; QueryError, with a message for the user, when
    there is nothing to search or the query is too long. Never another
    exception: what the parser cannot read is searched as plain words."""
    text = clean_query_text(text)
    if not text:
        raise QueryError("type something to search for")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(
            f"the query is too long ({len(text):,} characters); search for at most "
            f"{MAX_QUERY_CHARS:,}: a sentence or a paragraph is enough"
        )
    passage = _passage_words(text, parser.schema)
    if passage is not None:
        return ParsedQuery(_passage_query(passage), passage=passage)
    parsed = _parse(text, parser)
    if _leaf_count(parsed.query) > MAX_QUERY_LEAVES:
        raise QueryError(
            "the query is too long: use fewer words, or paste a passage without query syntax "
            "(fields, AND/OR/NOT, *, ~) to search for it as a passage"
        )
    return parsed


def _parse(text: str, parser: qparser.QueryParser) -> ParsedQuery:
    text = _normalize_kinds(text)
    _check_field_names(text)
    typed = text
    text = _date_ranges(text)

    problem = _syntax_problem(text)
    if problem is None:
        try:
            parsed = parser.parse(_fold_raw_terms(text))
        except Exception:  # Whoosh raises assorted types (IndexError, RecursionError...) on odd input
            problem = "the query's syntax could not be read"
        else:
            if _is_usable(parsed):
                return ParsedQuery(cap_prefixes(parsed))
            problem = "the query syntax was incomplete"
    elif problem == _DANGLING_OPERATOR:
        # "title:digital OR": drop the operator, keep the rest as typed.
        trimmed = _without_dangling_operators(text)
        if trimmed and _syntax_problem(trimmed) is None:
            try:
                parsed = parser.parse(_fold_raw_terms(trimmed))
            except Exception:
                parsed = None
            if _is_usable(parsed):
                shown = _without_dangling_operators(typed)
                return ParsedQuery(
                    cap_prefixes(parsed), notice=f"{problem[0].upper()}{problem[1:]}; searched for: {shown}"
                )

    if _only_common_words(text):
        raise QueryError(
            "the query holds only common words (such as “the” or “of”), which are not indexed: add a more specific word"
        )
    plain = plain_words(text)
    if not plain:
        raise QueryError(f"nothing to search for: {problem}")
    try:
        parsed = parser.parse(plain)
    except Exception:
        parsed = None
    if not _is_usable(parsed):
        raise QueryError(f"nothing to search for: {problem}")
    return ParsedQuery(
        cap_prefixes(parsed), notice=f"{problem[0].upper()}{problem[1:]}; searched for the words: {plain}"
    )


# Control characters, zero-width and bidi controls, and lone surrogates (a
# broken paste; they cannot even be encoded) are spaces in a query.
_NOT_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")


def clean_query_text(text: str) -> str:
    """``text`` with what is not text turned into spaces, and trimmed."""
    return _NOT_TEXT.sub(" ", text).strip()


# -- pasted passages --------------------------------------------------------------

_KNOWN_NAMES = sorted({*KNOWN_FIELDS, *(a for names in FIELD_ALIASES.values() for a in names)}, key=len, reverse=True)
# What makes a query a query rather than a passage: a known field, an
# operator in capitals, a wildcard or fuzzy term, a boost.
_QUERY_SYNTAX = re.compile(
    r"(?<![\w\"])(?:" + "|".join(_KNOWN_NAMES) + r"):\S|\w\*|\*\w|\w\?\w|\w~|\^\d", re.IGNORECASE
)
_OPERATOR_WORDS = re.compile(r"\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE|TO)\b")  # in capitals only


def _passage_words(text: str, schema) -> tuple[str, ...] | None:
    """The distinct indexed words of ``text`` when it is a pasted passage:
    many words and no query syntax; None otherwise."""
    if len(text) < PASSAGE_MIN_WORDS * 2 or schema is None or "body" not in schema:
        return None
    if _QUERY_SYNTAX.search(text) or _OPERATOR_WORDS.search(text):
        return None
    words, weight = [], 0.0
    seen = set()
    try:
        tokens = list(schema["body"].process_text(text, mode="query"))
    except Exception:
        return None
    for word in tokens:
        if word in seen:
            continue
        han = contains_han(word)
        if han and len(word) < 2:
            continue
        seen.add(word)
        words.append(word)
        weight += 0.5 if han else 1.0
    if weight < PASSAGE_MIN_WORDS:
        return None
    return tuple(words[:PASSAGE_CANDIDATES])


class Passage(query.Or):
    """The most selective words of a pasted passage, each searched in the
    title and the body; a document matches when it holds ``minmatch`` of
    them (ranking.py counts; Whoosh's own Or ignores minmatch)."""


def _passage_word_query(word: str) -> query.Query:
    return query.DisjunctionMax(
        [
            query.Term("title", word, boost=DEFAULT_FIELDS["title"]),
            query.Term("body", word, boost=DEFAULT_FIELDS["body"]),
        ]
    )


def _passage_query(words, minmatch: int = 0) -> query.Query:
    return Passage([_passage_word_query(w) for w in words], minmatch=minmatch)


def select_passage(parsed: ParsedQuery, searcher) -> ParsedQuery:
    """A passage's query for ``searcher``: its PASSAGE_TERMS rarest words
    that the index holds (fewer when they are all common: PASSAGE_POSTINGS),
    a PASSAGE_SHARE of which a document must hold."""
    if parsed.passage is None:
        return parsed
    found = []
    for at, word in enumerate(parsed.passage):
        try:
            frequency = searcher.doc_frequency("body", word) + searcher.doc_frequency("title", word)
        except Exception:
            frequency = 0
        if frequency:
            found.append((frequency, at, word))
    budget = PASSAGE_POSTINGS * max(searcher.doc_count_all(), 1)
    rarest: list[tuple[int, str]] = []
    read = 0
    for frequency, at, word in heapq.nsmallest(PASSAGE_TERMS, found):
        if len(rarest) >= PASSAGE_MIN_TERMS and read + frequency > budget:
            break
        rarest.append((at, word))
        read += frequency
    chosen = [word for _at, word in sorted(rarest)]
    minmatch = max(1, math.ceil(len(chosen) * PASSAGE_SHARE))
    notice = (
        f"Searched as a passage: documents holding {minmatch} or more of its {len(chosen)} most "
        f"distinctive words ({' '.join(chosen)})"
        if chosen
        else "Searched as a passage: none of its words is in the catalog"
    )
    return replace(parsed, query=_passage_query(chosen, minmatch) if chosen else query.NullQuery, notice=notice)


def _leaf_count(q) -> int:
    count, stack = 0, [q]
    while stack:
        node = stack.pop()
        if node is None or node is query.NullQuery:
            continue
        children = list(node.children()) if not node.is_leaf() else []
        if children:
            stack.extend(children)
        else:
            count += 1
    return count


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
        deepest = 0
        for ch in unquoted:
            depth += 1 if ch in opening else -1 if ch in closing else 0
            deepest = max(deepest, depth)
            if depth < 0:
                break
        if depth:
            return f"the query has an unmatched {name}"
        if deepest > MAX_NESTING:
            return (
                f"the query nests {'parentheses' if name == 'parenthesis' else 'range brackets'} "
                f"more than {MAX_NESTING} deep"
            )
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
        out += [rewrite(text[at : quoted.start()]), rewrite(quoted.group(0)) if is_date else quoted.group(0)]
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
    """Whether ``parsed`` holds a term to search (without recursion: a
    query may nest deeply)."""
    stack = [parsed]
    while stack:
        node = stack.pop()
        if node is None or node is query.NullQuery or not isinstance(node, query.Query):
            continue
        if node.is_leaf():
            return True
        stack.extend(node.children())
    return False


_FIELD_CLAUSE = re.compile(
    r'(?<![\w"])(?:NOT\s+)?-?([A-Za-z_]+):(\[[^\]]*\]|"[^"]*"|\([^)]*\)|[^\s()"]+)',
)


def split_fields(text: str) -> tuple[str, str]:
    """(free text, field clauses) of a query, for search by meaning: the
    free text is embedded, the clauses (``year:2020 kind:report``, date
    ranges) narrow what it finds. Operators and quotes leave the free text."""
    clauses = []

    def take(match: re.Match) -> str:
        name = match.group(1).lower()
        known = name in KNOWN_FIELDS or any(name in aliases for aliases in FIELD_ALIASES.values())
        if not known:
            return match.group(0)
        clauses.append(match.group(0))
        return " "

    free = _FIELD_CLAUSE.sub(take, text)
    free = _OPERATOR_WORDS.sub(" ", free).replace('"', " ")
    return " ".join(free.split()), " ".join(clauses)


_EXACTING = re.compile(r'"|(?:^|\s)[-+]\S|\w\*|\*\w|\w\?|\w~|\^\d|\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE)\b')


def asks_exact(text: str) -> bool:
    """Whether a query asks for exact word semantics (a phrase, an operator,
    a -word, a wildcard or fuzzy term), which hybrid search keeps to the
    word index alone: a NOT must not let a document back in by meaning."""
    return bool(_EXACTING.search(text))
