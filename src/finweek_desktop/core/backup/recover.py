"""`finweek recover`: a working catalog again after its database was damaged.

The damaged database is never written to, overwritten or deleted: it is
copied to a scratch folder to be read, and at the end renamed aside
(``catalog.sqlite3.damaged-<time>``, with its ``-wal`` and ``-shm``). The
new database is built beside it (``catalog.sqlite3.recovering``, migrated to
the current schema) from the best source there is:

1. ``backup``: the latest automatic backup that verifies. Documents the
   search index shows as added after the backup are taken from the index
   (as in 3.), changes made after it are reported as lost, and the stored
   files the backup holds come back to the store if they were gone.
2. ``sqlite``: what SQLite can still read of the damaged file: the
   ``sqlite3`` command line's ``.recover`` when the binary exists, else the
   same in Python (every table read row by row, stepping over pages that
   cannot be read). Rows are copied into the fresh database; rows whose
   parent was lost (a tag link of a lost document) are dropped and counted.
3. ``index``: the documents' fields the search index stores (kind, title,
   date, language, summary, notes, tags, the attachments' text and, since
   index schema 5, each attachment's hash, name and type), with the
   attachment store's files re-linked by hash. Subtitles, organizations,
   places and sessions are not stored there and are reported as lost.

Only when the new database holds documents is it swapped in; then the
catalog is opened once, which rebuilds the search index from it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession
from whoosh import index as whoosh_index

from ..attachments.extraction import TextStatus
from ..attachments.store import AttachmentStore, fsync_dir
from ..catalog import CatalogService
from ..damage import BEHIND_INDEX, applied_through, behind_index_reason, database_is_blank
from ..database import make_engine, sqlite_url, upgrade_to_head
from ..index_follower import POSITION_FILE
from ..models import Attachment, Change, Document, Tag
from ..paths import CatalogPaths, resolve_data_dir
from ..privacy import make_private
from ..search.index import INDEX_NAME, RECOVERED_VERSION, VERSION_FILE, SearchIndex, stored_document_count
from ..search.schema import SCHEMA_VERSION
from .archive import DATABASE_MEMBER, OBJECTS_PREFIX, BackupError, Progress, verify_backup
from .automatic import backup_settings, list_backups

log = logging.getLogger(__name__)

SOURCES = ("backup", "sqlite", "index")
RECOVERING_SUFFIX = ".recovering"
_SIDE_FILES = ("", "-wal", "-shm")
_BATCH = 500


class RecoveryRefused(RuntimeError):
    """Recovery did not run, or found nothing; nothing was changed. The message is for the user."""


@dataclass
class RecoveryReport:
    source: str
    documents_recovered: int
    attachments_relinked: int
    lost: list[str] = field(default_factory=list)
    damaged_file_kept: str | None = None
    notes: list[str] = field(default_factory=list)  # what was tried and not used, what came back
    reason: str | None = None  # why the catalog was taken for damaged

    def to_json(self) -> dict:
        return {
            "source": self.source,
            "documents_recovered": self.documents_recovered,
            "attachments_relinked": self.attachments_relinked,
            "lost": self.lost,
            "damaged_file_kept": self.damaged_file_kept,
            "notes": self.notes,
            "damage": self.reason,
        }


# -- is it damaged? -------------------------------------------------------------


def diagnose(paths: CatalogPaths) -> str | None:
    """Why the catalog in ``paths`` is damaged, in one line; None when its
    database reads as whole. Reads only (a copy is checked, never the file)."""
    store = AttachmentStore(paths.attachments)
    in_index = stored_document_count(paths.index)
    if database_is_blank(paths.database):
        if in_index or in_index is None or store.count_files():
            state = "missing" if not paths.database.exists() else "empty"
            return f"the database is {state}, but the search index or the attachment store holds content"
        return None
    applied = applied_through(paths.index)  # before the database: see behind_index_reason
    with tempfile.TemporaryDirectory(prefix=".check-", dir=paths.root) as scratch:
        copy = _copy_database(paths.database, Path(scratch))
        try:
            with closing(sqlite3.connect(copy)) as connection:
                result = [row[0] for row in connection.execute("PRAGMA quick_check")]
                if result != ["ok"]:
                    return "the database is damaged: " + "; ".join(" ".join(r.split()) for r in result[:3])
                documents = connection.execute("SELECT count(*) FROM documents").fetchone()[0]
                deleted = connection.execute("SELECT count(*) FROM changes WHERE action = 'deleted'").fetchone()[0]
                last_logged = connection.execute(
                    "SELECT coalesce((SELECT max(seq) FROM changes), "
                    "(SELECT pruned_through FROM change_log_state WHERE id = 1), 0)"
                ).fetchone()[0]
        except sqlite3.DatabaseError as exc:
            return f"the database is damaged: {exc}"
    if not documents and not deleted and (in_index or in_index is None):
        return "the database holds no documents, but the search index holds some"
    behind = behind_index_reason(applied, last_logged)
    if behind is not None:
        return f"the database {behind}"
    return None


# -- recovering -----------------------------------------------------------------


def recover_catalog(
    data_dir: str | os.PathLike | None = None,
    *,
    source: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
    sqlite_cli: str | None = "sqlite3",
) -> RecoveryReport:
    """Rebuild a working catalog in ``data_dir`` (see the module docstring).

    ``source`` forces one of SOURCES; ``force`` runs on a catalog that reads
    as whole; ``sqlite_cli`` is the sqlite3 binary to use for ``.recover``
    (None: the Python reader alone). Raises RecoveryRefused when it does not
    run or nothing could be recovered, having changed nothing."""
    if source is not None and source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; choose one of {', '.join(SOURCES)}")
    paths = CatalogPaths(resolve_data_dir(data_dir))
    if not paths.root.is_dir():
        raise RecoveryRefused(f"there is no catalog folder at {paths.root}")
    make_private(paths.root)  # what is written from here on is the user's alone, like the rest of the catalog
    _tell(progress, "Checking the catalog", 0, None)
    reason = diagnose(paths)
    if reason is None and not force:
        raise RecoveryRefused(
            f"the catalog at {paths.root} reads as whole; nothing was changed "
            "(add --force to rebuild it from a backup, what SQLite reads, or the index anyway)"
        )
    store = AttachmentStore(paths.attachments)
    staging = paths.database.with_name(paths.database.name + RECOVERING_SUFFIX)
    scratch = Path(tempfile.mkdtemp(prefix=".recover-", dir=paths.root))
    try:
        indexed = _IndexedDocuments.read(paths.index)
        damaged_copy = _copy_database(paths.database, scratch) if _has_database(paths.database) else None
        notes: list[str] = []
        report: RecoveryReport | None = None
        template = scratch / "fresh.sqlite3"
        _fresh_database(template)  # migrated once, copied for each source tried
        # A whole database that lost its latest writes: what SQLite reads is
        # all but those, which the index fills; an older backup would lose more.
        order = ["sqlite", "backup", "index"] if reason and BEHIND_INDEX in reason else list(SOURCES)
        for name in [source] if source else order:
            _remove_database(staging)
            shutil.copyfile(template, staging)
            builder = _Builder(paths, store, staging, scratch, indexed, progress)
            try:
                built = builder.build(name, damaged_copy, sqlite_cli)
            except (sqlite3.DatabaseError, BackupError, OSError, zipfile.BadZipFile) as exc:
                log.warning("recovery from %s failed", name, exc_info=True)
                notes.append(f"{_LABELS[name]}: failed ({exc})")
                continue
            if isinstance(built, str):  # why this source was not used
                notes.append(f"{_LABELS[name]}: {built}")
                continue
            if built.documents_recovered:
                report = built
                break
            notes.append(f"{_LABELS[name]}: no document could be read")
        if report is None:
            _remove_database(staging)
            raise RecoveryRefused(
                f"nothing could be recovered ({'; '.join(notes) or 'no source'}); nothing was changed"
            )
        report.notes = notes + report.notes
        report.reason = reason
        report.damaged_file_kept = _swap_in(paths, staging)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        _remove_database(staging)
    _reindex(paths, progress)
    return report


_ROWS = {
    "attachments": "attached file link(s)",
    "document_tags": "tag link(s)",
    "document_organizations": "organization link(s)",
    "document_places": "place link(s)",
    "organization_aliases": "organization alias(es)",
    "sessions": "session(s)",
}

_LABELS = {
    "backup": "the latest automatic backup",
    "sqlite": "what SQLite can still read",
    "index": "the search index",
}


def _swap_in(paths: CatalogPaths, staging: Path) -> str | None:
    """The damaged database (with its -wal and -shm) renamed aside, the new one in its place."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    kept = paths.database.with_name(f"{paths.database.name}.damaged-{stamp}")
    n = 1
    while any(Path(f"{kept}{s}").exists() for s in _SIDE_FILES):
        n += 1
        kept = paths.database.with_name(f"{paths.database.name}.damaged-{stamp}-{n}")
    moved = None
    for suffix in _SIDE_FILES:
        present = Path(f"{paths.database}{suffix}")
        if present.exists():
            present.rename(Path(f"{kept}{suffix}"))
            moved = moved or str(kept)
    os.replace(staging, paths.database)
    fsync_dir(paths.root)
    return moved


