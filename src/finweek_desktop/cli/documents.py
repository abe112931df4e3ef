"""`finweek list | show | add | edit | delete`."""

from __future__ import annotations

from ..core.attachments.ingest import choose_files
from ..core.attachments.records import DuplicateAttachment
from ..core.catalog import LIST_SORTS, DocumentFilter, NotFound
from ..core.display import safe_display_name as shown
from ..core.display import safe_display_text
from ..core.records import CITATION_FIELDS, DocumentDetail, DocumentSummary, NewDocument, PersonName
from ..core.vocabulary import DocumentKind, OrganizationRole
from .attachments import duplicate_error, say_which_links
from .output import CliError, kind_label, positive_int, print_json, record_id


def register(subparsers, common) -> None:
    p = subparsers.add_parser("list", parents=[common], help="list documents")
    p.add_argument("--kind", help="report, blue_paper, initiative, session_record, news_article")
    p.add_argument("--tag", help="only documents with this tag")
    p.add_argument("--session", help="only records of this session (name or id)")
    p.add_argument("--org", help="only documents related to this organization (name or alias)")
    p.add_argument("--title", dest="text", help="only titles containing this text")
    p.add_argument("--sort", choices=list(LIST_SORTS), default="date")
    p.add_argument("--limit", type=positive_int, help="at most this many")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=run_list)

    p = subparsers.add_parser("show", parents=[common], help="show one document in full")
    p.add_argument("id", type=record_id)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=run_show)

    p = subparsers.add_parser("add", parents=[common], help="add a document, with files attached if given")
    p.add_argument("--kind", required=True, help="report, blue_paper, initiative, session_record, news_article")
    p.add_argument("--title", help="required without files; with files, defaults to the first file's title or heading")
    p.add_argument("files", nargs="*", metavar="FILE", help="files to attach")
    p.add_argument(
        "--allow-duplicate",
        action="store_true",
        help="link a file even when another document already holds the same content",
    )
    _document_fields(p)
    p.add_argument("--tag", action="append", default=[], help="a tag (repeatable)")
    p.add_argument(
        "--org",
        action="append",
        default=[],
        metavar="NAME[:ROLE]",
        help=f"a related organization; ROLE is one of {', '.join(r.value for r in OrganizationRole)}"
        " (default publisher)",
    )
    p.add_argument("--session", help="the session of the event this record belongs to (name or id)")
    p.add_argument("--json", action="store_true", help="print the new document as JSON")
    p.set_defaults(handler=run_add)

    p = subparsers.add_parser(
        "edit",
        parents=[common],
        help="change a document's fields, or the kind, date, session and organizations of many",
        description="Change a document's fields. Given several IDs (a batch edit), --kind, --date, --session and "
        "--add-organization apply to each of them, in one change that `finweek undo` undoes at once.",
    )
    p.add_argument("ids", nargs="+", type=record_id, metavar="ID")
    p.add_argument("--kind")
    p.add_argument("--title")
    _document_fields(p)
    p.add_argument("--session", help="move it to this session of the event (name or id; 'none' to take it out)")
    p.add_argument(
        "--add-organization",
        action="append",
        default=[],
        metavar="NAME",
        help="link this organization (name or alias; a new name creates it) with --role (repeatable)",
    )
    p.add_argument(
        "--role",
        default="publisher",
        help=f"the role of --add-organization: {', '.join(r.value for r in OrganizationRole)} (default publisher)",
    )
    p.add_argument("--json", action="store_true", help="print the document(s) as JSON")
    p.set_defaults(handler=run_edit)

    p = subparsers.add_parser("delete", parents=[common], help="delete a document")
    p.add_argument("id", type=record_id)
    p.set_defaults(handler=run_delete)


def _document_fields(p) -> None:
    p.add_argument("--subtitle")
    p.add_argument("--date", help="YYYY, YYYY-MM or YYYY-MM-DD")
    p.add_argument("--language", help="en, zh-Hans, zh-Hant, pt, ...")
    p.add_argument("--summary")
    p.add_argument("--notes")
    p.add_argument("--source", help="source or citation")
    p.add_argument("--place", dest="place_published", help="place of publication")
    p.add_argument("--url")
    p.add_argument("--doi", help="10.xxxx/... (a https://doi.org/ link is accepted)")
    p.add_argument("--isbn")
    p.add_argument("--pages", help="e.g. 12-34")
    p.add_argument("--report-number", dest="report_number")
    p.add_argument(
        "--author",
        action="append",
        default=None,
        metavar="NAME",
        help="a person who wrote it: 'Family, Given', or a name in full such as 王小明 (repeatable, in order;"
        " on edit, replaces the authors; --author '' removes them)",
    )
    p.add_argument(
        "--editor", action="append", default=None, metavar="NAME", help="a person who edited it (repeatable)"
    )


