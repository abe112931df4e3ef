"""Random queries against the catalog search: every one answers or is refused
with a documented error (QueryError, IndexDamaged), fast.

    python benchmarks/fuzz_queries.py                       # 10,000 queries on the seeded catalog
    python benchmarks/fuzz_queries.py --data /tmp/bench50k-data/catalog   # an existing catalog, e.g. 50,000 documents
    python benchmarks/fuzz_queries.py -n 2000 --seed 7

Queries mix operators, quotes, parentheses, known and unknown fields, ``*``,
``~``, ``^``, ranges, Chinese, emoji, control characters, lone surrogates,
pasted paragraphs and 10,000-character strings (``queries(n, seed)``, also
used by tests/test_query_fuzz.py). Prints the slowest queries and every
failure (an exception other than the documented ones), and exits with 1 when
there is a failure.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

_WORDS = ("financial bank macao hengqin digital currency bond bonds investment cross border fintech "
          "policy report forum the of and a growth zone yuan renminbi cooperação financeira banco "
          "relatório 横琴 澳门 金融 合作 数字 货币 粤港澳大湾区 发展 报告 澳門 銀行").split()
_FIELDS = ("title", "subtitle", "summary", "notes", "content", "body", "org", "tag", "kind", "session",
           "place", "language", "lang", "year", "date", "tags", "publisher", "text", "attachment",
           "author", "id", "fingerprint", "title_sort", "undated", "xyz", "TITLE", "Title", "date_text")
_OPERATORS = ("AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO", "and", "or", "not", "&&", "||", "!", "-", "+")
_SYMBOLS = list('*?~^"()[]{}:<>=/\\\'!@#$%&|,.;`')
_ODD = ["\x00", "\x01", "\x07", "\x1b[31m", "\t", "\n", "\r", "\x7f", "\u200b", "\u202e", "\ufeff",
        "\ud800", "\udfff", "\udc80x", "😀", "👍🏽", "🇲🇴", "𠀀", "\U0010ffff", "\ufffd", "é", "ﬁ", "Å",
        "İ", "ß", "ＡＢＣ", "１２３", "ㄅ", "あ", "한국", "ع", "\u0301", "\u00a0"]
_DATES = ("2020", "2020-11", "2020-11-20", "1999", "0000", "9999-99", "2020-13-45", "abc", "-1", "1e9")


def _word(rng: random.Random) -> str:
    return rng.choice(_WORDS)


def _han_run(rng: random.Random, n: int) -> str:
    return "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(n))


def _atom(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.25:
        return _word(rng)
    if r < 0.35:
        return f"{rng.choice(_FIELDS)}:{rng.choice([_word(rng), '', '*', _word(rng) + '*', rng.choice(_DATES)])}"
    if r < 0.45:
        return f"{_word(rng)[:rng.randint(0, 4)]}{rng.choice(['*', '?', '*?', '**', '~', '~2', '~9', '~0.5', '^2', '^', '^-1'])}"
    if r < 0.52:
        return '"' + " ".join(_word(rng) for _ in range(rng.randint(0, 4))) + rng.choice(['"', '"~3', '', '"^2'])
    if r < 0.58:
        lo, hi = rng.choice(_DATES + ("", "*", "a")), rng.choice(_DATES + ("", "*", "z"))
        return f"{rng.choice(_FIELDS)}:{rng.choice('[{')}{lo} TO {hi}{rng.choice(']}')}"
    if r < 0.63:
        return f"date:{rng.choice(['>', '<', '>=', '<=', ''])}{rng.choice(_DATES)}"
    if r < 0.70:
        return rng.choice(_OPERATORS)
    if r < 0.78:
        return "".join(rng.choice(_SYMBOLS) for _ in range(rng.randint(1, 3)))
    if r < 0.86:
        return rng.choice(_ODD) + (_word(rng) if rng.random() < 0.5 else "")
    if r < 0.92:
        return _han_run(rng, rng.randint(1, 12))
    return "".join(chr(rng.randint(1, 0x2FFFF)) for _ in range(rng.randint(1, 6)))


def paragraph(rng: random.Random, language: str, chars: int) -> str:
    """A pasted passage of about ``chars`` characters."""
    if language == "zh":
        out = []
        while sum(map(len, out)) < chars:
            out.append(rng.choice([w for w in _WORDS if ord(w[0]) > 0x3000] + [_han_run(rng, 2)]))
            if rng.random() < 0.1:
                out.append(rng.choice("，。；、"))
        return "".join(out)[:chars]
    out = []
    while sum(len(w) + 1 for w in out) < chars:
        out.append(rng.choice(_WORDS[:26]))
        if rng.random() < 0.08:
            out[-1] += rng.choice(".,;:")
    return " ".join(out)[:chars]


def query(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.04:  # a very long string
        return rng.choice([lambda: "a" * 10000, lambda: _han_run(rng, 10000), lambda: "fin* " * 2000,
                           lambda: "(" * 5000 + "x" + ")" * 5000, lambda: '"' * 10001,
                           lambda: " ".join(_atom(rng) for _ in range(2500))[:10000]])()
    if r < 0.10:
        return paragraph(rng, rng.choice(["zh", "en"]), rng.randint(50, 1000))
    n = rng.choice([1, 1, 2, 2, 3, 4, 6, 10, 30])
    parts = []
    for _ in range(n):
        atom = _atom(rng)
        if rng.random() < 0.1:
            atom = "(" + atom
        if rng.random() < 0.1:
            atom += ")"
        parts.append(atom)
    return rng.choice([" ", " ", "", "  "]).join(parts)


def queries(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [query(rng) for _ in range(n)]
