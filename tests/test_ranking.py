"""ranking.py matches what Whoosh matches and scores each word with Whoosh's
BM25F, on a real index of several segments with deletions.

The reference scores are Whoosh's own for each single term, combined here in
plain Python (Or adds, DisjunctionMax takes the best, And adds...). Not
Whoosh's scores for the whole query: its DisjunctionMax matcher takes the
max of its two children's *current* scores even when they stand on
different documents, so a document found in ``body`` only could get the
score of another document's ``body_pt`` posting (see
test_whoosh_dismax_mixes_documents_where_we_do_not)."""

from __future__ import annotations

import pytest
from whoosh import query as wq

from finweek_desktop.core.search import ranking, whoosh_internals
from finweek_desktop.core.search.index import SearchIndex
from finweek_desktop.core.search.matching import leaf_readers
from finweek_desktop.core.search.schema import IndexedDocument

PHRASES = ["cross border capital", "border cross", "capital markets of Macao", "横琴新区金融服务", "澳门保险市场"]


def _documents(n: int, start: int = 1):
    out = []
    for i in range(start, start + n):
        # Varied lengths and term frequencies, so BM25 tells documents apart.
        words = ["finance"] * (1 + i % 4) + ["filler"] * (i % 13)
        if i % 2 == 0:
            words += ["financial", "bonds"] * (1 + i % 3)
        if i % 3 == 0:
            words.append("investment macao")
        words.append(PHRASES[i % len(PHRASES)])
        out.append(IndexedDocument(
            id=i,
            kind="report" if i % 2 else "blue_paper",
            title=f"Document {i} {'insurance bonds' if i % 4 == 0 else 'report'}",
            summary=" ".join(words),
            content=f"body text {i} fin{'x' * (i % 9)}word finance " + "padding " * (i % 17),
            tags=("insurance",) if i % 5 == 0 else ("fintech",),
            language="pt" if i % 11 == 0 else "en",
            date=f"{2010 + i % 12}",
        ))
    return out


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    ix = SearchIndex(tmp_path_factory.mktemp("ranking") / "index")
    ix.open()
    ix.add_many(_documents(150))
    ix.upsert(_documents(40, start=151))  # a second segment
    ix.upsert(_documents(10, start=20))   # replaces: deletions in the first
    ix.delete([7, 160])
    yield ix
    ix.close()


def _ranked(index, text) -> dict[int, float]:
    q = index.parse(text).query
    searcher = index._current_searcher()
    assert ranking.supports(q, searcher.schema)
    lengths, out = ranking.FieldLengths(), {}
    for reader, offset in leaf_readers(searcher):
        matches = ranking.SegmentRanker(searcher, reader, lengths, {}).matches(q)
        out.update(zip((offset + matches.docs).tolist(), matches.scores.tolist()))
    return out


def _whoosh(index, text) -> dict[int, float]:
    searcher = index._current_searcher()
    results = searcher.search(index.parse(text).query, limit=None)
    return {hit.docnum: hit.score for hit in results}


def _reference(searcher, q) -> dict[int, float]:
    """Whoosh's score of each term, combined in plain Python."""
    if isinstance(q, wq.Term):
        return {hit.docnum: hit.score for hit in searcher.search(q, limit=None)}
    parts = [_reference(searcher, c) for c in q.children() if not isinstance(c, wq.Not)]
    if isinstance(q, (wq.Or, wq.DisjunctionMax)):
        combine = max if isinstance(q, wq.DisjunctionMax) else sum
        docs = set().union(*parts)
        out = {d: combine(p[d] for p in parts if d in p) for d in docs}
    elif isinstance(q, wq.And):
        docs = set.intersection(*(set(p) for p in parts))
        for negated in (c.query for c in q.children() if isinstance(c, wq.Not)):
            docs -= set(_reference(searcher, negated))
        out = {d: sum(p[d] for p in parts) for d in docs}
    elif isinstance(q, wq.AndMaybe):
        a, b = parts
        out = {d: s + b.get(d, 0.0) for d, s in a.items()}
    else:
        raise AssertionError(f"no reference for {q!r}")
    return {d: s * q.boost for d, s in out.items()}


