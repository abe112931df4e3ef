"""Cross-script aliases: a query naming a place or an organization searches
all its names, against real indexes (and catalogs) in tmp_path."""

from __future__ import annotations

import pytest

from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.search.index import SearchIndex
from finweek_desktop.core.search.schema import IndexedDocument
from finweek_desktop.core.search.synonyms import Synonyms, synonym_key

GROUPS = [
    ("Hengqin New Area", "Hengqin", "横琴新区", "横琴"),
    ("Macao", "Macau", "澳门", "澳門"),
    ("China Economic Information Service", "CEIS", "中国经济信息社"),
]

DOCUMENTS = [
    IndexedDocument(1, "report", "Hengqin New Area–Macao Cooperation Report", summary="Four areas of cooperation."),
    IndexedDocument(2, "report", "Tourist payments", summary="Visitors to Macao pay with mobile wallets."),
    IndexedDocument(3, "report", "Nota", summary="A cooperação entre Macau e Hengqin.", language="pt"),
    IndexedDocument(4, "report", "澳門保險", summary="澳門的保險市場。", language="zh-Hant"),
    IndexedDocument(5, "report", "Blue paper", summary="Published with CEIS.", organizations=("Mongoose",)),
    IndexedDocument(6, "report", "横向比较", summary="横 琴 分开写，不是地名。", language="zh-Hans"),
    IndexedDocument(7, "report", "Island parks", summary="Parks on the island.", organizations=("CEIS",)),
]


@pytest.fixture
def index(tmp_path):
    ix = SearchIndex(tmp_path / "index")
    ix.open()
    ix.upsert(DOCUMENTS)
    ix.set_synonyms(GROUPS)
    yield ix
    ix.close()


def ids(index, text):
    return {hit.id for hit in index.search(text, limit=None).hits}


def test_a_name_in_one_script_finds_the_others(index):
    assert ids(index, "横琴") == {1, 3}
    assert ids(index, "澳門") == {1, 2, 3, 4}
    assert ids(index, "Macau") == {1, 2, 3, 4}
    # folded like the index: Traditional, case, accents
    assert ids(index, "橫琴") == {1, 3}
    assert ids(index, "HENGQIN") == {1, 3}


def test_a_quoted_name_and_a_multiword_alias(index):
    assert ids(index, '"Hengqin New Area"') == {1, 3}
    assert ids(index, "中国经济信息社") == {5, 7}


def test_the_expansion_is_anded_with_the_other_words(index):
    assert ids(index, "澳門 payments") == {2}
    assert ids(index, "横琴 cooperation") == {1}
    assert ids(index, "横琴 cooperação") == {3}
    assert ids(index, "NOT 澳門 parks") == {7}


def test_org_field_is_expanded_other_fields_are_not(index):
    assert ids(index, "org:中国经济信息社") == {7}
    assert ids(index, "title:澳門") == {4}


def test_words_that_name_nothing_are_searched_as_typed(index):
    # 横琴金融 is no name: its words are searched, not Hengqin
    assert "hengqin" not in str(index.parse("横琴金融").query)
    assert ids(index, "cooperation") == {1}
    assert ids(index, "横向") == {6}


def test_expanded_names_are_highlighted(index):
    hits = {hit.id: hit.snippet for hit in index.search("澳門", limit=None).hits}
    assert "<b>Macao</b>" in hits[2]
    assert "<b>Macau</b>" in hits[3]
    assert "<b>澳門</b>" in hits[4]


def test_an_expanded_phrase_is_highlighted_where_its_words_stand_together(tmp_path):
    ix = SearchIndex(tmp_path / "index")
    ix.open()
    ix.upsert([IndexedDocument(1, "report", "Plan", summary="A new plan for the area: the Hengqin New Area grows.")])
    ix.set_synonyms(GROUPS)
    snippet = ix.search("横琴").hits[0].snippet
    assert "<b>Hengqin</b> <b>New</b> <b>Area</b>" in snippet
    assert "A new plan for the area" in snippet  # "new" and "area" alone are not the name
    ix.close()


def test_without_synonyms_nothing_is_expanded(tmp_path):
    ix = SearchIndex(tmp_path / "index")
    ix.open()
    ix.upsert(DOCUMENTS)
    assert ids(ix, "澳門") == {4}
    ix.set_synonyms(GROUPS)
    assert ids(ix, "澳門") == {1, 2, 3, 4}
    ix.set_synonyms([])
    assert ids(ix, "澳門") == {4}
    ix.close()


def test_synonym_table():
    synonyms = Synonyms([("Macao", "Macau", "澳门", "澳門"), ("Macao Peninsula", "Macao"), ("lonely",)])
    assert synonym_key(" 澳門 ") == "澳门" and synonym_key("Hengqin-Macao") == "hengqin macao"
    # a name shared by two entities expands to the names of both, once each
    assert set(synonyms.expansions("macao")) == {"Macau", "澳门", "Macao Peninsula"}
    assert synonyms.expansions("澳門") == ("Macao", "Macau")
    assert synonyms.expansions("lonely") == ()
    assert synonyms.expansions("Hengqin") == ()


# -- through the catalog: groups from the database --------------------------------


REPORT = "2020 Hengqin New Area–Macao Cooperation Report"


def test_seeded_catalog_ranks_the_hengqin_report_for_the_chinese_name(service):
    hits = service.search("横琴").hits
    top = [hit.title for hit in hits[:3]]
    assert REPORT in top
    report = next(hit for hit in hits if hit.title == REPORT)
    assert "<b>" in report.snippet


def test_traditional_name_finds_documents_saying_macao(service):
    created = service.documents.create_document(
        NewDocument(kind="report", title="Tourist payments", summary="Visitors to Macao pay with mobile wallets.")
    )
    assert created.id in {hit.id for hit in service.search("澳門", limit=None).hits}
    hit = next(hit for hit in service.search("澳門", limit=None).hits if hit.id == created.id)
    assert "<b>Macao</b>" in hit.snippet


def test_an_alias_added_through_the_service_is_used_at_once(service):
    created = service.documents.create_document(
        NewDocument(kind="report", title="Wallets in Aomen", summary="Mobile wallets spread in Aomen.")
    )
    assert created.id not in {hit.id for hit in service.search("澳門", limit=None).hits}
    service.reference.add_place_alias("Macao", "Aomen")
    assert created.id in {hit.id for hit in service.search("澳門", limit=None).hits}
    # and the other way: the new alias finds what says Macao
    assert any("Macao" in hit.title for hit in service.search("Aomen").hits)

    note = service.documents.create_document(NewDocument(kind="report", title="Agency note", summary="Xinhua reported the week."))
    assert note.id not in {hit.id for hit in service.search("XNA", limit=None).hits}
    info = service.reference.add_organization_alias("Xinhua News Agency", "XNA")
    assert "XNA" in info.aliases
    assert note.id in {hit.id for hit in service.search("XNA", limit=None).hits}


def test_alias_groups_come_from_places_and_organizations(service):
    groups = service.reference.alias_groups()
    assert ("Macao", "Macau", "澳门", "澳門") in groups
    assert any(group[0] == "Xinhua News Agency" and "新华社" in group for group in groups)
    assert all(len(group) > 1 for group in groups)


def test_adding_an_alias_already_held_elsewhere_is_refused(service):
    with pytest.raises(ValueError, match="already names"):
        service.reference.add_organization_alias("Xinhua News Agency", "CEIS")
