"""Size and CRC-32 of every index file, recorded after each commit.

Whoosh checks none of its files: a damaged postings file reads as "no
documents match", or fails deep in a search. Segment files never change
once written (deletions live in the table of contents, which is a new file
per generation), so what was written can be recorded once and compared
later: sizes at every open and after a failed search (cheap), contents in
``finweek check`` and at the open after a process stopped with the index
open (sessions.py): a full read costs seconds at 50,000 documents.

A file that is not recorded (an index from before this file existed, or a
commit whose recording was cut short) cannot be judged and is not reported;
the next commit records it. Only files a committed table of contents names
are recorded, so another writer's files in progress never are.
"""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path

CHECKSUMS_FILE = "finweek-index-checksums.json"
_CHUNK = 1 << 20


def _crc32(path: Path) -> int:
    crc = 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            crc = zlib.crc32(chunk, crc)
    return crc


def exists(directory: Path) -> bool:
    """Whether the index in ``directory`` has its checksums file."""
    return (directory / CHECKSUMS_FILE).is_file()


def _load(directory: Path) -> dict[str, list[int]]:
    try:
        data = json.loads((directory / CHECKSUMS_FILE).read_text())
        return {str(k): [int(v[0]), int(v[1])] for k, v in data.items()}
    except (OSError, ValueError, TypeError, IndexError, AttributeError):
        return {}


def record(directory: Path, names: list[str]) -> None:
    """Record the files ``names`` (those of the committed table of contents)
    not recorded yet; forget the files no longer there.

    Call after a commit, under the index's directory lock (another process
    may record the same folder)."""
    known = _load(directory)
    current = {name: entry for name, entry in known.items() if (directory / name).exists()}
    for name in names:
        if name not in current:
            path = directory / name
            try:
                current[name] = [path.stat().st_size, _crc32(path)]
            except FileNotFoundError:  # merged away by another writer meanwhile
                continue
    tmp = directory / (CHECKSUMS_FILE + ".tmp")
    tmp.write_text(json.dumps(current, sort_keys=True))
    os.replace(tmp, directory / CHECKSUMS_FILE)


def damaged(directory: Path, names: list[str], *, contents: bool) -> list[str]:
    """Which of the files ``names`` differ from what was recorded: by size,
    and with ``contents`` by CRC-32 too. A file that is gone is not judged
    (another writer may have merged it away; a live segment missing a file
    fails to open anyway)."""
    known = _load(directory)
    bad = []
    for name in names:
        entry = known.get(name)
        if entry is None:
            continue
        path = directory / name
        try:
            size = path.stat().st_size
            if size != entry[0] or (contents and _crc32(path) != entry[1]):
                bad.append(name)
        except FileNotFoundError:
            continue  # merged away by another writer: not for us to judge
        except OSError:
            bad.append(name)
    return bad
