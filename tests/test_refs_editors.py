"""Organizations as editors (issue 13): BibTeX ``editor = {{...}}``, RIS
``A2``/``ED`` corporate names and CSL-JSON ``editor`` literals are imported as
organizations in the editor role, not as persons, and exported back the same
way: export then import gives the same records. Real files, real catalogs."""

from __future__ import annotations

import json

import pytest

from finweek_desktop.core.records import NewDocument, PersonName
from finweek_desktop.core.startup import open_catalog

BIBTEX = r"""
@book{yearbook,
  title = {Macao Financial Yearbook},
  year = {2021},
  editor = {{Macao Monetary Authority}},
  publisher = {Macao Monetary Authority},
}
@collection{wealth,
  title = {Cross-border Wealth Management},
  year = {2022},
  editor = {Lee, Ka Wai and {{Hengqin Finance Association}}},
}
@book{person,
  title = {A Book Edited by a Person Named Whole},
  year = {2019},
  editor = {{王小明}},
}
"""

RIS = """TY  - BOOK
TI  - Economic Review of Macao
PY  - 2020
A2  - Macao Economic Services Bureau,
ED  - Wong, Ho
ER  -~

TY  - EDBOOK
TI  - Hengqin Policy Handbook
PY  - 2018
ED  - Hengqin Development Office
ER  -~
""".replace("~", " ")  # RIS ends an entry with "ER  - " (a trailing space)

CSL_JSON = [
    {
        "id": "edited",
        "type": "book",
        "title": "Zhuhai Finance Compendium",
        "issued": {"date-parts": [[2019, 5]]},
        "editor": [{"literal": "Zhuhai Finance Bureau"}, {"family": "Ho", "given": "Iat"}],
    }
]


def people_and_organizations(service, doc_id: int):
    doc = service.documents.get_document(doc_id)
    return doc.persons, sorted((o.name, o.role) for o in doc.organizations)


def test_editor_organizations_are_imported_as_organizations(empty_catalog, tmp_path):
    (tmp_path / "refs.bib").write_text(BIBTEX, encoding="utf-8")
    (tmp_path / "refs.ris").write_text(RIS, encoding="utf-8")
    (tmp_path / "refs.json").write_text(json.dumps(CSL_JSON), encoding="utf-8")
    service = empty_catalog.service
    report = service.bibliography.import_files([tmp_path / "refs.bib", tmp_path / "refs.ris", tmp_path / "refs.json"])
    assert report.refused == [] and report.duplicates == []
    got = {title: people_and_organizations(service, doc_id) for doc_id, title in report.added}
    assert got["Macao Financial Yearbook"] == (
        (),
        [("Macao Monetary Authority", "editor"), ("Macao Monetary Authority", "publisher")],
    )
    assert got["Cross-border Wealth Management"] == (
        (PersonName("Lee", "Ka Wai", role="editor"),),
        [("Hengqin Finance Association", "editor")],
    )
    # a name in single braces that does not read as an institution stays a person
    assert got["A Book Edited by a Person Named Whole"] == ((PersonName(literal="王小明", role="editor"),), [])
    assert got["Economic Review of Macao"] == (
        (PersonName("Wong", "Ho", role="editor"),),
        [("Macao Economic Services Bureau", "editor")],
    )
    assert got["Hengqin Policy Handbook"] == ((), [("Hengqin Development Office", "editor")])
    assert got["Zhuhai Finance Compendium"] == (
        (PersonName("Ho", "Iat", role="editor"),),
        [("Zhuhai Finance Bureau", "editor")],
    )


EDITED = [
    NewDocument(
        kind="blue_paper",
        title="Blue Paper on Cross-border Finance",
        date="2021-06",
        language="en",
        persons=(PersonName("Ferreira da Silva", "Ana", role="editor"),),
        organizations=(
            ("Hengqin Finance Research Institute", "editor"),
            ("Social Sciences Academic Press", "publisher"),
        ),
        place_published="Beijing",
    ),
    NewDocument(
        kind="report",
        title="Macao Financial Yearbook 2021",
        date="2021",
        organizations=(("Macao Monetary Authority", "editor"), ("Macao Monetary Authority", "publisher")),
    ),
    NewDocument(
        kind="report",
        title="横琴金融发展报告",
        date="2022-03-01",
        language="zh-Hans",
        persons=(PersonName(literal="李华"),),
        organizations=(("横琴金融研究院", "editor"), ("横琴粤澳深度合作区金融发展局", "author")),
    ),
]


def record_of(service, doc_id: int) -> dict:
    doc = service.documents.get_document(doc_id)
    return {
        "kind": doc.kind,
        "title": doc.title,
        "date": doc.date,
        "persons": doc.persons,
        "organizations": sorted((o.name, o.role) for o in doc.organizations),
        "place": doc.place_published,
    }


