"""Snippets of long attached texts: the match is highlighted wherever it
stands, whether the likely-match window finds it or the whole text must be
analysed."""

from __future__ import annotations

import re

import pytest

from finweek_desktop.core.search.index import SearchIndex
from finweek_desktop.core.search.schema import IndexedDocument
from finweek_desktop.core.search.snippets import WINDOW_AFTER, WINDOW_BEFORE, _likely_window, _word_finder

FILLER = " ".join(f"word{i % 97}" for i in range(3000))  # ~20 KB without any query term


@pytest.fixture
def index(tmp_path):
    ix = SearchIndex(tmp_path / "index")
    ix.open()
    contents = {
        1: FILLER + " The economy of Hengqin grew. " + FILLER,
        2: FILLER + " A Associação Comercial de Macau reuniu-se. " + FILLER,
        3: FILLER + " 横琴新区金融服务的发展 " + FILLER,
        4: FILLER + " ECONOMIES of scale " + FILLER,
        # A word whose start is everywhere (the window lands on "economist"),
        # the stem itself only at the end.
        5: "economist " * 400 + FILLER + " economic policy",
    }
    ix.upsert(
        IndexedDocument(id=i, kind="report", title=f"Report {i}", content=text,
                        language="pt" if i == 2 else "en")
        for i, text in contents.items()
    )
    yield ix
    ix.close()


def _snippet(index, query, doc_id):
    hits = {h.id: h for h in index.search(query, limit=None).hits}
    return hits[doc_id].snippet


@pytest.mark.parametrize(("query", "doc_id", "marked"), [
    ("economy", 1, "economy"),
    ("associacao", 2, "Associação"),
    ("横琴", 3, "横琴"),
    ("economies", 4, "ECONOMIES"),
])
def test_a_match_deep_in_a_long_text_is_highlighted(index, query, doc_id, marked):
    snippet = _snippet(index, query, doc_id)
    assert f"<b>{marked}</b>" in snippet
    assert len(re.sub(r"<[^>]+>", "", snippet)) < 600  # a snippet, not the text


def test_when_the_window_shows_no_match_the_whole_text_is_searched(index):
    # "econom" (from economic) first appears inside "economist" tokens,
    # which stem differently: the window has no match, the whole text does.
    snippet = _snippet(index, "economic", 5)
    assert "<b>economic</b>" in snippet


def test_the_window_is_cut_at_spaces_around_the_first_likely_match():
    text = FILLER + " Hengqin " + FILLER
    start, end = _likely_window(text, _word_finder({"hengqin"}))
    at = text.index("Hengqin")
    assert at - WINDOW_BEFORE <= start <= at < end <= at + WINDOW_AFTER
    assert text[start - 1] == " " and text[end] == " "


def test_short_texts_and_unfindable_words_are_analysed_whole():
    assert _likely_window("short text with hengqin", _word_finder({"hengqin"})) is None
    assert _likely_window(FILLER, _word_finder({"hengqin"})) is None
    assert _likely_window(FILLER, None) is None


def test_a_phrase_is_shown_where_its_words_stand_together_not_where_the_first_one_is():
    text = "cross " + FILLER + " cross-border capital flows " + FILLER
    start, end = _likely_window(text, _word_finder((), [("cross", "border")]))
    assert start <= text.index("cross-border") < end


def test_a_chinese_phrase_of_bigrams_is_found_as_its_run():
    text = FILLER + " 新区 横琴新区金融 " + FILLER
    start, end = _likely_window(text, _word_finder((), [("横琴", "琴新", "新区")]))
    assert start <= text.index("横琴新区") < end


def test_a_phrase_deep_in_a_long_text_is_highlighted(tmp_path):
    ix = SearchIndex(tmp_path / "index")
    ix.open()
    ix.upsert([IndexedDocument(id=1, kind="report", title="Flows", language="en",
                               content="cross " + FILLER + " cross-border capital flows " + FILLER)])
    snippet = ix.search('"cross border"').hits[0].snippet
    ix.close()
    assert "<b>cross</b>-<b>border</b>" in snippet


def test_a_long_latin_text_without_the_query_terms_gives_no_snippet_from_it(index):
    # Report 1 matches "report" in its title only: the 20 KB of content is
    # not analysed for nothing, and the snippet comes from the title.
    hit = next(h for h in index.search("report 1", limit=None).hits if h.id == 1)
    assert "<b>Report</b>" in hit.snippet


def test_a_snippet_says_with_an_ellipsis_where_it_is_cut_and_only_there(tmp_path):
    ix = SearchIndex(tmp_path / "index")
    ix.open()
    short = "A blue paper on digital currency, made public in Zhuhai."
    ix.upsert([
        IndexedDocument(id=1, kind="report", title="One", summary=short),
        IndexedDocument(id=2, kind="report", title="Two", language="en",
                        content=FILLER + " the digital currency pilot " + FILLER),
    ])
    snippets = {h.id: h.snippet for h in ix.search("digital currency").hits}
    ix.close()
    # The whole summary: no ellipsis, the full stop kept.
    assert snippets[1] == "A blue paper on <b>digital</b> <b>currency</b>, made public in Zhuhai."
    # A passage out of a long text: cut on both sides.
    assert snippets[2].startswith("…") and snippets[2].endswith("…")
    assert "<b>digital</b> <b>currency</b> pilot" in snippets[2]
    assert "… …" not in snippets[2]


@pytest.mark.parametrize(("content", "query", "marked"), [
    ("the ﬁnancial sector", "financial", "ﬁnancial"),  # a PDF ligature: NFKC-folded
    ("the dying industries", "dying", "dying"),  # stemmed to "die"
])
def test_a_long_text_whose_words_the_finder_must_fold_still_gives_its_snippet(tmp_path, content, query, marked):
    ix = SearchIndex(tmp_path / "index")
    ix.open()
    ix.upsert([IndexedDocument(id=1, kind="report", title="Report", language="en",
                               content=FILLER + f" {content} " + FILLER)])
    snippet = ix.search(query).hits[0].snippet
    ix.close()
    assert f"<b>{marked}</b>" in snippet


def test_a_portuguese_plural_deep_in_a_long_text_gives_its_snippet(tmp_path):
    ix = SearchIndex(tmp_path / "index")
    ix.open()
    ix.upsert([IndexedDocument(id=1, kind="report", title="Relatório", language="pt",
                               content=FILLER + " as ações de cooperação " + FILLER)])
    snippet = ix.search("ação").hits[0].snippet
    ix.close()
    assert "<b>ações</b>" in snippet
