"""Names that attack the terminal or the eye (issue 17, item 11): control
characters, ANSI escape sequences and bidi overrides in file names and
titles are shown escaped wherever a name is displayed; the stored name is
kept as it was."""

from __future__ import annotations

import json

import pytest
from test_attachment_samples import write

from finweek_desktop.cli.output import snippet_to_text
from finweek_desktop.core.display import safe_display_name, safe_display_text

ANSI_NAME = "evil\x1b[31mred\x1b[0m.txt"  # recolours the terminal
SPOOFED_NAME = "report\u202efdp.exe.txt"  # displayed as "reporttxt.exe.pdf"
TITLE = "Fund report\x1b]0;owned\x07\x9b2J"  # sets the window title; a C1 CSI clears the screen
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        (ANSI_NAME, "evil\\x1b[31mred\\x1b[0m.txt"),
        (SPOOFED_NAME, "report\\u202efdp.exe.txt"),
        ("a\u2066b\u2069c\u200fd\u061ce", "a\\u2066b\\u2069c\\u200fd\\u061ce"),
        ("two\nlines\tand\rreturn\x00\x7f", "two\\x0alines\\x09and\\x0dreturn\\x00\\x7f"),
        ("undecodable \udcff byte", "undecodable \\udcff byte"),
        ("line\u2028separator", "line\\u2028separator"),
    ],
)
def test_control_and_bidi_characters_are_shown_escaped(name, shown):
    assert safe_display_name(name) == shown


@pytest.mark.parametrize(
    "name",
    [
        "横琴新区2020年报告.pdf",
        "relatório de ações — 2º trimestre.docx",
        "تقرير.pdf",  # right-to-left script itself is not an override
        "نامه\u200cها.txt",  # Persian zero-width non-joiner
        "team 👩\u200d💻 notes.md",  # an emoji joined by a zero-width joiner
        "",
    ],
)
def test_ordinary_names_are_shown_as_they_are(name):
    assert safe_display_name(name) == name


def test_text_of_several_lines_keeps_its_lines_and_tabs():
    assert safe_display_text("one\n\ttwo\x1b[2J\r\n") == "one\n\ttwo\\x1b[2J\\x0d\n"


def test_a_snippet_shows_the_files_escapes_escaped_and_its_own_marks():
    snippet = "the <b>fund</b> grew \x1b[2J &amp; <b>\u202efund</b>"
    assert snippet_to_text(snippet, tty=False) == "the **fund** grew \\x1b[2J & **\\u202efund**"
    assert snippet_to_text(snippet, tty=True) == "the \x1b[1mfund\x1b[0m grew \\x1b[2J & \x1b[1m\\u202efund\x1b[0m"


def _clean(out: str) -> str:
    for char in RAW:
        assert char not in out, f"{char!r} reached the terminal: {out!r}"
    return out


def test_the_cli_shows_hostile_names_escaped_and_keeps_them_stored(finweek, tmp_path):
    ansi = write(tmp_path / ANSI_NAME, "Quarterly figures of the cross-border fund")
    spoofed = write(tmp_path / SPOOFED_NAME, "Minutes of the sustainable finance session")

    code, out, _ = finweek("add", "--kind", "report", "--title", TITLE, "--json", str(ansi), str(spoofed))
    assert code == 0
    stored = json.loads(out)
    assert stored["title"] == TITLE
    assert [a["original_name"] for a in stored["attachments"]] == [ANSI_NAME, SPOOFED_NAME]
    doc = str(stored["id"])
    shown_title = "Fund report\\x1b]0;owned\\x07\\x9b2J"

    code, out, _ = finweek("show", doc)
    assert shown_title in _clean(out)
    assert "evil\\x1b[31mred\\x1b[0m.txt" in out and "report\\u202efdp.exe.txt" in out
    assert shown_title in _clean(finweek("list", "--title", "Fund report")[1])
    assert "report\\u202efdp.exe.txt" in _clean(finweek("attachments", doc)[1])
    assert shown_title in _clean(finweek("search", "cross-border")[1])

    code, _, err = finweek("attach", doc, str(ansi))  # the same file again: an error naming it
    assert code == 1 and "evil\\x1b[31mred\\x1b[0m.txt" in _clean(err)

    assert finweek("tag", doc, "red\x1b[31mtag")[0] == 0
    assert "red\\x1b[31mtag" in _clean(finweek("tags")[1])

    spoofed_id = str(stored["attachments"][1]["id"])
    code, out, _ = finweek("detach", doc, spoofed_id)
    assert "report\\u202efdp.exe.txt" in _clean(out)
