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
