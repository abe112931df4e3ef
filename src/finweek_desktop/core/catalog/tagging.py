"""Tags: add, remove, rename, merge, delete, colour, count."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session as DbSession

from ..changes import ChangeSet
from ..models import Tag, document_tags, utcnow
from ..records import TagInfo
from . import snapshots
from .common import NotFound, clean_color, clean_tag_name, require_document
from .history import History
from .writer import CatalogWriter, retried


class Tags:
    """Tags: add, remove, rename, merge, delete, colour, count; each change is one undo step."""

    def __init__(self, writer: CatalogWriter, history: History):
        self._writer = writer
        self._history = history

    # -- tags ----------------------------------------------------------------

    @contextmanager
    def _tag_write(self, action: str, description: str, names: Iterable[str]) -> Iterator:
        """A write to the named tags, recorded as one undo step: the tags as
        they were before and as they are after."""
        names = list(names)
        with self._writer.writing() as write:
            before = snapshots.tag_snapshot(write.session, names)
            yield write
            write.session.flush()
            after = snapshots.tag_snapshot(write.session, names)
            if after != before:
                self._history.record_swap(write.session, action, description, {"op": "tags"}, "snapshot", before, after)

    @retried
    def add_tag(self, doc_ids: Iterable[int], name: str, color: str | None = None) -> TagInfo:
        doc_ids = list(doc_ids)
        with self._tag_write("tag", f"Tag {_count(doc_ids)} with “{name}”", [name]) as write:
            session, touched = write.session, write.touched
            tag = self.get_or_create(session, name, color)
            for doc_id in doc_ids:
                document = require_document(session, doc_id)
                if tag not in document.tags:
                    document.tags.append(tag)
                    document.modified_at = utcnow()
                    touched.add(doc_id)
            session.flush()
            tag_id = tag.id
        return replace(self._tag_info(tag_id), changes=write.changes)

    @retried
    def remove_tag(self, doc_ids: Iterable[int], name: str) -> ChangeSet:
        doc_ids = list(doc_ids)
        with self._tag_write("untag", f"Remove “{name}” from {_count(doc_ids)}", [name]) as write:
            session, touched = write.session, write.touched
            tag = self._tag_by_name(session, name)
            for doc_id in doc_ids:
                document = require_document(session, doc_id)
                if tag in document.tags:
                    document.tags.remove(tag)
                    document.modified_at = utcnow()
                    touched.add(doc_id)
        return write.changes

    @retried
    def rename_tag(self, old: str, new: str) -> TagInfo:
        """Rename; if ``new`` exists already, the two tags are merged."""
        new_name = clean_tag_name(new)
        with self._tag_write("rename-tag", f"Rename “{old}” to “{new_name}”", [old, new_name]) as write:
            session, touched = write.session, write.touched
            tag = self._tag_by_name(session, old, lock=True)
            touched.update(self._tagged_ids(session, tag.id))
            existing = session.scalar(select(Tag).where(Tag.name_key == new_name.casefold()))
            if existing is not None and existing.id != tag.id:
                self._merge_into(session, source=tag, target=existing)
                target_id = existing.id
            else:
                tag.name, tag.name_key = new_name, new_name.casefold()
                target_id = tag.id
        return replace(self._tag_info(target_id), changes=write.changes)

    @retried
    def merge_tags(self, sources: Iterable[str], target: str) -> TagInfo:
        sources = list(sources)
        description = f"Merge {', '.join(f'“{s}”' for s in sources)} into “{target}”"
        with self._tag_write("merge-tags", description, [*sources, target]) as write:
            session, touched = write.session, write.touched
            target_tag = self.get_or_create(session, target)
            session.flush()
            for name in sources:
                tag = self._tag_by_name(session, name, lock=True)
                if tag.id == target_tag.id:
                    continue
                touched.update(self._tagged_ids(session, tag.id))
                self._merge_into(session, source=tag, target=target_tag)
            target_id = target_tag.id
        return replace(self._tag_info(target_id), changes=write.changes)

    @retried
    def delete_tag(self, name: str) -> TagInfo:
        info = None
        with self._tag_write("delete-tag", f"Delete the tag “{name}”", [name]) as write:
            session, touched = write.session, write.touched
            tag = self._tag_by_name(session, name, lock=True)
            info = self._tag_info(tag.id, session)
            touched.update(self._tagged_ids(session, tag.id))
            session.delete(tag)
        return replace(info, changes=write.changes)

    @retried
    def set_tag_color(self, name: str, color: str | None) -> TagInfo:
        with self._tag_write("color-tag", f"Recolour “{name}”", [name]) as write:
            session, _touched = write.session, write.touched
            tag = self._tag_by_name(session, name)
            tag.color = clean_color(color)
            tag_id = tag.id
        return replace(self._tag_info(tag_id), changes=write.changes)

    def _merge_into(self, session: DbSession, source: Tag, target: Tag) -> None:
        already = set(self._tagged_ids(session, target.id))
        for doc_id in self._tagged_ids(session, source.id):
            if doc_id not in already:
                session.execute(document_tags.insert().values(document_id=doc_id, tag_id=target.id))
        session.execute(delete(document_tags).where(document_tags.c.tag_id == source.id))
        if target.color is None:
            target.color = source.color
        session.delete(source)

    @staticmethod
    def _tagged_ids(session: DbSession, tag_id: int) -> list[int]:
        return list(session.scalars(select(document_tags.c.document_id).where(document_tags.c.tag_id == tag_id)))

    def get_or_create(self, session: DbSession, name: str, color: str | None = None) -> Tag:
        name = clean_tag_name(name)
        tag = session.scalar(select(Tag).where(Tag.name_key == name.casefold()))
        if tag is None:
            tag = Tag(name=name, name_key=name.casefold(), color=clean_color(color))
            session.add(tag)
        elif color:
            tag.color = clean_color(color)
        return tag

    def _tag_by_name(self, session: DbSession, name: str, lock: bool = False) -> Tag:
        """``lock``: for a tag about to be renamed, merged or deleted. On a
        server, another desktop tagging with it meanwhile then waits for this
        write (or this one for it), so no document loses the tag in between."""
        stmt = select(Tag).where(Tag.name_key == name.strip().casefold())
        tag = session.scalar(stmt.with_for_update() if lock else stmt)
        if tag is None:
            raise NotFound(f"no tag named {name!r}")
        return tag

    def _tag_info(self, tag_id: int, session: DbSession | None = None) -> TagInfo:
        with self._writer.read(session) as s:
            tag = s.get(Tag, tag_id)
            if tag is None:
                raise NotFound(f"no tag with id {tag_id}")
            count = s.scalar(select(func.count()).select_from(document_tags).where(document_tags.c.tag_id == tag_id))
            return TagInfo(tag.id, tag.name, tag.color, count or 0)

    def all(self) -> list[TagInfo]:
        """Every tag with its document count, by name."""
        counts = select(document_tags.c.tag_id, func.count().label("n")).group_by(document_tags.c.tag_id).subquery()
        stmt = (
            select(Tag.id, Tag.name, Tag.color, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.tag_id == Tag.id)
            .order_by(Tag.name_key)
        )
        with self._writer.read() as session:
            return [TagInfo(*row) for row in session.execute(stmt)]


def _count(doc_ids: list[int]) -> str:
    return "1 document" if len(doc_ids) == 1 else f"{len(doc_ids)} documents"
