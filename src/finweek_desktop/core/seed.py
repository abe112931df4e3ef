"""Load the embedded default catalog (``db/seed/*.json``).

Seed data is data, not code. Every record has a natural key (a name, or a
document's ``key``), so loading the same file twice changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from .catalog import CatalogService
from .dates import normalize_date
from .models import (
    Document,
    DocumentOrganization,
    Event,
    EventOrganization,
    EventSession,
    Organization,
    OrganizationAlias,
    Place,
    Tag,
)
from .resources import db_path
from .vocabulary import DocumentKind, OrganizationRole

DEFAULT_SEED = "finance_week.json"


def default_seed_path() -> Path:
    return db_path("seed", DEFAULT_SEED)


def load_seed(service: CatalogService, path: Path | None = None) -> int:
    """Load a seed file; returns how many documents were added."""
    data = json.loads(Path(path or default_seed_path()).read_text(encoding="utf-8"))
    with service.writer.writing() as (session, touched):
        organizations = {o["name"]: _organization(session, o) for o in data.get("organizations", [])}
        places = {p["name"]: _place(session, p) for p in data.get("places", [])}
        tags = {t["name"].casefold(): _tag(session, t) for t in data.get("tags", [])}
        event = _event(session, data["event"], organizations) if "event" in data else None
        if event is None and data.get("sessions"):
            raise ValueError("the seed has sessions but no event for them")
        sessions = (
            {s["name"]: _session(session, event, s, position) for position, s in enumerate(data.get("sessions", []))}
            if event is not None
            else {}
        )
        session.flush()
        added = 0
        ids: dict[str, int] = {}  # seed key -> document id
        for record in data.get("documents", []):
            existing = session.scalar(select(Document.id).where(Document.seed_key == record["key"]))
            if existing is not None:
                ids[record["key"]] = existing
                continue
            document = _document(record, event, sessions, organizations, places, tags, session)
            session.add(document)
            session.flush()
            touched.add(document.id)
            ids[record["key"]] = document.id
            added += 1
    _attach_seed_files(service, data.get("documents", []), ids)
    return added


def _attach_seed_files(service: CatalogService, records: list[dict], ids: dict[str, int]) -> None:
    """Attach the files shipped in ``db/seed/attachments`` (made for the
    catalog by scripts/make_seed_attachments.py), skipping those present."""
    if service.store is None:
        return
    files: dict[int, list[Path]] = {}
    for record in records:
        doc_id = ids[record["key"]]
        for attachment in record.get("attachments", []):
            path = db_path("seed", "attachments", attachment["file"])
            if not any(h.document_id == doc_id for h in service.attachments.holders_of(path)):
                files.setdefault(doc_id, []).append(path)
    if files:
        # Our own files: parsed in this process, no sandbox needed.
        service.attachments.attach_many(files, allow_duplicate=True, sandbox=False)


def _get(session: DbSession, model, **by):
    return session.scalar(select(model).filter_by(**by))


def _organization(session: DbSession, data: dict) -> Organization:
    org = _get(session, Organization, name=data["name"])
    if org is None:
        org = Organization(name=data["name"], description=data.get("description", ""))
        session.add(org)
    known = {a.alias for a in org.aliases}
    for alias in data.get("aliases", []):
        if alias not in known and _get(session, OrganizationAlias, alias=alias) is None:
            org.aliases.append(OrganizationAlias(alias=alias))
    return org


def _place(session: DbSession, data: dict) -> Place:
    place = _get(session, Place, name=data["name"])
    if place is None:
        place = Place(
            name=data["name"],
            place_type=data.get("type", ""),
            aliases="\n".join(data.get("aliases", [])),
            opened_year=data.get("opened_year"),
            area_m2=data.get("area_m2"),
            description=data.get("description", ""),
        )
        session.add(place)
    return place


def _tag(session: DbSession, data: dict) -> Tag:
    tag = _get(session, Tag, name_key=data["name"].casefold())
    if tag is None:
        tag = Tag(name=data["name"], name_key=data["name"].casefold(), color=data.get("color"))
        session.add(tag)
    return tag


def _event(session: DbSession, data: dict, organizations: dict[str, Organization]) -> Event:
    event = _get(session, Event, name=data["name"])
    if event is None:
        event = Event(
            name=data["name"],
            edition=data.get("edition"),
            place=data.get("place"),
            dates_text=data.get("dates_text"),
            duration_days=data.get("duration_days"),
            description=data.get("description", ""),
        )
        for link in data.get("organizations", []):
            event.organizations.append(
                EventOrganization(
                    organization=organizations[link["name"]], role=OrganizationRole.parse(link["role"]).value
                )
            )
        session.add(event)
    return event


def _session(session: DbSession, event: Event, data: dict, position: int) -> EventSession:
    existing = _get(session, EventSession, event_id=event.id, name=data["name"]) if event.id else None
    if existing is not None:
        return existing
    record = EventSession(
        event=event,
        name=data["name"],
        session_type=data.get("type", ""),
        topics="\n".join(data.get("topics", [])),
        description=data.get("description", ""),
        position=position,
    )
    session.add(record)
    return record


def _document(record, event, sessions, organizations, places, tags, session) -> Document:
    document = Document(
        seed_key=record["key"],
        kind=DocumentKind.parse(record["kind"]).value,
        title=record["title"],
        subtitle=record.get("subtitle"),
        date=normalize_date(record.get("date")),
        language=record.get("language"),
        summary=record.get("summary", ""),
        notes=record.get("notes", ""),
        source=record.get("source", ""),
        event=event,
        session=sessions[record["session"]] if record.get("session") else None,
    )
    document.tags = [tags[name.casefold()] for name in record.get("tags", [])]
    document.places = [places[name] for name in record.get("places", [])]
    for link in record.get("organizations", []):
        document.organization_links.append(
            DocumentOrganization(
                organization=organizations[link["name"]], role=OrganizationRole.parse(link["role"]).value
            )
        )
    return document
