"""`finweek export | import-refs | cite | import` and the citation fields of
`add`/`edit` (issue 13), run in-process on a real catalog in tmp_path."""

from __future__ import annotations

import json
import os

import pytest


def test_edit_sets_citation_fields_and_authors_and_undo_puts_them_back(finweek):
    code, out, _ = finweek("add", "--kind", "report", "--title", "Hengqin report", "--author", "王小明", "--json")
    assert code == 0
    doc_id = json.loads(out)["id"]
    code, out, err = finweek(
        "edit", str(doc_id), "--doi", "https://doi.org/10.1234/X1", "--url", "https://example.org/r",
        "--isbn", "978 7 5201 0000 1", "--pages", "3-9", "--report-number", "R-7", "--place", "Zhuhai",
        "--author", "Smith, John", "--author", "李华", "--editor", "Costa, Ana", "--json",
    )  # fmt: skip
    assert code == 0, err
    shown = json.loads(out)
    assert shown["doi"] == "10.1234/X1" and shown["isbn"] == "9787520100001" and shown["report_number"] == "R-7"
    assert shown["place_published"] == "Zhuhai" and shown["pages"] == "3-9"
    assert [(p["family"], p["given"], p["literal"], p["role"]) for p in shown["persons"]] == [
        ("Smith", "John", "", "author"),
        ("", "", "李华", "author"),
        ("Costa", "Ana", "", "editor"),
    ]
    code, out, _ = finweek("show", str(doc_id))
    assert "Smith, John; 李华" in out and "10.1234/X1" in out
    assert finweek("undo")[0] == 0  # the persons
    assert finweek("undo")[0] == 0  # the fields
    code, out, _ = finweek("show", str(doc_id), "--json")
    restored = json.loads(out)
    assert restored["doi"] is None and [p["literal"] for p in restored["persons"]] == ["王小明"]
    code, _, err = finweek("edit", str(doc_id), "--doi", "not-a-doi")
    assert code == 1 and "invalid DOI" in err


def test_export_to_a_file_by_ids_search_and_collection(finweek, tmp_path):
    code, out, _ = finweek("add", "--kind", "report", "--title", "Macao payments report", "--date", "2021-05", "--json")
    doc_id = json.loads(out)["id"]
    target = tmp_path / "out.bib"
    code, _, err = finweek("export", "--format", "bibtex", str(doc_id), "-o", str(target))
    assert code == 0 and "Exported 1 document" in err
    text = target.read_text(encoding="utf-8")
    assert f"@techreport{{finweek{doc_id}," in text and "date = {2021-05}" in text and "month = may" in text
    code, out, _ = finweek("export", "--format", "csl-json", "--search", "payments")
    assert [item["title"] for item in json.loads(out)] == ["Macao payments report"]
    code, out, _ = finweek("export", "--format", "csv")  # everything: the seeded catalog and the new one
    assert out.count("\n") > 2 and "Macao payments report" in out
    code, _, err = finweek("export", "--format", "ris", "--collection", "Reading list")
    assert code == 1 and "Reading list" in err  # no such collection yet
    assert finweek("collect", str(doc_id), "--into", "Reading list")[0] == 0
    code, out, _ = finweek("export", "--format", "ris", "--collection", "Reading list")
    assert code == 0 and out.count("TY  - ") == 1 and "Macao payments report" in out
    assert finweek("search", "payments", "--save", "Payments")[0] == 0
    code, out, _ = finweek("export", "--format", "csl-json", "--saved", "Payments")
    assert [item["title"] for item in json.loads(out)] == ["Macao payments report"]
    code, _, err = finweek("export", "--format", "ris", "--saved", "Reading list")
    assert code == 1 and "not a saved search" in err
    code, _, err = finweek("export", "--format", "ris", "99999")
    assert code == 1 and "no document with id 99999" in err


