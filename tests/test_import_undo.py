"""An import is one undo step (issue 13): a reference import, a folder
import (`finweek import`, the window's Import) and the core's bulk import.
One undo moves every document the import added to the trash, with its
files; redo brings them all back, searchable again. Real catalogs and files."""

from __future__ import annotations

import json

from finweek_desktop.core.catalog.folders import import_paths
from finweek_desktop.core.records import NewDocument

BIBTEX = r"""
@techreport{one, title = {Hengqin Cross-border Payments Report}, year = {2021},
  institution = {Hengqin Finance Research Institute}, file = {:report.txt:Text}}
@book{two, title = {Macao Financial Yearbook}, year = {2020}, editor = {{Macao Monetary Authority}}}
@misc{three, title = {Shizimen Finance Week Opening Address}, date = {2020-11-19}, author = {Chan, Mei Ling}}
"""


def titles(service) -> list[str]:
    return sorted(d.title for d in service.documents.list_documents())


def test_a_reference_import_is_undone_and_redone_as_one_step(empty_catalog, tmp_path):
    service = empty_catalog.service
    kept = service.documents.create_document(NewDocument(kind="report", title="Kept before the import")).id
    (tmp_path / "report.txt").write_text("cross-border settlement in Hengqin\n", encoding="utf-8")
    (tmp_path / "refs.bib").write_text(BIBTEX, encoding="utf-8")
    report = service.bibliography.import_files([tmp_path / "refs.bib"])
    added = [doc_id for doc_id, _ in report.added]
    assert len(added) == 3 and len(report.attached) == 1
    before = {doc_id: service.documents.get_document(doc_id) for doc_id in added}
    assert service.history.next_undo().description == "Import 3 references"
    assert service.search("settlement").total == 1

    undone = service.history.undo()
    assert undone.description == "Import 3 references"
    assert set(added) <= undone.changes.documents
    assert titles(service) == ["Kept before the import"]
    assert service.search("settlement").total == 0 and service.search("Yearbook").total == 0
    assert len(service.trash.entries()) == 3
    assert service.history.next_redo().description == "Import 3 references"

    service.history.redo()
    assert sorted(titles(service)) == sorted(["Kept before the import", *(d.title for d in before.values())])
    for doc_id, detail in before.items():
        again = service.documents.get_document(doc_id)
        assert (again.title, again.persons, again.organizations, again.date) == (
            detail.title,
            detail.persons,
            detail.organizations,
            detail.date,
        )
        assert [a.original_name for a in again.attachments] == [a.original_name for a in detail.attachments]
    assert service.search("settlement").total == 1 and service.trash.entries() == []

    # and undone again after the redo: the new trash items this time
    service.history.undo()
    assert titles(service) == ["Kept before the import"]
    assert service.documents.get_document(kept).title == "Kept before the import"


def test_a_folder_import_is_one_undo_step(empty_catalog, tmp_path):
    service = empty_catalog.service
    folder = tmp_path / "papers"
    (folder / "sub").mkdir(parents=True)
    for name, text in (("a.txt", "digital yuan pilot"), ("b.md", "# Green bonds\nin Macao"), ("sub/c.txt", "fintech")):
        (folder / name).write_text(text, encoding="utf-8")
    result = import_paths(service.imports, [folder], NewDocument(kind="report", title=""))
    assert result.report.count == 3
    assert service.history.next_undo().description == "Import 3 documents"
    service.history.undo()
    assert titles(service) == [] and service.search("fintech").total == 0
    service.history.redo()
    assert len(titles(service)) == 3 and service.search("fintech").total == 1


def test_an_import_that_adds_nothing_leaves_no_undo_step(empty_catalog, tmp_path):
    service = empty_catalog.service
    (tmp_path / "refs.bib").write_text(BIBTEX, encoding="utf-8")
    service.bibliography.import_files([tmp_path / "refs.bib"])
    steps = len(service.history.steps())
    again = service.bibliography.import_files([tmp_path / "refs.bib"])  # all duplicates
    assert again.added == [] and len(service.history.steps()) == steps


def test_the_cli_imports_undo_in_one_step(finweek, tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    for n in range(4):
        (folder / f"note{n}.txt").write_text(f"minutes of session {n}", encoding="utf-8")
    code, out, _ = finweek("list", "--json")
    seeded = len(json.loads(out))
    assert finweek("import", str(folder))[0] == 0
    (tmp_path / "refs.bib").write_text(BIBTEX, encoding="utf-8")
    assert finweek("import-refs", str(tmp_path / "refs.bib"))[0] == 0
    code, out, _ = finweek("list", "--json")
    assert len(json.loads(out)) == seeded + 4 + 3
    code, out, err = finweek("undo")
    assert code == 0 and "Import 3 references" in out + err
    code, out, _ = finweek("list", "--json")
    assert len(json.loads(out)) == seeded + 4
    code, out, err = finweek("undo")
    assert code == 0 and "Import 4 documents" in out + err
    code, out, _ = finweek("list", "--json")
    assert len(json.loads(out)) == seeded
    assert finweek("redo")[0] == 0
    code, out, _ = finweek("list", "--json")
    assert len(json.loads(out)) == seeded + 4


def test_a_reference_import_is_one_undo_step_on_a_team_catalog(tmp_path, postgres_url):
    from finweek_desktop.core.startup import open_catalog

    (tmp_path / "report.txt").write_text("cross-border settlement in Hengqin\n", encoding="utf-8")
    (tmp_path / "refs.bib").write_text(BIBTEX, encoding="utf-8")
    catalog = open_catalog(tmp_path / "team", database_url=postgres_url, seed=False)
    try:
        service = catalog.service
        before = titles(service)
        report = service.bibliography.import_files([tmp_path / "refs.bib"])
        assert len(report.added) == 3
        assert service.history.next_undo().description == "Import 3 references"
        service.history.undo()
        assert titles(service) == before
        service.history.redo()
        assert len(titles(service)) == len(before) + 3
        assert service.search("settlement").total == 1
    finally:
        catalog.close()
