"""`finweek import PATH...`: one document per file, folders walked."""

from __future__ import annotations

import sys
from pathlib import Path

from ..core.catalog import clean_tag_name
from ..core.catalog.folders import import_paths
from ..core.dates import normalize_date
from ..core.display import safe_display_name as shown
from ..core.records import NewDocument
from ..core.vocabulary import DocumentKind
from .documents import event_id_of, session_id_of
from .output import CliError, print_json
from .refs import progress_bar


def register(subparsers, common) -> None:
    p = subparsers.add_parser(
        "import",
        parents=[common],
        help="import files and folders, one document per file",
        description="One document per file, titled from the file, as the window's Import does. Folders are "
        "walked (links to folders and links leading out of the folder are not followed; hidden files are "
        "passed over). A file that another document already holds is skipped and reported.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files and folders")
    p.add_argument("--kind", default="report", help="the kind of every document (default report)")
    p.add_argument("--tag", action="append", default=[], help="a tag for every document (repeatable)")
    p.add_argument("--date", help="the date of every document: YYYY, YYYY-MM or YYYY-MM-DD")
    p.add_argument("--organization", action="append", default=[], metavar="NAME", help="their publisher (repeatable)")
    p.add_argument("--session", metavar="ID", help="the session of the event they belong to (id or name)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=run_import)


def run_import(args, catalog) -> int:
    service = catalog.service
    kind = DocumentKind.parse(args.kind).value
    session_id = session_id_of(service, args.session) if args.session else None
    template = NewDocument(
        kind=kind,
        title="",
        date=args.date,
        tags=tuple(args.tag),
        organizations=tuple((name.strip(), "publisher") for name in args.organization if name.strip()),
        session_id=session_id,
        event_id=event_id_of(service) if session_id is not None else None,
    )
    # Bad --date or --tag fail before any file is copied.
    normalize_date(args.date)
    for tag in args.tag:
        clean_tag_name(tag)

    def progress(n: int, total: int, name: str) -> None:
        progress_bar("Importing", n, total, name)

    result = import_paths(service.imports, args.paths, template, progress=progress)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    report = result.report
    # A link given by name imports its target: say which (#17.13). Links met
    # inside a folder are not followed out of it (see `skipped`).
    imported = set(result.added)
    links = [(str(p), str(Path(p).resolve())) for p in map(Path, args.paths) if p.is_symlink() and p.name in imported]
    if not result.files:
        why = "; ".join(f"{path}: {reason}" for path, reason in result.skipped[:3])
        raise CliError("no files found to import" + (f" ({why})" if why else ""))
    if args.json:
        print_json(
            {
                "added": result.added,
                "documents": list(report.ids),
                "duplicates": [
                    {"file": d.name, "held_by": [{"id": h.document_id, "title": h.title} for h in d.holders]}
                    for d in report.duplicates
                ],
                "failed": [{"file": name, "reason": why} for name, why in report.failed],
                "skipped": [{"path": path, "reason": why} for path, why in result.skipped],
                "links": [{"path": path, "target": target} for path, target in links],
                "seconds": round(report.seconds, 3),
            }
        )
        return 0
    n = len(report.ids)
    print(
        f"{n} document{'s' if n != 1 else ''} created, {len(report.duplicates)} duplicate"
        f"{'s' if len(report.duplicates) != 1 else ''} skipped, {len(report.failed)} failed"
    )
    for duplicate in report.duplicates:
        print(f"  duplicate: {shown(str(duplicate))}")
    for name, why in report.failed:
        print(f"  failed: {shown(name)}: {shown(why)}")
    for path, why in result.skipped:
        print(f"  skipped: {shown(path)}: {shown(why)}")
    for path, target in links:
        print(f"  link: {shown(path)} is a link; imported its target {shown(target)}")
    return 0