def summary_json(row: DocumentSummary) -> dict:
    return {
        "id": row.id,
        "kind": row.kind,
        "title": row.title,
        "date": row.date,
        "tags": list(row.tags),
        "organizations": list(row.organizations),
        "attachments": row.attachment_count,
    }


def run_list(args, catalog) -> int:
    service = catalog.service
    where = DocumentFilter(
        kind=DocumentKind.parse(args.kind).value if args.kind else None,
        tag=args.tag,
        session_id=_session_id(service, args.session) if args.session else None,
        organization_id=_organization_id(service, args.org) if args.org else None,
        text=args.text,
    )
    rows = service.documents.list_documents(where, sort=args.sort, limit=args.limit)
    if args.json:
        print_json([summary_json(r) for r in rows])
        return 0
    if not rows:
        print("No documents.")
        return 0
    for row in rows:
        date = row.date or "—"
        tags = f"  #{' #'.join(map(shown, row.tags))}" if row.tags else ""
        print(f"[{row.id:>4}] {date:<10} {kind_label(row.kind):<15} {shown(row.title)}{tags}")
    return 0


def print_detail(detail: DocumentDetail, as_json: bool) -> None:
    if as_json:
        print_json(detail.to_json())
        return
    print(f"[{detail.id}] {shown(detail.title)}")
    if detail.subtitle:
        print(f"       {shown(detail.subtitle)}")
    rows = [
        ("Kind", kind_label(detail.kind)),
        ("Date", detail.date or "not given"),
        ("Language", detail.language or ""),
        ("Event", detail.event or ""),
        ("Session", detail.session or ""),
        ("Tags", ", ".join(t.name for t in detail.tags)),
        ("Places", ", ".join(detail.places)),
        ("Source", detail.source),
        ("Authors", "; ".join(p.display for p in detail.persons if p.role == "author")),
        ("Editors", "; ".join(p.display for p in detail.persons if p.role == "editor")),
        ("Place", detail.place_published or ""),
        ("URL", detail.url or ""),
        ("DOI", detail.doi or ""),
        ("ISBN", detail.isbn or ""),
        ("Pages", detail.pages or ""),
        ("Report no.", detail.report_number or ""),
    ]
    for label, value in rows:
        if value:
            print(f"{label + ':':<14}{shown(value)}")
    if detail.organizations:
        print("Organizations:")
        for org in detail.organizations:
            print(f"  {org.role:<12}{shown(org.name)}")
    if detail.attachments:
        print("Attachments:")
        for a in detail.attachments:
            print(f"  [{a.id}] {shown(a.original_name)}  ({a.mime_type}, {a.size:,} bytes)")
    if detail.summary:
        print(f"\n{safe_display_text(detail.summary)}")
    if detail.notes:
        print(f"\nNotes: {safe_display_text(detail.notes)}")


def run_show(args, catalog) -> int:
    print_detail(catalog.service.documents.get_document(args.id), args.json)
    return 0


def run_add(args, catalog) -> int:
    service = catalog.service
    if not args.files and not (args.title or "").strip():
        raise CliError("give --title, or files to take the title from")
    new = NewDocument(
        kind=args.kind,
        title=args.title or "",
        subtitle=args.subtitle,
        date=args.date,
        language=args.language,
        summary=args.summary or "",
        notes=args.notes or "",
        source=args.source or "",
        tags=tuple(args.tag),
        organizations=tuple(_org_link(text) for text in args.org),
        session_id=_session_id(service, args.session) if args.session else None,
        event_id=_event_id(service),
        persons=_persons(args.author or [], "author") + _persons(args.editor or [], "editor"),
        **{name: getattr(args, name) for name in CITATION_FIELDS},
    )
    chosen = choose_files(args.files) if args.files else []  # the same checks the attach makes, before it
    if args.files:
        try:
            detail = service.attachments.create_document_with_files(
                new, args.files, allow_duplicate=args.allow_duplicate
            )
        except DuplicateAttachment as exc:
            raise duplicate_error(exc) from None
    else:
        detail = service.documents.create_document(new)
    if args.json:
        print_json(detail.to_json())
    else:
        print(f"Added [{detail.id}] {shown(detail.title)}")
    say_which_links(chosen, args.json)
    return 0


