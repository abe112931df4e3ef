"""The images a previewed document names: only its own attachments.

A Markdown note (``![chart](chart.png)``) or any rich text names resources;
rendering it must open none of them itself. A name like ``/dev/zero`` froze
the window while it read without end, a FIFO hung it, ``file:///etc/passwd``
or ``http://…`` would read what the document has no business reading.

So a reference is only ever looked up among the attachments of the same
document, by file name (the last part of a plain relative path: no scheme,
no host, no leading ``/``, no ``..``), and the image is read from the
content-addressed store, a regular file of a known size, decoded with the
same decompression-bomb checks as any image preview. Everything else is
never opened: the preview shows a placeholder in its place.
"""

from __future__ import annotations

import stat
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Protocol
from urllib.parse import unquote, urlsplit

from . import filetypes
from .previews import PreviewError, Previews

# An image shown inside a previewed text: larger stored files are not read.
MAX_LINKED_IMAGE_BYTES = 16 * 1024 * 1024
# At most this many images are read for one preview.
MAX_LINKED_IMAGES = 32


class _Attachment(Protocol):  # read-only: the core's frozen records satisfy it
    @property
    def sha256(self) -> str: ...
    @property
    def original_name(self) -> str: ...
    @property
    def mime_type(self) -> str: ...


def attachment_name(reference: str) -> str | None:
    """The file name an image reference may stand for among a document's
    attachments; None for anything that is not a plain relative path
    (``/dev/zero``, ``file:///etc/passwd``, ``http://…``, ``../x.png``, ``C:\\x``)."""
    if not reference or "\\" in reference or "\x00" in reference:
        return None
    try:
        parts = urlsplit(reference)
    except ValueError:
        return None
    if parts.scheme or parts.netloc:
        return None
    path = unquote(parts.path)
    if not path or path.startswith("/") or "\x00" in path:
        return None
    pieces = PurePosixPath(path).parts
    if not pieces or ".." in pieces:
        return None
    return pieces[-1]


class LinkedImages:
    """Looks references up among ``siblings`` (the document's attachments)
    and reads the images found from the store, as PNG bytes."""

    def __init__(self, siblings: Iterable[_Attachment], previews: Previews):
        self._previews = previews
        self._by_name: dict[str, _Attachment] = {}
        for attachment in siblings:
            if attachment.mime_type in filetypes.THUMBNAIL_IMAGES:
                self._by_name.setdefault(attachment.original_name, attachment)

    def find(self, reference: str) -> _Attachment | None:
        """The attachment an image reference names, if it names one."""
        name = attachment_name(reference)
        return None if name is None else self._by_name.get(name)

    def load(self, text: str) -> dict[str, bytes]:
        """file name -> PNG bytes of each image attachment ``text`` may name
        (its name occurs in it), read from the store; those too large or
        unreadable are left out (the preview shows a placeholder)."""
        out: dict[str, bytes] = {}
        for name, attachment in self._by_name.items():
            if len(out) >= MAX_LINKED_IMAGES:
                break
            if name not in text:
                continue
            image = self._read(attachment)
            if image is not None:
                out[name] = image
        return out

    def _read(self, attachment: _Attachment) -> bytes | None:
        path = self._previews.store.path_for(attachment.sha256)
        try:
            info = path.lstat()
        except OSError:
            return None
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_LINKED_IMAGE_BYTES:
            return None
        try:
            return self._previews.image_bytes(attachment.sha256, attachment.mime_type)
        except (PreviewError, OSError):
            return None
