"""Plain rows about attachments, and the errors attaching can raise."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ..changes import ChangeSet
from .extraction import TextSource, TextStatus


@dataclass(frozen=True)
class AttachmentDetail:
    id: int
    document_id: int
    sha256: str
    original_name: str
    size: int
    mime_type: str
    added_at: dt.datetime
    text_status: str  # a TextStatus value
    text_message: str  # why there is no text, for the user; "" when there is
    text_length: int
    path: Path  # where the store keeps the file
    text_source: str = ""  # "file", "ocr", "file+ocr" or "" (a TextSource value)
    changes: ChangeSet = field(default_factory=ChangeSet, compare=False, repr=False)  # of the write that returned it

    @property
    def searchable(self) -> bool:
        """Whether search finds this file by its text."""
        return self.text_length > 0

    @property
    def text_summary(self) -> str:
        """The text status for people: "from the file", "from OCR", "needs OCR",
        "OCR failed: why", "no text: why"."""
        return status_line(self.text_status, self.text_source, self.text_message)

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "document_id": self.document_id,
            "sha256": self.sha256,
            "original_name": self.original_name,
            "size": self.size,
            "mime_type": self.mime_type,
            "added_at": self.added_at.isoformat(),
            "text_status": self.text_status,
            "text_message": self.text_message,
            "text_length": self.text_length,
            "text_source": self.text_source,
            "text": self.text_summary,
            "path": str(self.path),
        }


@dataclass(frozen=True)
class Holder:
    """A document that already holds some content."""

    document_id: int
    title: str
    attachment_id: int
    original_name: str


class DuplicateAttachment(ValueError):
    """The content is attached elsewhere already; pass ``allow_duplicate=True`` to link it anyway."""

    def __init__(self, name: str, holders: tuple[Holder, ...]):
        self.name = name
        self.holders = holders
        where = "; ".join(f"[{h.document_id}] {h.title} (as {h.original_name})" for h in holders)
        super().__init__(f"{name} is already attached to {where}")


class AlreadyAttached(ValueError):
    """The same content is attached to this very document already."""


def status_line(status: str, source: str, message: str) -> str:
    """An attachment's text status for people: "from the file", "from OCR",
    "needs OCR", "OCR failed: why", "no text: why"."""
    if status == TextStatus.OK.value:
        text = {"ocr": "from OCR", "file+ocr": "from the file and OCR"}.get(source, "from the file")
        return f"{text} ({message})" if message else text
    if status == TextStatus.NEEDS_OCR.value:
        partly = " (the file's text is searchable meanwhile)" if source == TextSource.FILE.value else ""
        return f"needs OCR{partly}"
    if status == TextStatus.OCR_FAILED.value:
        return message if message.startswith("OCR failed") else f"OCR failed: {message}"
    if status == TextStatus.PENDING.value:
        return "not extracted yet (`finweek check --repair` extracts it)"
    why = message.removeprefix("text could not be extracted: ")
    return f"no text: {why}" if why else "no text"
