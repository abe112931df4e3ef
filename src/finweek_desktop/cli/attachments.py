"""`finweek attach | detach | open | attachments`."""

from __future__ import annotations

import sys

from ..core.attachments.ingest import ChosenFile, choose_files
from ..core.attachments.records import AttachmentDetail, DuplicateAttachment
from ..core.display import safe_display_name as shown
from .output import CliError, print_json, record_id


def register(subparsers, common) -> None:
    p = subparsers.add_parser("attach", parents=[common], help="attach files to a document")
    p.add_argument("id", type=record_id, help="document id")
    p.add_argument("files", nargs="+", metavar="FILE")
    _duplicate_option(p)
    p.add_argument("--json", action="store_true", help="print the new attachments as JSON")
    p.set_defaults(handler=run_attach)

    p = subparsers.add_parser("detach", parents=[common], help="remove an attachment from a document")
    p.add_argument("id", type=record_id, help="document id")
    p.add_argument("attachment_id", type=record_id)
    p.set_defaults(handler=run_detach)

    p = subparsers.add_parser("open", parents=[common], help="print the stored path of each attachment of a document")
    p.add_argument("id", type=record_id, help="document id")
    p.set_defaults(handler=run_open)

    p = subparsers.add_parser(
        "attachments", parents=[common], help="list a document's attachments and their text status"
    )
    p.add_argument("id", type=record_id, help="document id")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=run_list)


def _duplicate_option(p) -> None:
    p.add_argument(
        "--allow-duplicate",
        action="store_true",
        help="link a file even when another document already holds the same content",
    )


def duplicate_error(exc: DuplicateAttachment) -> CliError:
    return CliError(f"{exc}; nothing was attached. Use --allow-duplicate to link it anyway.")


def describe(a: AttachmentDetail) -> str:
    text = a.text_summary
    if a.text_length:
        text = f"{a.text_length:,} characters of text, {text}"
    return f"[{a.id}] {shown(a.original_name)}  ({a.mime_type}, {a.size:,} bytes; {text})"


def say_which_links(chosen: list[ChosenFile], as_json: bool) -> None:
    """A link given to attach attaches its target: say which file that was
    (on stderr under --json, which keeps stdout for the JSON)."""
    for c in chosen:
        if c.target is not None:
            print(
                f"{shown(c.path.name)} is a link; attached its target {shown(str(c.target))}",
                file=sys.stderr if as_json else sys.stdout,
            )


def run_attach(args, catalog) -> int:
    # Attaching again a file whose stored copy was lost puts it back (what
    # `finweek check` advises): those come back as attachments that existed.
    existing = {a.id for a in catalog.service.attachments.of(args.id)}
    chosen = choose_files(args.files)  # the same checks the attach makes, before it
    try:
        added = catalog.service.attachments.attach_files(args.id, args.files, allow_duplicate=args.allow_duplicate)
    except DuplicateAttachment as exc:
        raise duplicate_error(exc) from None
    if args.json:
        print_json(
            [
                {**a.to_json(), "restored": a.id in existing, "link_target": str(c.target) if c.target else None}
                for a, c in zip(added, chosen, strict=True)  # one attachment per file, in order
            ]
        )
    else:
        for a in added:
            print(f"{'Restored the lost file of' if a.id in existing else 'Attached'} {describe(a)}")
    say_which_links(chosen, args.json)
    return 0


def run_detach(args, catalog) -> int:
    gone = catalog.service.attachments.detach(args.id, args.attachment_id)
    print(f"Detached [{gone.id}] {shown(gone.original_name)} from document {gone.document_id}")
    return 0


def run_open(args, catalog) -> int:
    rows = catalog.service.attachments.of(args.id)
    if not rows:
        raise CliError(f"document {args.id} has no attachments")
    for a in rows:
        print(catalog.service.attachments.attachment(a.id).path)  # fetched first from a team catalog
    return 0


def run_list(args, catalog) -> int:
    rows = catalog.service.attachments.of(args.id)
    if args.json:
        print_json([a.to_json() for a in rows])
    elif not rows:
        print(f"Document {args.id} has no attachments.")
    else:
        for a in rows:
            print(describe(a))
        ocr_hint(rows)
    return 0


def ocr_hint(rows: list[AttachmentDetail]) -> None:
    """When files wait for OCR, one line on what to do: run it, or enable it."""
    waiting = [a for a in rows if a.text_status == "needs_ocr"]
    if not waiting:
        return
    from ..core.attachments import ocr

    why = ocr.missing()
    if why:
        print(f"{len(waiting)} file(s) need OCR, which is not available: {ocr.ENABLE_HINT}")
    else:
        print(f"{len(waiting)} file(s) wait for OCR: the app reads them in the background, or run `finweek ocr`")
