"""A document's text cut into passages to embed: the title, then its
summary, notes and attachment text a few sentences at a time. A sentence
encoder averages what it reads, so a short passage keeps a topic that a
long document mentions once from being drowned out."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..search.schema import IndexedDocument

SOURCES = ("title", "summary", "note", "attachment")
# About three sentences: words for alphabetic scripts, characters for Chinese.
PASSAGE_CHARS = 320
# A document is embedded from its first passages only (title, summary,
# notes, then the attachments' text: about 2,200 characters); past them its
# words still reach the word search. The database grows with it: 516 bytes
# a passage, so about 200 MB at 50,000 documents that all reach it (memory
# holds one vector a document: vectors.py).
MAX_PASSAGES = 8
# The first pass embeds these first (the title and the start of the summary
# or text), so a bulk import is searchable by meaning soon; the second pass
# adds the rest (follower.py).
FIRST_PASSAGES = 3

_SENTENCE_END = re.compile(r"(?<=[.!?;。！？；])\s*|\n+")


@dataclass(frozen=True)
class Passage:
    source: str  # one of SOURCES
    start: int  # [start, end) of the source text
    end: int
    text: str


def source_text(document: IndexedDocument, source: str) -> str:
    if source == "title":
        return document.title
    if source == "summary":
        return document.summary
    if source == "note":
        return document.notes
    if source == "attachment":
        return document.content
    raise ValueError(f"unknown passage source {source!r}")


def split(text: str, source: str, limit: int = PASSAGE_CHARS) -> list[Passage]:
    """Stretches of whole sentences up to ``limit`` characters (a longer
    sentence is cut at a space, or anywhere in a text without spaces)."""
    out: list[Passage] = []
    start = None
    end = 0
    position = 0
    for match in _SENTENCE_END.finditer(text + "\n"):
        sentence_end = match.start()
        if sentence_end <= position:
            position = match.end()
            continue
        if start is not None and sentence_end - start > limit:
            out.append(Passage(source, start, end, text[start:end]))
            start = None
        if start is None:
            start = position
        end = sentence_end
        while end - start > limit:  # one very long sentence
            cut = text.rfind(" ", start + limit // 2, start + limit)
            cut = cut if cut > start else start + limit
            out.append(Passage(source, start, cut, text[start:cut]))
            start = cut
        position = match.end()
    if start is not None and text[start:end].strip():
        out.append(Passage(source, start, end, text[start:end]))
    return [p for p in out if p.text.strip()]


def passages(document: IndexedDocument) -> list[Passage]:
    """Passage 0 is always the title (every embedded document has one row)."""
    out = [Passage("title", 0, len(document.title), document.title)]
    for source in SOURCES[1:]:
        text = source_text(document, source)
        if text.strip():
            out.extend(split(text, source))
        if len(out) >= MAX_PASSAGES:
            break
    return out[:MAX_PASSAGES]