def _reindex(paths: CatalogPaths, progress: Progress | None) -> None:
    """Open the recovered catalog once: its index is rebuilt from it."""
    from ..startup import open_catalog  # startup imports what this package needs, not the reverse

    if (paths.index / VERSION_FILE).exists():
        (paths.index / VERSION_FILE).write_text(RECOVERED_VERSION)  # an index of the lost database: rebuild
        (paths.index / POSITION_FILE).unlink(missing_ok=True)  # its place in the lost database's log
    catalog = open_catalog(paths.root, seed=False, progress=progress)
    catalog.close()


# -- the sources ----------------------------------------------------------------


class _Builder:
    """Fills the fresh database ``staging`` from one source."""

    def __init__(self, paths, store: AttachmentStore, staging: Path, scratch: Path, indexed, progress):
        self.paths = paths
        self.store = store
        self.staging = staging
        self.scratch = scratch
        self.indexed: _IndexedDocuments | None = indexed
        self.progress = progress
        self.filled: set[int] = set()  # documents taken from the index to fill what SQLite could not read

    def build(self, name: str, damaged_copy: Path | None, sqlite_cli: str | None) -> RecoveryReport | str:
        if name == "backup":
            return self.from_backup()
        if name == "sqlite":
            return self.from_sqlite(damaged_copy, sqlite_cli)
        return self.from_index()

    # (a) the latest backup
    def from_backup(self) -> RecoveryReport | str:
        backups = list_backups(backup_settings(self.paths), manifests=False)
        if not backups:
            return "there is none"
        skipped = []
        for backup in backups:
            _tell(self.progress, "Verifying the latest backup", 0, None)
            verified = verify_backup(backup.path)
            if verified.ok:
                break
            skipped.append(f"{backup.path.name} is damaged ({verified.problems[0]})")
        else:
            return "; ".join(skipped)
        copy = self.scratch / "backup.sqlite3"
        with zipfile.ZipFile(backup.path) as archive:
            with archive.open(DATABASE_MEMBER) as member, open(copy, "wb") as out:
                shutil.copyfileobj(member, out)
            returned = 0
            for member_name in verified.manifest["members"]:
                if member_name.startswith(OBJECTS_PREFIX):
                    sha256 = member_name.rsplit("/", 1)[-1]
                    if not self.store.exists(sha256):
                        with archive.open(member_name) as member:
                            staged = self.store.stage_bytes(member.read())
                        with staged:
                            staged.commit()
                        returned += 1
        dropped = _transfer(copy, self.staging, careful=False)
        # Documents added after the backup: the index's copy of them is about
        # to be rebuilt away, so they are taken from it now, not reported lost.
        filled = self._fill_from_index()
        report = self._report("backup", dropped)
        taken = verified.manifest.get("created_at", "")
        since = f"the backup of {taken[:16].replace('T', ' ')}"
        report.notes[:0] = [f"restored from {backup.path} (taken {taken})", *skipped]
        if returned:
            report.notes.append(f"{returned} stored file(s) missing from the store came back from the backup")
        if filled:
            self._report_filled(report, filled, f"added after {since}")
        self._compare_with_index(report, since=since)
        return report

    # (b) what SQLite can still read
    def from_sqlite(self, damaged_copy: Path | None, sqlite_cli: str | None) -> RecoveryReport | str:
        if damaged_copy is None or damaged_copy.stat().st_size == 0:
            return "the database file is missing or empty"
        _tell(self.progress, "Reading what SQLite can of the damaged database", 0, None)
        how = "the Python reader"
        readable = damaged_copy
        salvaged = _sqlite_recover(damaged_copy, self.scratch / "salvaged.sqlite3", sqlite_cli)
        if salvaged is not None:
            readable, how = salvaged, f"`{sqlite_cli} .recover`"
        dropped = _transfer(readable, self.staging, careful=True)
        filled = self._fill_from_index()
        if filled:  # the tags and files of the documents taken from the index are back with them
            dropped.pop("document_tags", None)
            dropped.pop("attachments", None)
        report = self._report("sqlite", dropped)
        report.notes.insert(0, f"read with {how}")
        if filled:
            self._report_filled(report, filled, "unreadable in the damaged database")
        self._compare_with_index(report, since=None)
        return report

    def _report_filled(self, report: RecoveryReport, filled: tuple[list[int], _FromIndex], which: str) -> None:
        """Say which documents came back from the search index, and what of them could not."""
        ids, added = filled
        report.notes.append(
            f"{len(ids)} document(s) {which} were rebuilt from the search index: "
            f"{self.indexed.describe(ids) if self.indexed else ''}"
        )
        report.lost.append(
            f"of those {len(ids)}, the subtitles, organizations, places, sessions and sources "
            "(the search index does not keep them)"
        )
        added.report_into(report)

    def _fill_from_index(self) -> tuple[list[int], _FromIndex] | None:
        """Documents the index holds and the new database lacks (SQLite could
        not read them, or they came after the backup): taken from the index."""
        if self.indexed is None or not self.indexed.documents:
            return None
        with closing(sqlite3.connect(self.staging)) as connection:
            present = {row[0] for row in connection.execute("SELECT id FROM documents")}
            deleted = {row[0] for row in connection.execute("SELECT document_id FROM changes WHERE action = 'deleted'")}
        missing = sorted(i for i in self.indexed.documents if i not in present and i not in deleted)
        if not missing or not present:  # nothing read at all: the index source does the whole work
            return None
        self.filled = set(missing)
        return missing, self._add_from_index(missing)

    # (c) the search index
    def from_index(self) -> RecoveryReport | str:
        if self.indexed is None or not self.indexed.documents:
            return "it holds no document, or cannot be read"
        _tell(self.progress, "Rebuilding the documents from the search index", 0, len(self.indexed.documents))
        added = self._add_from_index(list(self.indexed.documents))
        report = RecoveryReport("index", len(self.indexed.documents), added.relinked)
        report.lost.append(
            "the search index does not keep subtitles, organizations, places, sessions, sources, "
            "trash or undo history: those of every document are lost"
        )
        added.report_into(report)
        self._unlinked_files(report)
        return report

    def _add_from_index(self, ids: list[int]) -> _FromIndex:
        """Add the documents ``ids`` to the new database as the index keeps
        them: fields, tags (existing ones reused) and files re-linked by hash."""
        assert self.indexed is not None
        outcome = _FromIndex()
        engine = make_engine(sqlite_url(self.staging))
        try:
            with DbSession(engine) as session, session.begin():
                tags: dict[str, Tag] = {t.name_key: t for t in session.scalars(select(Tag))}
                for doc_id in ids:
                    fields = self.indexed.documents[doc_id]
                    document = Document(
                        id=doc_id,
                        kind=fields.get("kind") or "other",
                        title=fields.get("title") or f"Document {doc_id}",
                        date=fields.get("date_text") or None,
                        language=fields.get("language") or None,
                        summary=fields.get("summary") or "",
                        notes=fields.get("notes") or "",
                        source="",
                    )
                    for name in (t for t in (fields.get("tag") or "").split(",") if t):
                        key = name.casefold()
                        if key not in tags:
                            tags[key] = Tag(name=name, name_key=key)
                        if tags[key] not in document.tags:
                            document.tags.append(tags[key])
                    content = fields.get("content") or ""
                    files = fields.get("files")
                    if files is None and content:
                        outcome.without_hashes += 1
                    for sha256, original_name, mime in files or ():
                        if not self.store.exists(sha256):
                            outcome.lost_files += 1
                            continue
                        first = not document.attachments
                        document.attachments.append(
                            Attachment(
                                sha256=sha256,
                                original_name=original_name,
                                size=self.store.path_for(sha256).stat().st_size,
                                mime_type=mime,
                                # The index keeps the text of a document's files as one: with the first.
                                text=content if first else "",
                                text_status=(TextStatus.OK if first and content else TextStatus.NO_TEXT).value,
                                text_message="" if first else "its text is kept with the document's first file",
                            )
                        )
                        outcome.relinked += 1
                    session.add(document)
        finally:
            engine.dispose()
        return outcome

    # -- what was lost ----------------------------------------------------------

    def _report(self, source: str, dropped: dict[str, int]) -> RecoveryReport:
        engine = make_engine(sqlite_url(self.staging))
        try:
            with engine.connect() as connection:
                count = connection.scalar(select(func.count()).select_from(Document)) or 0
                rows = connection.execute(select(Attachment.id, Attachment.sha256)).all()
        finally:
            engine.dispose()
        relinked = sum(1 for _id, sha in rows if self.store.exists(sha))
        report = RecoveryReport(source, count, relinked)
        for table, n in sorted(dropped.items()):
            what = _ROWS.get(table, f"row(s) of {table}")
            report.lost.append(f"{n} {what} whose document (or other parent) could not be read")
        if len(rows) > relinked:
            report.lost.append(f"{len(rows) - relinked} attachment(s) whose file is not in the store")
        self._unlinked_files(report)
        return report

    def _unlinked_files(self, report: RecoveryReport) -> None:
        engine = make_engine(sqlite_url(self.staging))
        try:
            with engine.connect() as connection:
                referenced = set(connection.scalars(select(Attachment.sha256)).all())
        finally:
            engine.dispose()
        unlinked = [h for h in self.store.hashes() if h not in referenced]
        if unlinked:
            report.notes.append(
                f"{len(unlinked)} stored file(s) no recovered document refers to stay in the store "
                "(`finweek check` lists them; `check --repair` moves them to the quarantine, never deletes them)"
            )

    def _compare_with_index(self, report: RecoveryReport, since: str | None) -> None:
        """Documents the index shows and the new database lacks or holds older."""
        if self.indexed is None:
            return
        engine = make_engine(sqlite_url(self.staging))
        try:
            service = CatalogService(engine, SearchIndex(self.scratch / "index"), self.store)
            recovered = {d.id: d.fingerprint() for d in service.integrity.indexed_documents()}
            with engine.connect() as connection:
                deleted = set(connection.scalars(select(Change.document_id).where(Change.action == "deleted")).all())
        finally:
            engine.dispose()
        missing = [i for i in self.indexed.documents if i not in recovered and i not in deleted]
        later = "added after " + since if since else "unreadable in the damaged database"
        if missing:
            report.lost.append(f"{len(missing)} document(s) {later}: {self.indexed.describe(missing)}")
        if self.indexed.comparable:
            changed = [
                i
                for i, fingerprint in recovered.items()
                if i in self.indexed.documents
                and i not in self.filled
                and self.indexed.documents[i].get("fingerprint") != fingerprint
            ]
            if changed:
                what = "changes made after " + since if since else "fields or links that could not be read"
                report.lost.append(
                    f"{len(changed)} document(s) recovered without {what}: {self.indexed.describe(changed)}"
                )
        back = [i for i in recovered if i not in self.indexed.documents]
        if back and since:
            report.notes.append(f"{len(back)} document(s) deleted after {since} are back")


