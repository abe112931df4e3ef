"""`finweek recover` on really damaged files: truncated to 0 bytes, header
overwritten, one page overwritten; from each of its three sources. The
damaged file is always kept aside, byte for byte."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from finweek_desktop.core.backup import RecoveryRefused, backup_if_due, diagnose, recover_catalog
from finweek_desktop.core.errors import CatalogDamaged
from finweek_desktop.core.paths import CatalogPaths
from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.startup import open_catalog

EXTRA = 80  # documents added to the seed: the documents table spans many pages


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _state(data_dir):
    catalog = open_catalog(data_dir, seed=False)
    try:
        service = catalog.service
        docs = {d.id: d for d in service.documents.list_documents()}
        details = {i: service.documents.get_document(i) for i in docs}
        return {
            "titles": {i: d.title for i, d in docs.items()},
            "tags": {i: tuple(sorted(t.name for t in d.tags)) for i, d in details.items()},
            "files": {i: sorted(a.sha256 for a in d.attachments) for i, d in details.items()},
            "hits": {h.id for h in service.search("Hengqin insurance", limit=None).hits},
        }
    finally:
        catalog.close()


@pytest.fixture
def big_catalog(data_dir, tmp_path):
    """The seed, EXTRA documents with long summaries and tags, two with files; closed."""
    catalog = open_catalog(data_dir)
    service = catalog.service
    service.imports.import_documents(
        NewDocument(
            kind="report",
            title=f"Recovered report {n}",
            summary=f"Cross-border insurance in Hengqin, part {n}. " + "Macao financial cooperation. " * 12,
            tags=("recovery-test",) if n % 2 else (),
        )
        for n in range(EXTRA)
    )
    for n, text in enumerate(("Hengqin field notes on cross-border insurance", "澳門 橫琴 合作 報告")):
        note = tmp_path / f"note-{n}.txt"
        note.write_text(text, encoding="utf-8")
        doc = service.documents.create_document(NewDocument(kind="report", title=f"Field notes {n}"))
        service.attachments.attach_files(doc.id, [note])
    catalog.close()
    return _state(data_dir)


def _database(data_dir):
    return data_dir / "catalog.sqlite3"


def _checkpoint(data_dir):
    """Everything in the database file itself (no WAL), as after a clean close."""
    with closing(sqlite3.connect(_database(data_dir))) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _documents_pages(data_dir) -> list[int]:
    with closing(sqlite3.connect(_database(data_dir))) as db:
        return [
            row[0] for row in db.execute("SELECT pageno FROM dbstat WHERE name = 'documents' AND pagetype = 'leaf'")
        ]


def _damage(data_dir, how: str) -> str:
    """Damage the database as a failing disk would; returns the damaged bytes' hash."""
    database = _database(data_dir)
    _checkpoint(data_dir)
    if how == "truncate":
        database.write_bytes(b"")
    elif how == "half":  # a copy or a sync cut short
        with open(database, "r+b") as f:
            f.truncate(database.stat().st_size // 2)
    elif how == "header":
        with open(database, "r+b") as f:
            f.write(os.urandom(4096))
    elif how == "page":
        pages = _documents_pages(data_dir)
        page = pages[len(pages) // 2]  # a leaf page of documents, in the middle
        with open(database, "r+b") as f:
            f.seek((page - 1) * 4096)
            f.write(b"\xa5" * 4096)
    return _sha(database)


def _kept(report, damaged_sha):
    kept = report.damaged_file_kept
    assert kept and os.path.basename(kept).startswith("catalog.sqlite3.damaged-")
    assert _sha(Path(kept)) == damaged_sha  # kept byte for byte


@pytest.mark.parametrize("damage", ["truncate", "half", "header", "page"])
def test_every_damage_is_found_and_the_open_says_recover(big_catalog, data_dir, damage, finweek):
    _damage(data_dir, damage)
    assert diagnose(CatalogPaths(data_dir)) is not None
    if damage != "page":  # a page no start-up read touches is found by recover and check, not at open
        with pytest.raises(CatalogDamaged, match="finweek recover"):
            open_catalog(data_dir)
    code, _out, err = finweek("list")  # every document read: the damaged page too
    assert code == 1 and "damaged" in err and "`finweek recover`" in err and len(err.strip().splitlines()) == 1


def test_a_whole_catalog_is_refused_unless_forced(big_catalog, data_dir):
    before = _sha(_database(data_dir))
    with pytest.raises(RecoveryRefused, match="reads as whole; nothing was changed"):
        recover_catalog(data_dir)
    assert _sha(_database(data_dir)) == before
    report = recover_catalog(data_dir, force=True, sqlite_cli=None)
    assert report.source == "sqlite" and report.lost == []
    assert _state(data_dir) == big_catalog


def test_from_sqlite_a_page_overwritten_in_the_middle(big_catalog, data_dir):
    damaged = _damage(data_dir, "page")
    report = recover_catalog(data_dir, sqlite_cli=None)  # the Python reader
    _kept(report, damaged)
    assert report.source == "sqlite"
    # The rows of the overwritten page are gone from the database; the index
    # still holds those documents: they are taken from it, and said so.
    [filled] = [n for n in report.notes if "unreadable in the damaged database were rebuilt from the search index" in n]
    count = int(filled.split()[0])
    assert 0 < count < 20  # one page of documents, not more
    assert any(line.startswith(f"of those {count}, the subtitles, organizations") for line in report.lost)
    state = _state(data_dir)
    assert report.documents_recovered == len(state["titles"]) == len(big_catalog["titles"])
    # Everything the index and the readable rows hold is as it was, files and tags included.
    assert state == big_catalog
    assert report.attachments_relinked == sum(len(f) for f in state["files"].values())


def test_a_half_truncated_database_is_recovered_with_every_document(big_catalog, data_dir, finweek):
    damaged = _damage(data_dir, "half")
    code, out, err = finweek("recover")
    assert code == 0, err
    assert "Recovered" in out and "kept at" in out and "Lost:" in out
    kept_aside = [p for p in data_dir.iterdir() if p.name.startswith("catalog.sqlite3.damaged-")]
    [kept] = [p for p in kept_aside if not p.name.endswith(("-wal", "-shm"))]
    assert _sha(kept) == damaged
    state = _state(data_dir)
    # What SQLite could not read of the documents came from the index: every one is back, with its tags and files.
    assert state["titles"] == big_catalog["titles"]
    assert state["tags"] == big_catalog["tags"] and state["files"] == big_catalog["files"]
    assert finweek("check")[0] == 0


def test_the_python_reader_skips_what_it_cannot_read(big_catalog, data_dir):
    from finweek_desktop.core.backup.recover import _fresh_database, _transfer

    _damage(data_dir, "page")
    target = data_dir.parent / "salvaged.sqlite3"
    _fresh_database(target)
    _transfer(data_dir / "catalog.sqlite3", target, careful=True)
    with closing(sqlite3.connect(target)) as db:
        read = {row[0] for row in db.execute("SELECT id FROM documents")}
    lost = set(big_catalog["titles"]) - read
    assert read <= set(big_catalog["titles"]) and 0 < len(lost) < 20
    # What it skipped is one run of neighbours: the rows of one page.
    assert max(lost) - min(lost) == len(lost) - 1


def test_from_the_index_when_the_header_is_overwritten(big_catalog, data_dir, finweek):
    damaged = _damage(data_dir, "header")
    code, out, err = finweek("recover", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert set(report) >= {"source", "documents_recovered", "attachments_relinked", "lost", "damaged_file_kept"}
    assert report["source"] == "index"
    assert _sha(Path(report["damaged_file_kept"])) == damaged
    assert (data_dir / "catalog.sqlite3").stat().st_mode & 0o077 == 0  # private, as the catalog was
    state = _state(data_dir)
    assert report["documents_recovered"] == len(big_catalog["titles"]) == len(state["titles"])
    assert state["titles"] == big_catalog["titles"]
    assert state["tags"] == big_catalog["tags"]
    assert state["files"] == big_catalog["files"]  # re-linked by hash
    assert report["attachments_relinked"] == sum(len(f) for f in big_catalog["files"].values())
    assert any("organizations" in line for line in report["lost"])  # not kept in the index: said so
    assert state["hits"] == big_catalog["hits"]
    # The attached text is searchable again.
    catalog = open_catalog(data_dir)
    assert [h.title for h in catalog.service.search("澳門").hits][:1] == ["Field notes 1"]
    catalog.close()


def test_from_the_latest_backup_when_truncated_to_0_bytes(big_catalog, data_dir, monkeypatch, finweek):
    monkeypatch.setenv("FINWEEK_BACKUP_KEEP", "7")
    assert backup_if_due(CatalogPaths(data_dir)) is not None
    catalog = open_catalog(data_dir)
    later = catalog.service.documents.create_document(NewDocument(kind="report", title="Written after the backup"))
    catalog.close()
    damaged = _damage(data_dir, "truncate")

    code, out, err = finweek("recover")
    assert code == 0, err
    assert "Recovered" in out and "latest automatic backup" in out and "kept at" in out
    # Added after the backup: taken from the index, whose copy the recovery rebuilds away.
    assert "1 document(s) added after the backup" in out and "rebuilt from the search index" in out
    assert "Written after the backup" in out
    [kept] = [p for p in data_dir.iterdir() if p.name.startswith("catalog.sqlite3.damaged-") and "-wal" not in p.name]
    assert kept.stat().st_size == 0 and _sha(kept) == damaged
    state = _state(data_dir)
    assert state["titles"].pop(later.id) == "Written after the backup"
    assert state["tags"].pop(later.id) == () and state["files"].pop(later.id) == []
    assert state == big_catalog
    assert finweek("search", "written after the backup")[1].count("Written after the backup") == 1


def test_a_source_can_be_forced_and_nothing_found_changes_nothing(big_catalog, data_dir, tmp_path):
    damaged = _damage(data_dir, "header")
    with pytest.raises(RecoveryRefused, match=r"nothing could be recovered.*nothing was changed"):
        recover_catalog(data_dir, source="backup")
    with pytest.raises(RecoveryRefused, match="nothing was changed"):
        recover_catalog(data_dir, source="sqlite", sqlite_cli=None)
    assert _sha(_database(data_dir)) == damaged  # untouched
    assert not [p for p in data_dir.iterdir() if ".damaged-" in p.name or p.name.startswith(".recover-")]
    report = recover_catalog(data_dir, source="index")
    assert report.source == "index" and report.documents_recovered == len(big_catalog["titles"])


def test_recovering_twice_keeps_both_damaged_files(big_catalog, data_dir):
    first = _damage(data_dir, "header")
    recover_catalog(data_dir)
    second = _damage(data_dir, "header")
    recover_catalog(data_dir)
    kept = sorted(p for p in data_dir.iterdir() if ".damaged-" in p.name and not p.name.endswith(("-wal", "-shm")))
    assert sorted(_sha(p) for p in kept) == sorted([first, second])


FAKE_SQLITE3 = """#!{python}
# Stands in for a sqlite3 command line whose .recover works (Debian's 3.40
# build lacks the sqlite_dbpage table it needs): the SQL of every row.
import sqlite3, sys
if sys.argv[2:] == [".recover"]:
    for line in sqlite3.connect(sys.argv[1]).iterdump():
        print(line)
else:
    db = sqlite3.connect(sys.argv[1])
    db.executescript(sys.stdin.read())
    db.commit()
"""


def test_the_sqlite3_command_lines_recover_is_used_when_it_works(big_catalog, data_dir, tmp_path):
    import sys

    fake = tmp_path / "sqlite3"
    fake.write_text(FAKE_SQLITE3.format(python=sys.executable))
    fake.chmod(0o755)
    report = recover_catalog(data_dir, force=True, source="sqlite", sqlite_cli=str(fake))
    assert report.notes[0] == f"read with `{fake} .recover`"
    assert report.documents_recovered == len(big_catalog["titles"]) and report.lost == []
    assert _state(data_dir) == big_catalog
