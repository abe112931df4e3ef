"""A PDF whose font map yields halves of UTF-16 pairs (lone surrogates) keeps
the rest of its text: each half becomes U+FFFD instead of failing the file."""

from __future__ import annotations

import pytest
from test_attachment_samples import pdf_bytes, write

from finweek_desktop.core.attachments.extraction import TextStatus, extract_text
from finweek_desktop.core.attachments.filetypes import PDF
from finweek_desktop.core.records import NewDocument


def broken_pdf(tmp_path):
    # Code 0x7f reads as a lone high surrogate; 0x80 as a whole pair (U+1F600).
    pages = ["Green finance \x7f forum", "Second page € smiles"]  # € is code 0x80 in WinAnsi
    return write(tmp_path / "broken-cmap.pdf", pdf_bytes(pages, to_unicode={0x7F: "D800", 0x80: "D83DDE00"}))


def with_surrogate_title(path, mime):
    return "body text", "Title \udc00 half"


@pytest.mark.parametrize("sandbox", [True, False], ids=["worker", "in-process"])
def test_lone_surrogates_become_replacement_characters(tmp_path, sandbox):
    result = extract_text(broken_pdf(tmp_path), PDF, sandbox=sandbox)
    assert result.status is TextStatus.OK, result.message
    assert "Green finance \ufffd forum" in result.text
    assert "Second page \U0001F600 smiles" in result.text  # a whole pair stays one character
    result.text.encode("utf-8")  # what the result file and SQLite need


def test_a_title_with_a_lone_surrogate(tmp_path):
    path = write(tmp_path / "a.txt", "x")
    result = extract_text(path, "text/plain", target=f"{__name__}:with_surrogate_title")
    assert result.status is TextStatus.OK, result.message
    assert result.title == "Title \ufffd half"


def test_the_attachment_is_stored_and_found_by_its_text(service, tmp_path):
    doc = service.documents.create_document(NewDocument(kind="report", title="Holder"))
    (a,) = service.attachments.attach_files(doc.id, [broken_pdf(tmp_path)])
    assert a.text_status == "ok"
    assert "Green finance \ufffd forum" in service.attachments.attachment_text(a.id)
    assert doc.id in [h.id for h in service.search("second page smiles").hits]