@dataclass
class _FromIndex:
    """What adding documents from the index re-linked and could not."""

    relinked: int = 0
    lost_files: int = 0
    without_hashes: int = 0

    def report_into(self, report: RecoveryReport) -> None:
        if self.lost_files:
            report.lost.append(f"{self.lost_files} attached file(s) named in the index are no longer in the store")
        if self.without_hashes:
            report.lost.append(
                f"{self.without_hashes} document(s) were indexed before the index kept file hashes: "
                "their files could not be re-linked (they stay in the store; `finweek check` lists them)"
            )


class _IndexedDocuments:
    """The stored fields of every document in the index, read without writing."""

    def __init__(self, documents: dict[int, dict], comparable: bool):
        self.documents = documents
        self.comparable = comparable  # built by this schema: its fingerprints can be compared

    @classmethod
    def read(cls, directory: Path) -> _IndexedDocuments | None:
        try:
            if not whoosh_index.exists_in(str(directory), indexname=INDEX_NAME):
                return None
            ix = whoosh_index.open_dir(str(directory), indexname=INDEX_NAME, readonly=True)
            try:
                with ix.searcher() as searcher:
                    documents = {int(f["id"]): dict(f) for f in searcher.all_stored_fields() if "id" in f}
            finally:
                ix.close()
        except Exception:  # a damaged index is one source less
            log.warning("the search index at %s cannot be read", directory, exc_info=True)
            return None
        try:
            version = (directory / VERSION_FILE).read_text().strip()
        except OSError:
            version = ""
        return cls(documents, version == SCHEMA_VERSION)

    def describe(self, ids: list[int], limit: int = 5) -> str:
        shown = [f"[{i}] “{self.documents[i].get('title', '')}”" for i in sorted(ids)[:limit]]
        return ", ".join(shown) + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


