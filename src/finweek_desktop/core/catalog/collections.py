"""Collections: manual ones (documents put in them, nestable) and saved
searches (a query with its sort and facet filters, re-run whenever shown).

A collection is named by its path from the top, the names joined with "/"
("Hengqin/Tax policy"), so a name cannot hold a "/". Names are unique among
siblings, ignoring case. Every change is one write through the writer (a
membership change logs its documents as changed) and one undo step.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from ..changes import ChangeSet
from ..models import Collection, CollectionDocument, Document, utcnow
from ..search.index import SORTS, SearchIndex, SearchResults
from ..vocabulary import DocumentKind
from .common import CHUNK_SIZE, NotFound, chunks, list_sort
from .history import History
from .snapshots import RestoreError, iso, when
from .writer import CatalogWriter

MANUAL = "manual"
SAVED = "saved"
SEPARATOR = "/"
MAX_NAME = 200


@dataclass(frozen=True)
class CollectionInfo:
    id: int
    name: str
    path: str  # the names from the top, joined with "/"
    parent_id: int | None
    kind: str  # MANUAL or SAVED
    query: str = ""
    sort: str = "relevance"
    kinds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    count: int | None = None  # members, or a saved search's total; None when not counted or not searchable now

    @property
    def saved(self) -> bool:
        return self.kind == SAVED

    def to_json(self) -> dict:
        data: dict = {
            "id": self.id,
            "name": self.name,
            "path": self.path,
            "parent_id": self.parent_id,
            "kind": self.kind,
            "count": self.count,
        }
        if self.saved:
            data["query"] = self.query
            data["sort"] = self.sort
            data["filters"] = {"kinds": list(self.kinds), "tags": list(self.tags)}
        return data


@dataclass(frozen=True)
class Membership:
    """What a collect or an uncollect did."""

    collection: CollectionInfo
    documents: tuple[int, ...]  # the documents added (or removed)
    changes: ChangeSet = field(default_factory=ChangeSet)


def clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValueError("a collection needs a name")
    if SEPARATOR in name:
        raise ValueError(f"a collection name cannot contain {SEPARATOR!r}: {name!r} (it separates nested collections)")
    if len(name) > MAX_NAME:
        raise ValueError(f"a collection name is limited to {MAX_NAME} characters")
    return name


def split_path(path: str) -> list[str]:
    """'Parent/Child' -> ['Parent', 'Child'], each name cleaned."""
    parts = (path or "").split(SEPARATOR)
    if not any(p.strip() for p in parts):
        raise ValueError("a collection needs a name")
    return [clean_name(p) for p in parts]


def _row(collection: Collection) -> dict:
    return {
        "id": collection.id,
        "name": collection.name,
        "parent_id": collection.parent_id,
        "kind": collection.kind,
        "query": collection.query,
        "sort": collection.sort,
        "filters": collection.filters,
        "created_at": iso(collection.created_at),
    }


class Collections:
    """Manual collections and saved searches; each change is one undo step."""

    def __init__(self, writer: CatalogWriter, history: History, index: SearchIndex):
        self._writer = writer
        self._history = history
        self._index = index
        history.register("collections-restore", self._undo_restore)
        history.register("collections-drop", self._undo_drop)
        history.register("collect", self._undo_collect)
        history.register("uncollect", self._undo_uncollect)
        history.register("collection-fields", self._undo_fields)

    # -- reading -------------------------------------------------------------

    def all(self, *, counts: bool = True) -> list[CollectionInfo]:
        """Every collection, depth first, siblings by name; with ``counts``
        each manual one's members and each saved search's total."""
        with self._writer.read() as session:
            rows = list(session.scalars(select(Collection)))
            members = dict(
                session.execute(
                    select(CollectionDocument.collection_id, func.count()).group_by(CollectionDocument.collection_id)
                ).all()
            )
        children: dict[int | None, list[Collection]] = {}
        for row in rows:
            children.setdefault(row.parent_id, []).append(row)
        out: list[CollectionInfo] = []

        def walk(parent_id: int | None, prefix: str) -> None:
            for row in sorted(children.get(parent_id, []), key=lambda r: r.name_key):
                path = f"{prefix}{row.name}"
                count: int | None = None
                if counts:
                    count = self._saved_total(row) if row.kind == SAVED else members.get(row.id, 0)
                out.append(_info(row, path, count))
                walk(row.id, path + SEPARATOR)

        walk(None, "")
        return out

    def get(self, collection_id: int, *, count: bool = True) -> CollectionInfo:
        for info in self.all(counts=False):
            if info.id == collection_id:
                return self._counted(info) if count else info
        raise NotFound(f"no collection with id {collection_id}")

    def find(self, path: str, *, count: bool = True) -> CollectionInfo:
        """The collection at ``path`` ("Parent/Child"), ignoring case."""
        with self._writer.read() as session:
            row = self._at(session, split_path(path))
            if row is None:
                raise NotFound(f"no collection named {path!r}")
            collection_id = row.id
        return self.get(collection_id, count=count)

    def _counted(self, info: CollectionInfo) -> CollectionInfo:
        with self._writer.read() as session:
            row = session.get(Collection, info.id)
            if row is None:
                raise NotFound(f"no collection with id {info.id}")
            if row.kind == SAVED:
                count = self._saved_total(row)
            else:
                count = session.scalar(
                    select(func.count())
                    .select_from(CollectionDocument)
                    .where(CollectionDocument.collection_id == row.id)
                )
        return _info(row, info.path, count)

    def _saved_total(self, row: Collection) -> int | None:
        try:
            return self._index.search(row.query, limit=1, **_search_options(row)).total
        except Exception:  # a query the index refuses now, or the index is busy or damaged
            return None

    def document_ids(self, collection_id: int, sort: str = "date") -> list[int]:
        """The documents of a collection: a manual one's members (in ``sort``
        order, as the browse table sorts), a saved search's hits (in its own
        sort), re-run now."""
        with self._writer.read() as session:
            row = session.get(Collection, collection_id)
            if row is None:
                raise NotFound(f"no collection with id {collection_id}")
            if row.kind == SAVED:
                query, options = row.query, _search_options(row)
            else:
                stmt = (
                    select(Document.id)
                    .join(CollectionDocument, CollectionDocument.document_id == Document.id)
                    .where(CollectionDocument.collection_id == collection_id)
                    .order_by(*list_sort(sort))
                )
                return list(session.scalars(stmt))
        return [hit.id for hit in self._index.search(query, limit=None, **options).hits]

    def run(self, collection_id: int, limit: int | None = 20) -> SearchResults:
        """Re-run a saved search now."""
        with self._writer.read() as session:
            row = session.get(Collection, collection_id)
            if row is None:
                raise NotFound(f"no collection with id {collection_id}")
            if row.kind != SAVED:
                raise ValueError(f"{row.name!r} is a collection, not a saved search")
            query, options = row.query, _search_options(row)
        return self._index.search(query, limit=limit, **options)

    def of_document(self, doc_id: int) -> list[CollectionInfo]:
        """The manual collections a document is in."""
        with self._writer.read() as session:
            ids = set(
                session.scalars(
                    select(CollectionDocument.collection_id).where(CollectionDocument.document_id == doc_id)
                )
            )
        return [info for info in self.all(counts=False) if info.id in ids]

    # -- writing -------------------------------------------------------------

    def create(self, path: str, parent_id: int | None = None) -> CollectionInfo:
        """A new manual collection at ``path`` (under ``parent_id`` when given);
        missing parents are created too. An existing one is an error."""
        names = split_path(path)
        with self._writer.writing() as write:
            session = write.session
            parent = self._require(session, parent_id) if parent_id is not None else None
            if self._at(session, names, parent) is not None:
                raise ValueError(f"a collection named {SEPARATOR.join(names)!r} exists already")
            row, created = self._ensure(session, names, parent)
            self._record_created(session, f"New collection “{row.name}”", created)
            collection_id = row.id
        return self.get(collection_id)

    def collect(self, doc_ids: Iterable[int], path: str) -> Membership:
        """Put documents in the manual collection at ``path``, creating it
        (and its parents) when missing."""
        doc_ids = list(dict.fromkeys(doc_ids))
        names = split_path(path)
        with self._writer.writing() as write:
            session = write.session
            row, created = self._ensure(session, names)
            if row.kind == SAVED:
                raise ValueError(f"{path!r} is a saved search: documents cannot be put in it")
            existing: set[int] = set()
            members: set[int] = set()
            for chunk in chunks(doc_ids, CHUNK_SIZE):
                existing.update(session.scalars(select(Document.id).where(Document.id.in_(chunk))))
                members.update(
                    session.scalars(
                        select(CollectionDocument.document_id).where(
                            CollectionDocument.collection_id == row.id, CollectionDocument.document_id.in_(chunk)
                        )
                    )
                )
            missing = [i for i in doc_ids if i not in existing]
            if missing:
                raise NotFound(f"no document with id {missing[0]}")
            added = [i for i in doc_ids if i not in members]
            for doc_id in added:
                session.add(CollectionDocument(collection_id=row.id, document_id=doc_id))
            session.flush()
            if added or created:
                step = {"collection_id": row.id, "document_ids": added}
                undo: list[dict] = [{"op": "uncollect", **step}]
                redo: list[dict] = [{"op": "collect", **step}]
                if created:
                    undo.append({"op": "collections-drop", "ids": [created[0]["id"]]})
                    redo.insert(0, {"op": "collections-restore", "rows": created, "members": []})
                self._history.record(session, "collect", f"Add {_count(added)} to “{row.name}”", undo, redo)
            collection_id = row.id
        return Membership(self.get(collection_id), tuple(added), write.changes)

    def uncollect(self, doc_ids: Iterable[int], path: str) -> Membership:
        doc_ids = list(dict.fromkeys(doc_ids))
        with self._writer.writing() as write:
            session = write.session
            row = self._at(session, split_path(path))
            if row is None:
                raise NotFound(f"no collection named {path!r}")
            removed = []
            for doc_id in doc_ids:
                member = session.get(CollectionDocument, (row.id, doc_id))
                if member is not None:
                    session.delete(member)
                    removed.append(doc_id)
            if removed:
                step = {"collection_id": row.id, "document_ids": removed}
                self._history.record(
                    session,
                    "uncollect",
                    f"Remove {_count(removed)} from “{row.name}”",
                    undo=[{"op": "collect", **step}],
                    redo=[{"op": "uncollect", **step}],
                )
            collection_id = row.id
        return Membership(self.get(collection_id), tuple(removed), write.changes)

    def rename(self, collection_id: int, name: str) -> CollectionInfo:
        name = clean_name(name)
        with self._writer.writing() as write:
            session = write.session
            row = self._require(session, collection_id)
            if name != row.name:
                clash = self._child(session, row.parent_id, name)
                if clash is not None and clash.id != row.id:
                    raise ValueError(f"a collection named {name!r} exists there already")
                step = {"op": "collection-fields", "collection_id": row.id}
                description = f"Rename “{row.name}” to “{name}”"
                before, after = {"name": row.name}, {"name": name}
                row.name, row.name_key = name, name.casefold()
                self._history.record_swap(session, "rename-collection", description, step, "fields", before, after)
        return self.get(collection_id)

    def delete(self, collection_id: int) -> CollectionInfo:
        """Delete a collection with what is nested in it (the documents stay)."""
        info = self.get(collection_id, count=False)
        with self._writer.writing() as write:
            session = write.session
            row = self._require(session, collection_id)
            rows, members = self._subtree(session, row)
            session.delete(row)  # the database deletes nested collections and memberships
            self._history.record(
                session,
                "delete-collection",
                f"Delete the {'saved search' if info.saved else 'collection'} “{info.name}”",
                undo=[{"op": "collections-restore", "rows": rows, "members": members}],
                redo=[{"op": "collections-drop", "ids": [collection_id]}],
            )
            write.touched.update(m[1] for m in members)
        return info

    def save_search(
        self,
        path: str,
        query: str,
        *,
        sort: str = "relevance",
        kinds: Sequence[str] = (),
        tags: Sequence[str] = (),
    ) -> CollectionInfo:
        """Save a search under ``path``; a saved search of that name is
        replaced, a manual collection of that name is an error."""
        if not (query or "").strip():
            raise ValueError("a saved search needs a query")
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r}; choose one of {', '.join(SORTS)}")
        self._index.parse(query)  # a query that cannot be searched is refused now (QueryError)
        filters = json.dumps(
            {"kinds": [DocumentKind.parse(k).value for k in kinds], "tags": [" ".join(t.split()) for t in tags if t]},
            ensure_ascii=False,
        )
        names = split_path(path)
        fields = {"query": query.strip(), "sort": sort, "filters": filters}
        with self._writer.writing() as write:
            session = write.session
            existing = self._at(session, names)
            if existing is not None and existing.kind != SAVED:
                raise ValueError(f"{path!r} is a collection, not a saved search")
            if existing is not None:
                before = {name: getattr(existing, name) for name in fields}
                for name, value in fields.items():
                    setattr(existing, name, value)
                step = {"op": "collection-fields", "collection_id": existing.id}
                self._history.record_swap(
                    session, "save-search", f"Save the search “{existing.name}”", step, "fields", before, fields
                )
                collection_id = existing.id
            else:
                row, created = self._ensure(session, names, None, SAVED, **fields)
                self._record_created(session, f"Save the search “{row.name}”", created)
                collection_id = row.id
        return self.get(collection_id)

    # -- helpers -------------------------------------------------------------

    def _record_created(self, session: DbSession, description: str, created: list[dict]) -> None:
        if created:
            self._history.record(
                session,
                "new-collection",
                description,
                undo=[{"op": "collections-drop", "ids": [created[0]["id"]]}],
                redo=[{"op": "collections-restore", "rows": created, "members": []}],
            )

    @staticmethod
    def _child(session: DbSession, parent_id: int | None, name: str) -> Collection | None:
        return session.scalar(
            select(Collection).where(Collection.parent_key == (parent_id or 0), Collection.name_key == name.casefold())
        )

    def _at(self, session: DbSession, names: list[str], parent: Collection | None = None) -> Collection | None:
        row = parent
        for name in names:
            row = self._child(session, row.id if row is not None else None, name)
            if row is None:
                return None
        return row

    def _ensure(
        self, session: DbSession, names: list[str], parent: Collection | None = None, kind: str = MANUAL, **fields
    ) -> tuple[Collection, list[dict]]:
        """The collection at ``names`` under ``parent``, created with its
        missing parents (manual ones); also the rows created, parents first."""
        created: list[dict] = []
        row = parent
        for depth, name in enumerate(names):
            parent_id = row.id if row is not None else None
            found = self._child(session, parent_id, name)
            if found is None:
                last = depth == len(names) - 1
                found = Collection(
                    name=name,
                    name_key=name.casefold(),
                    parent_id=parent_id,
                    parent_key=parent_id or 0,
                    kind=kind if last else MANUAL,
                    **(fields if last else {}),
                )
                session.add(found)
                session.flush()
                created.append(_row(found))
            elif found.kind == SAVED and depth < len(names) - 1:
                raise ValueError(f"{found.name!r} is a saved search: collections cannot be nested in it")
            row = found
        assert row is not None  # names is never empty
        return row, created

    @staticmethod
    def _require(session: DbSession, collection_id: int) -> Collection:
        row = session.get(Collection, collection_id)
        if row is None:
            raise NotFound(f"no collection with id {collection_id}")
        return row

    @staticmethod
    def _subtree(session: DbSession, root: Collection) -> tuple[list[dict], list[list]]:
        """The rows of a collection and everything nested in it (parents
        first), and their memberships [collection id, document id, added at]."""
        rows, todo = [], [root]
        while todo:
            row = todo.pop(0)
            rows.append(_row(row))
            todo.extend(
                session.scalars(select(Collection).where(Collection.parent_id == row.id).order_by(Collection.id))
            )
        ids = [r["id"] for r in rows]
        members = [
            [m.collection_id, m.document_id, iso(m.added_at)]
            for m in session.scalars(
                select(CollectionDocument)
                .where(CollectionDocument.collection_id.in_(ids))
                .order_by(CollectionDocument.collection_id, CollectionDocument.document_id)
            )
        ]
        return rows, members

    # -- undo steps ----------------------------------------------------------

    def _undo_restore(self, session: DbSession, step: dict, touched: set[int]) -> None:
        for saved in step["rows"]:
            if session.get(Collection, saved["id"]) is not None:
                continue
            if saved["parent_id"] is not None and session.get(Collection, saved["parent_id"]) is None:
                continue  # its parent was deleted since
            clash = self._child(session, saved["parent_id"], saved["name"])
            if clash is not None:
                raise RestoreError(f"a collection named {saved['name']!r} exists there already")
            session.add(
                Collection(
                    id=saved["id"],
                    name=saved["name"],
                    name_key=saved["name"].casefold(),
                    parent_id=saved["parent_id"],
                    parent_key=saved["parent_id"] or 0,
                    kind=saved["kind"],
                    query=saved["query"],
                    sort=saved["sort"],
                    filters=saved["filters"],
                    created_at=when(saved["created_at"]),
                )
            )
            session.flush()
        for collection_id, doc_id, added_at in step["members"]:
            if (
                session.get(Collection, collection_id) is not None
                and session.get(Document, doc_id) is not None
                and session.get(CollectionDocument, (collection_id, doc_id)) is None
            ):
                session.add(
                    CollectionDocument(collection_id=collection_id, document_id=doc_id, added_at=when(added_at))
                )
                touched.add(doc_id)

    def _undo_drop(self, session: DbSession, step: dict, touched: set[int]) -> None:
        for collection_id in step["ids"]:
            row = session.get(Collection, collection_id)
            if row is not None:
                _rows, members = self._subtree(session, row)
                touched.update(m[1] for m in members)
                session.delete(row)
                session.flush()

    def _undo_collect(self, session: DbSession, step: dict, touched: set[int]) -> None:
        collection_id = step["collection_id"]
        if session.get(Collection, collection_id) is None:
            raise RestoreError("the collection has been deleted since")
        for doc_id in step["document_ids"]:
            if (
                session.get(Document, doc_id) is not None
                and session.get(CollectionDocument, (collection_id, doc_id)) is None
            ):
                session.add(CollectionDocument(collection_id=collection_id, document_id=doc_id, added_at=utcnow()))
                touched.add(doc_id)

    def _undo_uncollect(self, session: DbSession, step: dict, touched: set[int]) -> None:
        for doc_id in step["document_ids"]:
            member = session.get(CollectionDocument, (step["collection_id"], doc_id))
            if member is not None:
                session.delete(member)
                touched.add(doc_id)

    def _undo_fields(self, session: DbSession, step: dict, touched: set[int]) -> None:
        row = session.get(Collection, step["collection_id"])
        if row is None:
            raise RestoreError("the collection has been deleted since")
        fields = step["fields"]
        if "name" in fields:
            clash = self._child(session, row.parent_id, fields["name"])
            if clash is not None and clash.id != row.id:
                raise RestoreError(f"a collection named {fields['name']!r} exists there already")
            row.name_key = fields["name"].casefold()
        for name, value in fields.items():
            setattr(row, name, value)


def _info(row: Collection, path: str, count: int | None) -> CollectionInfo:
    filters = _filters(row)
    return CollectionInfo(
        id=row.id,
        name=row.name,
        path=path,
        parent_id=row.parent_id,
        kind=row.kind,
        query=row.query,
        sort=row.sort,
        kinds=tuple(filters.get("kinds", ())),
        tags=tuple(filters.get("tags", ())),
        count=count,
    )


def _filters(row: Collection) -> dict:
    try:
        filters = json.loads(row.filters or "{}")
    except ValueError:
        return {}
    return filters if isinstance(filters, dict) else {}


def _search_options(row: Collection) -> dict:
    filters = _filters(row)
    return {"sort": row.sort or "relevance", "kinds": filters.get("kinds", []), "tags": filters.get("tags", [])}


def _count(doc_ids: Sequence[int]) -> str:
    return "1 document" if len(doc_ids) == 1 else f"{len(doc_ids)} documents"