@pytest.mark.parametrize(("fmt", "name"), [("bibtex", "out.bib"), ("ris", "out.ris"), ("csl-json", "out.json")])
def test_editor_organizations_survive_export_then_import(empty_catalog, tmp_path, fmt, name):
    service = empty_catalog.service
    ids = [service.documents.create_document(new).id for new in EDITED]
    path = tmp_path / name
    assert service.bibliography.export_to(ids, fmt, path) == len(ids)
    text = path.read_text(encoding="utf-8")
    if fmt == "bibtex":
        assert "editor = {{Ferreira da Silva}, Ana and {{Hengqin Finance Research Institute}}}" in text
        # nobody wrote it: the editor stands for it, the publisher is not made its author
        assert "author = {{{Macao Monetary Authority}}}" not in text
    elif fmt == "ris":
        assert "A2  - Hengqin Finance Research Institute," in text
    else:
        assert {"literal": "横琴金融研究院"} in json.loads(text)[2]["editor"]
    target = open_catalog(tmp_path / "target", seed=False)
    try:
        report = target.service.bibliography.import_files([path])
        assert report.refused == [] and report.duplicates == []
        assert [record_of(target.service, i) for i, _ in report.added] == [record_of(service, i) for i in ids]
        # and out again: the same file
        again = tmp_path / f"again-{name}"
        target.service.bibliography.export_to([i for i, _ in report.added], fmt, again)
        assert again.read_text(encoding="utf-8") == text
    finally:
        target.close()


def test_csv_and_json_list_editor_organizations_among_the_editors(empty_catalog):
    service = empty_catalog.service
    doc_id = service.documents.create_document(EDITED[0]).id
    [row] = json.loads("".join(service.bibliography.export([doc_id], "json")))
    assert row["editors"][1:] == ["Hengqin Finance Research Institute"]
    assert row["institutions"] == []


def test_citations_name_an_editor_organization_once(empty_catalog):
    service = empty_catalog.service
    doc_id = service.documents.create_document(EDITED[1]).id
    [apa] = service.bibliography.cite([doc_id], "apa")
    # the editor stands for the author, and is not repeated as editor or publisher (APA 7)
    assert apa == "Macao Monetary Authority (Ed.). (2021). Macao Financial Yearbook 2021."
    [gb] = service.bibliography.cite([doc_id], "gb7714")
    assert gb.count("Macao Monetary Authority") == 2 and gb.startswith("[1] Macao Monetary Authority.")


# -- every organization and role, through a finweek export and back ----------------------------


@pytest.mark.parametrize(("fmt", "name"), [("bibtex", "seed.bib"), ("ris", "seed.ris"), ("csl-json", "seed.json")])
def test_the_seeded_catalog_round_trips_with_every_organization_in_its_role(catalog, tmp_path, fmt, name):
    """The formats make a publisher an institutional author and hold one
    publisher and no organizer; the export's own field brings the catalog's
    roles back: three publishers stay three publishers, a news item's
    mentioned organizations stay mentioned, an editor organization is no person."""
    service = catalog.service
    ids = [d.id for d in service.documents.list_documents()]
    path = tmp_path / name
    service.bibliography.export_to(ids, fmt, path)
    target = open_catalog(tmp_path / "target", seed=False)
    try:
        report = target.service.bibliography.import_files([path])
        assert report.refused == [] and report.duplicates == [] and len(report.added) == len(ids)
        for (new_id, _title), old_id in zip(report.added, ids, strict=True):
            assert people_and_organizations(target.service, new_id) == people_and_organizations(service, old_id)
        roles = {role for i, _ in report.added for _, role in people_and_organizations(target.service, i)[1]}
        assert {"publisher", "editor", "mentioned"} <= roles
    finally:
        target.close()


def test_an_organization_another_tool_added_is_kept_beside_the_exported_roles(empty_catalog, tmp_path):
    path = tmp_path / "edited.bib"
    path.write_text(
        "@techreport{finweek7,\n"
        "  author = {{{Hengqin Finance Association}} and {{Zhuhai Finance Bureau}}},\n"
        "  title = {Cross-border Insurance Report},\n"
        "  year = {2021},\n"
        "  finweek-organizations = {publisher: Hengqin Finance Association; organizer: Macao 100%3B Fund},\n"
        "}\n",
        encoding="utf-8",
    )
    service = empty_catalog.service
    [(doc_id, _title)] = service.bibliography.import_files([path]).added
    assert people_and_organizations(service, doc_id)[1] == [
        ("Hengqin Finance Association", "publisher"),
        ("Macao 100; Fund", "organizer"),
        ("Zhuhai Finance Bureau", "author"),  # added in another tool: from the standard field
    ]


def test_a_custom_field_that_is_not_ours_is_ignored(empty_catalog, tmp_path):
    path = tmp_path / "endnote.ris"
    path.write_text(
        "TY  - RPRT\nTI  - Green Bond Review\nPY  - 2019\nAU  - Macao Monetary Authority,\n"
        "C8  - finweek-organizations: reviewer: Someone Else\nER  -~\n".replace("~", " "),
        encoding="utf-8",
    )
    service = empty_catalog.service
    [(doc_id, _title)] = service.bibliography.import_files([path]).added
    assert people_and_organizations(service, doc_id)[1] == [("Macao Monetary Authority", "author")]
