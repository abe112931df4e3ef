"""Highlighted snippets for the hits of a search page.

A snippet is made by re-analysing a stored text (summary, notes, attached
text) with its field's analyzer and marking the tokens that are query
terms, as Whoosh's Highlighter does. Analysing 10 KB of attached text costs
~2 ms, and a page has 20 hits: so a text is first analysed only in a window
around the first place its folded form holds a query term, and whole only
when that window shows no match.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

import numpy as np
from whoosh import query as wq
from whoosh.highlight import (
    ContextFragmenter,
    Highlighter,
    HtmlFormatter,
    get_text,
    set_matched_filter,
    top_fragments,
)
from whoosh.support.charset import accent_map

from . import whoosh_internals
from .analysis import contains_han
from .matching import leaf_readers
from .query import QueryError
from .schema import PORTUGUESE_SHADOWS, SNIPPET_FIELDS, SNIPPET_PREFIXES, SNIPPET_SOURCES

_WORD = re.compile(r"\w")  # text beyond a fragment that is more than punctuation
_SHADOWS = frozenset(PORTUGUESE_SHADOWS.values())

# Text analysed before and after the first likely match.
WINDOW_BEFORE = 300
WINDOW_AFTER = 700


class SnippetFormatter(HtmlFormatter):
    """Plain <b>…</b> around matches, no classes: easy for any consumer. A
    fragment that starts or ends inside the text says so with "…"."""

    def format_token(self, text, token, replace=False):
        return "<b>" + html.escape(get_text(text, token, replace), quote=False) + "</b>"

    def format(self, fragments, replace=False, cut=(False, False)):
        """``cut``: whether the text formatted is itself a window cut out of
        a longer one, on the left and on the right."""
        out, previous = "", None
        for fragment in sorted(fragments, key=lambda f: f.startchar):
            part = self.format_fragment(fragment, replace=replace).strip()
            if not part:
                continue
            text = fragment.text
            if previous is not None and not text[previous.endchar : fragment.startchar].strip():
                out += " " + part  # the two fragments touch: one passage
            elif previous is not None:
                out += "… …" + part
            else:
                out = ("…" if cut[0] or _WORD.search(text, 0, fragment.startchar) else "") + part
            previous = fragment
        if previous is not None:
            rest = previous.text[previous.endchar :]
            if cut[1] or _WORD.search(rest):
                out += "…"
            else:
                out += html.escape(rest.rstrip(), quote=False)  # the closing full stop
        return out


class Snippets:
    """Highlighted snippets for the hits of one search.

    The terms come from the query (expanded for prefixes), grouped by field,
    negated parts left out; the stored summary, notes and content are
    highlighted with the terms of ``body``, where they are indexed. A field is re-analysed only when the query has
    terms for it and, where the matching step read them, when the hit holds
    one of them: a title-only hit does not re-tokenise 10 KB of content.
    """

    def __init__(self, schema, q, searcher, matched, term_cache):
        self.schema = schema
        self.fragmenter = ContextFragmenter(maxchars=220, surround=70)
        self.formatter = SnippetFormatter()
        self._highlighter = Highlighter(fragmenter=self.fragmenter, formatter=self.formatter)
        # Every term a hit may hold, per field (which fields to re-analyse,
        # where the likely match is); of those, the ones highlighted wherever
        # they stand, and the phrases, highlighted only where their words
        # stand in sequence ("Hengqin New Area", an alias the query expanded
        # to, does not mark every "new" and "area").
        self.terms: dict[str, set] = {}
        self._anywhere: dict[str, set] = {}
        self._phrases: dict[str, set] = {}
        # The words matched only through a one-character Chinese prefix (险
        # -> 险市, 险机...): highlighted on their first character alone.
        self._prefix_only: dict[str, set] = {}
        exact: dict[str, set] = {}
        reader = searcher.reader()
        segments = [r for r, _offset in leaf_readers(searcher)]
        for leaf in _positive_leaves(q):
            if isinstance(leaf, wq.Phrase) and len(leaf.words) > 1:
                if leaf.fieldname in schema:
                    field = schema[leaf.fieldname]
                    self._phrases.setdefault(leaf.fieldname, set()).add(tuple(leaf.words))
                    self.terms.setdefault(leaf.fieldname, set()).update(field.to_bytes(w) for w in leaf.words)
                continue
            by_han_prefix = isinstance(leaf, wq.Prefix) and len(leaf.text) == 1 and contains_han(leaf.text)
            for fieldname, btext in _existing_terms(leaf, reader, segments):
                if fieldname in schema:
                    self.terms.setdefault(fieldname, set()).add(btext)
                    self._anywhere.setdefault(fieldname, set()).add(btext)
                    (self._prefix_only if by_han_prefix else exact).setdefault(fieldname, set()).add(btext)
        for fieldname, btexts in self._prefix_only.items():
            btexts -= exact.get(fieldname, set())
        # docnum -> (segment-local docnum, that segment's term cache)
        self._segments = [(offset, term_cache.get(id(r), {})) for r, offset, _docs in matched]
        self._segments.sort(key=lambda pair: pair[0])
        self._finders: dict[str, _Finder] = {}
        self._field_marks: dict[str, _Marks] = {}

    def _holds(self, docnum: int, fieldname: str, btexts) -> bool:
        """False only when the matching step proved the hit holds none of the terms."""
        offset, cache = 0, {}
        for seg_offset, seg_cache in self._segments:
            if seg_offset <= docnum:
                offset, cache = seg_offset, seg_cache
        local = docnum - offset
        for btext in btexts:
            matches = cache.get((fieldname, btext))
            if matches is None:
                return True
            at = int(np.searchsorted(matches.docs, local))
            if at < len(matches.docs) and matches.docs[at] == local:
                return True
        return False

    def _highlight(self, text: str, fieldname: str, docnum: int) -> str:
        btexts = self.terms.get(fieldname)
        if not btexts or not self._holds(docnum, fieldname, btexts):
            return ""
        field = self.schema[fieldname]
        marks = self._marks(fieldname)
        finder = self._finder(fieldname, marks)
        window = _likely_window(text, finder.pattern)
        if window is not None:
            start, end = window
            snippet = self._analysed(text[start:end], field, marks, cut=(start > 0, end < len(text)))
            if snippet:
                return snippet
        elif (
            finder.complete
            and len(text) > WINDOW_BEFORE + WINDOW_AFTER
            and fieldname not in _SHADOWS
            and (finder.latin or not contains_han(text))
            and finder.pattern is not None
            and not _may_hold(text, finder.pattern)
        ):
            # The finder misses no English match in text folded as the
            # index folds it (an English stem keeps the word's start but for
            # its last letter): a long text it finds nothing in has nothing
            # to show. Not so for Chinese terms (the text may write them in
            # Traditional characters) or Portuguese stems (-ões -> -ao).
            return ""
        return self._analysed(text, field, marks)

    def _marks(self, fieldname: str) -> _Marks:
        """What to highlight in a field's text (the same for every hit)."""
        if fieldname not in self._field_marks:
            field = self.schema[fieldname]
            self._field_marks[fieldname] = _Marks(
                frozenset(field.from_bytes(b) for b in self._anywhere.get(fieldname, ())),
                frozenset(self._phrases.get(fieldname, ())),
                frozenset(field.from_bytes(b) for b in self._prefix_only.get(fieldname, ())),
            )
        return self._field_marks[fieldname]

    def _finder(self, fieldname: str, marks: _Marks) -> _Finder:
        if fieldname not in self._finders:
            words = [*marks.anywhere, *(w for p in marks.phrases for w in p)]
            self._finders[fieldname] = _Finder(
                _word_finder(marks.anywhere, marks.phrases),
                complete=all(_word_key(w) for w in marks.anywhere) and all(_phrase_key(p) for p in marks.phrases),
                latin=not any(contains_han(w) for w in words),
            )
        return self._finders[fieldname]

    def _analysed(self, text: str, field, marks: _Marks, cut: tuple[bool, bool] = (False, False)) -> str:
        # What Whoosh's Highlighter does when it re-tokenises (overlapping
        # matched bigrams merged into one highlighted span).
        tokens = field.analyzer(text, positions=True, chars=True, mode="index", removestops=False)
        if marks.phrases:
            tokens = _mark_phrases(tokens, marks.anywhere, marks.phrases)
        else:
            tokens = set_matched_filter(tokens, marks.anywhere)
        if marks.cut:
            tokens = _cut_to_first_character(tokens, marks.cut)
        tokens = _merge_matched(tokens)
        fragments = self.fragmenter.fragment_tokens(text, tokens)
        fragments = top_fragments(fragments, 2, self._highlighter.scorer, self._highlighter.order, minscore=1)
        return self.formatter.format(fragments, cut=cut)

    def for_hit(self, hit) -> str:
        for name in SNIPPET_FIELDS:
            text = hit.get(name)
            if not text:
                continue
            # summary, notes and content are stored only: their words are
            # the body field's, highlighted with its analyzer and terms.
            indexed = SNIPPET_SOURCES.get(name, name)
            snippet = self._highlight(text, indexed, hit.docnum)
            shadow = PORTUGUESE_SHADOWS.get(indexed)
            if not snippet and shadow:
                # Matched through Portuguese stemming only: highlight the
                # stored text with the shadow field's analyzer and terms.
                snippet = self._highlight(text, shadow, hit.docnum)
            if snippet:
                return SNIPPET_PREFIXES.get(name, "") + snippet
        return ""


