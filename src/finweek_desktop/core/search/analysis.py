"""Text analysis for the three scripts the catalog's readers use.

One analyzer serves English, Portuguese and Chinese text in the same field:

- Latin-script words are NFKC-normalized, lower-cased, stripped of accents
  ("Associação" -> "associacao") and stemmed with the English Snowball
  stemmer (reports -> report).
- Text the catalog knows to be Portuguese is indexed a second time, in a
  ``<field>_pt`` shadow field analysed with the Portuguese Snowball stemmer
  (relatórios -> relatori); see ``schema.py`` for how a document's language
  is known and ``query.py`` for how both fields are searched together.
- Chinese has no spaces between words, so each run of Han characters is
  indexed as overlapping character bigrams plus single characters at the
  same positions. A query is cut into words by jieba (loaded lazily, on the
  first Chinese query) and each word becomes a phrase of its bigrams, the
  words ANDed: 横琴金融 -> "横琴" AND "金融", which matches 横琴新区金融服务.
  A quoted phrase stays one phrase of all its bigrams. A one-character
  query matches that character.
- Traditional characters are folded to Simplified (澳門 -> 澳门) with
  OpenCC's phrase and character tables, in the index and in queries alike.

Why bigrams in the index and jieba only in queries: measured on the
relevance set (``benchmarks/relevance.py --variants``). Indexing jieba words
loses every query that cuts a word differently from the document (横琴 in
横琴新区, one-character queries, names jieba does not know) and indexes 3-4
times slower; querying with one phrase of all bigrams loses every query
whose words are not adjacent in the document (横琴金融 vs 横琴新区金融服务).
Bigrams in the index + jieba words in queries had the best recall and MRR.

Token offsets always point into the original text, so highlighted snippets
show the document's own script.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from difflib import SequenceMatcher
from functools import cache, lru_cache
from importlib import resources

from whoosh.analysis import Analyzer, Token
from whoosh.lang import stemmer_for_language
from whoosh.lang.snowball.portugese import PortugueseStemmer
from whoosh.support.charset import accent_map

# Bump whenever the analysis changes: an index built with another version is
# rebuilt from the database instead of being searched with the wrong rules.
# 2: Portuguese shadow fields, jieba-segmented Chinese queries, OpenCC only
#    on runs holding Traditional characters.
# 3: OpenCC also on runs holding a character only a phrase entry changes
#    (反覆 -> 反复 whatever its neighbours); Portuguese detected from the
#    attachment text too, with a stricter list of function words.
# 4: only the changes of OpenCC's phrase table that are folds are kept
#    (结束 stays 结束, 新抱 stays 新抱).
ANALYZER_VERSION = 4

# How Han runs are indexed ("bigrams": unigrams + bigrams, the default;
# "jieba": jieba words, kept only to be measured against) and how a Chinese
# query word is turned into a query ("words": jieba words, each a phrase of
# its bigrams, ANDed, the default; "phrase": one phrase of all bigrams).
HAN_INDEX_MODES = ("bigrams", "jieba")
HAN_QUERY_MODES = ("words", "phrase")

# Tokenizer mode used by the query parser for one unquoted query word: tokens
# then carry a ``group`` attribute, one group per word to be ANDed.
WORDS_MODE = "words"

# Separates the parts of a field that holds several texts (schema.py's
# ``body``: subtitle, organizations, tags, ..., content). Positions jump by
# PART_GAP there, so a phrase never matches across two parts.
PART_BREAK = "\x1e"
PART_GAP = 16

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
# A run of Han characters, or a run of other letters and digits.
_RUNS = re.compile(rf"([{_HAN}]+)|([^\W_{_HAN}]+)")
_HAN_CHAR = re.compile(f"[{_HAN}]")

log = logging.getLogger(__name__)


# -- Traditional -> Simplified ------------------------------------------------


@lru_cache(maxsize=1)
def _t2s():
    from opencc_purepy import OpenCC

    return OpenCC("t2s")


def _opencc_table(name: str) -> dict[str, tuple[str, ...]] | None:
    """One of OpenCC's tables as it ships it (``key<TAB>candidates``, the
    converter's choice first); None when unreadable. Reading the text is
    cheap; building the converter (its JSON dictionaries) is not."""
    try:
        text = (resources.files("opencc_purepy") / "dicts" / name).read_text(encoding="utf-8")
    except (OSError, ModuleNotFoundError):
        return None
    table = {}
    for line in text.splitlines():
        key, _tab, values = line.partition("\t")
        if key and values.split():
            table[key] = tuple(values.split())
    return table


@lru_cache(maxsize=1)
def _simplified_forms() -> dict[str, tuple[str, ...]] | None:
    """Traditional character -> every Simplified character it may stand for,
    from OpenCC's own TSCharacters table (all its candidates: 覆 -> 覆 复,
    瞭 -> 瞭 了; the converter keeps only the first)."""
    return _opencc_table("TSCharacters.txt")


def _is_fold(traditional: str, simplified: str) -> bool:
    """Whether OpenCC's change of one character is a Traditional ->
    Simplified fold: the character table's own, or a Simplified form the
    character may stand for (覆 -> 复 in 反覆). OpenCC's phrase table also
    holds rewrites that are not (新抱 -> 媳妇, Cantonese for daughter-in-law;
    结束 -> 結束, Simplified to Traditional): folding those would make
    抱怨 miss 新抱怨 and split 结束 from 結束."""
    # (The character converter's own choice is the table's first candidate,
    # so it needs no separate test: asking it would load OpenCC's index.)
    forms = _simplified_forms()
    return forms is None or simplified in forms.get(traditional, ())


@lru_cache(maxsize=8192)
def _by_character(ch: str) -> str:
    return _t2s().convert(ch)[:1] or ch


@lru_cache(maxsize=1)
def _phrase_characters() -> frozenset[str] | None:
    """The characters an OpenCC phrase entry folds (覆 in 反覆 -> 反复, 瞭 in
    瞭解 -> 了解), which its character table leaves alone: a run holding one
    must still go through OpenCC. None when the phrase table cannot be read
    (another layout of opencc-purepy): then every run does."""
    # From the text file (building the converter would cost ~70 ms on a
    # first query), else from the converter's own dictionary.
    table = _opencc_table("TSPhrases.txt")
    if table is not None:
        phrases = {key: values[0] for key, values in table.items()}
    else:
        try:
            phrases = _t2s().dictionary.ts_phrases[0]
        except AttributeError:
            return None
    changed: set[str] = set()
    for key, value in phrases.items():
        # a phrase and its simplified form may differ in length: compare what lines up
        changed.update(a for a, b in zip(key, value, strict=False) if a != b and _is_fold(a, b))
    return frozenset(changed)


# Han characters seen so far, by whether a run holding them must go through
# OpenCC (the character changes on its own, or some phrase folds it).
# Bounded by the number of distinct Han characters in the catalog.
_UNCHANGED: set[str] = set()
_CONVERTED: set[str] = set()


@lru_cache(maxsize=65536)
def _convert_run(run: str) -> str:
    converted = fit_length(run, _t2s().convert(run), _by_character)
    return "".join(c if c == r or _is_fold(r, c) else _by_character(r) for r, c in zip(run, converted, strict=False))


def fold_whole(run: str) -> str:
    """A Han run folded as a whole by OpenCC (phrases, then characters),
    keeping only the changes that are folds; ``to_simplified`` gives the
    same, faster."""
    return _convert_run(run)


def fit_length(run: str, converted: str, convert_char) -> str:
    """``converted`` with one character per character of ``run``.

    Token offsets index the original text (snippets highlight it). OpenCC's
    t2s tables map every entry to a string of its own length today; should an
    entry ever change the length, the conversion is aligned with the run and
    only the unaligned stretches fall back to the character table.
    """
    if len(converted) == len(run):
        return converted
    out = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, run, converted, autojunk=False).get_opcodes():
        if op == "equal" or (op == "replace" and i2 - i1 == j2 - j1):
            out.append(converted[j1:j2])
        else:
            out.extend(convert_char(ch) for ch in run[i1:i2])
    return "".join(out)


def _needs_opencc(ch: str) -> bool:
    phrase_chars = _phrase_characters()
    return phrase_chars is None or ch in phrase_chars or _changes_alone(ch)


def _changes_alone(ch: str) -> bool:
    """Whether OpenCC's character table folds ``ch``, read from the table
    itself: asking the converter would load it for a Simplified query."""
    forms = _simplified_forms()
    if forms is None:
        return _by_character(ch) != ch
    return ch in forms and forms[ch][0] != ch


def to_simplified(run: str) -> str:
    """Fold Traditional to Simplified, keeping one character per character.

    The result is always ``fold_whole(run)``, whatever the neighbouring
    characters: a run holding no character that OpenCC would fold (on its
    own, or as part of a phrase such as 反覆 -> 反复) is returned as it is,
    after one set test, since folding it whole would leave it unchanged; any
    other run is folded whole (cached). Most Han text in the catalog is Simplified, so
    most runs skip OpenCC. (Triggering on every character of a phrase key,
    一 and 不 included, would send nearly every Simplified run through
    OpenCC for the same result.)
    """
    if _UNCHANGED.issuperset(run):
        return run
    convert = False
    for ch in set(run) - _UNCHANGED:
        if ch in _CONVERTED:
            convert = True
        elif _needs_opencc(ch):
            _CONVERTED.add(ch)
            convert = True
        else:
            _UNCHANGED.add(ch)
    return _convert_run(run) if convert else run


def contains_han(text: str) -> bool:
    return _HAN_CHAR.search(text) is not None


# -- Chinese word segmentation (lazy) ----------------------------------------

_segmenter_lock = threading.Lock()
_segmenter = None


def segmenter():
    """jieba's tokenizer, loaded on first use (about half a second: never at
    import time, so it cannot delay a window's first paint)."""
    global _segmenter
    if _segmenter is None:
        with _segmenter_lock:
            if _segmenter is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                _segmenter = tokenizer
    return _segmenter


