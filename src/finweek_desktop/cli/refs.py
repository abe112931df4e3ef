"""`finweek export | import-refs | cite`: references in and out, citations."""

from __future__ import annotations

import sys
from pathlib import Path

from ..core.catalog.bibliography import EXTENSIONS, RefImportReport
from ..core.display import safe_display_name as shown
from ..core.refs import EXPORT_FORMATS
from ..core.refs.cite import FORMATS as CITE_FORMATS
from ..core.refs.cite import STYLES
from .output import CliError, print_json, record_id


def register(subparsers, common) -> None:
    p = subparsers.add_parser(
        "export",
        parents=[common],
        help="export documents as CSV, JSON, BibTeX, RIS or CSL-JSON",
        description="Export the documents given by id, by a search, a collection or a saved search "
        "(together: all of them, each once); with none of these, the whole catalog.",
    )
    p.add_argument("--format", required=True, choices=EXPORT_FORMATS)
    p.add_argument("ids", nargs="*", type=record_id, metavar="ID", help="documents to export")
    p.add_argument("--search", metavar="Q", help="the documents this query finds")
    p.add_argument("--collection", metavar="NAME", help="the documents of this collection")
    p.add_argument("--saved", metavar="NAME", help="the documents this saved search finds")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: standard output)")
    p.set_defaults(handler=run_export)

    p = subparsers.add_parser(
        "import-refs",
        parents=[common],
        help="import references from BibTeX, RIS or CSL-JSON files",
        description="One document per new entry; duplicates (same DOI, or same title and year) are skipped "
        "and reported, an entry that cannot be read is refused with the reason, and the others are imported. "
        "Files named in an entry (file = {...}, L1) are attached when they exist.",
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=run_import_refs)

    p = subparsers.add_parser("cite", parents=[common], help="format citations of documents")
    p.add_argument("ids", nargs="+", type=record_id, metavar="ID")
    p.add_argument("--style", choices=list(STYLES), default="gb7714")
    p.add_argument("--format", choices=CITE_FORMATS, default="text")
    p.set_defaults(handler=run_cite)


def selected_ids(service, args) -> list[int]:
    """The ids of the arguments in order, each once; every id must exist."""
    ids: list[int] = []
    for doc_id in args.ids:
        service.documents.get_document(doc_id)  # NotFound names a missing id
        ids.append(doc_id)
    if args.search:
        ids.extend(hit.id for hit in service.search(args.search, limit=None).hits)
    if args.collection:
        ids.extend(collection_ids(service, args.collection, saved=False))
    if args.saved:
        ids.extend(collection_ids(service, args.saved, saved=True))
    if not (args.ids or args.search or args.collection or args.saved):
        ids = service.documents.document_ids(sort="id")
    return list(dict.fromkeys(ids))


def collection_ids(service, name: str, *, saved: bool) -> list[int]:
    """The documents of a collection, or the hits of a saved search run now."""
    info = service.collections.find(name, count=False)
    if saved and not info.saved:
        raise CliError(f"{name!r} is a collection, not a saved search: use --collection")
    if not saved and info.saved:
        raise CliError(f"{name!r} is a saved search: use --saved")
    return list(service.collections.document_ids(info.id))


def run_export(args, catalog) -> int:
    service = catalog.service
    ids = selected_ids(service, args)
    if args.output:
        path = Path(args.output)
        if path.is_dir():
            raise CliError(
                f"{path} is a folder; give a file name such as {path / ('export' + EXTENSIONS[args.format])}"
            )
        count = service.bibliography.export_to(ids, args.format, path, progress=_progress("Exporting"))
        print(f"Exported {count} document{'s' if count != 1 else ''} to {shown(str(path))}", file=sys.stderr)
        return 0
    for piece in service.bibliography.export(ids, args.format):
        sys.stdout.write(piece)
    return 0


def run_import_refs(args, catalog) -> int:
    paths = [Path(f) for f in args.files]
    for path in paths:
        if not path.is_file():
            raise CliError(f"no such file: {path}" if not path.exists() else f"not a file: {path}")
    report = catalog.service.bibliography.import_files(paths, progress=_stage_progress)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    if args.json:
        print_json(report.to_json())
    else:
        print_ref_report(report)
    return 0


def print_ref_report(report: RefImportReport) -> None:
    print(
        f"{len(report.added)} added, {len(report.duplicates)} skipped as duplicates, {len(report.refused)} refused"
        + (f", {len(report.attached)} files attached" if report.attached else "")
    )
    for doc_id, title in report.added:
        print(f"  added [{doc_id}] {shown(title)}")
    for dup in report.duplicates:
        print(f"  duplicate {shown(dup.entry)}: {shown(dup.reason)}")
    for entry, reason in report.refused:
        print(f"  refused {shown(entry)}: {shown(reason)}")
    for note in report.notes:
        print(f"  note: {shown(note)}")


def run_cite(args, catalog) -> int:
    for doc_id in args.ids:
        catalog.service.documents.get_document(doc_id)
    for entry in catalog.service.bibliography.cite(args.ids, args.style, args.format):
        print(entry)
    return 0


def _progress(stage: str):
    def report(done: int, total: int) -> None:
        progress_bar(stage, done, total)

    return report


def _stage_progress(stage: str, done: int, total: int | None) -> None:
    progress_bar(stage, done, total)


def progress_bar(stage: str, done: int, total: int | None, name: str = "") -> None:
    """A bar on stderr, redrawn in place on a terminal; elsewhere (a log
    file) one line per tenth of the work, so the log stays short."""
    if sys.stderr.isatty():
        if total:
            filled = int(30 * done / total) if total else 0
            bar = "#" * filled + "." * (30 - filled)
            line = f"\r{stage} [{bar}] {done}/{total} {shown(name)[:40]}"
        else:
            line = f"\r{stage}: {done} {shown(name)[:40]}"
        print(f"{line:<100}", end="", file=sys.stderr, flush=True)
        return
    step = max(1, (total or 0) // 10)
    if total and (done == total or done % step == 0):
        print(f"{stage}: {done}/{total}", file=sys.stderr)
