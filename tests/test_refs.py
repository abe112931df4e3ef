"""References in and out (issue 13): export as CSV, JSON, BibTeX, RIS and
CSL-JSON; import of the files Zotero, JabRef and EndNote write, in their
encodings; duplicates; round trips; citations. Real catalogs, real files."""

from __future__ import annotations

import csv
import io
import json

import pytest

from finweek_desktop.core.records import NewDocument, PersonName
from finweek_desktop.core.refs.encoding import decode
from finweek_desktop.core.startup import open_catalog

# Documents with every citation field, a Chinese and a Western author, an
# institutional author, each kind, each precision of date.
DOCUMENTS = [
    NewDocument(
        kind="report",
        title="横琴粤澳深度合作区金融发展报告",
        subtitle="2023年度",
        date="2023-11",
        language="zh-Hans",
        summary="关于跨境金融的年度报告。",
        persons=(PersonName(literal="王小明"), PersonName("Smith", "John")),
        organizations=(("横琴金融研究院", "publisher"),),
        place_published="珠海",
        report_number="HQ-2023-01",
        doi="10.1234/hq.2023.01",
        url="https://example.org/reports/hq-2023",
        pages="1-120",
        tags=("cross-border", "finance"),
    ),
    NewDocument(
        kind="blue_paper",
        title="Digital Currency Blue Paper",
        date="2020",
        language="en",
        organizations=(
            ("Hengqin Finance Research Institute", "author"),
            ("Social Sciences Academic Press", "publisher"),
        ),
        persons=(PersonName("Ferreira da Silva", "Ana", role="editor"),),
        isbn="978-7-5201-7000-1",
        place_published="Beijing",
    ),
    NewDocument(
        kind="news_article",
        title="Finance week opens in Zhuhai & Macao: 100% new ideas",
        date="2020-11-20",
        language="en",
        persons=(PersonName("Chan", "Mei Ling"),),
        organizations=(("Macao Daily", "publisher"),),
        pages="3",
    ),
    NewDocument(
        kind="initiative",
        title="Digital Alliance Initiative",
        date="2020-11",
        organizations=(("Hengqin Finance Association", "author"),),
    ),
    NewDocument(kind="session_record", title="Opening ceremony", date="2020-11-19", language="en"),
]


def record_of(detail) -> dict:
    """What a round trip must keep of a document."""
    return {
        "kind": detail.kind,
        "title": detail.title,
        "subtitle": detail.subtitle,
        "date": detail.date,
        "language": detail.language,
        "summary": detail.summary,
        "persons": detail.persons,
        "organizations": sorted((o.name, o.role) for o in detail.organizations),
        "place": detail.place_published,
        "url": detail.url,
        "doi": detail.doi,
        "isbn": detail.isbn,
        "pages": detail.pages,
        "report_number": detail.report_number,
        "tags": sorted(t.name for t in detail.tags),
    }


@pytest.fixture
def filled(empty_catalog):
    service = empty_catalog.service
    ids = [service.documents.create_document(new).id for new in DOCUMENTS]
    return service, ids


@pytest.mark.parametrize(("fmt", "name"), [("bibtex", "refs.bib"), ("ris", "refs.ris"), ("csl-json", "refs.json")])
def test_export_then_import_into_an_empty_catalog_gives_the_same_records(filled, tmp_path, fmt, name):
    service, ids = filled
    path = tmp_path / name
    assert service.bibliography.export_to(ids, fmt, path) == len(ids)
    target = open_catalog(tmp_path / f"target-{fmt}", seed=False)
    try:
        report = target.service.bibliography.import_files([path])
        assert report.refused == [] and report.duplicates == []
        assert len(report.added) == len(ids)
        before = [record_of(service.documents.get_document(i)) for i in ids]
        after = [record_of(target.service.documents.get_document(i)) for i, _ in report.added]
        assert after == before
        # and the imported documents are searchable like any other
        assert target.service.search("Zhuhai").total >= 1
        # importing the same file again adds nothing: every entry is a duplicate
        again = target.service.bibliography.import_files([path])
        assert again.added == [] and len(again.duplicates) == len(ids)
    finally:
        target.close()


