"""Temporary copies left by a killed process (issue 17, item 10): `check`
reports them at once, not after ten minutes, and the next start removes
them; a running process's copies are left alone."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_attachment_samples import write

from finweek_desktop.core.attachments.store import AttachmentStore
from finweek_desktop.core.startup import open_catalog

linux_only = pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="process start times come from /proc")

_WRITER = """
import os, signal, sys
from pathlib import Path
from finweek_desktop.core.attachments.store import AttachmentStore

staged = AttachmentStore(Path(sys.argv[1])).stage(Path(sys.argv[2]))
print(staged.temp, flush=True)
if sys.argv[3] == "crash":
    os.kill(os.getpid(), signal.SIGKILL)  # killed mid-import: no clean-up runs
sys.stdin.read()  # an attach still parsing, until told to go on
"""


class Writer:
    """Another process that has staged a file and not committed it."""

    def __init__(self, store: Path, source: Path, crash: bool):
        self.process = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(store), str(source), "crash" if crash else "wait"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        self.temp = Path(self.process.stdout.readline().strip())
        assert self.temp.name.endswith(".part") and self.temp.exists()
        if crash:
            self.process.wait()  # its parent has reaped it: the pid is free

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


def test_check_reports_the_copy_of_a_killed_process_at_once(catalog, service, tmp_path):
    killed = Writer(service.store.root, write(tmp_path / "report.txt", "half imported"), crash=True)
    report = service.integrity.check()
    assert report.temp_files == (str(killed.temp),)
    assert not report.ok
    assert service.integrity.repair(report).ok
    assert not killed.temp.exists()


def test_the_next_start_removes_the_copies_of_killed_processes(finweek, data_dir, tmp_path):
    assert finweek("list")[0] == 0  # the catalog exists
    store = AttachmentStore(data_dir / "attachments")
    killed = [Writer(store.root, write(tmp_path / f"{n}.txt", f"file {n}"), crash=True) for n in range(3)]
    code, out, _ = finweek("check")
    assert code == 0, out
    assert "Removed 3 temporary file(s) left by an attach or import whose process is no longer running" in out
    assert not any(k.temp.exists() for k in killed)
    assert store.temp_files() == []
    code, out, _ = finweek("check", "--json")
    assert '"temporary_files_removed_at_open": []' in out


def test_a_running_process_keeps_its_copies_however_old(catalog, service, tmp_path, data_dir):
    running = Writer(service.store.root, write(tmp_path / "big.pdf", "still being parsed"), crash=False)
    try:
        an_hour_ago = time.time() - 3600
        os.utime(running.temp, (an_hour_ago, an_hour_ago))  # a long import
        assert service.integrity.check().temp_files == ()
        open_catalog(data_dir).close()  # another window or command starts meanwhile
        assert running.temp.exists()
    finally:
        running.kill()
    assert service.integrity.check().temp_files == (str(running.temp),)  # now it is a leftover


@linux_only
def test_a_pid_reused_by_another_process_does_not_keep_a_leftover(service):
    store = service.store
    with store.stage_bytes(b"mine, in progress") as mine:
        pid, start, rest = mine.temp.name.split("-", 2)
        assert int(pid) == os.getpid()
        # The same pid, started at another time: an earlier process that had it.
        earlier = write(store.tmp / f"{pid}-{int(start) - 1}-{rest}", b"from a process that died")
        assert store.leftover_temp_files() == [earlier]
        assert store.remove_leftovers() == [earlier]
        assert mine.temp.exists()


def test_a_copy_whose_writer_cannot_be_asked_about_waits_for_its_age(service):
    store = service.store
    with store.stage_bytes(b"a name to copy") as probe:
        _, _, boot, _, rest = probe.temp.name.split("-", 4)
    # Named on another machine sharing the folder (another pid space): never judged by our pids.
    elsewhere = write(store.tmp / f"999999-1-{boot}-0badf00d-{rest}", b"another machine's attach")
    older_version = write(store.tmp / "0123456789abcdef0123456789abcdef.part", b"named before writers were")
    assert elsewhere not in store.leftover_temp_files() and older_version not in store.leftover_temp_files()
    assert store.remove_leftovers() == []
    eleven_minutes_ago = time.time() - 11 * 60
    for path in (elsewhere, older_version):
        os.utime(path, (eleven_minutes_ago, eleven_minutes_ago))
    assert {elsewhere, older_version} <= set(store.leftover_temp_files())
