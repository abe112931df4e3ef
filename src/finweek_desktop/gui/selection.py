"""What a document list's selection means, decided in one place: the
documents an action acts on, and the one the detail pane shows.

The focused (current) row alone means nothing: Ctrl+arrows, Ctrl+Home and
Ctrl+click move it without selecting. So the pane shows a selected row, the
focused one if it is selected, and Delete or Ctrl+T act on the selected rows,
which always include the one shown."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QAbstractItemView

from .models import DocumentIdRole


class DocumentSelection(QObject):
    """Follows one view's selection; ``shown_changed`` says when the
    document to show changes (an id, or None when nothing is selected),
    ``changed`` whenever the selection may have changed (what the actions
    say: "Delete 3 documents")."""

    shown_changed = Signal(object)
    changed = Signal()

    def __init__(self, view: QAbstractItemView):
        super().__init__(view)
        self._view = view
        self._shown: int | None = None
        view.selectionModel().selectionChanged.connect(self.sync)
        view.selectionModel().currentChanged.connect(self.sync)

    def ids(self) -> list[int]:
        """The selected documents, top to bottom."""
        model = self._view.model()
        rows = sorted(index.row() for index in self._view.selectionModel().selectedRows())
        return [model.index(row, 0).data(DocumentIdRole) for row in rows]

    def shown_id(self) -> int | None:
        selection = self._view.selectionModel()
        current = selection.currentIndex()
        if current.isValid() and selection.isRowSelected(current.row(), current.parent()):
            return current.data(DocumentIdRole)
        # The topmost selected row, from the ranges: no list of every
        # selected index on each move through a long selection.
        ranges = selection.selection()
        tops = [ranges.at(i).top() for i in range(ranges.count()) if ranges.at(i).isValid()]
        return self._view.model().index(min(tops), 0).data(DocumentIdRole) if tops else None

    def sync(self, *_args) -> None:
        """Emit ``shown_changed`` if the document to show changed; also to be
        called after a model reset, which drops the selection silently."""
        shown = self.shown_id()
        if shown != self._shown:
            self._shown = shown
            self.shown_changed.emit(shown)
        self.changed.emit()
