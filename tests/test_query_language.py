"""The query language researchers type, against a real index in tmp_path."""

from __future__ import annotations

import pytest

from finweek_desktop.core.search.index import SearchIndex
from finweek_desktop.core.search.query import QueryError
from finweek_desktop.core.search.schema import IndexedDocument

DOCUMENTS = [
    IndexedDocument(1, "report", "Cross-border insurance report", summary="Insurers serving the bay area.",
                    tags=("insurance",), organizations=("Macao Insurance Association",), date="2020-11-20",
                    language="en"),
    IndexedDocument(2, "blue_paper", "Digital currency blue paper", summary="Pilots of central bank digital currency.",
                    tags=("digital-currency",), organizations=("01 Think Tank",), date="2020", language="en"),
    IndexedDocument(3, "news_article", "Finance week opens in Hengqin", summary="The opening ceremony of the finance week.",
                    tags=("event",), date="2020-11", language="en"),
    IndexedDocument(4, "report", "Relatório sobre seguros", summary="Seguros transfronteiriços em Macau.",
                    organizations=("Associação de Seguradoras",), date="2019", language="pt"),
    IndexedDocument(5, "report", "横琴保险市场", summary="横琴新区保险机构的发展。", tags=("insurance",), date="2021",
                    language="zh-Hans"),
]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    ix = SearchIndex(tmp_path_factory.mktemp("ql") / "index")
    ix.open()
    ix.upsert(DOCUMENTS)
    yield ix
    ix.close()


def ids(index, text):
    return {hit.id for hit in index.search(text, limit=None).hits}


def test_words_are_anded(index):
    assert ids(index, "digital currency") == {2}
    assert ids(index, "digital insurance") == set()


def test_or_and_not(index):
    assert ids(index, "currency OR ceremony") == {2, 3}
    assert ids(index, "insurance NOT report") == {5}
    assert ids(index, "finance NOT Hengqin") == set()


def test_exact_phrase(index):
    assert ids(index, '"digital currency"') == {2}
    assert ids(index, '"currency digital"') == set()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("title:report", {1}),
        ("tag:insurance", {1, 5}),
        ("tags:digital-currency", {2}),
        ("kind:blue-paper", {2}),
        ("kind:report", {1, 4, 5}),
        ("org:think", {2}),
        ("org:associacao", {4}),
        ("year:2020", {1, 2, 3}),
        ("year:>2019 kind:report", {1, 5}),
        ("title:保险", {5}),
        ("title:relatorios", {4}),
    ],
)
def test_field_values(index, query, expected):
    assert ids(index, query) == expected


def test_prefix_and_fuzzy(index):
    assert ids(index, "insur*") == {1, 5}  # 5 through its tag
    assert ids(index, "Relató*") == {4}
    assert ids(index, "curency~") == {2}


def test_title_matches_rank_above_body_matches(index):
    hits = index.search("insurance", limit=None).hits
    assert hits[0].id == 1


@pytest.mark.parametrize("query", ["AND (", '"unbalanced quote', "title:", "insurance OR", "(digital", "NOT"])
def test_malformed_queries_give_a_message_not_a_traceback(index, query):
    try:
        results = index.search(query)
    except QueryError as exc:
        assert str(exc)
    else:
        assert results.notice


def test_unknown_field_and_kind_are_explained(index):
    with pytest.raises(QueryError, match="unknown field"):
        index.search("colour:red")
    with pytest.raises(QueryError, match="unknown kind"):
        index.search("kind:poem")


def test_empty_query_is_explained(index):
    with pytest.raises(QueryError):
        index.search("   ")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("date:2020", {1, 2, 3}),  # a day, the year itself and a month of it
        ("date:2020-11", {1, 3}),
        ("date:2020-11-20", {1}),
        ("date:>2020", {5}),
        ("date:>=2020-11", {1, 3, 5}),
        ("date:<2020", {4}),
        ("date:<=2020-11", {1, 2, 3, 4}),  # "2020" sorts at the start of its year
        ("date:[2019 TO 2020-10]", {2, 4}),
        ("date:[TO 2019]", {4}),
        ("date:[2021 TO]", {5}),
        ("date:2020 kind:report", {1}),
        ('date:"2020-11"', {1, 3}),
        ("date:2020^2 kind:report", {1}),
    ],
)
def test_date_queries_take_partial_dates(index, query, expected):
    assert ids(index, query) == expected


def test_a_date_query_that_is_no_date_is_explained(index):
    with pytest.raises(QueryError, match="date:2020-13 is not a date"):
        index.search("date:2020-13")