@dataclass(frozen=True)
class _Finder:
    """Where a field's text likely holds a query term."""

    pattern: re.Pattern | None
    complete: bool  # a key for every term: finding none proves no Latin term is there
    latin: bool  # every term is Latin (Traditional spellings cannot hide one)


@dataclass(frozen=True)
class _Marks:
    """What to highlight in one field's text."""

    anywhere: frozenset  # words highlighted wherever they stand
    phrases: frozenset  # word sequences highlighted where they stand in sequence
    cut: frozenset  # words highlighted on their first character only


def _mark_phrases(tokens, anywhere: frozenset, phrases: frozenset):
    """Tokens (copies: the analyzer reuses one) marked when they are a word
    to highlight anywhere or part of an occurrence of a phrase, its words
    at consecutive positions."""
    tokens = [t.copy() for t in tokens]
    at: dict[int, list] = {}
    for t in tokens:
        t.matched = t.text in anywhere
        at.setdefault(t.pos, []).append(t)
    starts: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        starts.setdefault(phrase[0], []).append(phrase)
    for t in tokens:
        for phrase in starts.get(t.text, ()):
            found = [t]
            for offset, word in enumerate(phrase[1:], start=1):
                following = next((u for u in at.get(t.pos + offset, ()) if u.text == word), None)
                if following is None:
                    break
                found.append(following)
            else:
                for u in found:
                    u.matched = True
    return tokens


