"""One backup archive: the catalog database, its stored files, a manifest.

A backup is a zip file holding

- ``catalog.sqlite3``: an SQLite online backup of the catalog (``sqlite3``'s
  ``Connection.backup``), taken in one step from one read snapshot: it is
  consistent while the window or another process keeps writing;
- ``attachments/objects/<xx>/<sha256>``: every stored file the copied
  database refers to (attachments, and files the trash or an undo step still
  holds); the store is content-addressed and its files never change, so
  copying them after the snapshot gives the snapshot's files;
- ``manifest.json``: the SHA-256 and size of every other member, and what
  the backup holds (documents, files, schema revision, when).

The search index is not in it: a restore rebuilds it from the database.
``verify_backup`` reads every member and compares it with the manifest; a
restore verifies first and restores nothing from an archive that fails.
The archive is written to ``FILE.part`` and renamed when complete, so a
backup interrupted (killed, disk full) never passes for a finished one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import socket
import sqlite3
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from ..attachments.store import AttachmentStore
from ..paths import CatalogPaths
from ..privacy import PRIVATE_DIR, private_opener, tighten_umask

FORMAT = "finweek-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_MEMBER = "catalog.sqlite3"
OBJECTS_PREFIX = "attachments/objects/"
_CHUNK = 1024 * 1024

Progress = Callable[[str, int, int | None], None]  # (stage, done, total)


class BackupError(RuntimeError):
    """A backup cannot be made, verified or restored; the message is for the user."""


class BackupCancelled(BackupError):
    """Stopped on request (the window quit): nothing was kept."""


TEAM_CATALOG_MESSAGE = (
    "a team catalog lives in PostgreSQL: back it up on the server with pg_dump (e.g. `pg_dump -Fc DATABASE_URL`); "
    "`finweek backup` saves a desktop's own SQLite catalog"
)


@dataclass(frozen=True)
class BackupInfo:
    """What ``create_backup`` wrote (and what a manifest says)."""

    path: Path
    created_at: dt.datetime
    documents: int
    files: int
    size: int  # bytes of the archive
    revision: str | None
    missing_files: tuple[str, ...] = ()  # referenced by the database but not in the store

    def to_json(self) -> dict:
        return {
            "path": str(self.path),
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "documents": self.documents,
            "files": self.files,
            "size": self.size,
            "revision": self.revision,
            "missing_files": list(self.missing_files),
        }


@dataclass
class VerifyReport:
    path: Path
    problems: list[str] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)
    members: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


# -- creating -------------------------------------------------------------------


def snapshot_database(database: Path, target: Path) -> None:
    """An online backup of ``database`` into the new file ``target``: one
    step (all pages from one read snapshot), so writers meanwhile neither
    make it inconsistent nor make it start over."""
    if not database.is_file() or database.stat().st_size == 0:
        raise BackupError(f"there is no catalog database at {database}")
    source = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        source.execute("PRAGMA busy_timeout=30000")
        with closing(sqlite3.connect(target)) as copy:
            source.backup(copy, pages=-1)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"cannot read the catalog database {database}: {exc}") from exc
    finally:
        source.close()


def _check_snapshot(database: Path, copy: Path) -> None:
    """A damaged database makes no backup: kept, it would push the good
    ones out of the rotation."""
    try:
        with closing(sqlite3.connect(copy)) as connection:
            result = [row[0] for row in connection.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as exc:
        result = [str(exc)]
    if result != ["ok"]:
        why = "; ".join(" ".join(r.split()) for r in result[:2])
        raise BackupError(
            f"the catalog database {database} is damaged ({why}): no backup was made; "
            "`finweek recover` rebuilds a working catalog"
        )


def _referenced_files(database: Path) -> tuple[list[str], int, str | None]:
    """The hashes the copied database refers to, its document count and revision."""
    with closing(sqlite3.connect(database)) as connection:
        hashes = {row[0] for row in connection.execute("SELECT sha256 FROM attachments")}
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "held_files" in tables:
            hashes |= {row[0] for row in connection.execute("SELECT sha256 FROM held_files")}
        documents = connection.execute("SELECT count(*) FROM documents").fetchone()[0]
        revision = None
        if "alembic_version" in tables:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
    return sorted(h for h in hashes if h), documents, revision


def create_backup(
    paths: CatalogPaths,
    target: Path,
    progress: Progress | None = None,
    stop: Callable[[], bool] | None = None,
) -> BackupInfo:
    """Write a backup of the catalog in ``paths`` to ``target`` (a zip file).
    ``stop`` is asked between files: True abandons it (BackupCancelled)."""
    target = Path(target)
    if target.exists() and target.is_dir():
        raise BackupError(f"{target} is a folder; give the backup a file name, e.g. {target / 'catalog.zip'}")
    target.parent.mkdir(parents=True, exist_ok=True)
    store = AttachmentStore(paths.attachments)
    part = target.with_name(target.name + ".part")
    created = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="finweek-backup-", dir=target.parent) as scratch:
        database = Path(scratch) / DATABASE_MEMBER
        _tell(progress, "Copying the catalog database", 0, 1)
        snapshot_database(paths.database, database)
        _tell(progress, "Copying the catalog database", 1, 1)
        _check_snapshot(paths.database, database)
        hashes, documents, revision = _referenced_files(database)
        members: dict[str, dict] = {}
        missing: list[str] = []
        try:
            with open(part, "wb", opener=private_opener) as raw, zipfile.ZipFile(raw, "w", allowZip64=True) as archive:
                members[DATABASE_MEMBER] = _add_file(archive, database, DATABASE_MEMBER, zipfile.ZIP_DEFLATED)
                for done, sha256 in enumerate(hashes, 1):
                    if stop is not None and stop():
                        raise BackupCancelled("the backup was stopped; nothing was kept")
                    path = store.path_for(sha256)
                    if not path.is_file():
                        missing.append(sha256)
                        continue
                    name = OBJECTS_PREFIX + f"{sha256[:2]}/{sha256}"
                    # Stored as is: PDFs and images are compressed already.
                    members[name] = _add_file(archive, path, name, zipfile.ZIP_STORED)
                    if done % 50 == 0 or done == len(hashes):
                        _tell(progress, "Copying the stored files", done, len(hashes))
                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "created_at": created.isoformat(),
                    "revision": revision,
                    "documents": documents,
                    "files": len(hashes) - len(missing),
                    "missing_files": missing,
                    "members": members,
                }
                archive.writestr(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True), zipfile.ZIP_DEFLATED)
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(part, target)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
    return BackupInfo(
        target, created, documents, len(hashes) - len(missing), target.stat().st_size, revision, tuple(missing)
    )


def _add_file(archive: zipfile.ZipFile, path: Path, name: str, compression: int) -> dict:
    digest = hashlib.sha256()
    size = 0
    # Level 1: the database deflates to about the same size as at level 6, 3-5 times faster.
    archive.compression, archive.compresslevel = compression, 1
    with open(path, "rb") as source, archive.open(name, "w", force_zip64=True) as member:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            member.write(chunk)
            size += len(chunk)
    return {"sha256": digest.hexdigest(), "size": size}


# -- verifying ------------------------------------------------------------------


def verify_backup(path: Path, progress: Progress | None = None) -> VerifyReport:
    """Read every member and compare it with the manifest; each problem is one line."""
    path = Path(path)
    report = VerifyReport(path)
    if not path.is_file():
        report.problems.append(f"{path} does not exist" if not path.exists() else f"{path} is not a file")
        return report
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        report.problems.append(
            f"{path} is truncated or not a backup: its zip directory is missing or damaged "
            f"({path.stat().st_size:,} bytes)"
        )
        return report
    except OSError as exc:
        report.problems.append(f"cannot read {path}: {exc.strerror or exc}")
        return report
    with archive:
        manifest = _read_manifest(archive, report)
        if manifest is None:
            return report
        report.manifest = manifest
        listed: dict[str, dict] = manifest.get("members", {})
        present = {info.filename: info for info in archive.infolist()}
        for name in sorted(set(present) - set(listed) - {MANIFEST}):
            report.problems.append(f"member {name} is not in the manifest (added after the backup was made)")
        for name in sorted(set(listed) - set(present)):
            report.problems.append(f"member {name} is missing from the archive")
        if DATABASE_MEMBER not in listed:
            report.problems.append(f"the manifest lists no {DATABASE_MEMBER}")
        names = [n for n in listed if n in present]
        for done, name in enumerate(names, 1):
            problem = _check_member(archive, name, listed[name])
            if problem:
                report.problems.append(problem)
            else:
                report.members += 1
            if done % 50 == 0 or done == len(names):
                _tell(progress, "Verifying the backup", done, len(names))
    return report


def _read_manifest(archive: zipfile.ZipFile, report: VerifyReport) -> dict | None:
    try:
        data = json.loads(archive.read(MANIFEST))
    except KeyError:
        report.problems.append(f"{report.path} has no {MANIFEST}: it is not a finweek backup")
        return None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error) as exc:
        report.problems.append(f"the manifest of {report.path} is damaged ({exc})")
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("members"), dict):
        report.problems.append(f"{report.path} is not a finweek backup (its manifest is of another kind)")
        return None
    if int(data.get("format_version", 0)) > FORMAT_VERSION:
        report.problems.append(
            f"{report.path} was made by a newer finweek (backup format {data['format_version']}); update to restore it"
        )
        return None
    return data


def _check_member(archive: zipfile.ZipFile, name: str, expected: dict) -> str | None:
    digest = hashlib.sha256()
    size = 0
    try:
        with archive.open(name) as member:
            while chunk := member.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as exc:  # CRC errors, truncated data
        return f"member {name} is damaged or truncated ({exc})"
    if size != expected.get("size") or digest.hexdigest() != expected.get("sha256"):
        got = f"SHA-256 {digest.hexdigest()[:12]}…, {size:,} bytes"
        return f"member {name} differs from the manifest ({got}): tampered or damaged"
    return None


# -- restoring ------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreResult:
    data_dir: Path
    documents: int
    files: int
    old_folder_kept: Path | None  # where the folder that was replaced now is


def folder_is_empty(folder: Path) -> bool:
    return not folder.exists() or (folder.is_dir() and not any(folder.iterdir()))


def restore_backup(
    archive_path: Path, data_dir: Path, *, replace: bool = False, progress: Progress | None = None
) -> RestoreResult:
    """Put the backup's catalog in ``data_dir``. Refuses a non-empty folder
    unless ``replace``, which keeps the old folder aside (renamed, never
    deleted). Verifies first: a bad archive restores nothing. The caller
    opens the restored catalog, which rebuilds its search index."""
    data_dir = Path(data_dir).expanduser().absolute()
    if data_dir.exists() and not data_dir.is_dir():
        raise BackupError(f"{data_dir} is a file, not a catalog folder")
    empty = folder_is_empty(data_dir)
    if not empty and not replace:
        raise BackupError(
            f"{data_dir} is not empty: nothing was restored. Give an empty or new folder with --data-dir, "
            "or add --replace to keep the present folder aside and restore in its place"
        )
    user = _window_using(data_dir)
    if user is not None:
        raise BackupError(
            f"{data_dir} is open in a Finance Week window (process {user}): close it first; nothing was restored"
        )
    report = verify_backup(archive_path, progress)
    if not report.ok:
        raise BackupError(f"the backup {archive_path} is damaged; nothing was restored: {'; '.join(report.problems)}")
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    tighten_umask()  # the restored catalog is the user's alone, as the one backed up was
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    staging = data_dir.with_name(f"{data_dir.name}.restoring-{stamp}")
    staging.mkdir(PRIVATE_DIR)
    try:
        files = _extract(Path(archive_path), report.manifest, staging, progress)
        kept = None
        if data_dir.exists():
            if empty:
                data_dir.rmdir()
            else:
                kept = _free_name(data_dir.with_name(f"{data_dir.name}.before-restore-{stamp}"))
                data_dir.rename(kept)
        staging.rename(data_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return RestoreResult(data_dir, int(report.manifest.get("documents", 0)), files, kept)


WINDOW_LOCK = "finweek-desktop.lock"  # the window's QLockFile (gui/app.py): pid, app, host


def _window_using(data_dir: Path) -> int | None:
    """The process id of a window that has the catalog in ``data_dir`` open
    on this machine, read from its lock file; None when there is none."""
    try:
        pid_text, _app, host, *_ = [*(data_dir / WINDOW_LOCK).read_text(errors="replace").splitlines(), "", "", ""]
        pid = int(pid_text)
    except (OSError, ValueError):
        return None
    if host and host != socket.gethostname():
        return None  # another machine's (a shared folder): not ours to judge
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None  # a crashed window's stale lock
    except PermissionError:
        return pid
    return pid


def _extract(archive_path: Path, manifest: dict, root: Path, progress: Progress | None) -> int:
    paths = CatalogPaths(root)
    files = 0
    with zipfile.ZipFile(archive_path) as archive:
        names = list(manifest["members"])
        for done, name in enumerate(names, 1):
            if name == DATABASE_MEMBER:
                target = paths.database
            elif name.startswith(OBJECTS_PREFIX):
                sha256 = name.rsplit("/", 1)[-1]
                target = AttachmentStore(paths.attachments).path_for(sha256)  # refuses names that are not hashes
                files += 1
            else:
                continue  # a member of a newer format: not ours to place
            target.parent.mkdir(PRIVATE_DIR, parents=True, exist_ok=True)
            with archive.open(name) as member, open(target, "xb", opener=private_opener) as out:
                shutil.copyfileobj(member, out, _CHUNK)
                out.flush()
                os.fsync(out.fileno())
            if done % 50 == 0 or done == len(names):
                _tell(progress, "Restoring", done, len(names))
    return files


def _free_name(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


def read_manifest(path: Path) -> dict | None:
    """The manifest of a backup, without verifying the members (for listing); None if unreadable."""
    try:
        with zipfile.ZipFile(path) as archive:
            data = json.loads(archive.read(MANIFEST))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError, zlib.error):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


def _tell(progress: Progress | None, stage: str, done: int, total: int | None) -> None:
    if progress is not None:
        progress(stage, done, total)