_BATCH_FIELDS = ("kind", "date")


def run_edit(args, catalog) -> int:
    if len(set(args.ids)) > 1 or args.add_organization:
        return _run_batch_edit(args, catalog)
    args.id = args.ids[0]
    changes = {
        name: getattr(args, name)
        for name in ("kind", "title", "subtitle", "date", "language", "summary", "notes", "source", *CITATION_FIELDS)
        if getattr(args, name) is not None
    }
    persons = None
    if args.author is not None or args.editor is not None:
        current = catalog.service.documents.get_document(args.id).persons
        authors = _persons(args.author, "author") if args.author is not None else _kept(current, "author")
        editors = _persons(args.editor, "editor") if args.editor is not None else _kept(current, "editor")
        persons = authors + editors
    if args.session is not None:
        none = args.session.strip().casefold() == "none"
        changes["session_id"] = None if none else _session_id(catalog.service, args.session)
    if not changes and persons is None:
        raise CliError(
            "nothing to change: give at least one of --title, --date, --kind, --session, --author, --doi, ..."
        )
    detail = catalog.service.documents.get_document(args.id)
    if changes:
        detail = catalog.service.documents.update_document(args.id, **changes)
    if persons is not None:
        detail = catalog.service.documents.set_persons(args.id, persons)
    if args.json:
        print_json(detail.to_json())
    else:
        print(f"Updated [{detail.id}] {shown(detail.title)}")
    return 0


def _run_batch_edit(args, catalog) -> int:
    service = catalog.service
    others = [
        f"--{name}"
        for name in ("title", "subtitle", "language", "summary", "notes", "source")
        if getattr(args, name) is not None
    ]
    if others:
        raise CliError(
            f"{', '.join(others)} change one document at a time; for several give --kind, --date, "
            "--session or --add-organization"
        )
    options: dict = {name: getattr(args, name) for name in _BATCH_FIELDS if getattr(args, name) is not None}
    if args.session is not None:
        none = args.session.strip().casefold() == "none"
        options["session_id"] = None if none else _session_id(service, args.session)
    if args.add_organization:
        role = OrganizationRole.parse(args.role).value
        options["add_organizations"] = [(name, role) for name in args.add_organization]
    if not options:
        raise CliError("nothing to change: give --kind, --date, --session or --add-organization")
    ids = list(dict.fromkeys(args.ids))
    for doc_id in ids:  # every id exists, or nothing is written
        service.documents.get_document(doc_id)
    result = service.batch.edit(ids, **options)
    if args.json:
        print_json([service.documents.get_document(i).to_json() for i in ids])
    else:
        unchanged = len(ids) - len(result.documents)
        note = f" ({unchanged} already so)" if unchanged else ""
        n = len(result.documents)
        print(f"Updated {n} document{'s' if n != 1 else ''}{note}; `finweek undo` undoes it at once")
    return 0


def run_delete(args, catalog) -> int:
    detail = catalog.service.documents.delete_document(args.id)
    print(
        f"Moved [{detail.id}] {shown(detail.title)} to the trash"
        f" (`finweek undo` or `finweek trash restore {detail.id}`)"
    )
    return 0


def _persons(names: list[str], role: str) -> tuple[PersonName, ...]:
    return tuple(PersonName.parse(name, role) for name in names if name.strip())


def _kept(current: tuple[PersonName, ...], role: str) -> tuple[PersonName, ...]:
    return tuple(p for p in current if p.role == role)


def session_id_of(service, text: str) -> int:
    """A session by id or name (`--session`)."""
    return _session_id(service, text)


def event_id_of(service) -> int | None:
    """The catalog's event when it has one alone."""
    return _event_id(service)


def _org_link(text: str) -> tuple[str, str]:
    name, sep, role = text.rpartition(":")
    if not sep or not name.strip():
        return text.strip(), "publisher"
    return name.strip(), role.strip()


def _session_id(service, text: str) -> int:
    for session in service.reference.sessions():
        if (text.isdigit() and session.id == int(text)) or session.name.casefold() == text.strip().casefold():
            return session.id
    names = ", ".join(s.name for s in service.reference.sessions())
    raise NotFound(f"no session {text!r}; sessions are: {names}")


def _organization_id(service, text: str) -> int:
    org = service.reference.find_organization(text)
    if org is None:
        raise NotFound(f"no organization named {text!r}")
    return org.id


def _event_id(service) -> int | None:
    events = service.reference.events()
    return events[0]["id"] if len(events) == 1 else None