@pytest.mark.parametrize("text", [
    "finance", "financial", "macao investment", "bonds OR macao", "finance NOT bonds",
    "title:insurance", "tag:insurance", "Document", "finance -title:insurance",
    "(bonds OR insurance) finance", "bonds ANDMAYBE macao", "nothingmatcheshere",
])
def test_scores_are_whooshs_term_scores_combined(index, text):
    ours = _ranked(index, text)
    assert ours.keys() == _whoosh(index, text).keys()
    reference = _reference(index._current_searcher(), index.parse(text).query)
    assert ours.keys() == reference.keys()
    for docnum, score in reference.items():
        assert ours[docnum] == pytest.approx(score, rel=1e-9), docnum


def test_a_field_and_its_shadow_score_each_document_by_its_own_postings(index):
    # Portuguese documents hold "financ" in body and body_pt; the others in
    # body only, and their score is their body score, whatever body_pt holds.
    searcher = index._current_searcher()
    body = _reference(searcher, wq.Term("body", "financ"))
    body_pt = _reference(searcher, wq.Term("body_pt", "financ"))
    ours = _ranked(index, "body:finance")
    english = [d for d in body if d not in body_pt]
    assert english and body_pt
    assert all(ours[d] == pytest.approx(body[d]) for d in english)
    assert all(ours[d] == pytest.approx(max(body[d], body_pt[d])) for d in body_pt)


@pytest.mark.parametrize("text", [
    '"cross border"', '"border cross"', '"cross border capital"', '"capital markets"',
    "横琴金融", "澳門保險", "横", '"finance filler" bonds', 'title:"document 12"',
])
def test_phrases_match_what_whoosh_matches(index, text):
    ours = _ranked(index, text)
    assert ours.keys() == _whoosh(index, text).keys()
    assert all(score > 0 for score in ours.values())


def test_search_ranks_by_score_with_ties_in_document_order(index):
    hits = index.search("finance", limit=15).hits
    searcher = index._current_searcher()
    reference = _reference(searcher, index.parse("finance").query)
    best = sorted(reference.items(), key=lambda kv: (-kv[1], kv[0]))[:15]
    assert [h.id for h in hits] == [int(searcher.stored_fields(d)["id"]) for d, _s in best]
    assert [h.score for h in hits] == pytest.approx([s for _d, s in best])


def test_deleted_and_replaced_documents_never_match(index):
    ids = [h.id for h in index.search("finance", limit=None).hits]
    assert 7 not in ids and 160 not in ids
    assert len(ids) == len(set(ids)) == 190 - 2  # replaced documents once


def test_a_prefix_ranks_by_the_words_it_expands_to(index):
    # fin* holds finance (every document) and finx...word (some): a document
    # with more of them scores higher than one with fewer, all else equal.
    scores = _ranked(index, "fin*")
    assert len(scores) == len(_whoosh(index, "fin*"))
    assert max(scores.values()) > min(scores.values()) > 0


def test_a_bounded_fuzzy_term_is_ranked_here_and_finds_what_whoosh_finds(index):
    schema = index._current_searcher().schema
    assert ranking.supports(index.parse("financ~").query, schema)
    assert len(_ranked(index, "financ~")) == len(_whoosh(index, "financ~")) > 0


@pytest.mark.parametrize("text", [
    "year:[2012 TO 2015]", "year:[2012 TO 2015] finance", "date:[2011 TO 2014] bonds", "date:>2018",
    "date:<2012 OR macao", "year:2013 finance", "date:2015", "date:[2011-06 TO 2013] -bonds",
])
def test_ranges_of_numbers_are_ranked_here_finding_what_whoosh_finds(index, text):
    # #17.4: left to Whoosh, a range beside a word took seconds at 50,000 documents.
    schema = index._current_searcher().schema
    assert ranking.supports(index.parse(text).query, schema)
    ours = _ranked(index, text)
    assert ours.keys() == _whoosh(index, text).keys()
    assert ours
    if " " not in text:  # a range alone: Whoosh's constant score, its boost
        assert set(ours.values()) == {1.0}


