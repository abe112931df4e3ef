"""A full disk (#17.3): reading goes on, a write is refused saying where and
how much to free, and once space is freed everything works again with no
repair. On a real, small tmpfs; skipped where one cannot be mounted."""

from __future__ import annotations

import json
import subprocess

import pytest


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk):
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as handle:  # unbuffered: closing it has nothing left to write
        try:
            while True:
                handle.write(b"\0" * 65536)
        except OSError:
            pass
    return filler


def test_reads_work_on_a_full_disk_and_writes_resume_once_space_is_freed(small_disk, capsys, caplog):
    from finweek_desktop.cli import main

    def finweek(*argv):
        code = main(["--data-dir", str(small_disk / "data"), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    assert finweek("list")[0] == 0  # made and seeded while there was room
    filler = _fill(small_disk)

    caplog.clear()
    code, out, err = finweek("search", "digital currency")
    assert code == 0 and "2020 Digital Currency Blue Paper" in out
    # Nothing tried to write (the embeddings of search by meaning) and failed with a traceback.
    assert not [r.getMessage() for r in caplog.records if r.exc_info], caplog.text
    code, out, _ = finweek("list", "--json")
    assert code == 0 and len(json.loads(out)) == 9
    code, out, _ = finweek("check", "--json")
    assert code == 0 and json.loads(out)["ok"]

    code, _, err = finweek("add", "--kind", "report", "--title", "Written on a full disk")
    assert code == 1
    assert "nothing was written" in err and str(small_disk / "data") in err and "free at least 64 MB" in err
    assert "Traceback" not in err

    filler.unlink()
    code, out, err = finweek("add", "--kind", "report", "--title", "Written once freed")
    assert code == 0, err
    assert "Written once freed" in finweek("search", "once freed")[1]
    assert finweek("check")[0] == 0


def test_a_full_disk_with_commits_still_in_the_wal_is_no_damaged_catalog(small_disk, capsys):
    """Read-only on a full disk is immutable=1, which sees nothing of the
    -wal file: a catalog whose last commits are still there (a process
    killed before its checkpoint) must open for reading, not be called
    damaged for a change log that seems to end before its index's."""
    import sys
    from pathlib import Path

    from finweek_desktop.cli import main
    from finweek_desktop.core.index_follower import POSITION_FILE, Position

    data = small_disk / "data"
    assert main(["--data-dir", str(data), "list"]) == 0
    # A process that commits a change and dies before any checkpoint: the commit is in the -wal alone.
    killed = (
        "import os, sqlite3, sys\n"
        "db = sqlite3.connect(sys.argv[1])\n"
        "db.execute('PRAGMA wal_autocheckpoint=0')\n"
        "db.execute(\"UPDATE documents SET title = 'Retitled, in the WAL' WHERE id = 1\")\n"
        "cursor = db.execute(\"INSERT INTO changes (document_id, action, at) VALUES (1, 'changed', '2026-12-02')\")\n"
        "db.commit()\n"
        "print(cursor.lastrowid, flush=True)\n"
        "os._exit(0)\n"
    )
    done = subprocess.run([sys.executable, "-c", killed, str(data / "catalog.sqlite3")], capture_output=True, text=True)
    seq = int(done.stdout)
    (data / "index" / POSITION_FILE).write_text(json.dumps(Position(seq).to_json()))  # as its index applied it
    Path(f"{data / 'catalog.sqlite3'}-shm").unlink(missing_ok=True)  # rebuilt at open: room is needed for it
    assert Path(f"{data / 'catalog.sqlite3'}-wal").stat().st_size > 0
    capsys.readouterr()
    filler = _fill(small_disk)
    try:
        code = main(["--data-dir", str(data), "list"])
        out, err = capsys.readouterr()
        assert code == 0 and "damaged" not in err, err
        assert "2020 Digital Currency Blue Paper" in out
    finally:
        filler.unlink()


@pytest.fixture
def full_index_disk(data_dir, finweek):
    """The catalog's index folder on a small tmpfs of its own (the database
    beside it has room): a write's database commit succeeds and its index
    commit finds the disk full, as when a disk fills between the two."""
    assert finweek("list")[0] == 0  # made and seeded while there was room
    index = data_dir / "index"
    kept = data_dir / "index.kept"
    index.rename(kept)
    index.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(index)], capture_output=True)
    if done.returncode != 0:
        index.rmdir()
        kept.rename(index)
        pytest.skip("cannot mount a tmpfs here (needs root)")
    for path in kept.iterdir():
        (index / path.name).write_bytes(path.read_bytes())
    yield index
    subprocess.run(["umount", "-l", str(index)], check=False)


