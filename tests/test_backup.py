"""`finweek backup`: one archive (database, stored files, manifest), verified,
restored, and taken daily by itself. Real catalogs, real zip files in tmp_path."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import threading
import zipfile
from contextlib import closing

import pytest

from finweek_desktop.core.backup import (
    BackupError,
    backup_if_due,
    backup_settings,
    create_backup,
    list_backups,
    restore_backup,
    take_backup,
    verify_backup,
)
from finweek_desktop.core.backup.archive import DATABASE_MEMBER, MANIFEST
from finweek_desktop.core.paths import CatalogPaths
from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.startup import open_catalog

QUERIES = ("currency", "Hengqin", "横琴", "tag:fintech", "report", "cooperation AND macao")


def catalog_rows(data_dir):
    """What a catalog holds, as rows: documents, tag links, attachments."""
    with closing(sqlite3.connect(data_dir / "catalog.sqlite3")) as db:
        return {
            "documents": db.execute(
                "SELECT id, kind, title, subtitle, date, language, summary, notes, session_id"
                " FROM documents ORDER BY id"
            ).fetchall(),
            "tags": db.execute(
                "SELECT document_id, name FROM document_tags JOIN tags ON tags.id = tag_id ORDER BY 1, 2"
            ).fetchall(),
            "organizations": db.execute("SELECT * FROM document_organizations ORDER BY 1, 2, 3").fetchall(),
            "attachments": db.execute(
                "SELECT id, document_id, sha256, original_name, size, text FROM attachments ORDER BY id"
            ).fetchall(),
        }


def store_hashes(data_dir):
    """sha256 of the content of every stored file, by its name (they must agree)."""
    found = {}
    for path in (data_dir / "attachments" / "objects").rglob("*"):
        if path.is_file():
            found[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def search_ids(service, queries=QUERIES):
    return {q: [h.id for h in service.search(q, limit=None).hits] for q in queries}


@pytest.fixture
def catalog_with_files(data_dir, tmp_path):
    """The seeded catalog with two more documents holding attached files."""
    catalog = open_catalog(data_dir)
    for n, text in enumerate(("Hengqin field notes on cross-border insurance", "澳門 橫琴 合作 報告 草稿")):
        note = tmp_path / f"note-{n}.txt"
        note.write_text(text, encoding="utf-8")
        doc = catalog.service.documents.create_document(NewDocument(kind="report", title=f"Field notes {n}"))
        catalog.service.attachments.attach_files(doc.id, [note])
    yield catalog
    catalog.close()


def test_backup_then_restore_gives_the_same_catalog_while_another_catalog_writes(
    catalog_with_files, data_dir, tmp_path
):
    source = catalog_with_files
    writer = open_catalog(data_dir)  # a second process's catalog (the window), writing throughout
    stop = threading.Event()
    added: list[int] = []
    errors: list[BaseException] = []

    def keep_writing():
        n = 0
        try:
            while not stop.is_set() or n < 3:
                doc = writer.service.documents.create_document(
                    NewDocument(kind="report", title=f"Written during the backup {n}", summary="concurrent hengqin")
                )
                added.append(doc.id)
                writer.service.tags.add_tag([doc.id], "concurrent")
                n += 1
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        archive = tmp_path / "backup.zip"
        info = create_backup(source.paths, archive)
    finally:
        stop.set()
        thread.join()
        writer.close()
    assert not errors
    assert verify_backup(archive).ok

    restored_dir = tmp_path / "restored"
    result = restore_backup(archive, restored_dir)
    assert result.old_folder_kept is None
    assert all(p.stat().st_mode & 0o077 == 0 for p in [restored_dir, *restored_dir.rglob("*")])  # private
    restored = open_catalog(restored_dir, seed=False)
    try:
        rows = catalog_rows(restored_dir)
        ids = {row[0] for row in rows["documents"]}
        assert len(ids) == info.documents
        # One snapshot: the concurrent documents it holds are a prefix of
        # those written, each with its tag (written in a later transaction).
        concurrent = [i for i in added if i in ids]
        assert concurrent == added[: len(concurrent)]
        assert {doc_id for doc_id, name in rows["tags"] if name == "concurrent"} <= set(concurrent)
        assert len(concurrent) - len({d for d, n in rows["tags"] if n == "concurrent"}) <= 1
        # Every document it holds is as the source has it now (nothing else edits them).
        now = catalog_rows(data_dir)
        assert rows["documents"] == [row for row in now["documents"] if row[0] in ids]
        assert rows["attachments"] == [row for row in now["attachments"] if row[1] in ids]
        # The files: the same bytes under the same hashes.
        restored_files = store_hashes(restored_dir)
        assert restored_files and all(name == digest for name, digest in restored_files.items())
        assert {a[2] for a in rows["attachments"]} == set(restored_files)
        # The search index was rebuilt: the same answers, within what it holds.
        source_hits = search_ids(source.service)
        for query, hits in search_ids(restored.service).items():
            assert set(hits) == {i for i in source_hits[query] if i in ids}, query
    finally:
        restored.close()


def test_a_round_trip_without_writes_is_exact(catalog_with_files, data_dir, tmp_path, finweek):
    source = catalog_with_files
    code, out, err = finweek("backup", "create", str(tmp_path / "b.zip"))
    assert code == 0 and "Backed up" in out and "Copying" in err  # progress on stderr
    code, out, _ = finweek("backup", "verify", str(tmp_path / "b.zip"))
    assert code == 0 and "intact" in out
    target = tmp_path / "elsewhere"
    from finweek_desktop.cli import main

    assert main(["--data-dir", str(target), "backup", "restore", str(tmp_path / "b.zip")]) == 0
    assert catalog_rows(target) == catalog_rows(data_dir)
    assert store_hashes(target) == {k: v for k, v in store_hashes(data_dir).items() if k in store_hashes(target)}
    restored = open_catalog(target, seed=False)
    try:
        restored_hits = search_ids(restored.service)
        assert {q: set(h) for q, h in restored_hits.items()} == {
            q: set(h) for q, h in search_ids(source.service).items()
        }
        # Ranks depend on the index's segments (an index written to over time
        # keeps deleted entries' statistics): rebuilt, the source ranks alike.
        source.service.integrity.reindex()
        assert restored_hits == search_ids(source.service)
    finally:
        restored.close()


def _manifest(archive):
    with zipfile.ZipFile(archive) as z:
        return json.loads(z.read(MANIFEST))


def _rewrite(archive, target, change):
    """A copy of ``archive`` with ``change(name, data) -> data | None`` applied (None: left out)."""
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(target, "w") as dst:
        for info in src.infolist():
            data = change(info.filename, src.read(info.filename))
            if data is not None:
                dst.writestr(info, data)


@pytest.fixture
def good_archive(catalog_with_files, tmp_path):
    archive = tmp_path / "good.zip"
    create_backup(catalog_with_files.paths, archive)
    return archive


def _restores_nothing(archive, tmp_path, match):
    target = tmp_path / "target"
    with pytest.raises(BackupError, match=match):
        restore_backup(archive, target)
    assert not target.exists()
    assert not list(tmp_path.glob("target.restoring-*"))


def test_a_truncated_archive_is_named_and_restores_nothing(good_archive, tmp_path, finweek):
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(good_archive.read_bytes()[: good_archive.stat().st_size * 2 // 3])
    report = verify_backup(truncated)
    assert not report.ok and "truncated" in report.problems[0]
    code, out, _ = finweek("backup", "verify", str(truncated))
    assert code == 1 and "truncated" in out and "restore nothing" in out
    _restores_nothing(truncated, tmp_path, "truncated")


def test_a_tampered_member_is_named_and_restores_nothing(good_archive, tmp_path):
    [stored] = [n for n in _manifest(good_archive)["members"] if n.startswith("attachments/")][:1]
    tampered = tmp_path / "tampered.zip"
    _rewrite(good_archive, tampered, lambda name, data: data + b" (edited)" if name == stored else data)
    report = verify_backup(tampered)
    assert [p for p in report.problems if stored in p and "tampered" in p] == report.problems
    _restores_nothing(tampered, tmp_path, "tampered")


def test_a_flipped_byte_and_a_missing_member_are_named(good_archive, tmp_path):
    data = bytearray(good_archive.read_bytes())
    with zipfile.ZipFile(good_archive) as z:
        info = z.getinfo(DATABASE_MEMBER)
    data[info.header_offset + 30 + len(DATABASE_MEMBER) + 100] ^= 0xFF  # inside the database's bytes
    flipped = tmp_path / "flipped.zip"
    flipped.write_bytes(bytes(data))
    report = verify_backup(flipped)
    assert len(report.problems) == 1 and DATABASE_MEMBER in report.problems[0]
    _restores_nothing(flipped, tmp_path, DATABASE_MEMBER)

    missing = tmp_path / "missing.zip"
    _rewrite(good_archive, missing, lambda name, data: None if name == DATABASE_MEMBER else data)
    problems = verify_backup(missing).problems
    assert any(f"member {DATABASE_MEMBER} is missing" in p for p in problems)
    _restores_nothing(missing, tmp_path, "missing")


def test_restore_refuses_a_folder_in_use_and_replace_keeps_it_aside(
    good_archive, catalog_with_files, data_dir, tmp_path
):
    before = catalog_rows(data_dir)
    catalog_with_files.close()
    with pytest.raises(BackupError, match="not empty: nothing was restored"):
        restore_backup(good_archive, data_dir)
    assert catalog_rows(data_dir) == before
    # The catalog changes after the backup; --replace restores the backup and keeps it.
    later = open_catalog(data_dir)
    later.service.documents.create_document(NewDocument(kind="report", title="Written after the backup"))
    later.close()
    after = catalog_rows(data_dir)
    result = restore_backup(good_archive, data_dir, replace=True)
    assert result.old_folder_kept is not None and result.old_folder_kept.name.startswith("data.before-restore-")
    assert catalog_rows(result.old_folder_kept) == after  # kept whole
    assert catalog_rows(data_dir) == before
    restored = open_catalog(data_dir)
    assert not restored.service.search('"Written after the backup"').hits
    restored.close()


def test_the_cli_refuses_a_non_empty_folder_in_one_line(good_archive, data_dir, finweek):
    code, _out, err = finweek("backup", "restore", str(good_archive))
    assert code == 1 and "not empty" in err and "--replace" in err and len(err.strip().splitlines()) == 1


def test_a_team_catalog_is_sent_to_pg_dump(finweek, tmp_path):
    code, _out, err = finweek(
        "--database-url", "postgresql://nobody@localhost:1/none", "backup", "create", str(tmp_path / "x.zip")
    )
    assert code == 1 and "pg_dump" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.zip").exists()


def test_automatic_backups_are_daily_and_keep_the_last_n(catalog_with_files, data_dir, monkeypatch, finweek):
    monkeypatch.setenv("FINWEEK_BACKUP_KEEP", "3")
    paths = CatalogPaths(data_dir)
    first = backup_if_due(paths)
    assert first is not None and first.path.parent == data_dir / "backups"
    assert backup_if_due(paths) is None  # the last is not a day old
    # Older backups, as days of use leave them (named by their time).
    settings = backup_settings(paths)
    for days in range(1, 6):
        old = first.path.with_name(
            f"finweek-backup-{(dt.datetime.now(dt.UTC) - dt.timedelta(days=days)):%Y%m%dT%H%M%SZ}.zip"
        )
        old.write_bytes(first.path.read_bytes())
    (settings.folder / "my-own-copy.zip").write_bytes(first.path.read_bytes())  # not ours to rotate
    take_backup(paths, settings)
    kept = list_backups(settings)
    assert len(kept) == 3 and kept[0].taken_at >= kept[1].taken_at >= kept[2].taken_at
    assert (settings.folder / "my-own-copy.zip").exists()
    assert kept[0].documents == catalog_with_files.service.documents.count_documents()

    code, out, _ = finweek("backup", "list", "--json")
    listed = json.loads(out)
    assert code == 0 and listed["keep"] == 3 and len(listed["backups"]) == 3
    code, out, _ = finweek("backup", "list")
    assert "the last 3 kept" in out


def test_the_settings_file_and_a_day_old_backup(data_dir, catalog_with_files, monkeypatch, finweek, tmp_path):
    monkeypatch.delenv("FINWEEK_BACKUP_KEEP", raising=False)
    elsewhere = tmp_path / "usb"
    (data_dir / "settings.toml").write_text(f'[backup]\nkeep = 2\ndir = "{elsewhere}"\n')
    settings = backup_settings(CatalogPaths(data_dir))
    assert settings.keep == 2 and settings.folder == elsewhere
    # A command that writes takes the daily backup when the last is a day old.
    stale = (
        elsewhere / f"finweek-backup-{(dt.datetime.now(dt.UTC) - dt.timedelta(days=1, minutes=1)):%Y%m%dT%H%M%SZ}.zip"
    )
    elsewhere.mkdir()
    stale.write_bytes(b"")
    code, _out, err = finweek("add", "--kind", "report", "--title", "One more note")
    assert code == 0 and "daily automatic backup saved" in err
    assert len(list_backups(settings)) == 2
    code, _out, err = finweek("add", "--kind", "report", "--title", "And another")
    assert code == 0 and "automatic backup" not in err


def test_restore_refuses_a_catalog_open_in_a_window(good_archive, catalog_with_files, data_dir):
    import os
    import socket

    # The lock file a window holds while it has the catalog open (gui/app.py).
    (data_dir / "finweek-desktop.lock").write_text(f"{os.getpid()}\nfinweek-desktop\n{socket.gethostname()}\n")
    before = catalog_rows(data_dir)
    with pytest.raises(BackupError, match=f"open in a Finance Week window \\(process {os.getpid()}\\)"):
        restore_backup(good_archive, data_dir, replace=True)
    assert catalog_rows(data_dir) == before
    assert not list(data_dir.parent.glob("data.before-restore-*"))


def test_a_damaged_database_makes_no_backup(catalog_with_files, data_dir, tmp_path):
    catalog_with_files.close()
    database = data_dir / "catalog.sqlite3"
    with closing(sqlite3.connect(database)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        [page] = db.execute(
            "SELECT pageno FROM dbstat WHERE name = 'documents' AND pagetype = 'leaf' LIMIT 1"
        ).fetchone()
    with open(database, "r+b") as f:
        f.seek((page - 1) * 4096)
        f.write(b"\xa5" * 4096)
    with pytest.raises(BackupError, match=r"is damaged .*no backup was made; `finweek recover`"):
        create_backup(CatalogPaths(data_dir), tmp_path / "b.zip")
    assert not list(tmp_path.glob("b.zip*"))


def test_a_backup_stopped_midway_leaves_nothing(catalog_with_files, tmp_path):
    from finweek_desktop.core.backup import BackupCancelled

    asked = []
    with pytest.raises(BackupCancelled):
        create_backup(catalog_with_files.paths, tmp_path / "b.zip", stop=lambda: asked.append(1) or len(asked) > 1)
    assert asked and not list(tmp_path.glob("b.zip*"))
