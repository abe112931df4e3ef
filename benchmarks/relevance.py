"""Relevance of the catalog search against SQLite FTS5, per language group.

    python benchmarks/relevance.py               # our search vs FTS5 unicode61 / trigram
    python benchmarks/relevance.py --variants    # also our Chinese alternatives
    python benchmarks/relevance.py --json        # the numbers, machine-readable

Documents and queries live in benchmarks/relevance/ (documents.json,
queries.json): short texts written for this set in English, Simplified and
Traditional Chinese, Portuguese and mixed scripts, and queries each with the
documents that must be found; the "pasted" group holds passages copied out
of documents, with what a copy garbles (a misread word, a line break). For
every system and every group of queries it prints, averaged over the queries:

- recall@10: the share of the expected documents in the first ten hits (of
  at most ten of them, when more are expected);
- MRR: 1/rank of the first expected hit, 0 when none is in the first ten;
- precision@10: the share of the hits shown (at most ten) that are expected,
  0 when nothing is found: what the distractor documents measure.

Every system sees the same documents (title + text) and the same query
strings. FTS5 gets each query word as a quoted string, ANDed (FTS5's own
default), ranked by bm25 with the title weighted 4 like ours. Ours also gets
the alias groups of aliases.json (the catalog's places and organizations
with their names in other scripts, as the catalog service hands them to the
index); FTS5 has no such thing.

Exits with 1 when ours is not ahead of both FTS5 variants in every group on
both recall@10 and MRR.
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
GROUPS = ("en", "zh-Hans", "zh-Hant", "pt", "mixed", "pasted")

try:
    from finweek_desktop.core.search.index import SearchIndex
    from finweek_desktop.core.search.schema import IndexedDocument
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(HERE.parent / "src"))
    from finweek_desktop.core.search.index import SearchIndex
    from finweek_desktop.core.search.schema import IndexedDocument

Search = Callable[[str], list[str]]


def load_aliases(data_dir: Path = DATA) -> list[list[str]]:
    path = data_dir / "aliases.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


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


def ours(
    documents: list[dict], workdir: Path, language: str | None = None, aliases: list[list[str]] = (), **options
) -> Search:
    """The catalog's SearchIndex on a fresh index in ``workdir`` (``language``
    overrides every document's language, to measure without Portuguese
    stemming; ``aliases`` are its synonym groups)."""
    index = SearchIndex(workdir, **options)
    index.open()
    index.set_synonyms(aliases)
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
    """group -> {"recall": recall@K, "mrr": MRR, "precision": precision@K,
    "queries": n}; plus "all"."""
    sums: dict[str, list[float]] = {}
    for q in queries:
        hits = search(q["query"])[:K]
        relevant = set(q["relevant"])
        found = len(relevant.intersection(hits))
        recall = found / min(len(relevant), K)
        precision = found / len(hits) if hits else 0.0
        rank = next((i for i, key in enumerate(hits, start=1) if key in relevant), None)
        rr = 1.0 / rank if rank else 0.0
        for group in (q["group"], "all"):
            s = sums.setdefault(group, [0.0, 0.0, 0.0, 0])
            s[0] += recall
            s[1] += rr
            s[2] += precision
            s[3] += 1
    return {
        group: {"recall": s[0] / s[3], "mrr": s[1] / s[3], "precision": s[2] / s[3], "queries": s[3]}
        for group, s in sums.items()
    }


def behind(results: dict[str, dict[str, dict[str, float]]]) -> list[str]:
    """Where ours is not ahead of an FTS5 variant on recall@K and on MRR."""
    out = []
    for name, by_group in results.items():
        if not name.startswith("fts5"):
            continue
        for group, theirs in by_group.items():
            mine = results["ours"][group]
            for measure in ("recall", "mrr"):
                if mine[measure] <= theirs[measure]:
                    out.append(f"{group} {measure} ({mine[measure]:.2f} vs {theirs[measure]:.2f} for {name})")
    return out


def run(variants: bool = False, data_dir: Path = DATA) -> dict[str, dict[str, dict[str, float]]]:
    documents, queries = load(data_dir)
    aliases = load_aliases(data_dir)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        systems: list[tuple[str, Callable[[], Search]]] = [
            ("ours", lambda: ours(documents, Path(tmp) / "ours", aliases=aliases)),
            ("fts5 unicode61", lambda: fts5(documents, "unicode61 remove_diacritics 2")),
            ("fts5 trigram", lambda: fts5(documents, "trigram")),
        ]
        if variants:
            systems[1:1] = [
                (
                    "ours: one phrase of bigrams",
                    lambda: ours(documents, Path(tmp) / "phrase", aliases=aliases, han_query="phrase"),
                ),
                (
                    "ours: jieba words indexed",
                    lambda: ours(documents, Path(tmp) / "jieba", aliases=aliases, han_index="jieba"),
                ),
                (
                    "ours: no Portuguese stemmer",
                    lambda: ours(documents, Path(tmp) / "nopt", aliases=aliases, language="en"),
                ),
                (
                    "ours: no aliases",
                    lambda: ours(documents, Path(tmp) / "noalias"),
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
    header = "| system | " + " | ".join(f"{g} ({counts[g]['queries']}) R@{K} / MRR / P@{K}" for g in groups) + " |"
    lines = [header, "|" + "---|" * (len(groups) + 1)]
    for name, by_group in results.items():
        cells = [
            f"{by_group[g]['recall']:.2f} / {by_group[g]['mrr']:.2f} / {by_group[g]['precision']:.2f}" for g in groups
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", action="store_true", help="also measure our Chinese alternatives")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--data", type=Path, default=DATA, help="folder with documents.json and queries.json")
    args = parser.parse_args(argv)
    results = run(variants=args.variants, data_dir=args.data)
    lagging = behind(results)
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
    else:
        documents, queries = load(args.data)
        print(f"{len(documents)} documents, {len(queries)} queries; recall@{K} / MRR / precision@{K} per query group\n")
        print(table(results))
    if lagging:
        print("\nours is not ahead of FTS5 in: " + "; ".join(lagging), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
