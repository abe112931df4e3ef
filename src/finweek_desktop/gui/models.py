"""Qt item models over the catalog service.

``DocumentTableModel`` holds only the ordered list of matching ids (cheap
even for 50,000 documents); rows are fetched a page at a time when the view
first asks for them and kept in a bounded cache. Sorting asks the database
for a new id order. The other models are small lists loaded whole.
"""

from __future__ import annotations

import html
import json
import logging
from collections import OrderedDict
from dataclasses import replace
from typing import ClassVar

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QPainter, QPixmap
from sqlalchemy.exc import SQLAlchemyError

from ..core.catalog import CatalogService, DocumentFilter
from ..core.display import safe_display_name
from ..core.records import DocumentSummary, OrganizationInfo, TagInfo
from ..core.search.index import SearchHit
from .tasks import LatestOnly
from .theme import icon, kind_icon, kind_label
from .titles import Titles

log = logging.getLogger(__name__)

DocumentIdRole = Qt.ItemDataRole.UserRole + 1
SummaryRole = Qt.ItemDataRole.UserRole + 2
SnippetRole = Qt.ItemDataRole.UserRole + 3
TagNamesRole = Qt.ItemDataRole.UserRole + 4
NameRole = Qt.ItemDataRole.UserRole + 5

_Index = QModelIndex | QPersistentModelIndex


def _role(role) -> int:
    return int(getattr(role, "value", role))


_DISPLAY = _role(Qt.ItemDataRole.DisplayRole)
_DECORATION = _role(Qt.ItemDataRole.DecorationRole)
_TOOLTIP = _role(Qt.ItemDataRole.ToolTipRole)
_ALIGNMENT = _role(Qt.ItemDataRole.TextAlignmentRole)
_ID = _role(DocumentIdRole)
# role -> slot of a cached row (see DocumentTableModel._make_row)
_SLOTS = {_DISPLAY: 0, _DECORATION: 1, _TOOLTIP: 2, _ALIGNMENT: 3, _role(SummaryRole): 4, _role(TagNamesRole): 5}
# PySide passes roles as ints; callers in Python may pass the enum members.
_SLOTS.update(
    {
        Qt.ItemDataRole.DisplayRole: 0,
        Qt.ItemDataRole.DecorationRole: 1,
        Qt.ItemDataRole.ToolTipRole: 2,
        Qt.ItemDataRole.TextAlignmentRole: 3,
        SummaryRole: 4,
        TagNamesRole: 5,
    }
)
_CELL_FLAGS = (
    Qt.ItemFlag.ItemIsEnabled
    | Qt.ItemFlag.ItemIsSelectable
    | Qt.ItemFlag.ItemIsDropEnabled
    | Qt.ItemFlag.ItemIsDragEnabled
)
# Rows of any document list dragged elsewhere (onto a collection in the sidebar).
DOCUMENT_IDS_MIME = "application/x-finweek-document-ids"


def document_ids_mime(ids) -> QMimeData:
    mime = QMimeData()
    mime.setData(DOCUMENT_IDS_MIME, json.dumps(list(dict.fromkeys(ids))).encode("ascii"))
    return mime


def ids_from_mime(mime: QMimeData | None) -> list[int]:
    """The document ids a drag carries; [] for anything else."""
    if mime is None or not mime.hasFormat(DOCUMENT_IDS_MIME):
        return []
    try:
        ids = json.loads(bytes(mime.data(DOCUMENT_IDS_MIME).data()).decode("ascii"))
    except ValueError:
        return []
    return [i for i in ids if isinstance(i, int)] if isinstance(ids, list) else []


_CENTER = int(_role(Qt.AlignmentFlag.AlignCenter))


def document_ids(
    service: CatalogService,
    where: DocumentFilter,
    sort: tuple[int, Qt.SortOrder],
    titles: Titles | None = None,
    collection_id: int | None = None,
) -> list[int]:
    """The ids of a table's rows in the order of its sort state (any thread).
    With ``titles``, the title filter folds as search does and the title
    order is natural (titles.py). With ``collection_id``, only that
    collection's documents (a saved search's hits, re-run now)."""
    if collection_id is not None:
        members = set(service.collections.document_ids(collection_id))
        return [i for i in document_ids(service, where, sort, titles) if i in members]
    column, order = sort
    ascending, descending = DocumentTableModel.SORTS[column]
    text = where.text
    if titles is not None and text:
        where = replace(where, text=None)  # filtered below, folded
    if order == Qt.SortOrder.AscendingOrder:
        ids = service.documents.document_ids(where, ascending)
    elif descending is not None:
        ids = service.documents.document_ids(where, descending)
    else:
        ids = service.documents.document_ids(where, ascending)[::-1]
    if titles is None:
        return ids
    if text:
        ids = titles.filter(ids, text)
    if column == DocumentTableModel.TITLE:
        ids = titles.natural_order(ids, descending=order == Qt.SortOrder.DescendingOrder)
    return ids


