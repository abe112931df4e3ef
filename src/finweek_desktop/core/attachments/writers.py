"""Whose is a temporary file, and is the process that writes it still running?

The store names each temporary copy after the process writing it,
``<pid>-<start>-<boot>-<space>-<random>.part``:

- ``pid``: the process id;
- ``start``: when that process started, in clock ticks after boot (Linux's
  /proc; 0 elsewhere), so a later process given the same pid is told apart;
- ``boot``: the machine's boot id (from before a restart, no process is left);
- ``space``: which pids these are (the host name and the pid namespace), so
  a pid written on another machine sharing the folder, or in a sandbox
  with pids of its own, is never looked up among ours.

A copy whose writer is provably gone is a crash's leftover at once. One whose
writer cannot be judged from here (another machine or pid space, a system
without /proc, a name from before this scheme) is judged by its age instead.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import socket
import uuid
from pathlib import Path

_UNKNOWN = "0" * 8
_NAME = re.compile(r"(\d+)-(\d+)-([0-9a-f]{8})-([0-9a-f]{8})-[0-9a-f]{32}\.part")
_PROC = Path("/proc")


def temp_name() -> str:
    """A new temporary file name owned by this process."""
    pid = os.getpid()
    return f"{pid}-{_own_start(pid)}-{_boot_id()}-{_pid_space()}-{uuid.uuid4().hex}.part"


def writer_gone(name: str) -> bool | None:
    """Whether the process that named a temporary file ``name`` has ended:
    True (ended, or the machine restarted since), False (still running), or
    None when that cannot be told here."""
    match = _NAME.fullmatch(name)
    if not match:
        return None  # not named by a writer (an older version's file)
    pid, start, boot, space = int(match[1]), int(match[2]), match[3], match[4]
    if space != _pid_space():
        return None
    if _UNKNOWN not in (boot, _boot_id()) and boot != _boot_id():
        return True
    if start and _has_proc():
        running = _process_start(pid)
        return running is None or running != start
    if os.name != "posix":
        return None  # Windows: os.kill(pid, 0) would not just probe
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return None  # exists under another user, or cannot be asked
    return None  # a process has this pid, but maybe not the writer's


def _process_start(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks after boot); None when there
    is no such process or only its zombie (it has ended, not been reaped)."""
    try:
        data = (_PROC / str(pid) / "stat").read_bytes()
    except OSError:
        return None
    # "pid (command) state ppid ...": the command may hold spaces and ")".
    fields = data[data.rindex(b")") + 2 :].split()
    if fields[0] in (b"Z", b"X"):
        return None
    return int(fields[19])  # field 22 of proc(5), "starttime"


_starts: dict[int, int] = {}


def _own_start(pid: int) -> int:
    # Keyed by pid: a forked child is another writer.
    if pid not in _starts:
        _starts[pid] = (_process_start(pid) or 0) if _has_proc() else 0
    return _starts[pid]


@functools.cache
def _has_proc() -> bool:
    return (_PROC / "self" / "stat").is_file()


@functools.cache
def _boot_id() -> str:
    try:
        boot = (_PROC / "sys" / "kernel" / "random" / "boot_id").read_text().strip().replace("-", "")
    except OSError:
        return _UNKNOWN
    return boot[:8].lower() if re.fullmatch(r"[0-9a-fA-F]{8,}", boot) else _UNKNOWN


@functools.cache
def _pid_space() -> str:
    try:
        namespace = os.readlink(_PROC / "self" / "ns" / "pid")
    except OSError:
        namespace = ""
    return hashlib.sha256(f"{socket.gethostname()}\0{namespace}".encode()).hexdigest()[:8]
