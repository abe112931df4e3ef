"""A lost or emptied database is a damaged catalog, and repair never destroys.

Each test damages a real catalog (SQLite file, Whoosh index, attachment
store in tmp_path) the way a failing disk or a sync tool does, then runs the
commands a researcher would.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from finweek_desktop.core.catalog import RepairNeedsConfirmation
from finweek_desktop.core.errors import CatalogDamaged
from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.search.index import stored_document_count
from finweek_desktop.core.startup import open_catalog


def _store_files(data_dir):
    return sorted(p.name for p in (data_dir / "attachments" / "objects").rglob("*") if p.is_file())


@pytest.fixture
def closed_catalog(data_dir, tmp_path):
    """A seeded catalog with one more attached file, closed; its store's files."""
    catalog = open_catalog(data_dir)
    note = tmp_path / "field-notes.txt"
    note.write_text("Hengqin field notes on cross-border insurance")
    doc = catalog.service.documents.create_document(NewDocument(kind="report", title="Field notes"))
    catalog.service.attachments.attach_files(doc.id, [note])
    count = catalog.service.documents.count_documents()
    catalog.close()
    files = _store_files(data_dir)
    assert files and count > 5
    return count, files


@pytest.mark.parametrize("damage", ["truncate", "delete"])
def test_a_lost_database_stops_the_open_and_changes_nothing(closed_catalog, data_dir, finweek, damage):
    count, files = closed_catalog
    database = data_dir / "catalog.sqlite3"
    if damage == "truncate":
        database.write_bytes(b"")
    else:
        database.unlink()

    code, out, err = finweek("list")

    assert code == 1
    assert "No documents" not in out
    assert f"holds {count} document(s)" in err and f"holds {len(files)} file(s)" in err
    assert "lost or damaged" in err and "Nothing was changed" in err
    # Not seeded over, not re-created, the index and store untouched.
    assert (not database.exists()) if damage == "delete" else database.stat().st_size == 0
    assert stored_document_count(data_dir / "index") == count
    assert _store_files(data_dir) == files
    # And so for every command, repair included.
    assert finweek("check", "--repair", "--yes")[0] == 1
    assert _store_files(data_dir) == files


def test_a_database_that_lost_its_schema_is_not_taken_for_new(closed_catalog, data_dir):
    # A lost WAL can take the tables with it: a valid SQLite file with none.
    database = data_dir / "catalog.sqlite3"
    database.unlink()
    sqlite3.connect(database).close()
    assert database.exists()
    with pytest.raises(CatalogDamaged):
        open_catalog(data_dir)


def test_a_database_emptied_of_documents_stops_the_open(closed_catalog, data_dir):
    count, _files = closed_catalog
    with sqlite3.connect(data_dir / "catalog.sqlite3") as connection:
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("DELETE FROM documents")
    with pytest.raises(CatalogDamaged, match=f"holds no documents, but its search index holds {count}"):
        open_catalog(data_dir)


def test_a_new_catalog_still_opens_and_an_emptied_one_by_the_user_too(data_dir):
    catalog = open_catalog(data_dir)
    for document in catalog.service.documents.list_documents():
        catalog.service.documents.delete_document(document.id)
    catalog.close()
    # Every document deleted through the catalog: the index agrees, no damage.
    catalog = open_catalog(data_dir)
    assert catalog.service.documents.count_documents() == 0
    catalog.close()


def test_repair_quarantines_unreferenced_files_and_purge_deletes_them(catalog, data_dir, finweek, tmp_path):
    service = catalog.service
    note = tmp_path / "only-copy.txt"
    note.write_text("the only copy of a researcher's notes")
    doc = service.documents.create_document(NewDocument(kind="report", title="Notes"))
    [attachment] = service.attachments.attach_files(doc.id, [note])
    # The row is lost as a damaged database would lose it; the file stays.
    with sqlite3.connect(data_dir / "catalog.sqlite3") as connection:
        connection.execute("DELETE FROM attachments WHERE id = ?", (attachment.id,))
    catalog.close()

    code, out, _ = finweek("check", "--repair")
    assert code == 0 and "Repaired." in out
    quarantined = data_dir / "attachments" / "quarantine" / attachment.sha256
    assert quarantined.read_text() == "the only copy of a researcher's notes"
    assert not attachment.path.exists()

    code, out, _ = finweek("check", "--json")
    data = json.loads(out)
    assert data["ok"] and data["quarantined_files"] == [str(quarantined)]
    code, out, _ = finweek("check")
    assert "1 file(s) in the quarantine" in out and "--purge-quarantine" in out

    code, out, _ = finweek("check", "--purge-quarantine")
    assert code == 0 and "Deleted 1 quarantined file(s)." in out
    assert not quarantined.exists()