def _names_outside_the_table_of_contents(index):
    """Files of the index folder that its committed table of contents does not name."""
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import TOC

    live = {s.segment_id() for s in TOC.read(FileStorage(str(index), readonly=True), "catalog").segments}
    return sorted(
        p.name
        for p in index.iterdir()
        if p.name.startswith(("catalog_", "_catalog_"))
        and p.name != "catalog_WRITELOCK"
        and p.name.split(".")[0] not in live
        and not (p.name.startswith("_catalog_") and p.name.endswith(".toc") and p.name.count(".") == 1)
    ) + sorted(p.name for p in index.iterdir() if p.is_dir())


def test_an_index_commit_on_a_full_disk_leaves_nothing_and_catches_up_once_freed(full_index_disk, finweek):
    index = full_index_disk
    filler = _fill(index)
    assert _names_outside_the_table_of_contents(index) == []

    code, out, err = finweek("add", "--kind", "report", "--title", "Saved as the index disk filled")
    assert code == 0, err  # saved, and said so: never reported as failed
    assert "Added [10]" in out and "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines[0] == "finweek: saved; it will be searchable in a moment", err
    assert lines[1].startswith(f"finweek: the disk holding the search index {index} is full"), err
    assert "free at least 8 MB there" in lines[1]
    # No half-written segment, no temporary folder: the room freed later is all for the catch-up.
    assert _names_outside_the_table_of_contents(index) == [], sorted(p.name for p in index.iterdir())

    code, out, _ = finweek("search", "digital currency")  # reads go on
    assert code == 0 and "2020 Digital Currency Blue Paper" in out
    code, out, _ = finweek("check", "--json")
    report = json.loads(out)
    assert code == 1 and report["missing_from_index"] == [10]
    assert any(f"the disk holding the search index {index} is full" in p for p in report["problems"])

    filler.unlink()
    code, out, err = finweek("search", "filled")  # caught up at open, by itself
    assert code == 0 and "Saved as the index disk filled" in out, err
    assert finweek("check")[0] == 0


def test_in_a_running_process_a_commit_on_a_full_disk_releases_the_index(full_index_disk):
    """The window keeps the catalog open: after a failed commit its
    background catch-up must be able to write once there is room (the
    failed writer's lock released), without a restart."""
    from finweek_desktop.core.records import NewDocument
    from finweek_desktop.core.startup import open_catalog

    index = full_index_disk
    catalog = open_catalog(index.parent)
    try:
        filler = _fill(index)
        created = catalog.service.documents.create_document(NewDocument(kind="report", title="Kept while full"))
        problem = catalog.index.write_problem()
        assert problem is not None and str(index) in problem and "is full" in problem
        assert catalog.service.writer.require_follower().pending() >= 1
        assert _names_outside_the_table_of_contents(index) == []
        assert not catalog.service.writer.catch_up()  # still full: waits, no exception

        filler.unlink()
        assert catalog.service.writer.catch_up()  # the same process writes the index again
        assert catalog.index.write_problem() is None
        assert [h.id for h in catalog.service.search("Kept while full").hits][:1] == [created.id]
    finally:
        catalog.close()


def test_an_import_whose_index_commit_finds_the_disk_full_is_saved_and_undoable(full_index_disk):
    """A bulk import's database batches commit, then its one index commit
    finds the disk full: the import is reported saved (not yet searchable),
    is one undo step, and becomes searchable once there is room."""
    from finweek_desktop.core.records import NewDocument
    from finweek_desktop.core.startup import open_catalog

    index = full_index_disk
    catalog = open_catalog(index.parent)
    try:
        service = catalog.service
        filler = _fill(index)
        titles = [f"Imported onto a full index disk {n}" for n in range(3)]
        report = service.imports.import_documents([NewDocument(kind="report", title=t) for t in titles])
        assert len(report.ids) == 3 and not report.changes.searchable
        assert service.history.next_undo().description == "Import 3 documents"
        assert _names_outside_the_table_of_contents(index) == []

        filler.unlink()
        assert service.writer.catch_up()
        assert service.search("full index disk").total == 3
    finally:
        catalog.close()


