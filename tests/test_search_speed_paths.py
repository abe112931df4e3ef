"""The search's fast paths keep its answers: facet counts and totals found
without scoring equal a full scan of the hits; the prefix cap keeps the most
frequent expansions; every writer leaves plain (non-compound) segments."""

from __future__ import annotations

from collections import Counter

import pytest
from whoosh import query as wq

from finweek_desktop.core.search.index import SearchIndex
from finweek_desktop.core.search.query import CappedPrefix
from finweek_desktop.core.search.schema import IndexedDocument

KINDS = ("report", "blue_paper", "news_article")
TAGS = ("insurance", "fintech", "bonds", "green", "macao")


def _documents(n: int, start: int = 1):
    out = []
    for i in range(start, start + n):
        words = ["finance"] if i % 2 else ["financial", "bonds"]
        if i % 3 == 0:
            words.append("investment macao")
        if i % 5 == 0:
            words.append("cross border capital")
        if i % 7 == 0:
            words.append("横琴新区金融服务")
        out.append(IndexedDocument(
            id=i,
            kind=KINDS[i % len(KINDS)],
            title=f"Document {i} {'insurance' if i % 4 == 0 else 'report'}",
            summary=" ".join(words),
            content=f"body text {i} fin{'x' * (i % 9)}word finance",
            tags=tuple(TAGS[j] for j in range(len(TAGS)) if (i >> j) & 1),
            language="pt" if i % 11 == 0 else "en",
            date=f"{2010 + i % 12}",
        ))
    return out


@pytest.fixture
def index(tmp_path):
    ix = SearchIndex(tmp_path / "index")
    ix.open()
    ix.add_many(_documents(120))
    ix.upsert(_documents(30, start=121))  # a second segment
    ix.delete([3, 4, 125])                 # deletions in both
    yield ix
    ix.close()


def _full_scan(index, text, kinds=(), tags=()):
    """Total and facet counts the slow way: every hit, its stored fields."""
    parsed = index.parse(text)
    searcher = index._current_searcher()
    kind_counts, tag_counts, total = Counter(), Counter(), 0
    for docnum in searcher.docs_for_query(parsed.query):
        stored = searcher.stored_fields(docnum)
        doc_tags = [t for t in (stored.get("tag") or "").split(",") if t]
        if kinds and stored["kind"] not in kinds:
            continue
        if any(t not in doc_tags for t in tags):
            continue
        total += 1
        kind_counts[stored["kind"]] += 1
        tag_counts.update(doc_tags)
    return total, dict(kind_counts), dict(tag_counts)


@pytest.mark.parametrize("text", [
    "finance", "financial", "macao investment", '"cross border"', "title:insurance",
    "fin*", "横琴", "finance NOT bonds", "bonds OR macao", "kind:report", "year:2015",
    "tag:green", "finance -title:insurance", "nothingmatcheshere",
])
def test_facet_counts_and_total_equal_a_full_scan(index, text):
    results = index.search(text, limit=5)
    total, kinds, tags = _full_scan(index, text)
    assert results.total == total
    assert results.kind_counts == kinds
    assert results.tag_counts == tags
    assert len(results.hits) == min(5, total)


@pytest.mark.parametrize("kinds,tags", [(("report",), ()), ((), ("green",)), (("report", "news_article"), ("bonds", "macao"))])
def test_narrowed_counts_equal_a_full_scan(index, kinds, tags):
    results = index.search("finance OR financial", limit=None, kinds=kinds, tags=tags)
    total, kind_counts, tag_counts = _full_scan(index, "finance OR financial", kinds, tags)
    assert results.total == total == len(results.hits)
    assert results.kind_counts == kind_counts
    assert results.tag_counts == tag_counts
    assert all(h.kind in kinds for h in results.hits) if kinds else True
    assert all(set(tags) <= set(h.tags) for h in results.hits)


def test_facets_follow_writes(index):
    before = index.search("finance", limit=1)
    index.upsert([IndexedDocument(id=999, kind="report", title="finance extra", tags=("newtag",))])
    after = index.search("finance", limit=1)
    assert after.total == before.total + 1
    assert after.tag_counts["newtag"] == 1
    index.delete([999])
    assert index.search("finance", limit=1).tag_counts == before.tag_counts


def test_prefix_cap_keeps_the_most_frequent_expansions(tmp_path):
    ix = SearchIndex(tmp_path / "index")
    ix.open()
    # "pre<k>" occurs in k documents: the most frequent are pre9, pre8, ...
    docs = []
    n = 0
    for k in range(1, 10):
        for _ in range(k):
            n += 1
            docs.append(IndexedDocument(id=n, kind="report", title=f"Doc {n}", summary=f"pre{k}x"))
    ix.add_many(docs)
    searcher = ix._current_searcher()
    reader = searcher.reader()
    # A summary's words are indexed in the body field.
    capped = CappedPrefix("body", "pre", limit=3)
    assert sorted(capped.choose(reader)) == [b"pre7x", b"pre8x", b"pre9x"]
    assert len(CappedPrefix("body", "pre", limit=64).choose(reader)) == 9
    # The parser caps Latin prefixes, so the documents found are those of
    # the most frequent expansions (at the default cap, all of them here).
    assert ix.search("summary:pre*", limit=None).total == n
    parsed = ix.parse("pre*")
    assert any(isinstance(q, CappedPrefix) for q in parsed.query.leaves())
    ix.close()


def test_a_one_character_chinese_query_is_never_capped(index):
    parsed = index.parse("横")
    leaves = list(parsed.query.leaves())
    # Bounded only by the words it looks through (query.EXPANSION_SCAN), never capped.
    assert leaves and all(isinstance(q, CappedPrefix) and q.limit is None for q in leaves)
    assert index.search("横").total == len([i for i in range(1, 151) if i % 7 == 0 and i not in (3, 4, 125)])


def test_every_writer_leaves_plain_segments(tmp_path):
    ix = SearchIndex(tmp_path / "index")
    ix.open()
    ix.add_many(_documents(20))
    for i in range(12):  # enough commits for Whoosh to merge segments
        ix.upsert(_documents(3, start=100 + 3 * i))
    ix.delete([1, 2, 101])
    ix.rebuild(_documents(25), total=25)
    ix.upsert(_documents(2, start=500))
    ix.delete([5])
    segments = ix.ix._segments()
    assert segments and not any(s.is_compound() for s in segments)
    assert not list((tmp_path / "index").glob("*.seg"))
    ix.close()
