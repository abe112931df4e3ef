"""Getting files ready to attach: staged in the store, typed and read.

Everything slow or risky (copying, hashing, parsing) happens here, before
any database transaction starts, so a failure leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from ..models import Attachment, AttachmentPage
from .extraction import ExtractedText, extract_text
from .filetypes import guess_mime
from .store import AttachmentStore, StagedFile


@dataclass
class PreparedFile:
    staged: StagedFile
    name: str
    mime: str
    extracted: ExtractedText
    link_target: Path | None = None  # the file copied, when the one given was a link to it

    def row(self) -> Attachment:
        """The attachment row for this file (with its pages' text), once its file is in the store."""
        return Attachment(
            sha256=self.staged.sha256,
            original_name=self.name[:500],
            size=self.staged.size,
            mime_type=self.mime,
            text=self.extracted.text,
            text_status=self.extracted.status.value,
            text_message=self.extracted.message,
            text_source=self.extracted.source.value,
            pages=[
                AttachmentPage(
                    page=p.page, text=p.text, boxes=json.dumps([list(b) for b in p.boxes]) if p.boxes else ""
                )
                for p in self.extracted.pages
            ],
        )


def title_from(prepared: Sequence[PreparedFile]) -> str:
    """A title for a document made from files: the first file's own title
    (metadata or first heading), else its name."""
    for p in prepared:
        if p.extracted.title and p.extracted.title.strip():
            return p.extracted.title.strip()[:500]
    name = prepared[0].name
    return Path(name).stem.replace("_", " ").strip() or name


@dataclass(frozen=True)
class ChosenFile:
    """A file given to attach. A symbolic link given explicitly attaches its
    target, the regular file it finally points to (``target``), under the
    link's own name; whoever attaches it should say which file that was."""

    path: Path  # as given
    target: Path | None = None  # the link's target, fully resolved; None when not a link

    @property
    def source(self) -> Path:
        """The file whose bytes are copied."""
        return self.target or self.path


def choose_files(paths: Sequence[Path]) -> list[ChosenFile]:
    """Every path must be a readable regular file, or a link to one: fail
    before copying any. A link to a folder, a device, a FIFO or a socket is
    refused, naming what it points to."""
    chosen = []
    for raw in paths:
        path = Path(raw).expanduser()
        target = _link_target(path) if path.is_symlink() else None
        if target is None and not path.exists():
            raise FileNotFoundError(2, "no such file", str(path))
        if target is None and not path.is_file():
            raise ValueError(f"not a regular file: {path} ({_kind(path)})")
        with open(target or path, "rb"):
            pass  # raises PermissionError with the path in it
        chosen.append(ChosenFile(path, target))
    if not chosen:
        raise ValueError("no files given")
    return chosen


def check_sources(paths: Sequence[Path]) -> list[Path]:
    """The paths, each checked by ``choose_files``."""
    return [c.path for c in choose_files(paths)]


def _link_target(link: Path) -> Path:
    try:
        target = link.resolve(strict=True)
    except FileNotFoundError:
        raise FileNotFoundError(2, f"no such file: the link points to {os.readlink(link)}", str(link)) from None
    except (RuntimeError, OSError) as exc:  # a loop of links (RuntimeError before Python 3.13)
        raise ValueError(f"{link} is a link that cannot be followed ({exc})") from None
    if not target.is_file():
        raise ValueError(f"{link} is a link to {_kind(target)}, {target}: only a regular file can be attached")
    return target


def _kind(path: Path) -> str:
    mode = path.stat().st_mode
    for test, kind in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "something other than a file"


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
    for chosen in choose_files(paths):
        staged = stack.enter_context(store.stage(chosen.source))
        mime = guess_mime(staged.temp, chosen.path.name)
        extracted = known_text(staged.sha256) or extract_text(staged.temp, mime, sandbox=sandbox)
        prepared.append(PreparedFile(staged, chosen.path.name, mime, extracted, chosen.target))
    return prepared