def test_repair_asks_before_dropping_many_documents_from_the_index(catalog, data_dir, finweek):
    ids = [d.id for d in catalog.service.documents.list_documents()][:8]
    catalog.close()
    # A lost WAL: the database forgot documents the index still holds.
    with sqlite3.connect(data_dir / "catalog.sqlite3") as connection:
        connection.execute("PRAGMA foreign_keys=ON")
        connection.executemany("DELETE FROM documents WHERE id = ?", [(i,) for i in ids])

    code, out, err = finweek("check", "--repair")  # stdin is no terminal: no question can be asked
    assert code == 1
    assert "would remove 8 document(s) from the search index" in err and "--yes" in err
    code, out, _ = finweek("check", "--json")
    assert sorted(json.loads(out)["orphans_in_index"]) == sorted(ids)  # nothing was changed

    code, out, _ = finweek("check", "--repair", "--yes")
    assert code == 0 and "Repaired." in out
    assert json.loads(finweek("check", "--json")[1])["ok"]


def test_the_core_repair_refuses_unconfirmed_drops(catalog, data_dir):
    ids = [d.id for d in catalog.service.documents.list_documents()][:6]
    with sqlite3.connect(data_dir / "catalog.sqlite3") as connection:
        connection.execute("PRAGMA foreign_keys=ON")
        connection.executemany("DELETE FROM documents WHERE id = ?", [(i,) for i in ids])
    report = catalog.service.integrity.check()
    with pytest.raises(RepairNeedsConfirmation) as raised:
        catalog.service.integrity.repair(report)
    assert sorted(raised.value.ids) == sorted(ids)
    assert catalog.index.doc_count() == report_count(report, catalog)
    assert catalog.service.integrity.repair(report, confirmed=True).ok


def report_count(report, catalog):
    return catalog.service.documents.count_documents() + len(report.orphans_in_index)


def test_a_database_that_lost_its_wal_stops_the_open_and_recover_brings_its_documents_back(data_dir, finweek):
    """The documents the WAL held are gone from the database, not from the
    index: opening it as it is would give their numbers to new documents
    (and their changes' numbers, which the index takes for applied), so new
    writes would never be searchable and old hits would show lost titles."""
    assert finweek("list")[0] == 0
    database = data_dir / "catalog.sqlite3"
    reader = sqlite3.connect(database)  # a reader's snapshot keeps the next commits in the WAL
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM documents").fetchone()
    titles = [f"Written into the WAL {n}" for n in range(1, 8)]
    for title in titles:
        assert finweek("add", "--kind", "report", "--title", title)[0] == 0
    without_its_wal = database.read_bytes()
    reader.close()
    database.write_bytes(without_its_wal)  # the WAL lost: by a sync tool, a crash of the disk
    for side in ("-wal", "-shm"):
        database.with_name(database.name + side).unlink(missing_ok=True)
    assert sqlite3.connect(database).execute("SELECT count(*) FROM documents").fetchone()[0] == 9
    index_files = sorted(p.name for p in (data_dir / "index").iterdir())

    for command in (["list"], ["add", "--kind", "report", "--title", "Would take number 10"], ["check", "--repair"]):
        code, out, err = finweek(*command)
        assert code == 1, (command, out)
        assert f"the catalog database {database} is older than its search index" in err
        assert "lost its latest writes" in err and "finweek recover" in err and "Nothing was changed" in err
    assert database.read_bytes() == without_its_wal  # nothing written over it
    assert sorted(p.name for p in (data_dir / "index").iterdir()) == index_files

    code, out, err = finweek("recover")
    assert code == 0, err
    assert "from what SQLite could still read" in out and "7 document(s)" in out and "search index" in out
    code, out, _ = finweek("list", "--json")
    assert {d["title"] for d in json.loads(out)} >= set(titles)
    code, out, _ = finweek("add", "--kind", "report", "--title", "Written after the recovery")
    assert code == 0 and "Added [17]" in out
    code, out, _ = finweek("search", "after the recovery")
    assert "[17] Written after the recovery" in out
    assert finweek("check")[0] == 0