def test_export_formats_map_kinds_institutions_and_date_precision(filled):
    service, ids = filled
    bib = "".join(service.bibliography.export(ids, "bibtex"))
    assert "@techreport{finweek" in bib and "@book{finweek" in bib and "@article{finweek" in bib
    assert "@misc{finweek" in bib and "@inproceedings{finweek" in bib
    assert "author = {{{Hengqin Finance Research Institute}}}" in bib  # institutional author, double braces
    assert "author = {{王小明} and Smith, John}" in bib
    assert "date = {2023-11}" in bib and "date = {2020}" in bib and "date = {2020-11-20}" in bib
    assert r"Zhuhai \& Macao: 100\% new ideas" in bib
    ris = "".join(service.bibliography.export(ids, "ris"))
    assert "TY  - RPRT" in ris and "TY  - BOOK" in ris and "TY  - NEWS" in ris
    assert "AU  - Hengqin Finance Research Institute," in ris
    assert "DA  - 2023/11//" in ris and "DA  - 2020///" in ris
    items = json.loads("".join(service.bibliography.export(ids, "csl-json")))
    by_type = {item["type"]: item for item in items}
    assert set(by_type) == {"report", "book", "article-newspaper", "document", "paper-conference"}
    assert by_type["report"]["issued"] == {"date-parts": [[2023, 11]]}
    assert by_type["article-newspaper"]["issued"] == {"date-parts": [[2020, 11, 20]]}
    assert {"literal": "Hengqin Finance Research Institute"} in by_type["book"]["author"]
    assert by_type["report"]["author"][0] == {"literal": "王小明"}
    rows = list(csv.DictReader(io.StringIO("".join(service.bibliography.export(ids, "csv")))))
    assert [int(r["id"]) for r in rows] == ids
    assert rows[0]["doi"] == "10.1234/hq.2023.01" and rows[0]["authors"] == "王小明; Smith, John"
    data = json.loads("".join(service.bibliography.export(ids, "json")))
    assert data[1]["institutions"] == ["Hengqin Finance Research Institute"]


# -- reading the files the tools write ---------------------------------------

JABREF_BIB = r"""% Encoding: UTF-16
@TechReport{Wang2021,
  author      = {王小明 and {{澳門金融管理局}}},
  title       = {澳門跨境金融報告},
  institution = {澳門金融管理局},
  year        = {2021},
  month       = mar,
  address     = {澳門},
  file        = {:papers/report.pdf:PDF},
}

@Book{broken,
  title = {An entry never closed,
  year = {2019}

@Article{Costa2019,
  author  = {Costa, Jo{\~a}o and Ribeiro, Maria},
  title   = {Sistemas de pagamento em Macau},
  journal = {Revista de Macau},
  year    = {2019},
  doi     = {10.5555/rm.2019.7},
}

@Misc{notitle,
  author = {Nobody, Here},
  year = {2018},
}
"""

ENDNOTE_RIS = """TY  - RPRT
AU  - Gon\u00e7alves, In\u00eas
AU  - Autoridade Monet\u00e1ria de Macau,
TI  - Relat\u00f3rio sobre a coopera\u00e7\u00e3o financeira
PY  - 2022
DA  - 2022/06/15/
PB  - Autoridade Monet\u00e1ria de Macau
CY  - Macau
IS  - AMCM-2022-3
ER  -\u0020

TY  - JOUR
AU  - Smith, Jane
TI  - Cross-border insurance in the Greater Bay Area
PY  - 2021
DO  - 10.5555/rm.2019.7
ER  -\u0020

TY  - NEWS
TI  - An entry cut short
PY  - 2020
"""

CSL_ITEMS = [
    {
        "id": "a",
        "type": "report",
        "title": "Hengqin financial industry base",
        "author": [{"family": "Lee", "given": "Ka Wai"}],
        "publisher": "Hengqin Finance Association",
        "issued": {"date-parts": [["2018"]]},
    },
    {"id": "bad", "type": "report", "author": "not a list", "title": "Broken names"},
    {"id": "b", "type": "book", "title": "HENGQIN financial industry base", "issued": {"date-parts": [[2018, 5]]}},
]


