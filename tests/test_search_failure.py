"""A failed search tells damage from a bug without reading the whole index;
every file is read against its checksums only in `finweek check` and at the
open after a process stopped with the index open."""

from __future__ import annotations

import subprocess
import sys

import pytest

from finweek_desktop.core.search import checksums, ranking
from finweek_desktop.core.search.index import IndexDamaged, SearchIndex
from finweek_desktop.core.search.schema import IndexedDocument


def _documents(n: int):
    return [IndexedDocument(id=i, kind="report", title=f"Report {i}",
                            summary=f"digital currency pilot number {i} " + "filler words " * (i % 7))
            for i in range(1, n + 1)]


def _scramble(path) -> None:
    """Other bytes, the same size: what only a full read can see."""
    data = bytearray(path.read_bytes())
    for i in range(len(data)):
        data[i] = (data[i] * 7 + 13) % 256
    path.write_bytes(bytes(data))


@pytest.fixture
def index_dir(tmp_path):
    directory = tmp_path / "index"
    ix = SearchIndex(directory)
    ix.open()
    ix.add_many(_documents(300))
    ix.close()
    return directory


@pytest.fixture
def crc_reads(monkeypatch):
    """The files whose contents were read for a checksum."""
    reads = []
    real = checksums._crc32

    def counting(path):
        reads.append(path.name)
        return real(path)

    monkeypatch.setattr(checksums, "_crc32", counting)
    return reads


def test_a_search_failing_on_damaged_files_marks_the_index_damaged_without_reading_them_all(index_dir, crc_reads):
    for postings in index_dir.glob("*.pst"):
        _scramble(postings)
    ix = SearchIndex(index_dir)
    ix.open()  # closed cleanly before: sizes only
    with pytest.raises(IndexDamaged):
        ix.search("digital currency")
    assert crc_reads == []
    ix.close()
    reopened = SearchIndex(index_dir)
    assert reopened.open() is True and reopened.recreated_because is not None  # rebuilt at the next open
    reopened.close()


def test_a_search_failing_on_a_bug_raises_it_and_reads_no_file(index_dir, crc_reads, monkeypatch):
    def bug(self, q):
        raise TypeError("a bug in ranking")

    monkeypatch.setattr(ranking.SegmentRanker, "matches", bug)
    ix = SearchIndex(index_dir)
    ix.open()
    with pytest.raises(TypeError, match="a bug in ranking"):
        ix.search("digital currency")
    assert crc_reads == []
    monkeypatch.undo()
    assert ix.search("digital currency").total == 300  # not marked damaged
    ix.close()


def test_finweek_check_still_reads_every_file(index_dir, crc_reads):
    ix = SearchIndex(index_dir)
    ix.open()
    assert ix.verify() == []
    assert any(name.endswith(".pst") for name in crc_reads)
    ix.close()


def _stop_without_closing(index_dir) -> None:
    """Another process opens the index and dies without closing it."""
    code = (
        "import os, sys\n"
        "from finweek_desktop.core.search.index import SearchIndex\n"
        "ix = SearchIndex(sys.argv[1])\n"
        "ix.open()\n"
        "os._exit(0)  # as a kill -9 or a crash: no close\n"
    )
    subprocess.run([sys.executable, "-c", code, str(index_dir)], check=True, timeout=120)


def test_after_an_unclean_stop_the_next_open_reads_every_file_and_rebuilds_a_damaged_one(index_dir, crc_reads):
    _stop_without_closing(index_dir)
    postings = max(index_dir.glob("*.pst"), key=lambda p: p.stat().st_size)
    _scramble(postings)
    ix = SearchIndex(index_dir)
    assert ix.open() is True
    assert "unclean stop" in ix.recreated_because and postings.name in ix.recreated_because
    assert postings.name in crc_reads
    ix.close()


def test_after_an_unclean_stop_a_whole_index_opens_as_it_was_and_is_read_once(index_dir, crc_reads):
    _stop_without_closing(index_dir)
    ix = SearchIndex(index_dir)
    assert ix.open() is False
    assert crc_reads  # read once...
    crc_reads.clear()
    ix.close()
    ix.open()
    assert crc_reads == []  # ...not at the next open: it closed cleanly
    assert ix.search("digital").total == 300
    ix.close()


def test_an_open_session_of_another_process_is_not_taken_for_an_unclean_stop(index_dir, crc_reads):
    code = (
        "import sys\n"
        "from finweek_desktop.core.search.index import SearchIndex\n"
        "ix = SearchIndex(sys.argv[1])\n"
        "ix.open()\n"
        "print('open', flush=True)\n"
        "sys.stdin.readline()\n"
        "ix.close()\n"
    )
    other = subprocess.Popen([sys.executable, "-c", code, str(index_dir)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "open"
        ix = SearchIndex(index_dir)
        assert ix.open() is False
        assert crc_reads == []
        ix.close()
    finally:
        other.communicate("\n", timeout=60)
    assert other.returncode == 0
