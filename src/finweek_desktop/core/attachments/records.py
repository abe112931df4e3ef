"""Plain rows about attachments, and the errors attaching can raise."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ..changes import ChangeSet


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
    changes: ChangeSet = field(default_factory=ChangeSet, compare=False, repr=False)  # of the write that returned it

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
