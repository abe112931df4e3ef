"""`finweek backup create | verify | restore | list`: one archive holding the
catalog database, its stored files and a manifest of their SHA-256 hashes;
and the automatic daily backups kept in the data folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.backup import (
    TEAM_CATALOG_MESSAGE,
    BackupError,
    backup_settings,
    create_backup,
    list_backups,
    restore_backup,
    verify_backup,
)
from ..core.paths import CatalogPaths, resolve_data_dir
from ..core.startup import open_catalog
from .output import CliError, print_json


def register(subparsers, common) -> None:
    p = subparsers.add_parser(
        "backup", parents=[common], help="back up, verify, restore the catalog; list the automatic backups"
    )
    actions = p.add_subparsers(dest="backup_action", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create", parents=[common], help="write one archive: the database, the stored files and a manifest"
    )
    create.add_argument("file", type=Path, metavar="FILE", help="the archive to write (a .zip file)")
    create.add_argument("--json", action="store_true", help="machine-readable output")
    create.set_defaults(handler=run_create, opens_catalog=False)
    verify = actions.add_parser("verify", parents=[common], help="check every member of a backup against its manifest")
    verify.add_argument("file", type=Path, metavar="FILE")
    verify.add_argument("--json", action="store_true", help="machine-readable output")
    verify.set_defaults(handler=run_verify, opens_catalog=False)
    restore = actions.add_parser(
        "restore", parents=[common], help="restore a backup into --data-dir (an empty folder, or --replace)"
    )
    restore.add_argument("file", type=Path, metavar="FILE")
    restore.add_argument(
        "--replace", action="store_true", help="restore over a catalog folder, keeping the old folder aside (renamed)"
    )
    restore.set_defaults(handler=run_restore, opens_catalog=False)
    listing = actions.add_parser("list", parents=[common], help="the automatic backups, newest first")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(handler=run_list, opens_catalog=False)


def _paths(args: argparse.Namespace) -> CatalogPaths:
    if getattr(args, "database_url", None):
        raise CliError(TEAM_CATALOG_MESSAGE)
    return CatalogPaths(resolve_data_dir(getattr(args, "data_dir", None)))


def progress_on_stderr(stage: str, done: int, total: int | None) -> None:
    """Progress for people: on stderr, one line rewritten in place on a terminal."""
    if total is None:  # a stage of unknown length: its name, once
        if done == 0:
            print(f"{stage}…", file=sys.stderr, flush=True)
        return
    of = f"/{total}" if total else ""
    if sys.stderr.isatty():
        end = "\n" if done >= total else ""
        print(f"\r{stage}: {done}{of}\033[K", end=end, file=sys.stderr, flush=True)
    elif done >= total:
        print(f"{stage}: {done}{of}", file=sys.stderr)


def run_create(args) -> int:
    paths = _paths(args)
    try:
        info = create_backup(paths, args.file, progress_on_stderr)
    except BackupError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json(info.to_json())
        return 0
    print(f"Backed up {info.documents} documents and {info.files} stored files to {info.path} ({_size(info.size)}).")
    if info.missing_files:
        print(f"{len(info.missing_files)} attached file(s) were missing from the store and are not in the backup.")
    return 0


def run_verify(args) -> int:
    report = verify_backup(args.file, progress_on_stderr)
    manifest = report.manifest
    if args.json:
        print_json(
            {
                "ok": report.ok,
                "problems": report.problems,
                "created_at": manifest.get("created_at"),
                "documents": manifest.get("documents"),
                "files": manifest.get("files"),
                "members": report.members,
            }
        )
        return 0 if report.ok else 1
    if report.ok:
        print(
            f"{args.file}: intact. {manifest.get('documents')} documents and {manifest.get('files')} stored files, "
            f"backed up {manifest.get('created_at', '?')[:16].replace('T', ' ')} UTC."
        )
        return 0
    print(f"{args.file} is damaged; restoring it would restore nothing:")
    for problem in report.problems:
        print(f"  {problem}")
    return 1


def run_restore(args) -> int:
    if getattr(args, "database_url", None):
        raise CliError(TEAM_CATALOG_MESSAGE.replace("back it up", "restore it").replace("pg_dump", "pg_restore"))
    data_dir = resolve_data_dir(getattr(args, "data_dir", None))
    try:
        result = restore_backup(args.file, data_dir, replace=args.replace, progress=progress_on_stderr)
    except BackupError as exc:
        raise CliError(str(exc)) from None
    # Opening it builds the search index from the restored database.
    catalog = open_catalog(result.data_dir, seed=False, progress=progress_on_stderr)
    documents = catalog.service.documents.count_documents()
    catalog.close()
    print(f"Restored {documents} documents and {result.files} stored files into {result.data_dir}.")
    if result.old_folder_kept is not None:
        print(f"The folder that was there is kept at {result.old_folder_kept}.")
    return 0


def run_list(args) -> int:
    settings = backup_settings(_paths(args))
    backups = list_backups(settings)
    if args.json:
        print_json(
            {
                "folder": str(settings.folder),
                "keep": settings.keep,
                "automatic": settings.enabled,
                "backups": [b.to_json() for b in backups],
            }
        )
        return 0
    if settings.enabled:
        print(f"Automatic backups: daily, the last {settings.keep} kept, in {settings.folder}")
    else:
        print(f"Automatic backups are off (keep = 0); backups in {settings.folder}")
    if not backups:
        print("No backup yet.")
    for b in backups:
        what = f"{b.documents} documents, {b.files} files" if b.documents is not None else "unreadable manifest"
        print(f"{b.taken_at:%Y-%m-%d %H:%M} UTC  {_size(b.size):>9}  {what}  {b.path.name}")
    return 0


def _size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return str(size)
