"""`finweek team push`: copy a catalog (a desktop's own) into a team catalog.

Idempotent: a document is matched by its ``uuid`` (kept in the copy), or by
its seed key (the seed documents the team catalog loaded itself), and skipped
when the team catalog has it; files are matched by hash (content the team
holds already is not sent again). Reference data (places, organizations with
their aliases, events and sessions) is matched by name and created when
missing. Each batch of documents commits with its log rows, so every other
desktop's index follows the push like any write.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import selectinload

from ..catalog.service import CatalogService
from ..catalog.writer import retry_conflicts
from ..models import (
    Attachment,
    Document,
    DocumentOrganization,
    Event,
    EventSession,
    Organization,
    OrganizationAlias,
    Place,
    Tag,
)
from .setup import CATALOG_ID, read_setting

BATCH = 200


class SameCatalog(ValueError):
    """Pushing a catalog into itself."""


@dataclass(frozen=True)
class PushReport:
    added: int  # documents copied
    skipped: int  # documents the team catalog had already
    files_sent: int  # file contents the team catalog did not hold yet

    def to_json(self) -> dict:
        return {"added": self.added, "skipped": self.skipped, "files_sent": self.files_sent}


def push(
    source: CatalogService, target: CatalogService, progress: Callable[[int, int], None] | None = None
) -> PushReport:
    with source.engine.connect() as a, target.engine.connect() as b:
        mine = read_setting(a, CATALOG_ID)
        if mine is not None and mine == read_setting(b, CATALOG_ID):
            raise SameCatalog("this is the team catalog itself: push copies another catalog into it")
        have_uuids = set(b.scalars(select(Document.uuid).where(Document.uuid.is_not(None))))
        have_seed = set(b.scalars(select(Document.seed_key).where(Document.seed_key.is_not(None))))
        ids = list(a.scalars(select(Document.id).order_by(Document.id)))
    added = skipped = sent = 0
    for start in range(0, len(ids), BATCH):
        with source.writer.sessions() as read:
            documents = read.scalars(
                select(Document)
                .where(Document.id.in_(ids[start : start + BATCH]))
                .options(
                    selectinload(Document.tags),
                    selectinload(Document.places),
                    selectinload(Document.attachments),
                    selectinload(Document.organization_links)
                    .selectinload(DocumentOrganization.organization)
                    .selectinload(Organization.aliases),
                    selectinload(Document.event),
                    selectinload(Document.session).selectinload(EventSession.event),
                )
                .order_by(Document.id)
            ).all()
            todo = [d for d in documents if d.uuid not in have_uuids and (d.seed_key or "") not in have_seed]
            skipped += len(documents) - len(todo)
            sent += _send_files(source, target, todo)
            if todo:
                retry_conflicts(functools.partial(_copy, target, todo))
                added += len(todo)
                have_uuids.update(d.uuid for d in todo if d.uuid)
        if progress is not None:
            progress(min(start + BATCH, len(ids)), len(ids))
    return PushReport(added, skipped, sent)


def _send_files(source: CatalogService, target: CatalogService, documents: list[Document]) -> int:
    """Publish the content the team catalog lacks, before the rows that refer to it commit."""
    if source.store is None or target.store is None:
        raise RuntimeError("push needs both catalogs' attachment stores")
    sent = 0
    for sha256 in sorted({a.sha256 for d in documents for a in d.attachments}):
        if target.store.exists(sha256):
            continue
        path = source.store.local_path(sha256)
        if not path.is_file():
            raise FileNotFoundError(2, "a stored file of this catalog is missing (run `finweek check`)", str(path))
        publish = getattr(target.store, "publish", None)
        if publish is None:
            raise ValueError("the target is not a team catalog")
        publish(path, sha256)
        sent += 1
    return sent


def _copy(target: CatalogService, documents: list[Document]) -> None:
    with target.writer.writing() as (session, touched):
        names = _Names(session)
        for d in documents:
            copy = Document(
                uuid=d.uuid,
                seed_key=d.seed_key,
                kind=d.kind,
                title=d.title,
                subtitle=d.subtitle,
                date=d.date,
                language=d.language,
                summary=d.summary,
                notes=d.notes,
                source=d.source,
                created_at=d.created_at,
                modified_at=d.modified_at,
            )
            if d.event is not None:
                copy.event = names.event(d.event)
            if d.session is not None:
                copy.session = names.event_session(names.event(d.session.event), d.session)
            copy.tags = [names.tag(t) for t in d.tags]
            copy.places = [names.place(p) for p in d.places]
            for link in d.organization_links:
                copy.organization_links.append(
                    DocumentOrganization(organization=names.organization(link.organization), role=link.role)
                )
            copy.attachments = [
                Attachment(
                    sha256=a.sha256,
                    original_name=a.original_name,
                    size=a.size,
                    mime_type=a.mime_type,
                    added_at=a.added_at,
                    text=a.text,
                    text_status=a.text_status,
                    text_message=a.text_message,
                )
                for a in d.attachments
            ]
            session.add(copy)
            session.flush()
            touched.add(copy.id)


class _Names:
    """The team catalog's tags, places, organizations, events and sessions by name, created when missing."""

    def __init__(self, session: DbSession):
        self.db = session

    def tag(self, tag: Tag) -> Tag:
        found = self.db.scalar(select(Tag).where(Tag.name_key == tag.name_key))
        if found is None:
            found = Tag(name=tag.name, name_key=tag.name_key, color=tag.color)
            self.db.add(found)
            self.db.flush()
        return found

    def place(self, place: Place) -> Place:
        found = self.db.scalar(select(Place).where(Place.name == place.name))
        if found is None:
            found = Place(
                name=place.name,
                place_type=place.place_type,
                aliases=place.aliases,
                opened_year=place.opened_year,
                area_m2=place.area_m2,
                description=place.description,
            )
            self.db.add(found)
            self.db.flush()
        return found

    def organization(self, organization: Organization) -> Organization:
        found = self.db.scalar(select(Organization).where(Organization.name == organization.name))
        if found is None:
            found = Organization(name=organization.name, description=organization.description)
            self.db.add(found)
            for alias in organization.aliases:
                taken = self.db.scalar(select(OrganizationAlias.id).where(OrganizationAlias.alias == alias.alias))
                if taken is None:
                    found.aliases.append(OrganizationAlias(alias=alias.alias))
            self.db.flush()
        return found

    def event(self, event: Event) -> Event:
        found = self.db.scalar(select(Event).where(Event.name == event.name))
        if found is None:
            found = Event(
                name=event.name,
                edition=event.edition,
                place=event.place,
                dates_text=event.dates_text,
                duration_days=event.duration_days,
                description=event.description,
            )
            self.db.add(found)
            self.db.flush()
        return found

    def event_session(self, event: Event, record: EventSession) -> EventSession:
        found = self.db.scalar(
            select(EventSession).where(EventSession.event_id == event.id, EventSession.name == record.name)
        )
        if found is None:
            found = EventSession(
                event=event,
                name=record.name,
                session_type=record.session_type,
                topics=record.topics,
                description=record.description,
                position=record.position,
            )
            self.db.add(found)
            self.db.flush()
        return found
