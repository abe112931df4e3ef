"""`finweek ocr [ID...]`: read the scans that wait for OCR, now, with progress."""

from __future__ import annotations

import sys

from ..core.display import safe_display_name as shown
from .output import CliError, print_json, record_id


def register(subparsers, common) -> None:
    p = subparsers.add_parser(
        "ocr",
        parents=[common],
        help="OCR the scans and photos that wait for it (all, or those of the given documents)",
    )
    p.add_argument("ids", nargs="*", type=record_id, metavar="ID", help="document ids (default: every pending file)")
    p.add_argument("--force", action="store_true", help="OCR again files already read (every image and PDF)")
    p.add_argument("--json", action="store_true", help="print each file's outcome as JSON")
    p.set_defaults(handler=run_ocr)


def run_ocr(args, catalog) -> int:
    reading = catalog.service.reading
    for doc_id in args.ids:
        catalog.service.documents.get_document(doc_id)  # NotFound: a clear message
    documents = args.ids or None
    todo = reading.redoable(documents) if args.force else reading.pending(documents)
    why = reading.missing()
    if why:
        listed = ", ".join(map(str, todo[:20])) + (" …" if len(todo) > 20 else "")
        waiting = f"{len(todo)} file(s) need OCR ({listed}); " if todo else ""
        raise CliError(f"{waiting}OCR is not available: {why}")
    if not todo:
        if args.json:
            print_json([])
        else:
            print("Nothing waits for OCR." if not args.force else "No image or PDF to OCR.")
        return 0

    def progress(done: int, total: int, outcome) -> None:
        if not args.json:
            pages = f", {outcome.pages} page(s)" if outcome.pages else ""
            print(
                f"[{done}/{total}] [{outcome.attachment_id}] {shown(outcome.name)}: {_said(outcome)}{pages}",
                flush=True,
            )

    on_a_terminal = sys.stdout.isatty()

    def page_progress(attachment_id: int, name: str, page: int, pages: int) -> None:
        # A file of several pages says how far it is, page by page (over
        # one line on a terminal); the file's own line follows when it is done.
        if args.json or pages < 2 or page < 1:
            return
        line = f"  [{attachment_id}] {shown(name)}: page {page} of {pages}"
        if on_a_terminal:
            print("\r" + line + ("\r" + " " * len(line) + "\r" if page >= pages else ""), end="", flush=True)
        else:
            print(line, flush=True)

    try:
        outcomes = reading.run(todo, force=args.force, progress=progress, page_progress=page_progress)
    except KeyboardInterrupt:
        print("Stopped; the files not read yet still wait for OCR.", file=sys.stderr)
        return 130
    if args.json:
        print_json([o.__dict__ for o in outcomes])
    failed = [o for o in outcomes if o.status == "ocr_failed"]
    return 1 if failed else 0


def _said(outcome) -> str:
    from ..core.attachments.records import status_line

    return status_line(outcome.status, "ocr" if outcome.status == "ok" else "", outcome.message)