class DocumentTableModel(QAbstractTableModel):
    TITLE, KIND, DATE, ORGANIZATIONS, TAGS, ATTACHMENTS = range(6)
    HEADERS = ("Title", "Kind", "Date", "Organizations", "Tags", "Files")
    # column -> (ascending sort, descending sort) understood by the service;
    # None means "the ascending order reversed".
    SORTS: ClassVar[dict[int, tuple[str, str | None]]] = {
        TITLE: ("title", None),
        KIND: ("kind", None),
        DATE: ("date-asc", "date"),
        ORGANIZATIONS: ("organization", None),
        TAGS: ("tag", None),
        ATTACHMENTS: ("files-asc", "files"),
    }
    PAGE = 200
    CACHE_PAGES = 40

    count_changed = Signal(int)
    loaded = Signal()  # a new id list is in place (after reload or a background load)

    def __init__(
        self,
        service: CatalogService,
        where: DocumentFilter = DocumentFilter(),
        parent=None,
        runner=None,
        titles: Titles | None = None,
    ):
        super().__init__(parent)
        self.service = service
        self.titles = titles if titles is not None else Titles(service)  # shared by the window's tables
        self._where = where
        self._sort = (self.DATE, Qt.SortOrder.DescendingOrder)
        self._ids: list[int] = []
        self._rows: dict[int, int] | None = None  # id -> row, built when needed
        # page number -> that page's rows, each a tuple of per-column values
        # ready for data() (see _make_row), computed once when the page loads.
        self._pages: OrderedDict[int, list] = OrderedDict()
        self._last_page: tuple[int, list] | None = None
        self.tag_colors: dict[str, str | None] = {}
        self._latest = LatestOnly(runner) if runner is not None else None
        self.collection_id: int | None = None  # rows restricted to a collection (the sidebar's)

    # -- loading --------------------------------------------------------------

    @property
    def where(self) -> DocumentFilter:
        return self._where

    @property
    def loading(self) -> bool:
        return self._latest is not None and self._latest.pending

    def load(self, where: DocumentFilter) -> None:
        self._where = where
        self.reload()

    def reload(self) -> None:
        """Re-read the id list now (an answer still on its way is dropped)."""
        if self._latest is not None:
            self._latest.invalidate()
        ids = document_ids(self.service, self._where, self._sort, self.titles, self.collection_id)
        self._apply(ids, {t.name: t.color for t in self.service.tags.all()})

    def request(self, where: DocumentFilter | None = None) -> None:
        """Like ``load``, with the id list built on a worker thread; only the
        answer to the latest request is applied (``loaded`` follows)."""
        if where is not None:
            self._where = where
        if self._latest is None:
            self.reload()
            return
        service, where, sort, titles, collection = (
            self.service,
            self._where,
            self._sort,
            self.titles,
            self.collection_id,
        )

        def work():
            ids = document_ids(service, where, sort, titles, collection)
            return ids, {t.name: t.color for t in service.tags.all()}

        def done(result, error):
            if error is not None:
                log.error("could not list the documents", exc_info=error)
                return
            self._apply(*result)

        self._latest.run(work, done)

    def _apply(self, ids: list[int], colors: dict[str, str | None]) -> None:
        self.tag_colors = colors
        self.beginResetModel()
        self._ids = ids
        self._rows = None
        self._pages.clear()
        self._last_page = None
        self.endResetModel()
        self.count_changed.emit(len(ids))
        self.loaded.emit()

    def refresh_documents(self, doc_ids) -> None:
        """Re-read the rows of ``doc_ids`` (after an edit); no reset."""
        self.titles.forget(doc_ids)
        self.tag_colors = {t.name: t.color for t in self.service.tags.all()}
        rows = self._row_map()
        for doc_id in doc_ids:
            row = rows.get(doc_id)
            if row is None:
                continue
            self._pages.pop(row // self.PAGE, None)
            self._last_page = None
            self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def restyle(self) -> None:
        """The palette changed: rows are formatted again with new icons."""
        self._pages.clear()
        self._last_page = None
        if self._ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, self.columnCount() - 1))

    def _row_map(self) -> dict[int, int]:
        if self._rows is None:
            self._rows = {doc_id: row for row, doc_id in enumerate(self._ids)}
        return self._rows

    def row_of(self, doc_id: int) -> int | None:
        return self._row_map().get(doc_id)

    def id_at(self, row: int) -> int:
        return self._ids[row]

    @property
    def ids(self) -> list[int]:
        return list(self._ids)

    def summary(self, row: int) -> DocumentSummary | None:
        cached = self._cached_row(row)
        return cached[4][0] if cached is not None else None

    def _cached_row(self, row: int):
        page_no = row // self.PAGE
        last = self._last_page
        if last is not None and last[0] == page_no:
            return last[1][row - page_no * self.PAGE]
        page = self._pages.get(page_no)
        if page is None:
            start = page_no * self.PAGE
            chunk = self._ids[start : start + self.PAGE]
            try:
                found = {s.id: s for s in self.service.documents.summaries(chunk)}
            except SQLAlchemyError as exc:  # a team catalog's server away: blank rows, fetched again once back
                log.debug("could not fetch rows: %s", exc)
                return None
            page = [self._make_row(found.get(doc_id)) for doc_id in chunk]
            self._pages[page_no] = page
            while len(self._pages) > self.CACHE_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page_no)
        self._last_page = (page_no, page)
        return page[row - page_no * self.PAGE]

    def _make_row(self, row: DocumentSummary | None):
        """Everything data() may return for one row, per role slot and column."""
        if row is None:  # deleted meanwhile
            return None
        organizations = "; ".join(row.organizations)
        tags = ", ".join(row.tags)
        count = str(row.attachment_count) if row.attachment_count else ""
        display = (safe_display_name(row.title), kind_label(row.kind), row.date or "", organizations, tags, count)
        decoration = (kind_icon(row.kind), None, None, None, None, icon("attach") if row.attachment_count else None)
        tooltip = (safe_display_name(row.title), None, None, "\n".join(row.organizations) or None, tags or None, None)
        alignment = (None, None, _CENTER, None, None, _CENTER)
        return (display, decoration, tooltip, alignment, (row,) * 6, (row.tags,) * 6)

    # -- Qt interface ---------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return self.HEADERS[section]
            if role == Qt.ItemDataRole.ToolTipRole and section not in self.SORTS:
                return "This column cannot be sorted"
        return None

    def flags(self, index: _Index):
        return _CELL_FLAGS if index.isValid() else Qt.ItemFlag.ItemIsDropEnabled

    def mimeTypes(self) -> list[str]:
        return [DOCUMENT_IDS_MIME]

    def mimeData(self, indexes) -> QMimeData:
        return document_ids_mime(self._ids[i.row()] for i in indexes if 0 <= i.row() < len(self._ids))

    def supportedDragActions(self):
        return Qt.DropAction.CopyAction

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        # Called for every role of every visible cell at each repaint: a dict
        # lookup and a tuple index, no formatting (done once per row).
        slot = _SLOTS.get(role)
        if slot is None and _role(role) != _ID:
            return None
        row = index.row()
        if not 0 <= row < len(self._ids):
            return None
        if slot is None:
            return self._ids[row]
        cached = self._cached_row(row)
        if cached is None:
            return "—" if slot == 0 and index.column() == self.TITLE else None
        return cached[slot][index.column()]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if column not in self.SORTS or (column, order) == self._sort:
            return
        self._sort = (column, order)
        self.request()

    @property
    def sort_state(self) -> tuple[int, Qt.SortOrder]:
        return self._sort


