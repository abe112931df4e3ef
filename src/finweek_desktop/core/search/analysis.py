"""Text analysis for the three scripts the catalog's readers use.

One analyzer serves English, Portuguese and Chinese text in the same field:

- Latin-script words are NFKC-normalized, lower-cased, stripped of accents
  ("Associação" -> "associacao") and stemmed (reports -> report).
- Chinese has no spaces between words, so each run of Han characters is
  indexed as overlapping character bigrams plus single characters at the
  same positions. A query of several characters becomes a phrase of its
  bigrams (so 横琴 matches inside 横琴新区金融服务, but 横 and 琴 apart do
  not); a query of one character matches that character.
- Traditional characters are folded to Simplified (澳門 -> 澳门) with
  OpenCC's tables, in the index and in queries alike.

Token offsets always point into the original text, so highlighted snippets
show the document's own script.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from whoosh.analysis import (
    CharsetFilter,
    LowercaseFilter,
    StemFilter,
    Token,
    Tokenizer,
)
from whoosh.support.charset import accent_map

# Bump whenever the analysis changes: an index built with another version is
# rebuilt from the database instead of being searched with the wrong rules.
ANALYZER_VERSION = 1

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
# A run of Han characters, or a run of other letters and digits.
_RUNS = re.compile(rf"([{_HAN}]+)|([^\W_{_HAN}]+)")


@lru_cache(maxsize=1)
def _t2s():
    from opencc_purepy import OpenCC

    return OpenCC("t2s")


@lru_cache(maxsize=65536)
def to_simplified(run: str) -> str:
    """Fold Traditional to Simplified, keeping one character per character.

    OpenCC converts phrase by phrase; when a phrase conversion changes the
    length, fall back to converting each character alone so that character
    offsets stay valid for highlighting.
    """
    converted = _t2s().convert(run)
    if len(converted) == len(run):
        return converted
    return "".join(_t2s().convert(ch)[:1] or ch for ch in run)


def contains_han(text: str) -> bool:
    return re.search(f"[{_HAN}]", text) is not None


class MultilingualTokenizer(Tokenizer):
    """Words for alphabetic scripts, unigrams + bigrams for Han runs."""

    def __eq__(self, other):
        return type(other) is type(self)

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        pos = start_pos
        if not tokenize:
            yield _token(value, pos, start_char, start_char + len(value), positions, chars, removestops, mode)
            return
        for match in _RUNS.finditer(value):
            han, word = match.groups()
            start = start_char + match.start()
            if word is not None:
                text = unicodedata.normalize("NFKC", word)
                # Stop words are dropped here, not by a StopFilter, which
                # would renumber positions and break the Han scheme below.
                if removestops and text.lower() in ENGLISH_STOP_WORDS:
                    continue
                yield _token(text, pos, start, start_char + match.end(), positions, chars, removestops, mode)
                pos += 1
                continue
            folded = to_simplified(han)
            if len(folded) == 1:
                yield _token(folded, pos, start, start + 1, positions, chars, removestops, mode)
                pos += 1
                continue
            for i in range(len(folded) - 1):
                if mode != "query":
                    yield _token(folded[i], pos, start + i, start + i + 1, positions, chars, removestops, mode)
                yield _token(folded[i : i + 2], pos, start + i, start + i + 2, positions, chars, removestops, mode)
                pos += 1
            if mode != "query":
                # The last character shares the last bigram's position, so a
                # run takes as many positions in the index as in a query.
                last = len(folded) - 1
                yield _token(folded[last], pos - 1, start + last, start + last + 1, positions, chars, removestops, mode)


def _token(text, pos, startchar, endchar, positions, chars, removestops, mode) -> Token:
    # A fresh Token each time: the highlighter keeps tokens around, so the
    # usual Whoosh trick of reusing one object would corrupt snippets.
    token = Token(positions=positions, chars=chars, removestops=removestops, mode=mode)
    token.text = text
    token.original = text
    token.boost = 1.0
    token.stopped = False
    if positions:
        token.pos = pos
    if chars:
        token.startchar = startchar
        token.endchar = endchar
    return token


ENGLISH_STOP_WORDS = frozenset(
    "a an and are as at be by for from has have in is it its of on or that the this to was were will with".split()
)


def multilingual_analyzer():
    """The analyzer of every free-text field."""
    return (
        MultilingualTokenizer()
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StemFilter(lang="en")
    )


def fold_term(text: str) -> str:
    """Normalize a raw term (a prefix or fuzzy term) the way the index does."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(accent_map.get(ord(ch), ch) if isinstance(accent_map.get(ord(ch)), str) else ch for ch in text)
    return to_simplified(text) if contains_han(text) else text