def _merge_matched(tokens):
    """Matched tokens that touch or overlap (the bigrams 横琴, 琴新, 新区)
    merged into one, highlighted as one span: what Whoosh's Highlighter
    does, in a private method of its own."""
    merged = None
    for t in tokens:
        if not t.matched:
            if merged is not None:
                yield merged
                merged = None
            yield t
        elif merged is None:
            merged = t.copy()
        elif t.startchar <= merged.endchar:
            if t.endchar > merged.endchar:
                merged.text += t.text[merged.endchar - t.endchar :]
                merged.endchar = t.endchar
        else:
            yield merged
            merged = None
            yield t  # not merged: shown as it is
    if merged is not None:
        yield merged


def _cut_to_first_character(tokens, cut: frozenset):
    """Matched bigrams in ``cut`` shortened to their first character: the
    query was that one character (险 highlights 保<b>險</b>市場, not 保<b>險市</b>場)."""
    for t in tokens:
        if t.matched and t.text in cut:
            t.endchar = t.startchar + 1
            t.text = t.text[:1]
        yield t


def _positive_leaves(q):
    """The leaf queries a match can satisfy: negated subqueries left out."""
    if isinstance(q, wq.Not):
        return
    if isinstance(q, wq.AndNot):
        yield from _positive_leaves(q.a)
        return
    if q.is_leaf():
        yield q
        return
    for child in q.children():
        yield from _positive_leaves(child)


