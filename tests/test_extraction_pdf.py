"""PDFs encrypted with AES: with only an owner password anyone may read
them, so their text is extracted; with a user password they are reported as
encrypted. pypdf needs `cryptography` for AES; without it pdfium reads them."""

from __future__ import annotations

import sys

import pytest
from test_attachment_samples import encrypted_pdf_bytes, write

from finweek_desktop.core.attachments.extraction import TextStatus, extract_text
from finweek_desktop.core.attachments.filetypes import PDF

PAGES = ["Green finance forum", "Cross-border insurance on page two"]
ENCRYPTED = "text could not be extracted: the PDF is encrypted (password-protected)"


def without_cryptography(path, mime):
    """The real extractor in a worker where `cryptography` cannot be imported."""
    sys.modules["cryptography"] = None  # makes `import cryptography` fail
    from finweek_desktop.core.attachments.extractors import extract

    return extract(path, mime)


HERE = f"{__name__}:without_cryptography"


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256"])
@pytest.mark.parametrize("target", [None, HERE], ids=["pypdf", "pdfium-fallback"])
def test_an_owner_password_only_aes_pdf_has_its_text_extracted(tmp_path, algorithm, target):
    path = write(tmp_path / "aes.pdf", encrypted_pdf_bytes(PAGES, password="", owner_password="x", algorithm=algorithm))
    result = extract_text(path, PDF, **({"target": target} if target else {}))
    assert result.status is TextStatus.OK, result.message
    assert "Cross-border insurance on page two" in result.text
    assert result.text.index("Green finance forum") < result.text.index("page two")


@pytest.mark.parametrize("target", [None, HERE], ids=["pypdf", "pdfium-fallback"])
def test_an_aes_pdf_with_a_user_password_is_reported_as_encrypted(tmp_path, target):
    path = write(tmp_path / "locked.pdf", encrypted_pdf_bytes(PAGES, password="secret", algorithm="AES-128"))
    result = extract_text(path, PDF, **({"target": target} if target else {}))
    assert result.status is TextStatus.ENCRYPTED
    assert result.message == ENCRYPTED
    assert result.text == ""


def test_without_metadata_the_title_is_the_first_line_of_page_one(tmp_path):
    from test_attachment_samples import pdf_bytes

    path = write(tmp_path / "scan_0042.pdf", pdf_bytes(["Macao Green Finance Report 2024", "Contents"]))
    result = extract_text(path, PDF)
    assert result.title == "Macao Green Finance Report 2024"


def test_a_document_made_from_a_pdf_without_metadata_is_titled_by_its_first_line(service, tmp_path):
    from test_attachment_samples import pdf_bytes

    from finweek_desktop.core.records import NewDocument

    pdf = write(tmp_path / "scan_0042.pdf", pdf_bytes(["  12  ", "Cross-border wealth management"]))
    blank = write(tmp_path / "blank_page.pdf", pdf_bytes([""]))
    detail = service.attachments.create_document_with_files(NewDocument(kind="report", title=""), [pdf])
    assert detail.title == "Cross-border wealth management"  # page 1 holds only a number
    assert service.attachments.create_document_with_files(NewDocument(kind="report", title=""), [blank]).title == "blank page"