def test_import_refs_reports_added_duplicates_and_refused_as_json(finweek, tmp_path):
    path = tmp_path / "refs.bib"
    path.write_text(
        "@techreport{a, title = {Cross-border insurance}, year = 2022, doi = {10.9/abc}}\n"
        "@techreport{b, title = {Cross-Border Insurance}, year = 2022}\n"
        "@book{c, title = {Unclosed\n"
        "@misc{d, title = {Fintech park}, date = {2018}}\n",
        encoding="cp1252",
    )
    code, out, err = finweek("import-refs", str(path), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert [a["title"] for a in report["added"]] == ["Cross-border insurance", "Fintech park"]
    assert [d["entry"] for d in report["duplicates"]] == ["refs.bib: b"]
    assert [r["entry"] for r in report["refused"]] == ["refs.bib: c"]
    code, out, _ = finweek("import-refs", str(path))
    assert out.startswith("0 added, 3 skipped as duplicates, 1 refused")
    code, _, err = finweek("import-refs", str(tmp_path / "missing.ris"))
    assert code == 1 and "no such file" in err


def test_cite_in_each_style(finweek):
    code, out, _ = finweek(
        "add", "--kind", "report", "--title", "横琴金融发展报告", "--author", "王小明", "--date", "2023",
        "--org", "横琴金融研究院:publisher", "--place", "珠海", "--json",
    )  # fmt: skip
    doc_id = json.loads(out)["id"]
    code, out, _ = finweek("cite", str(doc_id), "--style", "gb7714")
    assert out.strip() == "[1] 王小明. 横琴金融发展报告[R]. 珠海: 横琴金融研究院, 2023."
    code, out, _ = finweek("cite", str(doc_id), "--style", "apa", "--format", "html")
    assert code == 0 and "<i>横琴金融发展报告</i>" in out
    code, out, _ = finweek("cite", str(doc_id), "--style", "chicago")
    assert out.startswith("王小明. 2023.")


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "papers"
    (root / "2020" / "forum").mkdir(parents=True)
    (root / "a.txt").write_text("Hengqin finance base\n\nA report.", encoding="utf-8")
    (root / "2020" / "b.md").write_text("# Digital currency\n\nNotes.", encoding="utf-8")
    (root / "2020" / "forum" / "c.txt").write_text("Insurance forum record", encoding="utf-8")
    (root / ".hidden.txt").write_text("not imported", encoding="utf-8")
    outside = tmp_path / "outside.txt"
    outside.write_text("outside the folder", encoding="utf-8")
    if hasattr(os, "symlink"):
        (root / "link-out.txt").symlink_to(outside)
        (root / "2020" / "loop").symlink_to(root, target_is_directory=True)
        (root / "link-in.txt").symlink_to(root / "a.txt")  # the same file again: once
    return root


def test_import_a_folder_recursively_without_leaving_it_or_looping(finweek, folder):
    code, out, err = finweek(
        "import", str(folder), "--kind", "session_record", "--tag", "batch", "--date", "2020-11",
        "--organization", "Hengqin Finance Association", "--session", "1", "--json",
    )  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    assert sorted(report["added"]) == ["a.txt", "b.md", "c.txt"]
    assert len(report["documents"]) == 3
    reasons = {os.path.basename(s["path"]): s["reason"] for s in report["skipped"]}
    assert "leading out of" in reasons["link-out.txt"] and "not followed" in reasons["loop"]
    assert "Importing" in err  # progress on stderr
    code, out, _ = finweek("show", str(report["documents"][0]), "--json")
    doc = json.loads(out)
    assert doc["kind"] == "session_record" and doc["date"] == "2020-11" and doc["tags"] == ["batch"]
    assert doc["organizations"] == [{"name": "Hengqin Finance Association", "role": "publisher"}]
    assert doc["session_id"] == 1
    # again: every file is a duplicate, reported with the document holding it
    code, out, _ = finweek("import", str(folder))
    assert out.startswith("0 documents created, 3 duplicates skipped, 0 failed")
    assert "is already attached to" in out
    code, _, err = finweek("import", str(folder), "--date", "2020-13")
    assert code == 1 and "month must be 1-12" in err