def _existing_terms(leaf, reader, segments):
    """(fieldname, btext) of a leaf's terms in the index, prefixes expanded.

    An expanding term (prefix, wildcard, fuzzy) is expanded segment by
    segment, as ranking did (the words it chose are kept on the query):
    Whoosh's expansion over the whole index looks each word up in every
    segment (seconds for ``dig~``)."""
    try:
        if whoosh_internals.expands(leaf):
            seen = set()
            for segment in segments:
                for btext in whoosh_internals.expansions(leaf, segment):
                    if btext not in seen:
                        seen.add(btext)
                        yield leaf.fieldname, btext
            return
        yield from leaf.existing_terms(reader, phrases=True, expand=True)
    except QueryError:  # too broad: already said by the search, nothing to highlight
        return
    except Exception:  # a field absent from the index
        return


def _word_key(word: str) -> str | None:
    """A Chinese bigram as it is, a Latin stem by its first letters at the
    start of a word: stemming changes at most the end ("economy" ->
    "economi"), but a stem of three letters may keep only the first of the
    word's ("dying" -> "die")."""
    if contains_han(word):
        return re.escape(word)
    if len(word) >= 2:
        return r"\b" + re.escape(word[: len(word) - 1] if len(word) > 3 else word[:1])
    return None


def _phrase_key(words: tuple[str, ...]) -> str | None:
    """A phrase's words in sequence: Latin words apart, a chain of Chinese
    bigrams (横琴, 琴新, 新区) as the run it comes from (横琴新区)."""
    if all(contains_han(w) and len(w) == 2 for w in words) and all(a[1] == b[0] for a, b in pairwise(words)):
        return re.escape(words[0] + "".join(w[1] for w in words[1:]))
    keys = [key for w in words if (key := _word_key(w)) is not None]
    if len(keys) < len(words):
        return None
    return r"\w*\W*".join(keys)


def _word_finder(words, phrases=()) -> re.Pattern | None:
    """A pattern for where a text's folded form likely holds one of the
    indexed ``words`` or one of the ``phrases`` (its words in sequence: a
    phrase's first word alone would lead to windows that do not show it)."""
    keys = {_word_key(w) for w in words} | {_phrase_key(p) for p in phrases}
    found = sorted(key for key in keys if key is not None)
    return re.compile("|".join(found)) if found else None


def _likely_window(text: str, finder: re.Pattern | None) -> tuple[int, int] | None:
    """(start, end) of the text around the first likely match, cut at
    spaces; None when the text is short or nothing looks like a match."""
    if finder is None or len(text) <= WINDOW_BEFORE + WINDOW_AFTER:
        return None
    found = None
    for fold in (str.lower, _fold_accents):  # accents rarely matter: try without first
        folded = fold(text)
        if len(folded) != len(text):  # offsets would not carry over
            return None
        found = finder.search(folded)
        if found is not None or text.isascii():
            break
    if found is None:
        return None
    start = max(0, found.start() - WINDOW_BEFORE)
    end = min(len(text), found.start() + WINDOW_AFTER)
    if start > 0:
        space = text.find(" ", start, found.start())
        start = space + 1 if space >= 0 else start
    if end < len(text):
        space = text.rfind(" ", found.end(), end)
        end = space if space >= 0 else end
    return start, end


# Latin letters with accents, and ligatures (ﬁ): where folding the text
# as the index does changes more than its case.
_FOLDABLE = re.compile("[\u00c0-\u02af\u1e00-\u1eff\ufb00-\ufb06]")


def _may_hold(text: str, finder: re.Pattern) -> bool:
    """Whether the text, folded as the analyzer folds Latin words (NFKC,
    case, accents), may hold a term the finder looks for."""
    if finder.search(text.lower()) is not None:
        return True
    if _FOLDABLE.search(text) is None:
        return False  # folding would change nothing more
    return finder.search(_fold_accents(unicodedata.normalize("NFKC", text))) is not None


@lru_cache(maxsize=64)  # a hit's text is looked at for body and its Portuguese shadow
def _fold_accents(text: str) -> str:
    return text.lower().translate(accent_map)
