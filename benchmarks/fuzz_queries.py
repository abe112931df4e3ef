"""Random queries against the catalog search: every one answers or is refused
with a documented error (QueryError, IndexDamaged), fast.

    python benchmarks/fuzz_queries.py                  # 10,000 queries on an index of 2,000 generated documents
    python benchmarks/fuzz_queries.py --docs 5000      # ... of 5,000 (benchmarks/corpus.py)
    python benchmarks/fuzz_queries.py --catalog DIR    # an existing catalog, opened with open_catalog
    python benchmarks/fuzz_queries.py --index DIR/index  # an existing index, opened read-only (writes nothing)
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
import collections
import random
import statistics
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

_WORDS = ("financial", "bank", "macao", "hengqin", "digital", "currency", "bond", "bonds", "investment", "cross",
          "border", "fintech", "policy", "report", "forum", "the", "of", "and", "a", "growth", "zone", "yuan",
          "renminbi", "cooperação", "financeira", "banco", "relatório", "横琴", "澳门", "金融", "合作", "数字",
          "货币", "粤港澳大湾区", "发展", "报告", "澳門", "銀行")
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
        lo, hi = rng.choice((*_DATES, "", "*", "a")), rng.choice((*_DATES, "", "*", "z"))
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


# -- running them ------------------------------------------------------------------


def read_only_index(directory: Path):
    """A SearchIndex over an existing index, opened without writing anything
    (no start-up catch-up, no recreation): for measuring a catalog another
    process owns."""
    from whoosh import index as whoosh_index

    from finweek_desktop.core.search.index import INDEX_NAME, SearchIndex

    ix = SearchIndex(directory)
    ix._ix = whoosh_index.open_dir(str(directory), indexname=INDEX_NAME, readonly=True)
    ix._check_fast_path()
    return ix


def generated_index(n: int, directory: Path):
    """A new index of the first ``n`` documents of the generated corpus."""
    import corpus

    from finweek_desktop.core.search.index import SearchIndex
    from finweek_desktop.core.search.schema import IndexedDocument

    ix = SearchIndex(directory)
    ix.open()
    ix.add_many(IndexedDocument(id=i + 1, kind=item.document.kind, title=item.document.title,
                                summary=item.document.summary, content=item.content, tags=item.document.tags,
                                language=item.document.language or "", date=item.document.date)
                for i, item in enumerate(corpus.generate(n)))
    return ix


def run(search, texts: list[str], slowest: int = 15) -> dict:
    from finweek_desktop.core.search.index import IndexDamaged
    from finweek_desktop.core.search.query import QueryError

    times, failures = [], []
    refused = collections.Counter()
    for done, text in enumerate(texts):
        if done and done % 1000 == 0:
            print(f"  {done:,} queries run", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            search(text)
        except (QueryError, IndexDamaged) as exc:
            refused[str(exc).split(";")[0][:70]] += 1
        except Exception as exc:
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            where = f"{Path(frame.filename).name}:{frame.lineno}"
            failures.append((text, f"{exc.__class__.__name__}: {exc} ({where})"))
        times.append((time.perf_counter() - started, text))
    durations = sorted(t for t, _q in times)
    return {
        "queries": len(texts),
        "refused": refused,
        "failures": failures,
        "p50_ms": statistics.median(durations) * 1000,
        "p99_ms": durations[int(len(durations) * 0.99) - 1] * 1000,
        "max_ms": durations[-1] * 1000,
        "over_1s": sum(1 for t in durations if t > 1),
        "over_2s": sum(1 for t in durations if t > 2),
        "slowest": sorted(times, key=lambda pair: -pair[0])[:slowest],
    }


def report(result: dict) -> str:
    def shown(text: str) -> str:
        return repr(text if len(text) <= 90 else f"{text[:60]}… ({len(text):,} characters)")

    lines = [
        f"{result['queries']:,} queries: {result['queries'] - sum(result['refused'].values()) - len(result['failures']):,} "
        f"answered, {sum(result['refused'].values()):,} refused with a QueryError, {len(result['failures'])} failures",
        f"time per query: p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.0f} ms, max {result['max_ms']:.0f} ms; "
        f"{result['over_1s']} over 1 s, {result['over_2s']} over 2 s",
        "refusals: " + "; ".join(f"{n} × {why}" for why, n in result["refused"].most_common(8)),
        "slowest:",
        *(f"  {t * 1000:7.0f} ms  {shown(q)}" for t, q in result["slowest"]),
        "failures:" if result["failures"] else "failures: none",
        *(f"  {shown(q)}: {why}" for q, why in result["failures"][:50]),
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=10000, help="how many queries (default 10,000)")
    parser.add_argument("--seed", type=int, default=0)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--catalog", type=Path, help="an existing catalog folder, opened with open_catalog")
    where.add_argument("--index", type=Path, help="an existing index folder, opened read-only")
    where.add_argument("--docs", type=int, default=2000, help="else: a new index of this many generated documents")
    args = parser.parse_args(argv)
    texts = queries(args.n, args.seed)
    closing = None
    if args.index or not args.catalog:
        if args.index:
            index = read_only_index(args.index)
            what = f"the index {args.index}"
        else:
            index = generated_index(args.docs, Path(tempfile.mkdtemp(prefix="finweek-fuzz-")) / "index")
            what = "a new index of generated documents"
        search, closing = (lambda text: index.search(text, limit=20)), index.close
        what += f" ({index.doc_count():,} documents)"
    else:
        from finweek_desktop.core.startup import open_catalog

        folder = args.catalog
        catalog = open_catalog(folder)
        search, closing = (lambda text: catalog.service.search(text, limit=20)), catalog.close
        what = f"the catalog {folder} ({catalog.index.doc_count():,} documents)"
    try:
        from finweek_desktop.core.search.analysis import preload_segmenter

        preload_segmenter()  # jieba's dictionary, as the window does in the background at start
        search("warm up 粤港澳大湾区金融 澳門")  # opens the searcher, loads OpenCC
        print(f"{args.n:,} random queries (seed {args.seed}) against {what}", flush=True)
        result = run(search, texts)
    finally:
        closing()
    print(report(result))
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
