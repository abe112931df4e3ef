"""The Qt binding itself: a regression seen in PySide6 6.12.0 would crash the app."""

from __future__ import annotations

import sys

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt


class _Model(QAbstractTableModel):
    def rowCount(self, parent=QModelIndex()):
        return 1

    def columnCount(self, parent=QModelIndex()):
        return 1

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        return "x" if role == Qt.ItemDataRole.DisplayRole else None


def test_reading_an_empty_role_keeps_the_reference_count_of_none(qapp):
    # Delegates read roles through QModelIndex.data(); a binding that drops a
    # reference to None on each read aborts the interpreter after a few
    # thousand reads (on Python 3.11, where None is not immortal).
    model = _Model()  # kept alive: an index does not own its model
    index = model.index(0, 0)
    before = sys.getrefcount(None)
    for _ in range(200):
        assert index.data(Qt.ItemDataRole.UserRole) is None
    assert sys.getrefcount(None) >= before - 20