@pytest.mark.parametrize("text", [
    '"cross capital"~2', '"cross capital"~3', '"capital cross"~5', '"border capital"~1', '"finance bonds"~4',
    '"finance filler"~3 bonds', '"capital markets macao"~3', '"markets capital"~9', 'title:"document report"~3',
])
def test_phrases_with_a_slop_match_what_whoosh_matches(index, text):
    # #17.4: left to Whoosh's span matcher, "cross border"~5 took seconds at 50,000 documents.
    assert ranking.supports(index.parse(text).query, index._current_searcher().schema)
    ours = _ranked(index, text)
    assert ours.keys() == _whoosh(index, text).keys()
    assert all(score > 0 for score in ours.values())


def test_a_slop_finds_words_apart_that_the_exact_phrase_does_not(index):
    apart, together = _ranked(index, '"cross capital"~2'), _ranked(index, '"cross capital"')
    assert apart and not together
    assert not _ranked(index, '"capital cross"~2')  # in order, as Whoosh's phrase


@pytest.mark.parametrize("text", ['"finance filler"', '"finance bonds"~4'])
def test_a_phrase_past_its_positions_budget_keeps_its_best_documents_and_says_so(index, monkeypatch, text):
    # #17.4: a phrase of words in most documents decodes the positions of
    # them all; past PHRASE_POSITIONS it is checked in its best candidates.
    whole = index.search(text, limit=5)
    assert whole.total > 10 and not whole.notice
    monkeypatch.setattr(ranking, "PHRASE_POSITIONS", 200)
    index.forget_postings()  # the whole answer is remembered: a new catalog's first search
    cut = index.search(text, limit=5)
    assert 0 < cut.total < whole.total
    assert [h.id for h in cut.hits] == [h.id for h in whole.hits]  # the best are checked first
    assert "checked in those that match its words best" in cut.notice
    # A cut answer is not remembered: with the budget back, the whole one.
    monkeypatch.setattr(ranking, "PHRASE_POSITIONS", 10**9)
    assert index.search(text, limit=5).total == whole.total


def test_a_phrase_checked_once_is_remembered_with_its_segment(index, monkeypatch):
    # Its positions cost most of a search: the same phrase again (a facet
    # clicked, another sort, the query refined) decodes none.
    index.forget_postings()
    decoded = []
    positions = whoosh_internals.positions
    monkeypatch.setattr(whoosh_internals, "positions", lambda *a: decoded.append(1) or positions(*a))
    first = index.search('"finance filler"', limit=10)
    assert decoded and first.total > 10
    decoded.clear()
    assert index.search('"finance filler"', limit=10) == first
    refined = index.search('"finance filler" kind:report', limit=10)
    assert not decoded
    assert 0 < refined.total < first.total and {h.kind for h in refined.hits} == {"report"}
    index.forget_postings()  # the segments change: decoded again, the same answer
    assert index.search('"finance filler"', limit=10) == first and decoded


def test_an_expanding_term_chooses_its_words_once_per_segment(index, monkeypatch):
    # #17.4: snippets expanded a fuzzy term again over the whole index, which
    # looks each word up in every segment: `dig~` took seconds at 5,000 documents.
    from finweek_desktop.core.search import query

    calls = []
    choose = query.BoundedFuzzy.choose

    def counted(self, reader):
        calls.append((self.fieldname, id(reader), type(reader).__name__))
        return choose(self, reader)

    monkeypatch.setattr(query.BoundedFuzzy, "choose", counted)
    results = index.search("financ~", limit=5)
    assert results.hits and "<b>" in results.hits[0].snippet
    assert calls and len(calls) == len(set(calls))
    assert {kind for _f, _r, kind in calls} == {"SegmentReader"}
