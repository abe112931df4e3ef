"""Relevance of the catalog search against SQLite FTS5, per language group.

    python benchmarks/relevance.py               # our search vs FTS5 unicode61 / trigram
    python benchmarks/relevance.py --variants    # also our Chinese alternatives
    python benchmarks/relevance.py --json        # the numbers, machine-readable

Documents and queries live in benchmarks/relevance/ (documents.json,
queries.json): short texts written for this set in English, Simplified and
Traditional Chinese, Portuguese and mixed scripts, and queries each with the
documents that must be found. For every system and every language group of
queries it prints recall@10 (share of the expected documents in the first
ten hits, averaged over queries) and MRR (mean of 1/rank of the first
expected hit, 0 when none is in the first ten).

Every system sees the same documents (title + text) and the same query
strings. FTS5 gets each query word as a quoted string, ANDed (FTS5's own
default), ranked by bm25 with the title weighted 4 like ours.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "relevance"
K = 10
GROUPS = ("en", "zh-Hans", "zh-Hant", "pt", "mixed")

try:
    from finweek_desktop.core.search.index import SearchIndex
    from finweek_desktop.core.search.schema import IndexedDocument
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(HERE.parent / "src"))
    from finweek_desktop.core.search.index import SearchIndex
    from finweek_desktop.core.search.schema import IndexedDocument

Search = Callable[[str], list[str]]


def load(data_dir: Path = DATA) -> tuple[list[dict], list[dict]]:
    documents = json.loads((data_dir / "documents.json").read_text(encoding="utf-8"))
    queries = json.loads((data_dir / "queries.json").read_text(encoding="utf-8"))
    ids = {d["id"] for d in documents}
    for q in queries:
        unknown = set(q["relevant"]) - ids
        if unknown:
            raise ValueError(f"query {q['query']!r} expects unknown documents {sorted(unknown)}")
        if q["group"] not in GROUPS:
            raise ValueError(f"query {q['query']!r} has unknown group {q['group']!r}")
    return documents, queries


# -- systems --------------------------------------------------------------------


def ours(documents: list[dict], workdir: Path, language: str | None = None, **options) -> Search:
    """The catalog's SearchIndex on a fresh index in ``workdir`` (``language``
    overrides every document's language, to measure without Portuguese
    stemming)."""
    index = SearchIndex(workdir, **options)
    index.open()
    number = {d["id"]: i for i, d in enumerate(documents, start=1)}
    name = {i: key for key, i in number.items()}
    index.upsert(
        IndexedDocument(
            id=number[d["id"]],
            kind="report",
            title=d["title"],
            summary=d["text"],
            language=language if language is not None else d.get("language", ""),
        )
        for d in documents
    )

    def search(text: str) -> list[str]:
        return [name[hit.id] for hit in index.search(text, limit=K).hits]

    search.close = index.close  # type: ignore[attr-defined]
    return search


def fts5(documents: list[dict], tokenizer: str) -> Search:
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE VIRTUAL TABLE docs USING fts5(key UNINDEXED, title, body, tokenize={_sql(tokenizer)})")
    db.executemany("INSERT INTO docs VALUES (?, ?, ?)", [(d["id"], d["title"], d["text"]) for d in documents])

    def search(text: str) -> list[str]:
        match = " ".join(_fts_word(w) for w in text.split())
        try:
            rows = db.execute(
                "SELECT key FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 0.0, 4.0, 1.0) LIMIT ?",
                (match, K),
            ).fetchall()
        except sqlite3.OperationalError:
            return []
        return [row[0] for row in rows]

    search.close = db.close  # type: ignore[attr-defined]
    return search


def _fts_word(word: str) -> str:
    if word in ("OR", "NOT", "AND"):
        return word
    return '"' + word.replace('"', '""') + '"'


def _sql(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# -- measuring ------------------------------------------------------------------


def evaluate(search: Search, queries: list[dict]) -> dict[str, dict[str, float]]:
    """group -> {"recall": recall@K, "mrr": MRR, "queries": n}; plus "all"."""
    sums: dict[str, list[float]] = {}
    for q in queries:
        hits = search(q["query"])[:K]
        relevant = set(q["relevant"])
        recall = len(relevant.intersection(hits)) / len(relevant)
        rank = next((i for i, key in enumerate(hits, start=1) if key in relevant), None)
        rr = 1.0 / rank if rank else 0.0
        for group in (q["group"], "all"):
            s = sums.setdefault(group, [0.0, 0.0, 0])
            s[0] += recall
            s[1] += rr
            s[2] += 1
    return {
        group: {"recall": s[0] / s[2], "mrr": s[1] / s[2], "queries": s[2]}
        for group, s in sums.items()
    }


def run(variants: bool = False, data_dir: Path = DATA) -> dict[str, dict[str, dict[str, float]]]:
    documents, queries = load(data_dir)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        systems: list[tuple[str, Callable[[], Search]]] = [
            ("ours", lambda: ours(documents, Path(tmp) / "ours")),
            ("fts5 unicode61", lambda: fts5(documents, "unicode61 remove_diacritics 2")),
            ("fts5 trigram", lambda: fts5(documents, "trigram")),
        ]
        if variants:
            systems[1:1] = [
                (
                    "ours: one phrase of bigrams",
                    lambda: ours(documents, Path(tmp) / "phrase", han_query="phrase"),
                ),
                (
                    "ours: jieba words indexed",
                    lambda: ours(documents, Path(tmp) / "jieba", han_index="jieba"),
                ),
                (
                    "ours: no Portuguese stemmer",
                    lambda: ours(documents, Path(tmp) / "nopt", language="en"),
                ),
            ]
        for name, make in systems:
            search = make()
            try:
                results[name] = evaluate(search, queries)
            finally:
                search.close()
    return results


def table(results: dict[str, dict[str, dict[str, float]]]) -> str:
    groups = [g for g in (*GROUPS, "all") if any(g in r for r in results.values())]
    counts = next(iter(results.values()))
    header = "| system | " + " | ".join(f"{g} ({counts[g]['queries']}) R@{K} / MRR" for g in groups) + " |"
    lines = [header, "|" + "---|" * (len(groups) + 1)]
    for name, by_group in results.items():
        cells = [f"{by_group[g]['recall']:.2f} / {by_group[g]['mrr']:.2f}" for g in groups]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", action="store_true", help="also measure our Chinese alternatives")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--data", type=Path, default=DATA, help="folder with documents.json and queries.json")
    args = parser.parse_args(argv)
    results = run(variants=args.variants, data_dir=args.data)
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
        return 0
    documents, queries = load(args.data)
    print(f"{len(documents)} documents, {len(queries)} queries; recall@{K} / MRR per query group\n")
    print(table(results))
    behind = [
        (group, name)
        for name, by_group in results.items()
        if name.startswith("fts5")
        for group in by_group
        if (by_group[group]["recall"], by_group[group]["mrr"]) >= (results["ours"][group]["recall"], results["ours"][group]["mrr"])
    ]
    if behind:
        print("\nours is not ahead in: " + ", ".join(f"{g} (vs {n})" for g, n in behind))
    return 0


if __name__ == "__main__":
    sys.exit(main())
