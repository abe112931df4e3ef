"""Text extraction from real files of every supported kind, and from broken ones.

Extraction runs in the sandboxed child process here, as it does when a user
attaches a file.
"""

from __future__ import annotations

import pytest
from test_attachment_samples import docx_bytes, encrypted_pdf_bytes, image_file, pdf_bytes, write

from finweek_desktop.core.attachments.extraction import TextStatus, extract_text
from finweek_desktop.core.attachments.filetypes import DOCX, HTML, MARKDOWN, PDF, PLAIN, guess_mime

CHINESE = "横琴金融产业基地于二〇一三年投入运营，占地十九万一千平方米。"


def extracted(path):
    return extract_text(path, guess_mime(path))


def test_pdf_text_from_every_page_and_title_from_metadata(tmp_path):
    path = write(tmp_path / "r.pdf", pdf_bytes(["Cover page", "Second page", "Blockchain networks on page three"], title="Fact sheet"))
    result = extracted(path)
    assert result.status is TextStatus.OK
    assert "Blockchain networks on page three" in result.text
    assert result.text.index("Cover page") < result.text.index("Second page")
    assert result.title == "Fact sheet"


def test_docx_text_and_title_from_first_heading(tmp_path):
    path = write(tmp_path / "minutes.docx", docx_bytes([("Heading1", "Forum minutes"), ("", "Cross-border capital was discussed.")]))
    assert guess_mime(path) == DOCX
    result = extracted(path)
    assert result.status is TextStatus.OK
    assert "Cross-border capital was discussed." in result.text
    assert result.title == "Forum minutes"


def test_docx_title_from_core_properties(tmp_path):
    path = write(tmp_path / "a.docx", docx_bytes([("", "Body")], title="Properties title"))
    assert extracted(path).title == "Properties title"


def test_html_keeps_visible_text_only(tmp_path):
    page = """<!doctype html><html><head><title>Blue paper</title>
    <style>body { color: red }</style><script src="https://example.invalid/x.js">var hidden = "script text";</script>
    <link rel="stylesheet" href="https://example.invalid/s.css"></head>
    <body><h1>Digital currency</h1><p>Released during the finance&nbsp;week.</p><img src="https://example.invalid/p.png">
    <noscript>enable scripts</noscript></body></html>"""
    path = write(tmp_path / "page.html", page)
    assert guess_mime(path) == HTML
    result = extracted(path)
    assert result.status is TextStatus.OK
    assert "Released during the finance\xa0week." in result.text
    assert "Digital currency" in result.text
    for hidden in ("script text", "color: red", "enable scripts", "example.invalid"):
        assert hidden not in result.text
    assert result.title == "Blue paper"


def test_html_in_gbk_with_declared_charset(tmp_path):
    page = f'<html><head><meta charset="gbk"></head><body><p>{CHINESE}</p></body></html>'
    result = extracted(write(tmp_path / "zh.html", page, encoding="gbk"))
    assert CHINESE in result.text


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "gb18030", "utf-16"])
def test_chinese_text_in_common_encodings(tmp_path, encoding):
    result = extracted(write(tmp_path / "note.txt", f"{CHINESE}\n第二行\n", encoding=encoding))
    assert result.status is TextStatus.OK
    assert CHINESE in result.text
    assert result.title == CHINESE


def test_latin1_portuguese_is_not_mistaken_for_chinese(tmp_path):
    text = "A semana financeira reuniu especialistas em Macau.\nAs sessões trataram de inovação, seguros e capitais transfronteiriços.\n"
    result = extracted(write(tmp_path / "nota.txt", text, encoding="latin-1"))
    assert result.text == text


def test_markdown_title_is_first_heading(tmp_path):
    path = write(tmp_path / "n.md", "Some preface\n\n## Theme forums\n\nFive themes.\n")
    assert guess_mime(path) == MARKDOWN
    result = extracted(path)
    assert result.title == "Theme forums"
    assert "Five themes." in result.text


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".tiff", ".webp"])
def test_images_need_ocr(tmp_path, suffix):
    result = extracted(image_file(tmp_path / f"photo{suffix}"))
    assert result.status is TextStatus.NEEDS_OCR
    assert "needs OCR" in result.message


def test_password_protected_pdf_is_reported_as_encrypted(tmp_path):
    result = extracted(write(tmp_path / "locked.pdf", encrypted_pdf_bytes(["Secret page"])))
    assert result.status is TextStatus.ENCRYPTED
    assert result.message == "text could not be extracted: the PDF is encrypted (password-protected)"
    assert result.text == ""


def test_truncated_pdf_fails_with_a_reason(tmp_path):
    whole = pdf_bytes(["First", "Second", "Third"])
    result = extracted(write(tmp_path / "cut.pdf", whole[: len(whole) // 2]))
    assert result.status is TextStatus.FAILED
    assert result.message.startswith("text could not be extracted: not a readable PDF")


def test_garbage_with_a_pdf_name(tmp_path):
    path = write(tmp_path / "report.pdf", bytes(range(256)) * 40)
    assert guess_mime(path) == PDF  # the name is all there is to go on
    result = extracted(path)
    assert result.status is TextStatus.FAILED
    assert result.message.startswith("text could not be extracted: not a readable PDF")


@pytest.mark.parametrize("name", ["empty.pdf", "empty.txt", "empty.docx"])
def test_zero_byte_file(tmp_path, name):
    result = extracted(write(tmp_path / name, b""))
    assert result.status is TextStatus.FAILED
    assert result.message == "text could not be extracted: the file is empty (0 bytes)"


def test_zip_that_is_not_a_word_document(tmp_path):
    import zipfile

    path = tmp_path / "fake.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    result = extract_text(path, DOCX)
    assert result.status is TextStatus.FAILED
    assert "word/document.xml is missing" in result.message


def test_pdf_without_text_says_so(tmp_path):
    result = extracted(write(tmp_path / "blank.pdf", pdf_bytes([""])))
    assert result.status is TextStatus.NEEDS_OCR


def test_unknown_binary_is_not_parsed(tmp_path):
    result = extract_text(write(tmp_path / "x.bin", b"\x00\x01\x02"), "application/octet-stream")
    assert result.status is TextStatus.NO_TEXT
    assert PLAIN not in result.message
