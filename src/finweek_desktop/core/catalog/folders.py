"""Import of files and folders, one document per file (``finweek import``
and the window's Import): what to import, found by walking the chosen
folders, and the import itself through ``Imports`` (batched, logged).

A walk never follows a link to a folder, so it cannot loop, and takes a link
to a file only when the file lies inside the folder chosen: a link leading
out of it is skipped and reported (issue 17). Hidden files and folders
(".DS_Store", ".git") are passed over; the same file reached twice (a link
beside its target, a path given twice) is imported once.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..records import NewDocument
from .imports import ImportItem, ImportReport, Imports


@dataclass
class FolderScan:
    files: list[Path] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why)


def scan(paths: Sequence[str | Path]) -> FolderScan:
    """The files to import from ``paths`` (files and folders), in order:
    each folder's files sorted by name, its subfolders after."""
    result = FolderScan()
    seen: set[tuple[int, int]] = set()

    def take(path: Path) -> None:
        try:
            info = path.stat()
        except OSError as exc:
            result.skipped.append((str(path), exc.strerror or str(exc)))
            return
        key = (info.st_dev, info.st_ino)
        if key in seen:
            return
        seen.add(key)
        result.files.append(path)

    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists() and not path.is_symlink():
            result.skipped.append((str(path), "no such file or folder"))
        elif path.is_dir() and not path.is_symlink():
            _walk(path, take, result)
        elif path.is_dir():  # a link to a folder given by name: walked as the folder it names
            _walk(path.resolve(), take, result)
        elif path.is_file():
            take(path)
        else:
            result.skipped.append((str(path), "not a regular file"))
    return result


def _walk(root: Path, take: Callable[[Path], None], result: FolderScan) -> None:
    top = root.resolve()
    for folder, dirs, names in os.walk(root, followlinks=False, onerror=lambda e: _unreadable(e, result)):
        base = Path(folder)
        kept = []
        for name in sorted(dirs):
            sub = base / name
            if name.startswith("."):
                continue
            if sub.is_symlink():
                result.skipped.append((str(sub), "a link to a folder: not followed"))
                continue
            kept.append(name)
        dirs[:] = kept
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = base / name
            if path.is_symlink():
                try:
                    target = path.resolve(strict=True)
                except (OSError, RuntimeError):
                    result.skipped.append((str(path), "a broken link"))
                    continue
                if not target.is_relative_to(top):
                    result.skipped.append((str(path), f"a link leading out of {root}: not followed"))
                    continue
                if not target.is_file():
                    result.skipped.append((str(path), "a link to something other than a file"))
                    continue
            elif not path.is_file():
                result.skipped.append((str(path), "not a regular file"))
                continue
            take(path)


def _unreadable(error: OSError, result: FolderScan) -> None:
    result.skipped.append((str(error.filename), error.strerror or str(error)))


@dataclass(frozen=True)
class FolderImportReport:
    report: ImportReport
    files: tuple[Path, ...]  # the files tried, in order
    skipped: tuple[tuple[str, str], ...]  # found while walking and left out

    @property
    def added(self) -> list[str]:
        """The names of the files that became documents."""
        left_out = [d.name for d in self.report.duplicates] + [name for name, _ in self.report.failed]
        added = []
        for path in self.files[: len(self.report.ids) + len(left_out)]:
            if path.name in left_out:
                left_out.remove(path.name)
            else:
                added.append(path.name)
        return added


def import_paths(
    imports: Imports,
    paths: Sequence[str | Path],
    template: NewDocument,
    *,
    progress: Callable[[int, int, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    procs: int | None = None,
    batch_size: int | None = None,
) -> FolderImportReport:
    """One document per file of ``paths`` (folders walked), each made from
    ``template`` (kind, date, tags, organizations, session) with its title
    from the file. ``progress(n, total, name)`` before each file."""
    found = scan(paths)
    files = found.files
    items = [ImportItem(template, files=(path,)) for path in files]
    total = len(items)

    def on_item(n: int, item: ImportItem) -> None:
        if progress is not None:
            progress(n, total, item.files[0].name)

    options: dict = {"procs": procs, "on_item": on_item, "cancelled": cancelled}
    if batch_size is not None:
        options["batch_size"] = batch_size
    report = imports.import_documents(items, **options)
    if progress is not None:
        progress(total, total, "")
    return FolderImportReport(report, tuple(files), tuple(found.skipped))
