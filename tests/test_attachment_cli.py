"""`finweek attach | detach | open | attachments`, `add FILE...` and store checks, as typed."""

from __future__ import annotations

import json
from pathlib import Path

from test_attachment_samples import pdf_bytes, write


def test_add_with_files_takes_the_title_from_the_first_heading(finweek, tmp_path):
    note = write(tmp_path / "note.md", "# Consulting sessions notes\n\nText.\n")
    code, out, _ = finweek("add", "--kind", "session_record", str(note), str(write(tmp_path / "b.txt", "more")))
    assert code == 0
    assert "Consulting sessions notes" in out


def test_add_without_title_or_files_is_a_clear_error(finweek):
    code, _, err = finweek("add", "--kind", "report")
    assert code == 1
    assert err.strip() == "finweek: error: give --title, or files to take the title from"


def test_attach_open_and_detach(finweek, tmp_path):
    _, out, _ = finweek("add", "--kind", "report", "--title", "Holder", "--json")
    doc = str(json.loads(out)["id"])
    pdf = write(tmp_path / "paper.pdf", pdf_bytes(["Hello"]))
    code, out, _ = finweek("attach", doc, str(pdf))
    assert code == 0
    assert out.startswith("Attached [") and "paper.pdf  (application/pdf" in out

    code, out, _ = finweek("open", doc)
    (stored,) = out.split()
    assert Path(stored).read_bytes() == pdf.read_bytes()

    _, out, _ = finweek("attachments", doc, "--json")
    (a,) = json.loads(out)
    assert a["text_status"] == "ok" and a["path"] == stored
    code, out, _ = finweek("detach", doc, str(a["id"]))
    assert code == 0
    code, _, err = finweek("open", doc)
    assert code == 1 and "has no attachments" in err
    # The undo step holds the stored file: undo brings the attachment back.
    assert Path(stored).exists()
    assert finweek("undo")[0] == 0
    assert finweek("open", doc)[1].split() == [stored]


def test_duplicates_are_refused_unless_allowed(finweek, tmp_path):
    _, out, _ = finweek("add", "--kind", "report", "--title", "First", "--json")
    first = str(json.loads(out)["id"])
    _, out, _ = finweek("add", "--kind", "report", "--title", "Second", "--json")
    second = str(json.loads(out)["id"])
    f = write(tmp_path / "same.txt", "identical")
    assert finweek("attach", first, str(f))[0] == 0
    code, _, err = finweek("attach", second, str(f))
    assert code == 1
    assert "same.txt is already attached to [" in err and "Use --allow-duplicate" in err
    assert finweek("attach", second, str(f), "--allow-duplicate")[0] == 0


def test_a_missing_file_is_reported_and_nothing_is_attached(finweek, tmp_path):
    code, _, err = finweek("attach", "1", str(write(tmp_path / "ok.txt", "x")), str(tmp_path / "nope.pdf"))
    assert code == 1
    assert "no such file" in err and "nope.pdf" in err
    _, out, _ = finweek("attachments", "1", "--json")
    assert json.loads(out) == []


def test_check_reports_store_problems_and_repair_fixes_them(finweek, data_dir):
    objects = data_dir / "attachments" / "objects"
    finweek("list")  # creates the catalog
    stray = objects / "ab" / ("ab" + "0" * 62)
    write(stray, b"nobody refers to me")
    code, out, _ = finweek("check")
    assert code == 1
    assert "1 stored file(s) no attachment refers to: ab0000000000" in out
    code, out, _ = finweek("check", "--repair", "--json")
    data = json.loads(out)
    assert data["unreferenced_files"] == [stray.name] and data["repaired"] is True
    assert not stray.exists()
    assert finweek("check")[0] == 0


def test_attach_restores_a_file_check_reports_as_missing(finweek, tmp_path):
    _, out, _ = finweek("add", "--kind", "report", "--title", "Holder", "--json")
    doc = str(json.loads(out)["id"])
    note = write(tmp_path / "note.txt", "Notes on the insurance forum")
    finweek("attach", doc, str(note))
    _, out, _ = finweek("open", doc)
    Path(out.strip()).unlink()
    code, out, _ = finweek("check", "--repair")
    assert code == 1 and "attach the file again" in out
    code, out, err = finweek("attach", doc, str(note))
    assert (code, err) == (0, "")
    assert out.startswith("Restored the lost file of [") and "note.txt" in out
    assert finweek("check")[0] == 0
    code, _, err = finweek("attach", doc, str(note))
    assert code == 1 and "already attached" in err
