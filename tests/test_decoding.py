"""Guessing the encoding of real text files: Simplified and Traditional
Chinese in GBK/GB18030, Traditional in Big5 (common in Macao), Portuguese in
Latin-1, and UTF-8, each read back exactly through extraction."""

from __future__ import annotations

import pytest
from test_attachment_samples import write

from finweek_desktop.core.attachments.decoding import decode_text
from finweek_desktop.core.attachments.extraction import TextStatus, extract_text
from finweek_desktop.core.attachments.filetypes import HTML, PLAIN

TRADITIONAL = "橫琴金融產業基地於二〇一三年投入運營，佔地十九萬一千平方米。澳門金融週論壇討論了跨境理財。\n"
BIG5 = "澳門金融週在橫琴舉行，與會者討論了跨境理財與綠色金融的發展。\n"  # Big5 has no 〇
RARE_NAMES = "王喆、李珺和张昇出席了横琴金融论坛，讨论了跨境理财通。\n"
PORTUGUESE = "A semana financeira reuniu especialistas em Macau.\nAs sessões trataram de inovação, seguros e capitais transfronteiriços.\n"


@pytest.mark.parametrize(
    ("text", "encoding", "guessed"),
    [
        (TRADITIONAL, "gbk", "gb18030"),
        (TRADITIONAL, "gb18030", "gb18030"),
        (RARE_NAMES, "gbk", "gb18030"),
        (BIG5, "big5", "big5hkscs"),
        (PORTUGUESE, "latin-1", "latin-1"),
        (PORTUGUESE + "Preço: 20 € — «oficial», nº 3.\n", "cp1252", "latin-1"),
        (TRADITIONAL + RARE_NAMES + PORTUGUESE, "utf-8", "utf-8"),
    ],
    ids=["traditional-gbk", "traditional-gb18030", "rare-names-gbk", "big5", "latin-1", "cp1252", "utf-8"],
)
def test_a_text_file_is_read_back_exactly(tmp_path, text, encoding, guessed):
    path = write(tmp_path / "note.txt", text.encode(encoding))
    assert decode_text(path.read_bytes()) == (text, guessed)
    result = extract_text(path, PLAIN)
    assert result.status is TextStatus.OK
    assert result.text == text


def test_a_page_declaring_gb2312_but_using_gbk_characters(tmp_path):
    page = f'<html><head><meta charset="gb2312"></head><body><p>{RARE_NAMES}</p></body></html>'
    result = extract_text(write(tmp_path / "zh.html", page.encode("gbk")), HTML)
    assert RARE_NAMES.strip() in result.text


def test_latin1_that_happens_to_be_valid_gb18030_stays_latin1():
    # Every accent here is followed by a byte GB18030 accepts as a trail byte.
    text = "Sessões, informações e opções financeiras."
    data = text.encode("latin-1")
    data.decode("gb18030")  # the trap: this succeeds
    assert decode_text(data) == (text, "latin-1")