# -- SQLite ---------------------------------------------------------------------


def _has_database(database: Path) -> bool:
    return database.exists()


def _copy_database(database: Path, folder: Path) -> Path:
    """A copy of the database and its WAL to read (SQLite would write to the original's -shm)."""
    copy = folder / "damaged.sqlite3"
    for suffix in ("", "-wal"):
        source = Path(f"{database}{suffix}")
        if source.exists():
            shutil.copyfile(source, Path(f"{copy}{suffix}"))
    return copy


def _fresh_database(path: Path) -> None:
    engine = make_engine(sqlite_url(path))
    try:
        upgrade_to_head(engine)
    finally:
        engine.dispose()


def _remove_database(path: Path) -> None:
    for suffix in _SIDE_FILES:
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _sqlite_recover(damaged: Path, target: Path, binary: str | None) -> Path | None:
    """``sqlite3 DAMAGED .recover | sqlite3 TARGET``; None when the binary is
    missing or fails (the Python reader then does the work)."""
    if binary is None or shutil.which(binary) is None:
        return None
    try:
        dump = subprocess.run(
            [binary, str(damaged), ".recover"], capture_output=True, timeout=3600, check=False, stdin=subprocess.DEVNULL
        )
        if dump.returncode != 0 or not dump.stdout.strip():
            log.info(
                "sqlite3 .recover failed (the Python reader reads instead): %s",
                dump.stderr.decode(errors="replace").strip(),
            )
            return None
        load = subprocess.run([binary, str(target)], input=dump.stdout, capture_output=True, timeout=3600, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("sqlite3 .recover could not run: %s", exc)
        return None
    if not target.exists():
        log.warning("sqlite3 could not load what .recover read: %s", load.stderr.decode(errors="replace").strip())
        return None
    return target


def _transfer(source: Path, target: Path, *, careful: bool) -> dict[str, int]:
    """Copy every row SQLite can read from ``source`` into the migrated
    database ``target`` (the columns both have); then drop the rows whose
    parent is missing (or clear a link that may be empty). Returns the rows
    dropped, by table."""
    with closing(sqlite3.connect(target)) as out:
        out.execute("PRAGMA foreign_keys=OFF")
        wanted = [
            row[0]
            for row in out.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
            if row[0] != "alembic_version"
        ]
        try:
            source_conn = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)
        except sqlite3.DatabaseError:
            return {}
        with closing(source_conn) as src:
            try:
                present = {
                    row[0] for row in src.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
                }
            except sqlite3.DatabaseError as exc:
                log.info("the damaged database's schema cannot be read: %s", exc)  # the report says what was read
                return {}
            for table in wanted:
                if table not in present:
                    continue
                try:
                    have = {row[1] for row in src.execute(f'PRAGMA table_info("{table}")')}
                except sqlite3.DatabaseError:
                    continue
                columns = [row[1] for row in out.execute(f'PRAGMA table_info("{table}")') if row[1] in have]
                if not columns:
                    continue
                names = ", ".join(f'"{c}"' for c in columns)
                insert = f'INSERT OR IGNORE INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})'
                for batch in _read_rows(src, table, names, careful):
                    out.executemany(insert, batch)
        out.commit()
        dropped = _drop_orphans(out)
        out.commit()
    return dropped


