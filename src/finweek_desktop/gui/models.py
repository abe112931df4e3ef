"""Qt item models over the catalog service.

``DocumentTableModel`` holds only the ordered list of matching ids (cheap
even for 50,000 documents); rows are fetched a page at a time when the view
first asks for them and kept in a bounded cache. Sorting asks the database
for a new id order. The other models are small lists loaded whole.
"""

from __future__ import annotations

from collections import OrderedDict
from PySide6.QtCore import QAbstractListModel, QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPixmap

from ..core.catalog import CatalogService, DocumentFilter
from ..core.records import DocumentSummary, OrganizationInfo, TagInfo
from ..core.search.index import SearchHit
from .theme import icon, kind_icon, kind_label

DocumentIdRole = Qt.ItemDataRole.UserRole + 1
SummaryRole = Qt.ItemDataRole.UserRole + 2
SnippetRole = Qt.ItemDataRole.UserRole + 3
TagNamesRole = Qt.ItemDataRole.UserRole + 4
NameRole = Qt.ItemDataRole.UserRole + 5

_Index = QModelIndex | QPersistentModelIndex


class DocumentTableModel(QAbstractTableModel):
    TITLE, KIND, DATE, ORGANIZATIONS, TAGS, ATTACHMENTS = range(6)
    HEADERS = ("Title", "Kind", "Date", "Organizations", "Tags", "Files")
    # column -> (ascending sort, descending sort) understood by the service;
    # None means "the ascending order reversed".
    SORTS = {
        TITLE: ("title", None),
        KIND: ("kind", None),
        DATE: ("date-asc", "date"),
    }
    PAGE = 200
    CACHE_PAGES = 40

    count_changed = Signal(int)

    def __init__(self, service: CatalogService, where: DocumentFilter = DocumentFilter(), parent=None):
        super().__init__(parent)
        self.service = service
        self._where = where
        self._sort = (self.DATE, Qt.SortOrder.DescendingOrder)
        self._ids: list[int] = []
        self._rows: dict[int, int] | None = None  # id -> row, built when needed
        self._pages: OrderedDict[int, dict[int, DocumentSummary]] = OrderedDict()
        self.tag_colors: dict[str, str | None] = {}

    # -- loading --------------------------------------------------------------

    @property
    def where(self) -> DocumentFilter:
        return self._where

    def load(self, where: DocumentFilter) -> None:
        self._where = where
        self.reload()

    def reload(self) -> None:
        column, order = self._sort
        ascending, descending = self.SORTS[column]
        if order == Qt.SortOrder.AscendingOrder or descending is not None:
            key = ascending if order == Qt.SortOrder.AscendingOrder else descending
            ids = self.service.document_ids(self._where, key)
        else:
            ids = self.service.document_ids(self._where, ascending)[::-1]
        self.tag_colors = {t.name: t.color for t in self.service.tags()}
        self.beginResetModel()
        self._ids = ids
        self._rows = None
        self._pages.clear()
        self.endResetModel()
        self.count_changed.emit(len(ids))

    def refresh_documents(self, doc_ids) -> None:
        """Re-read the rows of ``doc_ids`` (after an edit); no reset."""
        self.tag_colors = {t.name: t.color for t in self.service.tags()}
        rows = self._row_map()
        for doc_id in doc_ids:
            row = rows.get(doc_id)
            if row is None:
                continue
            self._pages.pop(row // self.PAGE, None)
            self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

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
        page_no = row // self.PAGE
        page = self._pages.get(page_no)
        if page is None:
            start = page_no * self.PAGE
            chunk = self._ids[start : start + self.PAGE]
            page = {s.id: s for s in self.service.summaries(chunk)}
            self._pages[page_no] = page
            while len(self._pages) > self.CACHE_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page_no)
        return page.get(self._ids[row])

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
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDropEnabled

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        if role == DocumentIdRole:
            return self._ids[index.row()]
        if role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.DecorationRole,
            Qt.ItemDataRole.ToolTipRole,
            Qt.ItemDataRole.TextAlignmentRole,
            SummaryRole,
            TagNamesRole,
        ):
            return None
        row = self.summary(index.row())
        if row is None:  # deleted meanwhile
            return "—" if role == Qt.ItemDataRole.DisplayRole and index.column() == self.TITLE else None
        column = index.column()
        if role == SummaryRole:
            return row
        if role == TagNamesRole:
            return row.tags
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.TITLE:
                return row.title
            if column == self.KIND:
                return kind_label(row.kind)
            if column == self.DATE:
                return row.date or ""
            if column == self.ORGANIZATIONS:
                return "; ".join(row.organizations)
            if column == self.TAGS:
                return ", ".join(row.tags)
            if column == self.ATTACHMENTS:
                return str(row.attachment_count) if row.attachment_count else ""
        if role == Qt.ItemDataRole.DecorationRole:
            if column == self.TITLE:
                return kind_icon(row.kind)
            if column == self.ATTACHMENTS and row.attachment_count:
                return icon("attach")
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.TITLE:
                return row.title
            if column == self.ORGANIZATIONS and row.organizations:
                return "\n".join(row.organizations)
            if column == self.TAGS and row.tags:
                return ", ".join(row.tags)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (self.DATE, self.ATTACHMENTS):
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if column not in self.SORTS or (column, order) == self._sort:
            return
        self._sort = (column, order)
        self.reload()

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

    def hit(self, row: int) -> SearchHit:
        return self._hits[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._hits)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._hits):
            return None
        hit = self._hits[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return hit.title
        if role == Qt.ItemDataRole.DecorationRole:
            return kind_icon(hit.kind)
        if role == Qt.ItemDataRole.ToolTipRole:
            return hit.title
        if role == DocumentIdRole:
            return hit.id
        if role == SnippetRole:
            return hit.snippet
        if role == SummaryRole:
            return hit
        if role == TagNamesRole:
            return hit.tags
        return None


def color_swatch(color: str | None, size: int = 12) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(QColor(color or "#94a3b8")))
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)


class TagTableModel(QAbstractTableModel):
    NAME, COUNT, COLOR = range(3)
    HEADERS = ("Tag", "Documents", "Colour")

    def __init__(self, service: CatalogService, parent=None):
        super().__init__(parent)
        self.service = service
        self._tags: list[TagInfo] = []

    def reload(self) -> None:
        self.beginResetModel()
        self._tags = self.service.tags()
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
        if role == Qt.ItemDataRole.DisplayRole:
            return {self.NAME: tag.name, self.COUNT: tag.count, self.COLOR: tag.color or ""}[column]
        if role == Qt.ItemDataRole.DecorationRole and column in (self.NAME, self.COLOR):
            return color_swatch(tag.color)
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
        self._orgs = self.service.organizations()
        self.endResetModel()

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
