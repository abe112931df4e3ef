"""`finweek search` finds documents by text inside their attached files."""

from __future__ import annotations

import json

from test_attachment_samples import docx_bytes, pdf_bytes, write


def add_with(finweek, path, title):
    code, out, err = finweek("add", "--kind", "report", "--title", title, str(path), "--json")
    assert code == 0, err
    return json.loads(out)["id"]


def search(finweek, text):
    code, out, err = finweek("search", text, "--json")
    assert code == 0, err
    return {h["id"]: h for h in json.loads(out)["hits"]}


def test_a_sentence_from_page_three_of_a_pdf(finweek, tmp_path):
    pdf = write(tmp_path / "paper.pdf", pdf_bytes(["Cover", "Contents", "Lighthouse reefs shelter migrating pelicans."]))
    doc = add_with(finweek, pdf, "Attached paper")
    hits = search(finweek, "lighthouse reefs shelter migrating pelicans")
    assert list(hits) == [doc]
    assert "<b>pelicans</b>" in hits[doc]["snippet"].lower()
    code, out, _ = finweek("search", "lighthouse reefs")
    assert "**Lighthouse** **reefs** shelter" in out


def test_text_inside_a_docx(finweek, tmp_path):
    doc = add_with(finweek, write(tmp_path / "m.docx", docx_bytes([("", "Porcelain turbines hum quietly.")])), "Minutes")
    assert doc in search(finweek, "porcelain turbines")


def test_text_inside_html_but_not_its_scripts(finweek, tmp_path):
    page = "<html><body><p>Velvet abacus ledger.</p><script>var marmalade = 1;</script></body></html>"
    doc = add_with(finweek, write(tmp_path / "p.html", page), "Web page")
    assert doc in search(finweek, "velvet abacus")
    assert doc not in search(finweek, "marmalade")


def test_text_inside_a_gbk_encoded_chinese_file(finweek, tmp_path):
    note = "珠江口的灯塔守护着候鸟。"
    doc = add_with(finweek, write(tmp_path / "zh.txt", note, encoding="gbk"), "Chinese note")
    hits = search(finweek, "灯塔")
    assert doc in hits
    assert "灯塔" in hits[doc]["snippet"]


def test_detaching_removes_the_text_from_search(finweek, tmp_path):
    doc = add_with(finweek, write(tmp_path / "n.md", "Quokka tambourine.\n"), "Note")
    _, out, _ = finweek("attachments", str(doc), "--json")
    (attachment,) = json.loads(out)
    assert finweek("detach", str(doc), str(attachment["id"]))[0] == 0
    assert doc not in search(finweek, "quokka tambourine")
    assert finweek("check")[0] == 0