def segmenter_loaded() -> bool:
    return _segmenter is not None


def preload_segmenter() -> None:
    """Load the dictionary now (for a GUI to call from a worker thread)."""
    segmenter()


@lru_cache(maxsize=4096)
def segment(run: str) -> tuple[tuple[str, int], ...]:
    """(word, offset) of each jieba word of a Simplified Han run."""
    return tuple((word, start) for word, start, _end in segmenter().tokenize(run, HMM=True))


# -- the analyzer -------------------------------------------------------------

# Word lists are written as text to split (not SIM905's one quoted item per word).
ENGLISH_STOP_WORDS = frozenset(
    "a an and are as at be by for from has have in is it its of on or that the this to was were will with".split()  # noqa: SIM905
)

_PT_PLURALS = (("oes", "ao"), ("aes", "ao"), ("ais", "al"), ("eis", "el"), ("ois", "ol"))


def portuguese_plural(word: str) -> str:
    """Accent-insensitive plural reduction run before the Portuguese Snowball
    stemmer. Snowball's Portuguese rules expect accents (-ções, -ão), but
    readers type "associacoes" and "associacao" too, so the stemmer runs on
    folded text, and the plurals it then misses are reduced first (the part
    of RSLP's plural step that matters on folded text)."""
    if len(word) >= 5 and word[-1] == "s":
        for suffix, replacement in _PT_PLURALS:
            if word.endswith(suffix):
                return word[: -len(suffix)] + replacement
    return word


