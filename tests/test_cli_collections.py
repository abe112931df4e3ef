"""The CLI of collections, saved searches, notes and batch edit, run in-process
on the seeded catalog."""

from __future__ import annotations

import json

import pytest


def _id(finweek, query):
    code, out, _ = finweek("search", query, "--json")
    assert code == 0
    return json.loads(out)["hits"][0]["id"]


def test_collect_nested_list_and_uncollect(finweek):
    a = _id(finweek, "Digital Currency Blue Paper")
    code, out, err = finweek("collect", str(a), "--into", "Hengqin/Reading")
    assert code == 0, err
    assert "Added 1 document to “Hengqin/Reading”" in out
    code, out, _ = finweek("collections", "--json")
    listed = json.loads(out)
    assert [(c["path"], c["kind"], c["count"]) for c in listed] == [
        ("Hengqin", "manual", 0),
        ("Hengqin/Reading", "manual", 1),
    ]
    code, out, _ = finweek("collections")
    assert out.splitlines() == ["Hengqin  [0]", "  Reading  [1]"]
    code, out, _ = finweek("uncollect", str(a), "--from", "hengqin/reading")
    assert code == 0 and "Removed 1 document" in out
    code, out, err = finweek("uncollect", str(a), "--from", "Nowhere")
    assert code == 1 and "no collection named 'Nowhere'" in err and len(err.splitlines()) == 1
    code, _, err = finweek("collect", "99999", "--into", "Reading")
    assert code == 1 and "no document with id 99999" in err


def test_search_save_and_saved_rerun(finweek):
    code, out, err = finweek("search", "digital", "--kind", "blue_paper", "--save", "Digital papers", "--json")
    assert code == 0, err
    first = json.loads(out)
    assert first["saved_as"] == "Digital papers"
    code, out, _ = finweek("search", "--saved", "Digital papers", "--json")
    again = json.loads(out)
    assert [h["id"] for h in again["hits"]] == [h["id"] for h in first["hits"]] and again["total"] >= 1
    assert all(h["kind"] == "blue_paper" for h in again["hits"])
    # a new matching document shows up in the saved search
    finweek("add", "--kind", "blue_paper", "--title", "Digital yuan pilots in Hengqin")
    code, out, _ = finweek("search", "--saved", "Digital papers", "--json")
    assert json.loads(out)["total"] == again["total"] + 1
    code, out, _ = finweek("collections", "--json")
    [saved] = json.loads(out)
    assert saved["kind"] == "saved" and saved["filters"] == {"kinds": ["blue_paper"], "tags": []}
    assert saved["count"] == again["total"] + 1

    code, _, err = finweek("search")
    assert code == 1 and "give a query, or --saved NAME" in err
    code, _, err = finweek("search", "x", "--saved", "Digital papers")
    assert code == 1 and "--saved runs a saved search as it was saved" in err
    code, _, err = finweek("search", "--saved", "Nope")
    assert code == 1 and "no collection named 'Nope'" in err


def test_dash_query_is_still_explained(finweek, capsys):
    with pytest.raises(SystemExit) as exit_info:
        finweek("search", "-digital")
    assert exit_info.value.code == 2
    assert "finweek search -- -word" in capsys.readouterr().err


def test_note_and_notes(finweek):
    a = _id(finweek, "Digital Currency Blue Paper")
    code, out, err = finweek("note", str(a), "Check", "the", "**durian**", "figures")
    assert code == 0, err
    assert out.startswith("Added note")
    code, out, _ = finweek("notes", str(a), "--json")
    [note] = json.loads(out)
    assert note["body"] == "Check the **durian** figures" and note["document_id"] == a
    code, out, _ = finweek("notes", str(a))
    assert "Check the **durian** figures" in out
    code, out, _ = finweek("search", "durian", "--json")
    [hit] = json.loads(out)["hits"]
    assert hit["id"] == a and hit["snippet_text"].startswith("Note: ")
    code, _, err = finweek("note", str(a), "  ")
    assert code == 1 and "a note needs some text" in err


def test_batch_edit_and_one_undo(finweek):
    code, out, _ = finweek("list", "--json")
    rows = json.loads(out)[:3]
    ids = [str(r["id"]) for r in rows]
    code, out, err = finweek(
        "edit", *ids, "--kind", "report", "--date", "2021-11", "--add-organization", "Hengqin Bank", "--role", "author"
    )
    assert code == 0, err
    assert "undo" in out
    for doc_id in ids:
        _, out, _ = finweek("show", doc_id, "--json")
        detail = json.loads(out)
        assert detail["kind"] == "report" and detail["date"] == "2021-11"
        assert {"name": "Hengqin Bank", "role": "author"} in detail["organizations"]
    code, out, _ = finweek("undo")
    assert code == 0
    for row in rows:
        _, out, _ = finweek("show", str(row["id"]), "--json")
        detail = json.loads(out)
        assert (detail["kind"], detail["date"]) == (row["kind"], row["date"])
        assert "Hengqin Bank" not in [o["name"] for o in detail["organizations"]]
    code, _, err = finweek("edit", *ids, "--title", "Same title")
    assert code == 1 and "--title change one document at a time" in err
    # one id still edits every field, as before
    code, out, _ = finweek("edit", ids[0], "--title", "Renamed on its own")
    assert code == 0 and "Renamed on its own" in out