def test_attaching_and_importing_on_a_full_disk_say_where_and_write_nothing(small_disk, tmp_path, capsys):
    from finweek_desktop.cli import main

    def finweek(*argv):
        code = main(["--data-dir", str(small_disk / "data"), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    assert finweek("list")[0] == 0
    folder = tmp_path / "papers"  # beside the full disk, not on it
    folder.mkdir()
    for n in range(3):
        (folder / f"paper-{n}.txt").write_text(f"Macao bond market paper {n} " * 200)
    filler = _fill(small_disk)

    code, out, err = finweek("attach", "1", str(folder / "paper-0.txt"))
    assert code == 1 and "Traceback" not in err
    assert f"the disk holding {small_disk / 'data'} is full" in err and "free at least 64 MB there" in err, err

    code, out, err = finweek("import", str(folder))
    # Every file failed, said per file; the search index is not blamed for the store's full disk.
    assert "0 documents created" in out and "3 failed" in out, out
    assert "search index" not in err and "Traceback" not in err, err
    assert len(json.loads(finweek("list", "--json")[1])) == 9

    filler.unlink()
    code, out, err = finweek("import", str(folder))
    assert code == 0 and "3 documents created" in out, err
    assert finweek("check")[0] == 0


def test_a_bulk_add_that_fails_midway_leaves_no_segment_and_frees_the_index(tmp_path):
    """A failure before the commit (an import's file that fails to copy) is
    given up the same way: nothing half-written stays, the lock is free."""
    from finweek_desktop.core.search.index import SearchIndex
    from finweek_desktop.core.search.schema import IndexedDocument

    index = SearchIndex(tmp_path / "index")
    index.open()
    index.upsert([IndexedDocument(1, "report", "Hengqin bond market")])

    def documents():
        yield IndexedDocument(2, "report", "Macao insurance " * 500)
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        index.add_many(documents())
    assert _names_outside_the_table_of_contents(tmp_path / "index") == []
    index.apply([IndexedDocument(3, "report", "Written right after")], (), timeout=0)  # the lock is free
    assert [h.id for h in index.search("written right after").hits] == [3]
    assert index.write_problem() is None  # the store's full disk is not the index's
    index.close()


def test_a_catalog_opened_on_a_full_disk_refuses_writes_saying_where_then_how_to_write_again(small_disk):
    from finweek_desktop.core.errors import CatalogFull
    from finweek_desktop.core.records import NewDocument
    from finweek_desktop.core.startup import open_catalog

    open_catalog(small_disk / "data").close()
    filler = _fill(small_disk)
    catalog = open_catalog(small_disk / "data")
    try:
        assert catalog.read_only
        with pytest.raises(CatalogFull, match=r"nothing was written: the disk holding .*data is full .*64 MB"):
            catalog.service.documents.create_document(NewDocument(kind="report", title="Refused"))
        filler.unlink()  # freed while this catalog stays open for reading only
        with pytest.raises(CatalogFull, match="there is room again now: reopen the catalog"):
            catalog.service.documents.create_document(NewDocument(kind="report", title="Refused"))
    finally:
        catalog.close()
    catalog = open_catalog(small_disk / "data")  # opened anew: writes
    try:
        assert catalog.read_only is None
        catalog.service.documents.create_document(NewDocument(kind="report", title="Written once reopened"))
    finally:
        catalog.close()


def test_an_index_to_rebuild_on_a_full_disk_does_not_stop_the_catalog_opening(small_disk, capsys, caplog):
    """Start-up needs no free space to read: an index that must be rebuilt
    (lost, here) when the disk has no room for it is left for later; the
    database reads, and the index is rebuilt once there is room."""
    import os
    import shutil

    from finweek_desktop.cli import main

    def finweek(*argv):
        code = main(["--data-dir", str(small_disk / "data"), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    assert finweek("list")[0] == 0
    shutil.rmtree(small_disk / "data" / "index")
    filler = _fill(small_disk)
    fd = os.open(filler, os.O_WRONLY)  # a little room: for an empty index, not for the whole of it
    os.ftruncate(fd, os.path.getsize(filler) - 64 * 1024)
    os.close(fd)

    caplog.clear()
    code, out, err = finweek("list", "--json")
    assert code == 0 and len(json.loads(out)) == 9, err
    assert "the search index could not be rebuilt: the disk holding the search index" in caplog.text
    code, out, err = finweek("check")
    assert code == 1 and "it is rebuilt once it can be written" in out and "is full" in out, out

    filler.unlink()
    code, out, err = finweek("search", "digital currency")
    assert code == 0 and "2020 Digital Currency Blue Paper" in out, err
    assert finweek("check")[0] == 0
