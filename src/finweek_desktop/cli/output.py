"""Printing for the CLI: JSON for machines, short text for people."""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from typing import Any

from ..core.display import safe_display_name

_BOLD = re.compile(r"<b>(.*?)</b>", re.DOTALL)


class CliError(Exception):
    """A failure to report as one line on stderr, with exit code 1 (or ``code``)."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


# The largest id a database integer column holds (SQLite and PostgreSQL bigint).
_MAX_ID = 2**63 - 1


def record_id(text: str) -> int:
    """An id argument: a positive integer a database can hold (argparse type)."""
    value = _integer(text, "an id")
    if not 1 <= value <= _MAX_ID:
        raise argparse.ArgumentTypeError(f"no record has the id {text}")
    return value


def positive_int(text: str) -> int:
    """A count argument such as --limit (argparse type)."""
    value = _integer(text, "a whole number")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text}")
    return value


def _integer(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, sort_keys=False, default=str)
    sys.stdout.write("\n")


def snippet_to_text(snippet: str, tty: bool | None = None) -> str:
    """Render an HTML snippet for a terminal: bold on a tty, **marks** otherwise."""
    if tty is None:
        tty = sys.stdout.isatty()
    snippet = " ".join(snippet.split())  # a snippet may span lines of the file
    # Split at the marks: the file's own text is unescaped and shown escaped
    # (an ANSI sequence in it must not reach the terminal), the marks are ours.
    parts = [safe_display_name(html.unescape(part)) for part in _BOLD.split(snippet)]
    for n in range(1, len(parts), 2):
        parts[n] = f"\033[1m{parts[n]}\033[0m" if tty else f"**{parts[n]}**"
    return "".join(parts)


def snippet_to_plain(snippet: str) -> str:
    return html.unescape(_BOLD.sub(r"\1", snippet))


def kind_label(kind: str) -> str:
    from ..core.vocabulary import DocumentKind

    try:
        return DocumentKind(kind).label
    except ValueError:
        return kind
