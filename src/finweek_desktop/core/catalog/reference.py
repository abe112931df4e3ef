"""The reference data around documents: organizations, sessions, the event,
places, and their aliases (which the search index also uses as synonyms)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import selectinload

from ..models import (
    Document,
    DocumentOrganization,
    Event,
    EventSession,
    Organization,
    OrganizationAlias,
    Place,
    document_places,
)
from ..records import OrganizationInfo, PlaceAliases, SessionInfo
from ..search.index import SearchIndex
from ..vocabulary import OrganizationRole
from .common import NotFound
from .writer import CatalogWriter, retried


class Reference:
    """Organizations, places, sessions and the event, with their aliases."""

    def __init__(self, writer: CatalogWriter, index: SearchIndex):
        self._writer = writer
        self._index = index

    # -- organizations, sessions, event -----------------------------------------

    def link_organization(self, session: DbSession, document: Document, name: str, role: str) -> None:
        role = OrganizationRole.parse(role).value
        organization = self.find_organization(name, session) or Organization(name=name.strip())
        if organization.id is None:
            session.add(organization)
        document.organization_links.append(DocumentOrganization(organization=organization, role=role))

    def find_organization(self, name: str, session: DbSession | None = None) -> Organization | None:
        """By name or alias, ignoring case."""
        key = name.strip().casefold()
        with self._writer.read(session) as s:
            org = s.scalar(select(Organization).where(func.lower(Organization.name) == key))
            if org is None:
                org = s.scalar(
                    select(Organization).join(OrganizationAlias).where(func.lower(OrganizationAlias.alias) == key)
                )
            return org

    def find_place(self, session: DbSession, name: str) -> Place:
        place = session.scalar(select(Place).where(func.lower(Place.name) == name.strip().casefold()))
        if place is None:
            raise NotFound(f"no place named {name!r}")
        return place

    def organizations(self) -> list[OrganizationInfo]:
        counts = (
            select(
                DocumentOrganization.organization_id,
                func.count(func.distinct(DocumentOrganization.document_id)).label("n"),
            )
            .group_by(DocumentOrganization.organization_id)
            .subquery()
        )
        stmt = (
            select(Organization, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.organization_id == Organization.id)
            .options(selectinload(Organization.aliases))
            .order_by(func.lower(Organization.name))
        )
        with self._writer.read() as session:
            return [
                OrganizationInfo(o.id, o.name, tuple(a.alias for a in o.aliases), o.description, n)
                for o, n in session.execute(stmt)
            ]

    def sessions(self) -> list[SessionInfo]:
        counts = select(Document.session_id, func.count().label("n")).group_by(Document.session_id).subquery()
        stmt = (
            select(EventSession, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.session_id == EventSession.id)
            .order_by(EventSession.position, EventSession.id)
        )
        with self._writer.read() as session:
            return [
                SessionInfo(
                    s.id, s.name, s.session_type, tuple(t for t in s.topics.splitlines() if t), s.description, n
                )
                for s, n in session.execute(stmt)
            ]

    def events(self) -> list[dict]:
        with self._writer.read() as session:
            events = session.scalars(select(Event).options(selectinload(Event.organizations)).order_by(Event.id)).all()
            return [
                {
                    "id": e.id,
                    "name": e.name,
                    "edition": e.edition,
                    "place": e.place,
                    "dates": e.dates_text,
                    "duration_days": e.duration_days,
                    "description": e.description,
                    "organizations": [{"name": link.organization.name, "role": link.role} for link in e.organizations],
                }
                for e in events
            ]

    def places(self) -> list[dict]:
        with self._writer.read() as session:
            return [
                {
                    "id": p.id,
                    "name": p.name,
                    "type": p.place_type,
                    "aliases": [a for a in p.aliases.splitlines() if a],
                    "opened_year": p.opened_year,
                    "area_m2": p.area_m2,
                    "description": p.description,
                }
                for p in session.scalars(select(Place).order_by(Place.id))
            ]

    # -- aliases -------------------------------------------------------------------

    def alias_groups(self) -> list[tuple[str, ...]]:
        """Each place's and organization's name with its aliases (those with any)."""
        with self._writer.read() as session:
            groups = [
                (o.name, *(a.alias for a in o.aliases))
                for o in session.scalars(select(Organization).options(selectinload(Organization.aliases)))
                if o.aliases
            ]
            groups.extend(
                (p.name, *aliases)
                for p in session.scalars(select(Place))
                if (aliases := [a for a in p.aliases.splitlines() if a.strip()])
            )
            return groups

    def refresh_synonyms(self) -> None:
        """Hand the alias groups to the search index (a query naming a place
        or an organization also searches its other names)."""
        self._index.set_synonyms(self.alias_groups())

    @retried
    def add_organization_alias(self, name: str, alias: str) -> OrganizationInfo:
        """Give an organization (by name or alias) another name; its documents
        are re-indexed and the name is searched as a synonym at once."""
        alias = _clean_alias(alias)
        with self._writer.writing() as write:
            session, touched = write.session, write.touched
            organization = self.find_organization(name, session)
            if organization is None:
                raise NotFound(f"no organization named {name!r}")
            holder = self.find_organization(alias, session)
            if holder is not None:
                if holder.id == organization.id:
                    return self._organization_info(organization.id)
                raise ValueError(f"{alias!r} already names the organization {holder.name!r}")
            organization.aliases.append(OrganizationAlias(alias=alias))
            touched.update(
                session.scalars(
                    select(DocumentOrganization.document_id).where(
                        DocumentOrganization.organization_id == organization.id
                    )
                )
            )
            org_id = organization.id
        return replace(self._organization_info(org_id), changes=write.changes)

    @retried
    def add_place_alias(self, name: str, alias: str) -> PlaceAliases:
        """Give a place another name; returns its names."""
        alias = _clean_alias(alias)
        with self._writer.writing() as write:
            session, touched = write.session, write.touched
            place = self.find_place(session, name)
            aliases = [a for a in place.aliases.splitlines() if a]
            if alias.casefold() not in {a.casefold() for a in (place.name, *aliases)}:
                aliases.append(alias)
                place.aliases = "\n".join(aliases)
                touched.update(
                    session.scalars(select(document_places.c.document_id).where(document_places.c.place_id == place.id))
                )
            place_name = place.name
        return PlaceAliases(place_name, tuple(aliases), write.changes)

    def _organization_info(self, org_id: int) -> OrganizationInfo:
        return next(o for o in self.organizations() if o.id == org_id)


def _clean_alias(alias: str) -> str:
    alias = " ".join((alias or "").split())
    if not alias:
        raise ValueError("an alias cannot be empty")
    if len(alias) > 300:
        raise ValueError("an alias is limited to 300 characters")
    return alias
