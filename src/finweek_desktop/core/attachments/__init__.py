"""Attachments: the content-addressed file store, text extraction in a
sandboxed worker process, and previews. No Qt here: previews are files or
PNG bytes that any front end can show."""

from .extraction import ExtractedText, TextStatus
from .previews import PreviewError, Previews
from .store import AttachmentStore, StagedFile

__all__ = ["AttachmentStore", "ExtractedText", "PreviewError", "Previews", "StagedFile", "TextStatus"]