class SearchResultsModel(QAbstractListModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._hits: tuple[SearchHit, ...] = ()

    def set_hits(self, hits) -> None:
        self.beginResetModel()
        self._hits = tuple(hits)
        self.endResetModel()

    def restyle(self) -> None:
        if self._hits:
            self.dataChanged.emit(self.index(0), self.index(len(self._hits) - 1))

    def hit(self, row: int) -> SearchHit:
        return self._hits[row]

    def flags(self, index: _Index):
        flags = super().flags(index)
        return flags | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else flags

    def mimeTypes(self) -> list[str]:
        return [DOCUMENT_IDS_MIME]

    def mimeData(self, indexes) -> QMimeData:
        return document_ids_mime(self._hits[i.row()].id for i in indexes if 0 <= i.row() < len(self._hits))

    def supportedDragActions(self):
        return Qt.DropAction.CopyAction

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._hits)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._hits):
            return None
        hit = self._hits[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return safe_display_name(hit.title)
        if role == Qt.ItemDataRole.DecorationRole:
            return kind_icon(hit.kind)
        if role == Qt.ItemDataRole.ToolTipRole:
            return safe_display_name(hit.title)
        if role == DocumentIdRole:
            return hit.id
        if role == SnippetRole:
            where = getattr(hit, "where", ())
            if where:  # "in report.pdf, p. 7": which file (and page) matched
                place = html.escape(safe_display_name(where[0].label()))
                return f"{hit.snippet} <i>— {place}</i>" if hit.snippet else f"<i>{place}</i>"
            return hit.snippet
        if role == SummaryRole:
            return hit
        if role == TagNamesRole:
            return hit.tags
        return None


def color_swatch(color: str | None, size: int = 12, width: int | None = None) -> QPixmap:
    """A dot (or, given a width, a rounded bar) of a tag's colour; a pixmap,
    so the view gives it its own size rather than the icon size."""
    width = width or size
    pixmap = QPixmap(width, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(QColor(color or DEFAULT_TAG_COLOR)))
    painter.drawRoundedRect(1, 1, width - 2, size - 2, (size - 2) / 2, (size - 2) / 2)
    painter.end()
    return pixmap


DEFAULT_TAG_COLOR = "#94a3b8"  # chips of tags without a colour are this grey


class TagTableModel(QAbstractTableModel):
    NAME, COUNT, COLOR = range(3)
    HEADERS = ("Tag", "Documents", "Colour")

    def __init__(self, service: CatalogService, parent=None):
        super().__init__(parent)
        self.service = service
        self._tags: list[TagInfo] = []

    def reload(self) -> None:
        self.beginResetModel()
        self._tags = self.service.tags.all()
        self.endResetModel()

    def tag(self, row: int) -> TagInfo:
        return self._tags[row]

    def names(self) -> list[str]:
        return [t.name for t in self._tags]

    def row_of(self, name: str) -> int | None:
        key = name.casefold()
        for row, tag in enumerate(self._tags):
            if tag.name.casefold() == key:
                return row
        return None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._tags)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._tags):
            return None
        tag = self._tags[index.row()]
        column = index.column()
        # The colour shows as a swatch; its code is only a tooltip away.
        if role == Qt.ItemDataRole.DisplayRole:
            return {self.NAME: tag.name, self.COUNT: tag.count, self.COLOR: None}[column]
        if role == Qt.ItemDataRole.DecorationRole and column == self.NAME:
            return color_swatch(tag.color)
        if role == Qt.ItemDataRole.DecorationRole and column == self.COLOR:
            return color_swatch(tag.color, 14, 44)
        if role == Qt.ItemDataRole.ToolTipRole and column == self.COLOR:
            return f"{tag.color} (Colour… to change it)" if tag.color else "No colour of its own (grey)"
        if role == NameRole:
            return tag.name
        if role == Qt.ItemDataRole.TextAlignmentRole and column == self.COUNT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class OrganizationTableModel(QAbstractTableModel):
    NAME, ALIASES, COUNT, DESCRIPTION = range(4)
    HEADERS = ("Organization", "Also known as", "Documents", "Description")

    def __init__(self, service: CatalogService, parent=None):
        super().__init__(parent)
        self.service = service
        self._orgs: list[OrganizationInfo] = []

    def reload(self) -> None:
        self.beginResetModel()
        self._orgs = self.service.reference.organizations()
        self.endResetModel()

    def restyle(self) -> None:
        if self._orgs:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._orgs) - 1, self.columnCount() - 1))

    def organization(self, row: int) -> OrganizationInfo:
        return self._orgs[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._orgs)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._orgs):
            return None
        org = self._orgs[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return {
                self.NAME: org.name,
                self.ALIASES: ", ".join(org.aliases),
                self.COUNT: org.document_count,
                self.DESCRIPTION: org.description,
            }[column]
        if role == Qt.ItemDataRole.ToolTipRole and column == self.DESCRIPTION:
            return org.description
        if role == Qt.ItemDataRole.DecorationRole and column == self.NAME:
            return icon("organization")
        if role == Qt.ItemDataRole.TextAlignmentRole and column == self.COUNT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


__all__ = [
    "DocumentIdRole",
    "DocumentTableModel",
    "NameRole",
    "OrganizationTableModel",
    "SearchResultsModel",
    "SnippetRole",
    "SummaryRole",
    "TagNamesRole",
    "TagTableModel",
    "color_swatch",
]