@cache
def _stemmer(language: str):
    if language == "pt":
        stem = PortugueseStemmer().stem
        return lambda word: stem(portuguese_plural(word))
    return stemmer_for_language(language)


# Latin word -> indexed form, per stemming language. Module-level (the
# analyzer is pickled into the index's schema, its caches must not be) and
# bounded: cleared when it grows past _CACHE_LIMIT entries.
_FORMS: dict[str, dict[str, str]] = {}
_CACHE_LIMIT = 200_000


def latin_form(word: str, language: str = "en") -> str:
    """A Latin-script word as indexed: NFKC, lower case, accents folded,
    stemmed ("Relatórios" -> "relatori" in Portuguese, "reports" -> "report")."""
    forms = _FORMS.get(language)
    if forms is None:
        forms = _FORMS[language] = {}
    form = forms.get(word)
    if form is None:
        text = word.lower() if word.isascii() else unicodedata.normalize("NFKC", word).lower().translate(accent_map)
        form = _stemmer(language)(text)
        if len(forms) >= _CACHE_LIMIT:
            forms.clear()
        forms[word] = form
    return form


class MultilingualAnalyzer(Analyzer):
    """Words for alphabetic scripts; bigrams (or jieba words) for Han runs.

    One pass, no filter chain: the normalisation of a Latin word (lower case,
    accent folding, stemming) is one cached lookup, and Han tokens need none.
    This keeps indexing within the cost budget measured by
    benchmarks/relevance_cost.py. English stop words are dropped here without
    renumbering positions.

    Han runs, "bigrams" mode: every bigram at its first character's position,
    plus the run's last character (or a one-character run) as a unigram at
    the last position; every character is thus the start of an indexed term,
    and a one-character query is a prefix query (see query.py). Queries get
    bigrams only; in WORDS_MODE (one unquoted query word) the run is first cut
    into jieba words and each token carries a ``group`` number, one per word.
    """

    def __init__(self, stem_language: str = "en", han_index: str = "bigrams"):
        if han_index not in HAN_INDEX_MODES:
            raise ValueError(f"unknown Han index mode {han_index!r}")
        self.stem_language = stem_language
        self.han_index = han_index

    def __repr__(self):
        return f"{type(self).__name__}({self.stem_language!r}, {self.han_index!r})"

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
        # One Token object, refilled for each token as Whoosh's own tokenizers
        # do (consumers that keep a token copy it).
        t = Token(positions=positions, chars=chars, removestops=removestops, mode=mode)
        t.boost = 1.0
        t.stopped = False
        t.group = 0
        language = self.stem_language

        if not tokenize:
            # A prefix, wildcard or fuzzy term: normalised, never split.
            t.text = to_simplified(value) if contains_han(value) else latin_form(value, language)
            if keeporiginal:
                t.original = value
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar = start_char
                t.endchar = start_char + len(value)
            yield t
            return

        pos = start_pos
        group = 0
        latin_group_open = False
        query = mode in ("query", WORDS_MODE)
        words = mode == WORDS_MODE
        jieba_index = self.han_index == "jieba"
        matches = _parts_runs(value) if PART_BREAK in value else _RUNS.finditer(value)
        for match in matches:
            if match is None:  # a part break
                pos += PART_GAP
                latin_group_open = False
                continue
            han, word = match.groups()
            start = start_char + match.start()
            if word is not None:
                if removestops and word.lower() in ENGLISH_STOP_WORDS:
                    continue
                if not latin_group_open:
                    # Latin words of one query word ("Hengqin-Macao") stay
                    # together as a phrase.
                    group += 1
                    latin_group_open = True
                t.group = group
                t.text = latin_form(word, language)
                if keeporiginal:
                    t.original = word
                if positions:
                    t.pos = pos
                if chars:
                    t.startchar = start
                    t.endchar = start_char + match.end()
                yield t
                pos += 1
                continue
            latin_group_open = False
            folded = to_simplified(han)

            if jieba_index or words:
                # jieba words: indexed as such (the measured alternative), or
                # in a query word, one group per word holding its bigrams (or
                # the character itself).
                # A run of two characters is its one bigram: what jieba would
                # make of it is a word (the same bigram) or two characters
                # (two prefix queries ANDed, looser than the run typed), and
                # a first query should not wait a second for its dictionary.
                short = words and not jieba_index and len(folded) <= 2
                for text, offset in ((folded, 0),) if short else segment(folded):
                    group += 1
                    t.group = group
                    if jieba_index or len(text) == 1:
                        pieces = ((text, offset),)
                    else:
                        pieces = ((text[i : i + 2], offset + i) for i in range(len(text) - 1))
                    for piece, at in pieces:
                        t.text = piece
                        if positions:
                            t.pos = pos
                        if chars:
                            t.startchar = start + at
                            t.endchar = start + at + len(piece)
                        yield t
                        pos += 1
                continue

            group += 1
            t.group = group
            n = len(folded)
            for i in range(n - 1):
                t.text = folded[i : i + 2]
                if positions:
                    t.pos = pos
                if chars:
                    t.startchar = start + i
                    t.endchar = start + i + 2
                yield t
                pos += 1
            if n == 1 or not query:
                # The last character, at the last bigram's position, so a
                # run takes as many positions in the index as in a query.
                if n > 1:
                    pos -= 1
                t.text = folded[n - 1]
                if positions:
                    t.pos = pos
                if chars:
                    t.startchar = start + n - 1
                    t.endchar = start + n
                yield t
                pos += 1


