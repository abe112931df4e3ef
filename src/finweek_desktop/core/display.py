"""Names as they may be shown: control characters and bidi controls escaped.

File names and titles come from outside. A name holding an ANSI escape
sequence recolours (or clears, or retitles) the terminal that prints it; one
holding a right-to-left override (``report<U+202E>fdp.exe.txt``) is displayed
as another name (``reporttxt.exe.pdf``), in a terminal and in a window alike.
Wherever a name is displayed, it goes through ``safe_display_name``, which
shows each such character as a visible escape (``\\x1b``, ``\\u202e``); the
stored name is never changed. No Qt here: the CLI and the GUI both use it.
"""

from __future__ import annotations

import re

# Bidi embeddings, overrides, isolates and marks, and the Arabic letter mark:
# each changes the order in which the characters after it are displayed.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# C0 and C1 controls (ESC starts an ANSI sequence, U+009B is a one-character
# CSI), DEL, the line and paragraph separators, and lone surrogates (a file
# name's undecodable bytes, which no terminal can print).
_CONTROLS = "\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff"
_IN_A_NAME = re.compile(f"[{_CONTROLS}{_BIDI}]")
# Multi-line text (a summary, notes, a snippet) keeps its tabs and line breaks.
_IN_TEXT = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff{_BIDI}]")


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_display_name(name: str) -> str:
    """``name`` on one line, with control characters (line breaks and tabs
    included), bidi controls and lone surrogates shown as escapes."""
    return _IN_A_NAME.sub(_escaped, name) if name else name


def safe_display_text(text: str) -> str:
    """Like ``safe_display_name`` for text of several lines: tabs and line
    breaks stay as they are."""
    return _IN_TEXT.sub(_escaped, text) if text else text
