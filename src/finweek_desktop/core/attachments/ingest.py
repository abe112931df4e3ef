"""Getting files ready to attach: staged in the store, typed and read.

Everything slow or risky (copying, hashing, parsing) happens here, before
any database transaction starts, so a failure leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from ..models import Attachment
from .extraction import ExtractedText, extract_text
from .filetypes import guess_mime
from .store import AttachmentStore, StagedFile


@dataclass
class PreparedFile:
    staged: StagedFile
    name: str
    mime: str
    extracted: ExtractedText

    def row(self) -> Attachment:
        """The attachment row for this file, once its file is in the store."""
        return Attachment(
            sha256=self.staged.sha256,
            original_name=self.name[:500],
            size=self.staged.size,
            mime_type=self.mime,
            text=self.extracted.text,
            text_status=self.extracted.status.value,
            text_message=self.extracted.message,
        )


def title_from(prepared: Sequence[PreparedFile]) -> str:
    """A title for a document made from files: the first file's own title
    (metadata or first heading), else its name."""
    for p in prepared:
        if p.extracted.title and p.extracted.title.strip():
            return p.extracted.title.strip()[:500]
    name = prepared[0].name
    return Path(name).stem.replace("_", " ").strip() or name


def check_sources(paths: Sequence[Path]) -> list[Path]:
    """Every path must be a readable regular file: fail before copying any."""
    checked = []
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise FileNotFoundError(2, "no such file", str(path))
        if not path.is_file():
            raise ValueError(f"not a regular file: {path}")
        with open(path, "rb"):
            pass  # raises PermissionError with the path in it
        checked.append(path)
    if not checked:
        raise ValueError("no files given")
    return checked


def prepare(
    store: AttachmentStore,
    paths: Sequence[Path],
    stack: ExitStack,
    known_text: Callable[[str], ExtractedText | None],
    sandbox: bool = True,
) -> list[PreparedFile]:
    """Stage and extract each file; ``stack`` discards the copies not committed.

    ``known_text(sha256)`` returns the text stored for identical content, so
    a duplicate is not parsed twice.
    """
    prepared = []
    for path in check_sources(paths):
        staged = stack.enter_context(store.stage(path))
        mime = guess_mime(staged.temp, path.name)
        extracted = known_text(staged.sha256) or extract_text(staged.temp, mime, sandbox=sandbox)
        prepared.append(PreparedFile(staged, path.name, mime, extracted))
    return prepared