def _parts_runs(value: str):
    """The runs of ``value`` (offsets into the whole of it), with None at
    each PART_BREAK."""
    at = 0
    while True:
        end = value.find(PART_BREAK, at)
        if end < 0:
            yield from _RUNS.finditer(value, at)
            return
        yield from _RUNS.finditer(value, at, end)
        yield None
        at = end + 1


def multilingual_analyzer(han_index: str = "bigrams") -> MultilingualAnalyzer:
    """The analyzer of every free-text field (English stemming)."""
    return MultilingualAnalyzer("en", han_index)


def portuguese_analyzer(han_index: str = "bigrams") -> MultilingualAnalyzer:
    """The analyzer of the ``*_pt`` shadow fields of Portuguese documents."""
    return MultilingualAnalyzer("pt", han_index)


@lru_cache(maxsize=256)
def han_spellings(characters: frozenset[str]) -> frozenset[str] | None:
    """Every Han character that the analysis may fold into one of
    ``characters`` (Simplified, as folded): themselves, their Traditional
    forms in OpenCC's character table, and the compatibility ideographs
    NFKC maps to any of those. A run holding none of them cannot yield a
    token made of ``characters``. None when the table cannot be read."""
    forms = _simplified_forms()
    if forms is None:
        return None
    found = set(characters)
    found.update(t for t, simplified in forms.items() if not characters.isdisjoint(simplified))
    found.update(c for c, normal in _compatibility_ideographs().items() if normal in found)
    return frozenset(found)