def _read_rows(src: sqlite3.Connection, table: str, names: str, careful: bool) -> Iterator[list[tuple]]:
    """Batches of rows in rowid order; with ``careful``, a part that cannot
    be read is read row by row, and a row that cannot be read is stepped
    over (probing further and further ahead for the next one that can)."""
    select = f'SELECT rowid, {names} FROM "{table}"'
    last = -(2**63)
    while True:
        try:
            rows = src.execute(f"{select} WHERE rowid > ? ORDER BY rowid LIMIT {_BATCH}", (last,)).fetchall()
        except sqlite3.DatabaseError:
            if not careful:
                raise
            try:
                rows = src.execute(f"{select} WHERE rowid > ? ORDER BY rowid LIMIT 1", (last,)).fetchall()
            except sqlite3.DatabaseError:
                found = _next_readable(src, table, last)
                if found is None:
                    return
                try:
                    rows = src.execute(f"{select} WHERE rowid = ?", (found,)).fetchall()
                except sqlite3.DatabaseError:
                    rows = []
                if not rows:
                    last = found  # always forward
                    continue
        if not rows:
            return
        yield [row[1:] for row in rows]
        last = rows[-1][0]


def _next_readable(src: sqlite3.Connection, table: str, after: int) -> int | None:
    """The first rowid past ``after`` whose row reads, probing further and
    further ahead over the damage; None when none is found."""
    probe, step = max(after, 0) + 1, 1
    for _ in range(64):
        try:
            row = src.execute(
                f'SELECT rowid FROM "{table}" WHERE rowid >= ? ORDER BY rowid LIMIT 1', (probe,)
            ).fetchone()
        except sqlite3.DatabaseError:
            probe += step
            step *= 2
            continue
        if row is None:
            return None
        try:
            src.execute(f'SELECT * FROM "{table}" WHERE rowid = ?', (row[0],)).fetchall()
            return int(row[0])
        except sqlite3.DatabaseError:
            probe = int(row[0]) + 1
    return None


def _drop_orphans(out: sqlite3.Connection) -> dict[str, int]:
    dropped: dict[str, int] = {}
    for _ in range(10):  # a dropped row may orphan its own children
        violations = out.execute("PRAGMA foreign_key_check").fetchall()
        if not violations:
            break
        for table, rowid, _parent, fkid in violations:
            links = [row for row in out.execute(f'PRAGMA foreign_key_list("{table}")') if row[0] == fkid]
            columns = [row[3] for row in links]
            nullable = {row[1]: not row[3] and not row[5] for row in out.execute(f'PRAGMA table_info("{table}")')}
            if columns and all(nullable.get(c) for c in columns):
                sets = ", ".join(f'"{c}" = NULL' for c in columns)
                out.execute(f'UPDATE "{table}" SET {sets} WHERE rowid = ?', (rowid,))
            else:
                out.execute(f'DELETE FROM "{table}" WHERE rowid = ?', (rowid,))
                dropped[table] = dropped.get(table, 0) + 1
    return dropped


def _tell(progress: Progress | None, stage: str, done: int, total: int | None) -> None:
    if progress is not None:
        progress(stage, done, total)


__all__ = ["SOURCES", "RecoveryRefused", "RecoveryReport", "diagnose", "recover_catalog"]
