"""`finweek recover`: a working catalog again after its database was damaged."""

from __future__ import annotations

from ..core.backup import SOURCES, RecoveryRefused, recover_catalog
from .backup import progress_on_stderr
from .output import CliError, print_json

_USED = {
    "backup": "the latest automatic backup",
    "sqlite": "what SQLite could still read of the damaged database",
    "index": "the fields kept in the search index",
}


def register(subparsers, common) -> None:
    p = subparsers.add_parser(
        "recover",
        parents=[common],
        help="rebuild a damaged catalog from a backup, what SQLite can read, or the index (the damaged file is kept)",
    )
    p.add_argument("--from", dest="source", choices=SOURCES, help="use this source (default: the best one there is)")
    p.add_argument("--force", action="store_true", help="run even though the catalog reads as whole")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=run_recover, opens_catalog=False)


def run_recover(args) -> int:
    if getattr(args, "database_url", None):
        raise CliError(
            "a team catalog's database lives on its PostgreSQL server: recover it there (pg_restore from a pg_dump)"
        )
    try:
        report = recover_catalog(
            getattr(args, "data_dir", None), source=args.source, force=args.force, progress=progress_on_stderr
        )
    except RecoveryRefused as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json(report.to_json())
        return 0
    print(
        f"Recovered {report.documents_recovered} documents from {_USED[report.source]}; "
        f"{report.attachments_relinked} attached files re-linked."
    )
    if report.damaged_file_kept:
        print(f"The damaged database is kept at {report.damaged_file_kept}")
    for note in report.notes:
        print(f"  {note}")
    if report.lost:
        print("Lost:")
        for line in report.lost:
            print(f"  {line}")
    else:
        print("Nothing the search index shows was lost.")
    return 0
