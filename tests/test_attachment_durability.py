"""What a power cut must not undo: a new store folder's name is synced in
its parent, and a detach reaches the database file before its file goes."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from test_attachment_samples import write

from finweek_desktop.core.attachments.store import AttachmentStore
from finweek_desktop.core.records import NewDocument

posix_only = pytest.mark.skipif(os.name != "posix", reason="directories are fsynced on POSIX only")


@pytest.fixture
def synced_dirs(monkeypatch):
    """The directories os.fsync is called on (a spy: the calls still happen)."""
    synced: list[Path] = []
    real_fsync = os.fsync

    def fsync(fd):
        path = Path(os.readlink(f"/proc/self/fd/{fd}"))
        if path.is_dir():
            synced.append(path)
        return real_fsync(fd)

    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to name a file descriptor")
    monkeypatch.setattr(os, "fsync", fsync)
    return synced


@posix_only
def test_a_new_shard_folder_is_synced_in_its_parent(tmp_path, synced_dirs):
    store = AttachmentStore(tmp_path / "store")
    with store.stage(write(tmp_path / "a.txt", "first file")) as staged:
        staged.commit()
    shard = store.path_for(staged.sha256).parent
    assert shard in synced_dirs  # the rename
    assert store.objects in synced_dirs  # the new shard's name
    assert store.root in synced_dirs  # the new objects/ folder's name


@posix_only
def test_commit_many_syncs_each_new_folder_in_its_parent(tmp_path, synced_dirs):
    store = AttachmentStore(tmp_path / "store")
    staged = [store.stage_bytes(f"file {n}".encode(), sync=False) for n in range(5)]
    store.commit_many(staged)
    assert store.root in synced_dirs and store.objects in synced_dirs
    assert {store.path_for(s.sha256).parent for s in staged} <= set(synced_dirs)


def test_a_release_is_in_the_database_file_before_the_stored_file_goes(catalog, service, tmp_path, monkeypatch):
    doc = service.documents.create_document(NewDocument(kind="report", title="Holder"))
    (a,) = service.attachments.attach_files(doc.id, [write(tmp_path / "a.txt", "to be detached")])
    database = catalog.paths.database
    seen: list[bool] = []
    real_delete = AttachmentStore.delete

    def delete(store, sha256):
        # What a power cut now would leave: the database file alone, as an
        # unsynced write-ahead log may be lost.
        snapshot = tmp_path / "snapshot.db"
        shutil.copyfile(database, snapshot)
        with sqlite3.connect(snapshot) as connection:
            seen.append(connection.execute("select count(*) from held_files where sha256 = ?", (a.sha256,)).fetchone()[0] == 0)
        return real_delete(store, sha256)

    monkeypatch.setattr(AttachmentStore, "delete", delete)
    service.attachments.detach(doc.id, a.id)
    service.history.clear()  # the last thing holding the file: the undo step
    assert seen == [True]
    assert not a.path.exists()
