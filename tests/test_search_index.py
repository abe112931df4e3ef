"""Issue 2's search: query language, ranking, sorting, snippets, facets,
folding and Chinese text, against a real Whoosh index."""

from __future__ import annotations

import pytest

from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.search.query import QueryError


def titles(results):
    return [h.title for h in results.hits]


@pytest.fixture
def extra(service):
    """A few documents beyond the seed, for the rules the seed cannot show."""
    made = {}
    for key, new in {
        "assoc": NewDocument(kind="report", title="Relatório da Associação de Seguros de Macau", language="pt",
                             summary="Relatórios anuais sobre seguros transfronteiriços.", date="2019"),
        "zh": NewDocument(kind="report", title="横琴新区金融服务报告", language="zh-Hans",
                          summary="横琴新区金融服务体系与澳门保险合作。", date="2020-11"),
        "body": NewDocument(kind="news_article", title="Weekly digest", summary="A note that mentions insurance once.",
                            date="2021-01-05"),
        "titled": NewDocument(kind="news_article", title="Insurance", summary="Short.", date="2018"),
    }.items():
        made[key] = service.documents.create_document(new).id
    return made


def test_words_are_anded_and_or_not_work(service):
    anded = titles(service.search("digital currency blue", limit=None))
    assert anded[0] == "2020 Digital Currency Blue Paper"
    assert not any(t.startswith("Theme forums") for t in anded)  # no "blue" there
    either = set(titles(service.search("initiative OR blue", limit=None)))
    assert {"Digital Alliance Initiative", "2020 Digital Currency Blue Paper"} <= either
    without = titles(service.search("digital NOT blue", limit=None))
    assert "2020 Digital Currency Blue Paper" not in without and without


def test_exact_phrase_only_matches_in_order(service):
    assert "2020 Digital Currency Blue Paper" in titles(service.search('"digital currency"'))
    assert service.search('"currency digital"').total == 0


def test_field_queries(service):
    assert titles(service.search("title:initiative")) == ["Digital Alliance Initiative"]
    assert titles(service.search("kind:blue-paper")) == ["2020 Digital Currency Blue Paper"]
    assert titles(service.search('kind:"blue paper"')) == ["2020 Digital Currency Blue Paper"]
    assert "2020 Digital Currency Blue Paper" in titles(service.search("org:CEIS OR org:\"01 think tank\""))
    assert "2020 Hengqin New Area–Macao Cooperation Report" in titles(service.search("org:CEIS"))
    by_year = service.search("year:2020", limit=None)
    assert by_year.total == 2
    assert "2020 Hengqin New Area–Macao Cooperation Report" in titles(service.search("tag:dual-circulation"))
    assert service.search("session:forums").total == 1


def test_prefix_and_fuzzy_terms(service):
    assert "2020 Digital Currency Blue Paper" in titles(service.search("curren*"))
    assert "2020 Digital Currency Blue Paper" in titles(service.search("CURREN*"))
    assert "2020 Digital Currency Blue Paper" in titles(service.search("curency~"))
    assert "Digital Alliance Initiative" in titles(service.search("allianse~"))


def test_plurals_and_accents_fold(service, extra):
    assert "2020 Hengqin New Area–Macao Cooperation Report" in titles(service.search("reports", limit=None))
    for query in ("associacao", "Associação", "ASSOCIAÇÃO"):
        assert service.documents.get_document(extra["assoc"]).title in titles(service.search(query)), query


def test_chinese_without_spaces(service, extra):
    zh = service.documents.get_document(extra["zh"]).title
    assert zh in titles(service.search("横琴", limit=None))
    assert zh in titles(service.search("金融服务"))
    assert zh in titles(service.search("保"))  # one character still finds
    assert service.search("琴金").total == 0 or zh not in titles(service.search("琴金"))
    # The seeded English documents are found through their Chinese aliases.
    assert "2020 Digital Currency Blue Paper" in titles(service.search("横琴", limit=None))


def test_title_matches_rank_above_body_matches(service, extra):
    ranked = titles(service.search("insurance", limit=None))
    assert ranked.index("Insurance") < ranked.index("Weekly digest")


def test_sort_by_date(service, extra):
    newest_first = [h.date for h in service.search("insurance OR seguros", sort="date", limit=None).hits]
    dated = [d for d in newest_first if d]
    assert dated == sorted(dated, reverse=True)
    oldest_first = [h.date for h in service.search("insurance OR seguros", sort="date-asc", limit=None).hits if h.date]
    assert oldest_first == sorted(oldest_first)


def test_snippets_highlight_the_matches(service, extra):
    (hit,) = [h for h in service.search("currency").hits if h.title.startswith("2020 Digital")]
    assert "<b>currency</b>" in hit.snippet
    (zh_hit,) = [h for h in service.search("保险").hits if h.id == extra["zh"]]
    assert "<b>保险</b>" in zh_hit.snippet


def test_facets_count_every_hit_not_just_the_page(service):
    results = service.search("hengqin", limit=2)
    assert len(results.hits) == 2
    assert sum(results.kind_counts.values()) == results.total > 2
    assert results.kind_counts["session_record"] >= 1
    assert results.tag_counts["hengqin-macao-cooperation"] >= 1


def test_narrowing_by_kind_and_tag(service):
    only_sessions = service.search("hengqin", kinds=["session_record"], limit=None)
    assert only_sessions.total >= 1 and {h.kind for h in only_sessions.hits} == {"session_record"}
    tagged = service.search("hengqin", tags=["insurance"], limit=None)
    assert [h.title for h in tagged.hits] == [
        "Theme forums: digital economy, digital currency, healthcare, cross-border capital and insurance"
    ]


@pytest.mark.parametrize("query", ["AND (", '"digital currency', "digital)", "title: currency", "OR", "blue AND"])
def test_malformed_queries_never_raise_anything_but_a_clear_error(service, query):
    try:
        results = service.search(query)
    except QueryError as exc:
        assert str(exc)  # a message for the user
    else:
        assert results.notice or results.total >= 0


def test_malformed_query_is_searched_as_plain_words_with_a_notice(service):
    results = service.search('"digital currency')
    assert "2020 Digital Currency Blue Paper" in titles(results)
    assert "quote" in results.notice


def test_unknown_field_and_kind_get_clear_messages(service):
    with pytest.raises(QueryError, match="unknown field 'colour'"):
        service.search("colour:red")
    with pytest.raises(QueryError, match="unknown kind"):
        service.search("kind:memo")
    with pytest.raises(QueryError, match="nothing to search"):
        service.search("title:")


def test_undated_documents_sort_last_both_ways(service, extra):
    for sort in ("date", "date-asc"):
        dates = [h.date for h in service.search("hengqin OR insurance", sort=sort, limit=None).hits]
        first_undated = dates.index(None)
        assert all(d is None for d in dates[first_undated:]), (sort, dates)
        assert all(d is not None for d in dates[:first_undated]), (sort, dates)


def test_title_sort_covers_every_hit_not_one_page(service):
    every = [h.title.casefold() for h in service.search("hengqin", sort="title", limit=None).hits]
    assert every == sorted(every)
    first_three = [h.title.casefold() for h in service.search("hengqin", sort="title", limit=3).hits]
    assert first_three == every[:3]


def test_an_unclosed_range_is_searched_as_words_with_a_notice(service):
    results = service.search("year:[2020 TO")
    assert "range bracket" in results.notice
    assert service.search("year:[2019 TO 2020]").total == 2  # a closed range still works
