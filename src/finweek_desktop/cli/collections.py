"""`finweek collections | collect | uncollect | note | notes`.

A collection is named by its path: "Hengqin/Tax policy" is the collection
"Tax policy" nested in "Hengqin" (so a name cannot hold a "/"). Saved
searches are made and run with `finweek search QUERY --save NAME` and
`finweek search --saved NAME`.
"""

from __future__ import annotations

from ..core.display import safe_display_name as shown
from ..core.display import safe_display_text
from .output import print_json, record_id

_PATH_HELP = "the collection's name; 'Parent/Child' names one nested in another"


def register(subparsers, common) -> None:
    p = subparsers.add_parser(
        "collections", parents=[common], help="list collections and saved searches, with their counts"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=run_collections)

    p = subparsers.add_parser(
        "collect",
        parents=[common],
        help="put documents in a collection (created if missing)",
        description="Put documents in a collection, creating it (and the collections it is nested in) if missing. "
        + _PATH_HELP
        + ".",
    )
    p.add_argument("ids", nargs="+", type=record_id, metavar="ID")
    p.add_argument("--into", required=True, metavar="NAME", help=_PATH_HELP)
    p.set_defaults(handler=run_collect)

    p = subparsers.add_parser("uncollect", parents=[common], help="take documents out of a collection")
    p.add_argument("ids", nargs="+", type=record_id, metavar="ID")
    p.add_argument("--from", dest="collection", required=True, metavar="NAME", help=_PATH_HELP)
    p.set_defaults(handler=run_uncollect)

    p = subparsers.add_parser("note", parents=[common], help="add a note (Markdown) to a document")
    p.add_argument("id", type=record_id)
    p.add_argument("text", nargs="+", help="the note (several arguments are joined with spaces)")
    p.set_defaults(handler=run_note)

    p = subparsers.add_parser("notes", parents=[common], help="show the notes of a document")
    p.add_argument("id", type=record_id)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=run_notes)


def run_collections(args, catalog) -> int:
    collections = catalog.service.collections.all()
    if args.json:
        print_json([c.to_json() for c in collections])
        return 0
    if not collections:
        print(
            "No collections. `finweek collect ID --into NAME` makes one; `finweek search Q --save NAME` saves a search."
        )
        return 0
    for c in collections:
        depth = c.path.count("/")
        count = "?" if c.count is None else str(c.count)
        what = f"  (saved search: {shown(c.query)})" if c.saved else ""
        print(f"{'  ' * depth}{shown(c.name)}  [{count}]{what}")
    return 0


def run_collect(args, catalog) -> int:
    done = catalog.service.collections.collect(args.ids, args.into)
    already = len(set(args.ids)) - len(done.documents)
    note = f" ({already} already there)" if already else ""
    print(f"Added {_documents(len(done.documents))} to “{shown(done.collection.path)}”{note}")
    return 0


def run_uncollect(args, catalog) -> int:
    done = catalog.service.collections.uncollect(args.ids, args.collection)
    print(f"Removed {_documents(len(done.documents))} from “{shown(done.collection.path)}”")
    return 0


def run_note(args, catalog) -> int:
    note = catalog.service.notes.add(args.id, " ".join(args.text))
    print(f"Added note {note.id} to [{note.document_id}]")
    return 0


def run_notes(args, catalog) -> int:
    notes = catalog.service.notes.of_document(args.id)
    if args.json:
        print_json([n.to_json() for n in notes])
        return 0
    if not notes:
        print(f"No notes on [{args.id}].")
        return 0
    for n, note in enumerate(notes):
        if n:
            print()
        modified = "" if note.modified_at == note.created_at else f", edited {note.modified_at:%Y-%m-%d %H:%M}"
        print(f"Note {note.id} ({note.created_at:%Y-%m-%d %H:%M}{modified})")
        print(safe_display_text(note.body))
    return 0


def _documents(n: int) -> str:
    return "1 document" if n == 1 else f"{n} documents"
