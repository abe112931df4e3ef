"""`finweek team push | status`: a catalog shared by a team on a PostgreSQL server."""

from __future__ import annotations

import sys

from ..core.startup import open_catalog
from ..core.team.push import push
from .output import CliError, print_json


def register(subparsers, common) -> None:
    p = subparsers.add_parser("team", parents=[common], help="a catalog shared by a team: push, status")
    actions = p.add_subparsers(dest="team_command", metavar="ACTION", required=True)
    a = actions.add_parser(
        "push", parents=[common], help="copy this catalog into a team catalog (again: only what it lacks)"
    )
    a.add_argument("--to", required=True, metavar="URL", help="the team catalog, postgresql+psycopg://user@host/db")
    a.add_argument("--json", action="store_true", help="machine-readable output")
    a.set_defaults(handler=run_push)
    a = actions.add_parser("status", parents=[common], help="server, schema, this desktop's index lag, cached files")
    a.add_argument("--json", action="store_true", help="machine-readable output")
    a.set_defaults(handler=run_status)


def run_push(args, catalog) -> int:
    if not args.to.startswith("postgresql"):
        raise CliError(f"--to takes a team catalog's PostgreSQL URL (postgresql+psycopg://...), not {args.to!r}")
    target = open_catalog(getattr(args, "data_dir", None), database_url=args.to)
    try:
        report = push(catalog.service, target.service, progress=_progress)
    finally:
        target.close()
    if args.json:
        print_json(report.to_json())
    else:
        print(
            f"Pushed {report.added} document(s) to the team catalog; {report.skipped} it had already; "
            f"{report.files_sent} file(s) sent."
        )
    return 0


def run_status(args, catalog) -> int:
    store = catalog.service.store
    files, size = store.local_usage() if store is not None else (0, 0)
    status = catalog.service.team.status(files, size)
    if args.json:
        print_json({**status.to_json(), "team": catalog.service.team.shared})
        return 0
    if not catalog.service.team.shared:
        print(f"Your own catalog (not a team catalog): {status.server}")
    else:
        print(f"Team catalog: {status.server} (PostgreSQL)")
    behind = "" if status.schema_revision == status.schema_head else f" (this app knows {status.schema_head})"
    print(f"Schema revision: {status.schema_revision}{behind}")
    lag = "up to date" if status.index_lag == 0 else f"{status.index_lag} change(s) behind"
    print(f"This desktop's search index: {lag}")
    print(f"Files on this desktop: {files} ({_size(size)})")
    return 0


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} bytes"


def _progress(done: int, total: int) -> None:
    if sys.stderr.isatty():
        print(f"\rPushing: {done}/{total}", end="" if done < total else "\n", file=sys.stderr)