@pytest.mark.parametrize("query", ["the", "of the", "title:the"])
def test_a_query_of_common_words_only_says_so(index, query):
    with pytest.raises(QueryError, match="only common words"):
        index.search(query)


def test_a_dangling_operator_is_dropped_and_the_field_kept(index):
    results = index.search("title:report OR")
    assert {hit.id for hit in results.hits} == {1}  # not "report" anywhere, nor the word "or"
    assert "missing a term" in results.notice


# -- schema 4: one body field -------------------------------------------------

BODY_DOCUMENTS = [
    IndexedDocument(11, "report", "Annual review", subtitle="Market outlook",
                    summary="Premium growth in the bay area.", notes="Reviewed by the research desk.",
                    content="Chapter one. The reinsurance treaty covers typhoon losses in full.",
                    organizations=("Macao Monetary Authority", "澳门金融管理局"), places=("Hengqin", "横琴"),
                    tags=("green-finance",), session="Opening plenary", language="en"),
    IndexedDocument(12, "report", "Treaty typhoon", summary="Digital", notes="currency notes",
                    language="en"),
    IndexedDocument(13, "report", "Relatório de resseguros", summary="As seguradoras de Macau.",
                    content="Os resseguros cobrem os tufões.", language="pt"),
]


@pytest.fixture(scope="module")
def body_index(tmp_path_factory):
    ix = SearchIndex(tmp_path_factory.mktemp("body") / "index")
    ix.open()
    ix.upsert(BODY_DOCUMENTS)
    yield ix
    ix.close()


def test_a_plain_word_searches_title_and_body_only(body_index):
    query = str(body_index.parse("typhoon").query)
    assert "title:" in query and "body:" in query and "body_pt:" in query
    for field in ("summary:", "notes:", "content:", "org:", "tag:", "session:", "place:", "subtitle:"):
        assert field not in query, field


@pytest.mark.parametrize(
    "query",
    ["outlook", "monetary authority", "金融管理局", "横琴", "green finance", "plenary", "premium", "research desk",
     "reinsurance treaty"],
)
def test_every_free_text_part_is_found_by_a_plain_query(body_index, query):
    assert 11 in ids(body_index, query)


@pytest.mark.parametrize(("query", "expected"), [
    ("summary:reinsurance", {11}),  # summary, notes, content and text all search body
    ("notes:premium", {11}),
    ("content:desk", {11}),
    ("text:typhoon", {11}),
    ("attachment:typhoon", {11}),
    ("body:typhoon", {11}),
    ("content:resseguro", {13}),  # with body's Portuguese shadow
    ("subtitle:outlook", {11}),
    ("org:monetary", {11}),
    ("place:横琴", {11}),
    ("session:plenary", {11}),
    ("tag:green-finance", {11}),
    ("title:typhoon", {12}),
])
def test_field_queries_on_the_body_schema(body_index, query, expected):
    assert ids(body_index, query) == expected


def test_a_phrase_never_spans_two_parts_of_the_body(body_index):
    # doc 12: summary ends with "Digital", notes start with "currency"
    assert ids(body_index, '"digital currency"') == set()
    assert ids(body_index, "digital currency") == {12}


def test_title_match_ranks_above_body_match(body_index):
    hits = body_index.search("typhoon", limit=None).hits
    assert [h.id for h in hits] == [12, 11]


def test_snippet_highlights_the_matched_passage_of_the_stored_text(body_index):
    (hit,) = body_index.search("reinsurance").hits
    assert "<b>reinsurance</b>" in hit.snippet and "typhoon" in hit.snippet
    (hit,) = body_index.search("research").hits
    assert "<b>research</b>" in hit.snippet  # from the notes
    (hit,) = [h for h in body_index.search("tufao").hits if h.id == 13]
    assert "<b>tufões</b>" in hit.snippet  # the Portuguese shadow's terms


def test_summary_notes_content_are_stored_not_indexed(body_index):
    from whoosh.fields import STORED

    schema = body_index.ix.schema
    for name in ("summary", "notes", "content"):
        assert isinstance(schema[name], STORED), name
    assert not schema["body"].stored


def test_date_inside_a_phrase_is_words_not_a_range(index):
    assert ids(index, '"date:2020 report"') == set()  # a phrase of words, no error
    assert index.parse('"date:2020"').query.__class__.__name__ != "NumericRange"


def test_the_notice_shows_the_query_as_typed(index):
    results = index.search("date:2020-11 OR")
    assert {hit.id for hit in results.hits} == {1, 3}
    assert results.notice.endswith("searched for: date:2020-11")
