"""`finweek orgs | sessions | event`: the reference data around documents."""

from __future__ import annotations

from ..core.display import safe_display_name as shown
from .output import print_json


def register(subparsers, common) -> None:
    for name, handler, help_text in (
        ("orgs", run_orgs, "organizations with their aliases and document counts"),
        ("sessions", run_sessions, "sessions of the event with their record counts"),
        ("event", run_event, "the event: place, dates, organizer and supporters, places and figures"),
    ):
        p = subparsers.add_parser(name, parents=[common], help=help_text)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.set_defaults(handler=handler)


def run_orgs(args, catalog) -> int:
    orgs = catalog.service.reference.organizations()
    if args.json:
        print_json(
            [{"id": o.id, "name": o.name, "aliases": list(o.aliases), "documents": o.document_count} for o in orgs]
        )
        return 0
    for o in orgs:
        aliases = f"  ({shown(', '.join(o.aliases))})" if o.aliases else ""
        print(f"[{o.id:>3}] {shown(o.name)}{aliases}  — {o.document_count} documents")
    return 0


def run_sessions(args, catalog) -> int:
    sessions = catalog.service.reference.sessions()
    if args.json:
        print_json(
            [
                {
                    "id": s.id,
                    "name": s.name,
                    "type": s.session_type,
                    "topics": list(s.topics),
                    "records": s.document_count,
                }
                for s in sessions
            ]
        )
        return 0
    for s in sessions:
        print(f"[{s.id:>3}] {shown(s.name)}  — {s.document_count} records")
        for topic in s.topics:
            print(f"        · {shown(topic)}")
    return 0


def run_event(args, catalog) -> int:
    service = catalog.service
    events, places = service.reference.events(), service.reference.places()
    if args.json:
        print_json({"events": events, "places": places})
        return 0
    for e in events:
        print(e["name"])
        print(f"  Place: {e['place']}")
        print(f"  Dates: {e['dates']}")
        for link in e["organizations"]:
            print(f"  {link['role'].capitalize()}: {shown(link['name'])}")
        print(f"\n  {e['description']}\n")
    print("Places:")
    for p in places:
        figures = []
        if p["opened_year"]:
            figures.append(f"in operation since {p['opened_year']}")
        if p["area_m2"]:
            figures.append(f"{p['area_m2']:,} m²")
        print(f"  {shown(p['name'])}" + (f" ({'; '.join(figures)})" if figures else ""))
    return 0
