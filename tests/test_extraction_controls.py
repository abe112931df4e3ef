"""Text that is not text (issue 17, item 12): NULs and other control
characters are stripped from extracted text, and a file with nothing left
has no text and says so."""

from __future__ import annotations

import pytest
from test_attachment_samples import pdf_bytes, write

from finweek_desktop.core.attachments.extraction import TextStatus, extract_text
from finweek_desktop.core.records import NewDocument


def test_a_file_of_nul_bytes_has_no_text_and_says_why(service, tmp_path):
    zeros = write(tmp_path / "zeros.txt", b"\x00" * (4 * 1024 * 1024))
    doc = service.attachments.create_document_with_files(NewDocument(kind="report", title="Zeros"), [zeros])
    (attachment,) = doc.attachments
    detail = service.attachments.attachment(attachment.id)
    assert detail.text_status == TextStatus.NO_TEXT.value
    assert detail.text_length == 0 and service.attachments.attachment_text(attachment.id) == ""
    assert detail.text_message == "the file contains no text (only control characters such as NUL bytes)"


def test_control_characters_are_stripped_and_lines_and_tabs_kept(service, tmp_path):
    noisy = write(
        tmp_path / "noisy.md",
        "# Quarterly\x00 report\x1b[1m\n\nFund\x00\x00 flows\x07 rose\x1b[31m 4%\x7f\x85.\n\tcross\x02border\r\nend\x0cnext page",
    )
    doc = service.attachments.create_document_with_files(NewDocument(kind="report", title=""), [noisy])
    assert doc.title == "Quarterly report[1m"
    text = service.attachments.attachment_text(doc.attachments[0].id)
    assert text == "# Quarterly report[1m\n\nFund flows rose[31m 4%.\n\tcrossborder\nend\nnext page"
    assert service.search("flows").total >= 1


@pytest.mark.parametrize("sandbox", [True, False])
def test_real_text_after_millions_of_nuls_is_kept(tmp_path, sandbox):
    padded = write(tmp_path / "padded.txt", b"\x00" * 6_000_000 + "Hengqin cooperation zone".encode())
    extracted = extract_text(padded, "text/plain", sandbox=sandbox)
    assert extracted.status is TextStatus.OK
    assert extracted.text == "Hengqin cooperation zone"


def test_a_pdf_without_text_still_says_it_may_need_ocr(tmp_path):
    blank = write(tmp_path / "scan.pdf", pdf_bytes([""]))
    extracted = extract_text(blank, "application/pdf")
    assert extracted.status is TextStatus.NEEDS_OCR
    assert extracted.message == "the file contains no text (a scan): the file needs OCR"
