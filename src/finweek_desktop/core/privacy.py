"""The catalog is private to its user: folders 0700, files 0600.

A researcher's documents must not become readable by every user of the
machine, whatever the originals' permissions and the user's umask. Three
things see to it:

- what our own code writes is created with those modes (the store's copies
  and folders, previews, locks: ``PRIVATE_FILE``, ``private_opener``);
- what libraries write in the catalog (SQLite's database, WAL and
  shared-memory files, Whoosh's segments, the index follower's position)
  is covered by the process's umask, which ``make_private`` tightens so
  that group and others get no permission on anything created after it;
- a catalog made before this rule, or copied in with looser modes, is
  brought to it the first time it is opened with its folder not private yet.

The umask is process-wide: anything else this process creates after opening
a catalog (an export, say) is private too, which is what a private
catalog's copies should be. Nothing here runs on Windows, where folders
inherit the user's profile permissions.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
_NOT_OWNER = 0o077  # the group's and others' bits


def private_opener(path: str, flags: int) -> int:
    """``open(..., opener=private_opener)``: a new file is 0600 (before the umask)."""
    return os.open(path, flags, PRIVATE_FILE)


def tighten_umask() -> None:
    """Take every permission from group and others on files created from now on
    (the owner's bits of the umask are kept as they were)."""
    os.umask(os.umask(_NOT_OWNER) | _NOT_OWNER)


def make_private(root: Path) -> None:
    """Tighten the umask, and if ``root`` lets group or others in, take their
    permissions off everything in it, then off ``root`` itself (last, so an
    interrupted pass is done again at the next open). Only bits are removed:
    a read-only folder stays read-only. A folder this user cannot change (a
    read-only file system, another owner's folder) is logged, not refused."""
    if os.name != "posix":
        return
    tighten_umask()
    try:
        mode = stat.S_IMODE(root.stat().st_mode)
    except OSError:
        return
    if not mode & _NOT_OWNER:
        return
    failed = 0
    for folder, folders, files in os.walk(root):
        for name in folders + files:
            failed += not _restrict(Path(folder) / name)
    failed += not _restrict(root)
    if failed:
        log.warning("could not make %d item(s) in %s private to this user", failed, root)


def _restrict(path: Path) -> bool:
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            return True  # chmod would follow it out of the catalog
        mode = stat.S_IMODE(info.st_mode)
        wanted = mode & (PRIVATE_DIR if stat.S_ISDIR(info.st_mode) else PRIVATE_FILE)
        if wanted != mode:
            os.chmod(path, wanted)
        return True
    except FileNotFoundError:
        return True  # gone meanwhile (a temporary file)
    except OSError:
        return False