@cache
def _compatibility_ideographs() -> dict[str, str]:
    """CJK compatibility ideograph -> the character NFKC makes of it."""
    found = {}
    for first, last in ((0xF900, 0xFAFF), (0x2F800, 0x2FA1F)):
        for code in range(first, last + 1):
            normal = unicodedata.normalize("NFKC", chr(code))
            if normal != chr(code):
                found[chr(code)] = normal
    return found


def fold_characters(text: str) -> str:
    """Case, accents and Traditional characters folded one by one from
    OpenCC's character table, without its phrases: close to ``fold_term``
    and never loads the converter. For telling spellings apart, not for
    matching."""
    text = unicodedata.normalize("NFKC", text).lower().translate(accent_map)
    forms = _simplified_forms()
    if forms is None:
        return fold_term(text)
    return "".join(forms[ch][0] if ch in forms else ch for ch in text)


def fold_term(text: str) -> str:
    """Normalize a raw term (a prefix or fuzzy term) the way the index does."""
    text = unicodedata.normalize("NFKC", text).lower().translate(accent_map)
    return to_simplified(text) if contains_han(text) else text


# -- document language --------------------------------------------------------

_PT_CODES = ("pt", "por", "portuguese", "português", "portugues")
# Function words that are Portuguese and not English ones count fully, and
# two of them are needed; those that are English words too ("no", "as",
# "do", "a"...) count half, so a short English text ("No rules as yet: do
# banks sell e-commerce cover?") is not taken for Portuguese, while "As
# associações de Macau e o relatório sobre a cooperação" still is. Stems
# (seguros, relatório) are not counted: only words that every Portuguese
# text of a few lines has.
_PT_WORDS = frozenset(
    "de da das dos na nas para uma que não nao são sao pela pelo pelas pelos ao aos à às é "  # noqa: SIM905
    "entre sobre mais também tambem foi ser está estão estao como seu sua seus suas "
    "já até ainda muito onde quando".split()
)
_PT_SHARED_WORDS = frozenset("a o os as e do no em um com".split())  # noqa: SIM905
_EN_WORDS = frozenset(
    "the of and to in for with is on by from this that are it be was were has have will "  # noqa: SIM905
    "not or at which an".split()
)
_WORD = re.compile(r"[^\W\d_]+")
# How much text is looked at to detect the language.
DETECTION_SAMPLE = 4000


def is_portuguese(language: str, text: str = "") -> bool:
    """Whether a document's text is Portuguese.

    The document's ``language`` field decides ("pt", "pt-MO", "por", ...);
    only when it is empty is the text looked at (see schema.py for which
    text): Portuguese when its function words clearly outnumber English ones.
    """
    code = (language or "").strip().lower()
    if code:
        return code.split("-")[0].split("_")[0] in _PT_CODES
    return looks_portuguese(text)


def looks_portuguese(text: str) -> bool:
    words = [w.lower() for w in _WORD.findall(text[:DETECTION_SAMPLE])]
    distinct = sum(w in _PT_WORDS for w in words)
    pt = distinct + sum(w in _PT_SHARED_WORDS for w in words) / 2
    en = sum(w in _EN_WORDS for w in words)
    return distinct >= 2 and pt >= 3 and pt > 2 * en
