"""What the main window gives the action classes it is made of
(``DocumentActionsMixin``, ``FileActionsMixin``, ``TagActionsMixin``), stated
once for the type checker. At run time it is ``object``: the window itself
provides all of it (main_window.py), and the stubs below never shadow the
real methods of another part."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QLabel, QMainWindow, QProgressBar, QPushButton, QWidget

    from ..core.catalog import CatalogService
    from .detail import DetailPane
    from .operations import Operations
    from .tags_tab import TagsTab
    from .tasks import TaskRunner
    from .widgets import TabArea

    class WindowContract(QMainWindow):
        service: CatalogService
        ops: Operations
        runner: TaskRunner
        settings: QSettings
        detail: DetailPane
        tabs: TabArea
        tags_tab: TagsTab
        tag_names: list[str]
        ready: bool
        task_label: QLabel
        task_bar: QProgressBar
        task_cancel: QPushButton
        new_action: QAction
        edit_action: QAction
        delete_action: QAction
        attach_action: QAction
        import_action: QAction
        export_action: QAction
        tag_action: QAction
        untag_action: QAction
        batch_edit_action: QAction
        collect_action: QAction
        copy_citation_action: QAction
        copy_bibliography_action: QAction

        def current_tab(self) -> QWidget: ...
        def selected_ids(self) -> list[int]: ...
        def attachments_available(self) -> bool: ...
        def choose_files(self, title: str = ...) -> list[Path]: ...
        def open_attachment(self, attachment) -> None: ...
        def rename_tag(self, name: str) -> None: ...
        def delete_tags(self, names: list[str]) -> None: ...
        def update_actions(self) -> None: ...
        def show_file_error(self, action: str, error: BaseException) -> None: ...

else:
    WindowContract = object