def test_jabref_bibtex_in_utf16_with_a_broken_entry_imports_the_rest_and_attaches_the_file(empty_catalog, tmp_path):
    (tmp_path / "papers").mkdir()
    (tmp_path / "papers" / "report.pdf").write_bytes(b"%PDF-1.4\n% a report\n")
    bib = tmp_path / "library.bib"
    bib.write_bytes(JABREF_BIB.encode("utf-16"))  # with a BOM, as JabRef writes UTF-16
    service = empty_catalog.service
    report = service.bibliography.import_files([bib])
    titles = [t for _, t in report.added]
    assert titles == ["澳門跨境金融報告", "Sistemas de pagamento em Macau"]
    refused = dict(report.refused)
    assert "library.bib: broken" in refused
    assert any("notitle" in label and "no title" in why for label, why in report.refused)
    wang = service.documents.get_document(report.added[0][0])
    assert wang.kind == "report" and wang.date == "2021-03" and wang.place_published == "澳門"
    assert wang.persons == (PersonName(literal="王小明"),)
    assert sorted((o.name, o.role) for o in wang.organizations) == [
        ("澳門金融管理局", "author"),
        ("澳門金融管理局", "publisher"),
    ]
    assert [a.original_name for a in wang.attachments] == ["report.pdf"]
    assert report.attached == [(wang.id, "report.pdf")]
    costa = service.documents.get_document(report.added[1][0])
    assert costa.kind == "news_article" and costa.doi == "10.5555/rm.2019.7"
    assert costa.persons == (PersonName("Costa", "João"), PersonName("Ribeiro", "Maria"))


def test_endnote_ris_in_cp1252_and_utf16_without_bom(empty_catalog, tmp_path):
    service = empty_catalog.service
    windows = tmp_path / "endnote.ris"
    windows.write_bytes(ENDNOTE_RIS.replace("\n", "\r\n").encode("cp1252"))
    assert decode(windows.read_bytes())[1] == "cp1252"
    report = service.bibliography.import_files([windows])
    assert [t for _, t in report.added] == [
        "Relatório sobre a cooperação financeira",
        "Cross-border insurance in the Greater Bay Area",
    ]
    assert [label for label, _ in report.refused] == ["endnote.ris: An entry cut short"]
    doc = service.documents.get_document(report.added[0][0])
    assert doc.date == "2022-06-15" and doc.report_number == "AMCM-2022-3"
    assert doc.persons == (PersonName("Gonçalves", "Inês"),)
    assert ("Autoridade Monetária de Macau", "author") in [(o.name, o.role) for o in doc.organizations]

    # The same entries again, in UTF-16 without a BOM: all duplicates now.
    bare = tmp_path / "again.ris"
    bare.write_bytes(ENDNOTE_RIS.encode("utf-16-le"))
    assert decode(bare.read_bytes()) == (ENDNOTE_RIS, "utf-16-le")
    again = service.bibliography.import_files([bare])
    assert again.added == []
    assert [d.reason.split(" as ")[0] for d in again.duplicates] == ["same title and year", "same DOI"]


def test_duplicates_within_a_file_and_across_scripts_are_reported(empty_catalog, tmp_path):
    service = empty_catalog.service
    service.documents.create_document(NewDocument(kind="report", title="澳门跨境金融报告", date="2021"))
    path = tmp_path / "items.json"
    path.write_text(json.dumps(CSL_ITEMS), encoding="utf-8")
    report = service.bibliography.import_files([path])
    assert [t for _, t in report.added] == ["Hengqin financial industry base"]
    assert [d.entry for d in report.duplicates] == ["items.json: b"]  # same title (case folded) and year
    assert "entry items.json: a" in report.duplicates[0].reason
    assert [label for label, _ in report.refused] == ["items.json: bad"]
    # Traditional against the Simplified title already in the catalog
    bib = tmp_path / "trad.bib"
    bib.write_text("@techreport{t, title = {澳門跨境金融報告}, year = 2021}\n", encoding="utf-8")
    report = service.bibliography.import_files([bib])
    assert report.added == [] and report.duplicates[0].reason.startswith("same title and year as [1]")


def test_zotero_bibtex_with_file_paths_and_latex(empty_catalog, tmp_path):
    pdf = tmp_path / "storage" / "Lee - 2018 - Base.pdf"
    pdf.parent.mkdir()
    pdf.write_bytes(b"%PDF-1.4\n% base\n")
    escaped = str(pdf).replace("\\", "\\\\").replace(":", "\\:")
    text = (
        "@report{lee_2018,\n"
        "  title = {The {Hengqin} financial industry base: {M}acao \\& beyond},\n"
        "  author = {Lee, Ka Wai and {Hengqin Finance Association}},\n"
        "  institution = {Hengqin Finance Association},\n"
        "  date = {2018-05-02},\n"
        f"  file = {{Full Text PDF:{escaped}:application/pdf;Snapshot:/nowhere/snap.html:text/html}},\n"
        "}\n"
    )
    path = tmp_path / "zotero.bib"
    path.write_text(text, encoding="utf-8")
    report = empty_catalog.service.bibliography.import_files([path])
    ((doc_id, title),) = report.added
    assert title == "The Hengqin financial industry base: Macao & beyond"
    doc = empty_catalog.service.documents.get_document(doc_id)
    assert doc.date == "2018-05-02" and doc.persons == (PersonName("Lee", "Ka Wai"),)
    assert ("Hengqin Finance Association", "author") in [(o.name, o.role) for o in doc.organizations]
    assert [a.original_name for a in doc.attachments] == [pdf.name]
    assert any("snap.html does not exist" in note for note in report.notes)


