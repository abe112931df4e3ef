"""`finweek trash | undo | redo`: the core's trash and undo steps, the same the window uses."""

from __future__ import annotations

from ..core.display import safe_display_name as shown
from .output import CliError, print_json, record_id


def register(subparsers, common) -> None:
    p = subparsers.add_parser("trash", parents=[common], help="deleted documents: list, restore, empty")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=run_trash)
    actions = p.add_subparsers(dest="trash_action", metavar="ACTION")
    restore = actions.add_parser("restore", parents=[common], help="put a deleted document back, with its files")
    restore.add_argument("id", type=record_id, metavar="ID", help="the document's id (as `finweek trash` lists it)")
    restore.set_defaults(handler=run_trash_restore)
    empty = actions.add_parser("empty", parents=[common], help="delete what the trash holds, files included")
    empty.add_argument("--older-than", type=int, metavar="DAYS", help="only what was deleted more than DAYS ago")
    empty.set_defaults(handler=run_trash_empty)

    p = subparsers.add_parser("undo", parents=[common], help="undo the last change made on this desktop")
    p.set_defaults(handler=run_undo)
    p = subparsers.add_parser("redo", parents=[common], help="redo the last change undone")
    p.set_defaults(handler=run_redo)


def run_trash(args, catalog) -> int:
    entries = catalog.service.trash.entries()
    if args.json:
        print_json({"items": [e.to_json() for e in entries], "retention_days": catalog.service.trash.retention_days})
        return 0
    if not entries:
        print("The trash is empty.")
    for e in entries:
        files = f"  ({e.files} file{'s' if e.files != 1 else ''})" if e.files else ""
        print(f"[{e.document_id:>4}] {e.deleted_at:%Y-%m-%d %H:%M}  {shown(e.title)}{files}")
    if entries:
        print(f"Kept {catalog.service.trash.retention_days} days. `finweek trash restore ID` puts one back.")
    return 0


def run_trash_restore(args, catalog) -> int:
    trash = catalog.service.trash
    matches = [e for e in trash.entries() if e.document_id == args.id]
    if not matches:
        raise CliError(f"document {args.id} is not in the trash (`finweek trash` lists what it holds)")
    trash.restore(matches[0].id)
    print(f"Restored [{args.id}] {shown(matches[0].title)}")
    return 0


def run_trash_empty(args, catalog) -> int:
    count = catalog.service.trash.empty(args.older_than)
    print(f"Deleted {count} document{'s' if count != 1 else ''} from the trash for good.")
    return 0


def run_undo(args, catalog) -> int:
    print(f"Undone: {shown(catalog.service.history.undo().description)}")
    return 0


def run_redo(args, catalog) -> int:
    print(f"Redone: {shown(catalog.service.history.redo().description)}")
    return 0
