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