def test_a_file_that_is_no_reference_file_is_refused_alone(empty_catalog, tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("just some notes\n", encoding="utf-8")
    good = tmp_path / "one.ris"
    good.write_text("TY  - RPRT\nTI  - One report\nPY  - 2019\nER  - \n", encoding="utf-8")
    report = empty_catalog.service.bibliography.import_files([junk, good])
    assert [t for _, t in report.added] == ["One report"]
    assert report.refused == [("notes.txt: notes.txt", "not a BibTeX, RIS or CSL-JSON file")]


# -- citations ----------------------------------------------------------------


def test_gb7714_citations_have_type_codes_full_chinese_names_and_one_list(filled):
    service, ids = filled
    entries = service.bibliography.cite(ids, "gb7714")
    assert len(entries) == len(ids)
    assert entries[0].startswith("[1] 王小明, SMITH J. 横琴粤澳深度合作区金融发展报告")
    assert "[R/OL]" in entries[0] and "珠海: 横琴金融研究院, 2023" in entries[0]
    assert "[M]" in entries[1] and "Beijing: Social Sciences Academic Press, 2020" in entries[1]
    assert entries[1].startswith("[2] Hengqin Finance Research Institute. ")  # an institution keeps its case
    assert "[N]" in entries[2] and "2020-11-20(3)" in entries[2]
    assert "[Z]" in entries[3] and "[C]" in entries[4]
    html = service.bibliography.cite(ids[:1], "gb7714", "html")[0]
    assert "横琴粤澳深度合作区金融发展报告" in html and "&" not in html.replace("&amp;", "")


def test_apa_and_chicago_citations(filled):
    service, ids = filled
    apa = service.bibliography.cite([ids[2]], "apa")[0]
    assert apa.startswith("Chan, M. L. (2020, November 20). Finance week opens in Zhuhai & Macao")
    chicago = service.bibliography.cite([ids[1]], "chicago")[0]
    assert chicago.startswith("Hengqin Finance Research Institute. 2020.")
    assert "<i>" in service.bibliography.cite([ids[1]], "apa", "html")[0]
    with pytest.raises(ValueError, match="unknown style"):
        service.bibliography.cite([ids[0]], "mla")


def test_citation_fields_and_a_reference_import_on_postgresql(tmp_path, postgres_url):
    """Migration 0006 on a team catalog: the new columns and table, persons
    edited and undone, an export imported back, all on PostgreSQL."""
    catalog = open_catalog(tmp_path / "team", database_url=postgres_url, seed=False)
    try:
        service = catalog.service
        doc = service.documents.create_document(DOCUMENTS[0])
        assert doc.persons == DOCUMENTS[0].persons and doc.doi == "10.1234/hq.2023.01"
        service.documents.set_persons(doc.id, (PersonName("Lee", "Ka Wai", role="editor"),))
        service.history.undo()
        assert service.documents.get_document(doc.id).persons == DOCUMENTS[0].persons
        path = tmp_path / "one.ris"
        service.bibliography.export_to([doc.id], "ris", path)
        service.documents.delete_document(doc.id)
        service.history.undo()  # back from the trash with its persons and citation fields
        assert record_of(service.documents.get_document(doc.id)) == record_of(doc)
        service.documents.delete_document(doc.id)
        service.trash.empty()
        report = service.bibliography.import_files([path])
        (new_id, _title), = report.added
        assert record_of(service.documents.get_document(new_id)) == record_of(doc)
    finally:
        catalog.close()


def test_authors_are_searchable_and_follow_edits(filled):
    service, ids = filled
    assert [h.id for h in service.search("王小明").hits] == [ids[0]]
    assert ids[2] in [h.id for h in service.search("Mei Ling").hits]
    service.documents.set_persons(ids[0], (PersonName("Gonçalves", "Inês"),))
    assert service.search("王小明").total == 0
    assert [h.id for h in service.search("Goncalves").hits] == [ids[0]]  # accents folded as everywhere
    assert service.integrity.check().ok
