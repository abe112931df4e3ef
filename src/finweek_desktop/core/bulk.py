"""Bulk import: many documents at once, at library scale.

``import_documents`` writes the database in batches, each batch one
transaction through ``CatalogService.writing()``, and feeds every batch to a
single index writer that stays open for the whole import (two writer
processes when the import is large). One writer for the whole import keeps
the index at a few segments, so search stays fast after importing 50,000
documents; a writer per small batch would leave hundreds of segments.

Crash safety is the service's: each batch's ids go into the index journal
before its database commit and leave it only once the index has committed,
so an import interrupted half-way is finished by ``recover()`` at the next
start.

Attachment text: an ``ImportItem`` may carry the text extracted from the
document's attachments. It goes into the index's ``content`` field, exactly
the field the attachment service indexes; the rest of the indexed document
is built by the service's own ``_indexed_documents`` so the entries are the
ones a normal save would produce.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import func, select

from .catalog import CatalogService, NotFound, _required_title, _tag_name
from .dates import normalize_date
from .models import Document, DocumentOrganization, Organization, OrganizationAlias, Place, Tag
from .records import NewDocument
from .search.schema import IndexedDocument
from .vocabulary import DocumentKind, OrganizationRole

DEFAULT_BATCH_SIZE = 500
# From this many documents on, the index is written by two processes.
MULTIPROCESS_THRESHOLD = 2000


@dataclass(frozen=True)
class ImportItem:
    document: NewDocument
    content: str = ""  # text extracted from the document's attachments


@dataclass(frozen=True)
class ImportReport:
    ids: tuple[int, ...]
    seconds: float

    @property
    def count(self) -> int:
        return len(self.ids)


def import_documents(
    service: CatalogService,
    items: Iterable[ImportItem | NewDocument],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    procs: int | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> ImportReport:
    """Create every document of ``items``; returns their ids in order.

    ``procs`` is the number of index writer processes; by default two when
    the import has ``MULTIPROCESS_THRESHOLD`` documents or more (and the
    machine has two cores), else one.
    """
    started = time.perf_counter()
    iterator = iter(items)
    total = len(items) if hasattr(items, "__len__") else None
    # Look ahead far enough to decide on processes without knowing the total.
    head = list(itertools.islice(iterator, MULTIPROCESS_THRESHOLD))
    if procs is None:
        procs = min(2, os.cpu_count() or 1) if len(head) >= MULTIPROCESS_THRESHOLD else 1
    source = itertools.chain(head, iterator)
    resolver = _Resolver(service)
    ids: list[int] = []

    def indexed() -> Iterator[IndexedDocument]:
        while True:
            batch = [_as_item(x) for x in itertools.islice(source, batch_size)]
            if not batch:
                return
            batch_ids = _insert_batch(service, resolver, batch)
            ids.extend(batch_ids)
            contents = dict(zip(batch_ids, (item.content for item in batch)))
            for document in service._indexed_documents(batch_ids):
                content = contents[document.id]
                yield dataclasses.replace(document, content=content) if content else document
            if progress:
                progress(len(ids), total)

    service.index.add_many(indexed(), procs=procs)
    service.journal.clear(ids)
    return ImportReport(tuple(ids), time.perf_counter() - started)


def _as_item(item: ImportItem | NewDocument) -> ImportItem:
    return item if isinstance(item, ImportItem) else ImportItem(item)


def _insert_batch(service: CatalogService, resolver: _Resolver, batch: list[ImportItem]) -> list[int]:
    with service.writing() as (session, _touched), session.no_autoflush:
        # ``_touched`` stays empty: this import indexes the batch itself.
        resolver.start(session, batch)
        documents = []
        for item in batch:
            new = item.document
            document = Document(
                kind=DocumentKind.parse(new.kind).value,
                title=_required_title(new.title),
                subtitle=(new.subtitle or None),
                date=normalize_date(new.date),
                language=new.language or None,
                summary=new.summary,
                notes=new.notes,
                source=new.source,
                session_id=new.session_id,
                event_id=new.event_id,
            )
            document.tags = resolver.tags(new.tags)
            document.places = resolver.places(new.places)
            seen = set()
            for name, role in new.organizations:
                organization = resolver.organization(name)
                role = OrganizationRole.parse(role).value
                if (id(organization), role) not in seen:
                    seen.add((id(organization), role))
                    document.organization_links.append(DocumentOrganization(organization=organization, role=role))
            session.add(document)
            documents.append(document)
        session.flush()
        resolver.finish()
        ids = [d.id for d in documents]
        service.journal.mark(ids)
    return ids


class _Resolver:
    """Tags, organizations and places by name: a few queries per batch.

    Names seen in earlier batches are remembered by id, so a batch loads its
    tags, organizations and places with one query each.
    """

    def __init__(self, service: CatalogService):
        self.service = service
        self._org_ids: dict[str, int | None] = {}
        self._place_ids: dict[str, int | None] = {}

    def start(self, session, batch: list[ImportItem]) -> None:
        self.session = session
        documents = [item.document for item in batch]
        tag_keys = {_tag_name(n).casefold() for d in documents for n in d.tags}
        self._tags = (
            {t.name_key: t for t in session.scalars(select(Tag).where(Tag.name_key.in_(tag_keys)))} if tag_keys else {}
        )
        org_keys = {name.strip().casefold() for d in documents for name, _ in d.organizations}
        for key in org_keys - self._org_ids.keys():
            self._org_ids[key] = session.scalar(
                select(Organization.id).where(func.lower(Organization.name) == key)
            ) or session.scalar(
                select(OrganizationAlias.organization_id).where(func.lower(OrganizationAlias.alias) == key)
            )
        by_id = _load(session, Organization, {self._org_ids[k] for k in org_keys} - {None})
        self._orgs = {k: by_id[self._org_ids[k]] for k in org_keys if self._org_ids[k] is not None}
        place_keys = {name.strip().casefold() for d in documents for name in d.places}
        for key in place_keys - self._place_ids.keys():
            self._place_ids[key] = session.scalar(select(Place.id).where(func.lower(Place.name) == key))
        by_id = _load(session, Place, {self._place_ids[k] for k in place_keys} - {None})
        self._places = {k: by_id[self._place_ids[k]] for k in place_keys if self._place_ids[k] is not None}

    def finish(self) -> None:
        """After the batch's flush: remember the ids of organizations it created."""
        for key, org in self._orgs.items():
            self._org_ids[key] = org.id

    def tags(self, names: Iterable[str]) -> list[Tag]:
        result: dict[str, Tag] = {}
        for name in names:
            name = _tag_name(name)
            key = name.casefold()
            tag = self._tags.get(key)
            if tag is None:
                tag = self._tags[key] = Tag(name=name, name_key=key)
                self.session.add(tag)
            result[key] = tag
        return list(result.values())

    def places(self, names: Iterable[str]) -> list[Place]:
        places: list[Place] = []
        for name in names:
            place = self._places.get(name.strip().casefold())
            if place is None:
                raise NotFound(f"no place named {name!r}")
            if place not in places:
                places.append(place)
        return places

    def organization(self, name: str) -> Organization:
        key = name.strip().casefold()
        org = self._orgs.get(key)
        if org is None:
            org = self._orgs[key] = Organization(name=name.strip())
            self.session.add(org)
        return org


def _load(session, model, ids: set[int]) -> dict:
    if not ids:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(ids)))}
