"""The main window: tabs on the left, the detail pane on the right.

It is handed an opened ``Catalog`` (or gets one later through
``set_catalog`` while it shows start-up progress); it never opens one itself.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QByteArray, QEvent, QPoint, QRect, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.exc import DBAPIError

from ..core.catalog import DocumentFilter, NotFound
from ..core.changes import ChangeSet
from ..core.database import server_failure
from ..core.startup import Catalog
from ..core.vocabulary import DocumentKind
from .backups import BackupActions
from .batch_edit import BatchEditDialog
from .browse import BrowseTab, SessionBrowseTab
from .collections_sidebar import CollectionsSidebar
from .detail import DetailPane
from .document_actions import STYLE_LABELS, DocumentActionsMixin
from .errors import show_error
from .files import FileActionsMixin
from .full_disk import FullDiskWatch
from .index_status import IndexStatus
from .notes_panel import NotesPanel
from .ocr_runner import BackgroundOcr
from .operations import Done, Operations
from .related import RelatedList
from .search_tab import SearchTab
from .shortcuts import ShortcutSheet
from .tag_actions import TagActionsMixin
from .tags_tab import OrganizationsTab, TagsTab
from .tasks import TaskRunner
from .team_catalog import CatalogChooser
from .theme import THEMES, app_icon, apply_theme, clear_caches, refresh_icons, set_icon, stylesheet
from .titles import Titles
from .widgets import ElidedToolButton, TabArea, local_paths

log = logging.getLogger(__name__)

UNDO_BUTTON_WIDTH = 220  # px, whatever the step it names
TAB_NAMES = ("all", "reports", "bluePapers", "initiatives", "sessions", "search", "tags", "organizations")


class MainWindow(DocumentActionsMixin, FileActionsMixin, TagActionsMixin, QMainWindow):
    catalog_ready = Signal()

    def __init__(
        self, catalog: Catalog | None = None, settings: QSettings | None = None, runner: TaskRunner | None = None
    ):
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("Shizimen Finance Week — Document catalog")
        self.setWindowIcon(app_icon())
        self.settings = settings or QSettings()
        if self.theme() != "system":  # the system's palette is there already
            apply_theme(self.theme())
        self.setStyleSheet(stylesheet())
        self.setAcceptDrops(True)
        self.runner = runner or TaskRunner(self)
        self.catalog: Catalog | None = None
        self.ready = False  # a catalog is shown: ``ops``, ``tabs`` and the rest exist
        self.backups: BackupActions | None = None  # the File menu's backup entries, once a catalog is open
        # Once, after the burst of palette events a theme switch sends; a
        # timer the window owns, so none fires on a closed window.
        self._restyle_timer = QTimer(self, singleShot=True, interval=0)
        self._restyle_timer.timeout.connect(self._restyle)

        # Until the catalog is open: a calm progress page.
        self.loading = QWidget()
        self.loading.setObjectName("loadingPage")
        self.loading_label = QLabel("Opening the catalog…")
        self.loading_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.loading_bar = QProgressBar()
        self.loading_bar.setRange(0, 0)
        self.loading_bar.setMaximumWidth(420)
        column = QVBoxLayout(self.loading)
        column.addStretch(1)
        column.addWidget(self.loading_label)
        column.addWidget(self.loading_bar, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addStretch(1)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.loading)
        self.setCentralWidget(self.pages)

        self._build_actions()
        self._build_status_bar()
        self.catalogs = CatalogChooser(self)  # File → Connect to a team catalog… / My own catalog
        self.full_disk = FullDiskWatch(self)  # opened on a full disk: reading only, writable again once freed
        self.resize(1280, 800)
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        if catalog is not None:
            self.set_catalog(catalog)
        else:
            self._enable_actions(False)

    # -- start-up --------------------------------------------------------------

    def show_progress(self, done: int, total: int, message: str) -> None:
        self.loading_label.setText(f"{message}…" if message else "Opening the catalog…")
        if total:
            self.loading_bar.setRange(0, total)
            self.loading_bar.setValue(done)
            self.loading_bar.setFormat(f"{done:,} of {total:,}")
        else:
            self.loading_bar.setRange(0, 0)

    def show_open_error(self, message: str) -> None:
        self.loading_bar.hide()
        self.loading_label.setText(f"The catalog could not be opened.\n\n{message}")
        self.loading_label.setWordWrap(True)

    def set_catalog(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.service = catalog.service
        self.ops = Operations(self.service, self.runner, self)
        self.ops.done.connect(self._operation_done)
        self.ops.failed.connect(lambda action, error: show_error(self, action, error))
        self.ops.undo_changed.connect(self._undo_changed)
        # Scans and photos waiting for OCR are read in the background (issue 14).
        self.background_ocr = BackgroundOcr(self.service, self)
        self.ops.catalog_changed.connect(self.background_ocr.catalog_changed)
        self.background_ocr.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        QTimer.singleShot(1500, self.background_ocr.start)
        self.ops.redo_changed.connect(self._redo_changed)
        self.backups = BackupActions(self, catalog, self.runner, self.file_menu, self.quit_action)
        self._build_main()
        self.ready = True
        # One signal, each part subscribed: what any write changed (this
        # window's, the CLI's, a colleague's) reaches every view of it.
        views: list[BrowseTab | SearchTab | TagsTab | OrganizationsTab] = [
            *self.browse_tabs,
            self.search_tab,
            self.tags_tab,
            self.orgs_tab,
        ]
        for view in views:
            self.ops.catalog_changed.connect(view.catalog_changed)
        self.ops.catalog_changed.connect(self._catalog_changed)
        self.index_status = IndexStatus(self.ops, catalog.index, self.statusBar())  # a read-only index folder
        self.pages.addWidget(self.main)
        self.pages.setCurrentWidget(self.main)
        self._enable_actions(True)
        self._undo_changed("")
        self._redo_changed("")
        self._restore_state()
        self._tab_changed(self.tabs.currentIndex())
        # The keyboard starts in the list (or the search box), not on the sidebar's first button.
        self.focus_tab(self.tabs.currentIndex())
        self.catalog_ready.emit()

    def replace_catalog(self, catalog: Catalog) -> None:
        """Show another catalog in this window (a team's, or one's own again); the one shown closes."""
        old, old_main = self.catalog, getattr(self, "main", None)
        if old is not None:
            self.save_state()
        if self.ready:
            self.ready = False
            self.ops.close()
            self.ops.deleteLater()  # and its follow timer
        self.runner.wait()  # nothing still reads the old catalog
        if old_main is not None:
            self.pages.removeWidget(old_main)
            old_main.deleteLater()
        self.set_catalog(catalog)
        self.ops.follow()
        if old is not None:
            old.close()

    def _build_main(self) -> None:
        s = self.service
        r = self.runner
        self.titles = t = Titles(s)  # folded titles for the title filter and sort, shared by the tables
        self.all_tab = BrowseTab(s, DocumentFilter(), "all", runner=r, titles=t)
        self.reports_tab = BrowseTab(s, DocumentFilter(kind=DocumentKind.REPORT.value), "reports", runner=r, titles=t)
        self.blue_tab = BrowseTab(
            s, DocumentFilter(kind=DocumentKind.BLUE_PAPER.value), "bluePapers", runner=r, titles=t
        )
        self.initiatives_tab = BrowseTab(
            s, DocumentFilter(kind=DocumentKind.INITIATIVE.value), "initiatives", runner=r, titles=t
        )
        self.sessions_tab = SessionBrowseTab(
            s, DocumentFilter(kind=DocumentKind.SESSION_RECORD.value), "sessions", runner=r, titles=t
        )
        self.browse_tabs = [self.all_tab, self.reports_tab, self.blue_tab, self.initiatives_tab, self.sessions_tab]
        self.search_tab = SearchTab(s, self.runner)
        self.tags_tab = TagsTab(s)
        self.orgs_tab = OrganizationsTab(s)

        self.tabs = TabArea()
        self.tabs.setObjectName("tabs")
        for widget, icon_name, label in (
            (self.all_tab, "documents", "All documents"),
            (self.reports_tab, "report", "Reports"),
            (self.blue_tab, "blue-paper", "Blue papers"),
            (self.initiatives_tab, "initiative", "Initiatives"),
            (self.sessions_tab, "session", "Session records"),
            (self.search_tab, "search", "Search"),
            (self.tags_tab, "tag", "Tags"),
            (self.orgs_tab, "organization", "Organizations"),
        ):
            self.tabs.addTab(widget, icon_name, label)
        document_tabs: list[BrowseTab | SearchTab] = [*self.browse_tabs, self.search_tab]
        for tab in document_tabs:
            tab.shown_changed.connect(lambda doc_id, tab=tab: self._shown_changed(tab, doc_id))
            tab.selection.changed.connect(lambda tab=tab: self._selection_changed(tab))
        for view in (tab.table for tab in self.browse_tabs):
            view.customContextMenuRequested.connect(lambda pos, view=view: self.document_menu(view, pos))
        # A hit clicked again (a new search, the same document shown) opens its file at its page.
        self.search_tab.results.clicked.connect(lambda _index: self.detail.open_place(self.search_tab.shown_place()))
        self.search_tab.results.customContextMenuRequested.connect(
            lambda pos: self.document_menu(self.search_tab.results, pos)
        )
        self.tags_tab.table.selectionModel().selectionChanged.connect(lambda *_: self.update_actions())
        for tab in self.browse_tabs:
            tab.files_dropped.connect(self.attach_files)
            tab.activated.connect(lambda _id: self.edit_document())
        self.tags_tab.tag_activated.connect(self.filter_by_tag)
        self.tags_tab.rename_requested.connect(self.rename_tag)
        self.tags_tab.merge_requested.connect(self.merge_tags)
        self.tags_tab.delete_requested.connect(self.delete_tags)
        self.tags_tab.color_requested.connect(self.choose_tag_color)
        self.orgs_tab.organization_activated.connect(self.filter_by_organization)
        self.tabs.currentChanged.connect(self._tab_changed)

        self.detail = DetailPane()
        self.detail.tag_add_requested.connect(lambda doc_id, name: self.ops.add_tag([doc_id], name))
        self.detail.tag_remove_requested.connect(lambda doc_id, name: self.ops.remove_tag([doc_id], name))
        self.detail.tag_activated.connect(self.filter_by_tag)
        self.detail.edit_requested.connect(lambda _id: self.edit_document())
        self.detail.delete_requested.connect(lambda _id: self.delete_selected())  # the selection, as Del
        self.detail.attach_requested.connect(lambda doc_id: self.attach_with_dialog(doc_id))
        self.detail.attachment_selected.connect(self._attachment_selected)
        self.detail.open_attachment_requested.connect(self.open_attachment)
        self.detail.reveal_attachment_requested.connect(self.reveal_attachment)
        self.detail.save_attachment_requested.connect(self.save_attachment_copy)
        self.detail.detach_requested.connect(self.detach)
        self.detail.files_dropped.connect(self.attach_files)
        self.detail.preview.page_requested.connect(self._render_page)
        self.detail.preview.find_requested.connect(self._find_in_preview)  # Ctrl+F in the viewer (issue 14)
        self.detail.preview.pop_out_requested.connect(self.open_reader)  # the reader window (issue 14)
        self.related = RelatedList(s, r)  # documents near in meaning, in the pane
        self.detail.add_section(self.related, "Related in meaning")
        self.detail.document_shown.connect(self.related.show_for)
        self.related.document_activated.connect(self.show_document)
        self.ops.catalog_changed.connect(self.related.refresh)
        # Embeddings follow the catalog in the background, once the window has
        # settled (the first search by meaning starts it sooner: search_tab.py).
        QTimer.singleShot(10_000, self, s.meaning.follow_in_background)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.tabs.stack)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([850, 420])
        tabs_and_pane = QWidget()
        layout = QVBoxLayout(tabs_and_pane)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.setSpacing(0)
        layout.addWidget(self.tabs.bar)
        layout.addWidget(self.splitter, 1)
        self._build_collections()
        self.main = QSplitter(Qt.Orientation.Horizontal)
        self.main.setObjectName("sidebarSplitter")
        self.main.addWidget(self.sidebar)
        self.main.addWidget(tabs_and_pane)
        self.main.setStretchFactor(1, 1)
        self.main.setChildrenCollapsible(True)
        self.main.setSizes([230, 1050])
        self._reload_tag_names()

    def _build_collections(self) -> None:
        """The collections sidebar, the notes section of the detail pane and
        "Save search…" (collections_sidebar.py, notes_panel.py): each
        refreshes itself from ops.catalog_changed."""
        self.sidebar = CollectionsSidebar(self.ops, self.runner)
        self.sidebar.collection_activated.connect(self.show_collection)
        self.sidebar.export_requested.connect(self.export_collection)
        self.sidebar.follow(self.all_tab)
        self.sidebar.shown_changed.connect(self.sidebar_action.setChecked)
        self.sidebar.watch_width(self)
        self.sidebar_action.setChecked(not self.sidebar.isHidden())
        self.sidebar_action.triggered.connect(self.sidebar.set_shown)  # the user's choice, not a narrow window's
        self.search_tab.save_requested.connect(self.sidebar.ask_save_search)
        self.notes_panel = NotesPanel(self.ops)
        self.detail.add_section(self.notes_panel)
        self.detail.document_shown.connect(self.notes_panel.show_document)
        self.notes_panel.show_document(self.detail.document_id)

    def show_collection(self, info) -> None:
        """A collection or saved search clicked in the sidebar: its documents
        in the All documents table."""
        what = "Saved search" if info.saved else "Collection"
        self.all_tab.set_collection(info.id, f"{what}: {info.path}")
        self.tabs.setCurrentWidget(self.all_tab)

    # -- actions, menus, toolbar -----------------------------------------------

    def _action(
        self, name: str, text: str, slot, shortcut=None, icon_name: str | None = None, tip: str = ""
    ) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if icon_name:
            set_icon(action, icon_name)
        if shortcut is not None:
            shortcuts = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip or text.replace('…', '').replace('&', '')}" + (f" ({keys})" if keys else ""))
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        a = self._action
        self.new_action = a(
            "newDocument", "&New document…", self.new_document, QKeySequence.StandardKey.New, "document-new"
        )
        self.edit_action = a("editDocument", "&Edit document…", self.edit_selected, "Ctrl+E", "edit")
        self.delete_action = a(
            "deleteDocuments",
            "&Delete",
            self.delete_selected,
            QKeySequence.StandardKey.Delete,
            "delete",
            "Delete the selected documents",
        )
        self.tag_action = a(
            "tagSelected", "&Tag selected…", self.tag_selected, "Ctrl+T", "tag", "Add a tag to every selected document"
        )
        self.untag_action = a("untagSelected", "&Remove tag from selected…", self.untag_selected, "Ctrl+Shift+T")
        self.collect_action = a(
            "collectSelected",
            "Add to &collection…",
            self.collect_selected,
            None,
            None,
            "Put the selected documents in a collection (or drag them onto one in the sidebar)",
        )
        self.batch_edit_action = a(
            "batchEdit",
            "&Batch edit selected…",
            self.batch_edit_selected,
            "Ctrl+Shift+E",
            None,
            "Change the kind, date, session or organizations of every selected document",
        )
        self.export_action = a(
            "exportSelected",
            "E&xport…",
            self.export_selected,
            None,
            None,
            "Save the selected documents as BibTeX, RIS, CSL-JSON, CSV or JSON",
        )
        self.copy_citation_action = a("copyCitation", "Copy &citation", self.copy_citation)
        self.copy_bibliography_action = a("copyBibliography", "Copy &bibliography", self.copy_bibliography)
        self.import_refs_action = a(
            "importReferences",
            "Import &references…",
            lambda: self.import_references(),
            None,
            None,
            "Import BibTeX, RIS or CSL-JSON files from Zotero, JabRef or EndNote",
        )
        self.import_folder_action = a(
            "importFolder",
            "Import a &folder…",
            lambda: self.import_folder(),
            None,
            None,
            "Import every file of a folder and its subfolders, one document per file",
        )
        self.attach_action = a(
            "attachFiles",
            "&Attach files…",
            lambda: self.attach_with_dialog(),
            "Ctrl+Shift+A",
            "attach",
            "Attach files to the selected document",
        )
        self.import_action = a(
            "importFiles",
            "&Import files…",
            lambda: self.import_files(),
            "Ctrl+I",
            "import",
            "Import many files, one new document per file",
        )
        self.undo_action = a("undo", "&Undo", self.undo, QKeySequence.StandardKey.Undo, "undo")
        self.redo_action = a("redo", "&Redo", self.redo, ["Ctrl+Shift+Z", "Ctrl+Y"])
        self.find_action = a(
            "find", "&Find…", self.focus_search, QKeySequence.StandardKey.Find, "search", "Search the catalog"
        )
        self.filter_action = a("focusFilter", "Filter this &list", self.focus_filter, "Ctrl+L")
        self.reload_action = a("reload", "&Reload", self.reload_all, QKeySequence.StandardKey.Refresh)
        self.sidebar_action = QAction("&Collections sidebar", self)  # toggled: see _build_collections
        self.sidebar_action.setObjectName("showSidebar")
        self.sidebar_action.setCheckable(True)
        self.sidebar_action.setToolTip("Show the collections and saved searches beside the tabs")
        self.quit_action = a("quit", "&Quit", self.close, "Ctrl+Q")  # StandardKey.Quit is empty on some platforms
        self.about_action = a("about", "&About", self.about)
        self.shortcuts_action = a("shortcuts", "&Keyboard shortcuts", self.show_shortcuts, "F1")
        self.pane_action = a("toPane", "Go to the &detail pane", self.focus_pane, "F6")
        self.list_action = a("toList", "Back to the &list", self.focus_list, "Shift+F6")
        self.menu_action = a("contextMenu", "&Menu of the selection", self.menu_for_focus, ["Shift+F10", "Menu"])
        self.tab_actions = []
        for i in range(len(TAB_NAMES)):
            self.tab_actions.append(a(f"tab{i + 1}", f"Tab {i + 1}", lambda i=i: self.focus_tab(i), f"Ctrl+{i + 1}"))

        menu = self.menuBar()
        file_menu = self.file_menu = menu.addMenu("&File")
        for action in (
            self.new_action,
            self.attach_action,
            self.import_action,
            self.import_folder_action,
            self.import_refs_action,
            self.export_action,
        ):
            file_menu.addAction(action)
        file_menu.addSeparator()
        self.team_action = a("connectTeam", "&Connect to a team catalog…", lambda: self.catalogs.connect_to_team())
        self.own_action = a("ownCatalog", "&My own catalog", lambda: self.catalogs.use_own())
        file_menu.addAction(self.team_action)
        file_menu.addAction(self.own_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = menu.addMenu("&Edit")
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        edit_menu.addSeparator()
        for action in (
            self.edit_action,
            self.batch_edit_action,
            self.delete_action,
            self.tag_action,
            self.untag_action,
            self.collect_action,
        ):
            edit_menu.addAction(action)
        edit_menu.addSeparator()
        edit_menu.addAction(self.copy_citation_action)
        edit_menu.addAction(self.copy_bibliography_action)
        style_menu = edit_menu.addMenu("Citation &style")
        style_menu.setObjectName("citationStyleMenu")
        style_group = QActionGroup(self)
        for key, label in STYLE_LABELS.items():
            style_action = style_menu.addAction(label)
            style_action.setObjectName(f"citationStyle{key.title()}")
            style_action.setCheckable(True)
            style_action.setChecked(key == self.citation_style())
            style_action.setActionGroup(style_group)
            style_action.triggered.connect(lambda _checked=False, key=key: self.set_citation_style(key))
        edit_menu.addSeparator()
        edit_menu.addAction(self.find_action)
        edit_menu.addAction(self.filter_action)
        view_menu = menu.addMenu("&View")
        view_menu.addAction(self.reload_action)
        view_menu.addAction(self.sidebar_action)
        view_menu.addSeparator()
        theme_menu = view_menu.addMenu("&Theme")
        theme_menu.setObjectName("themeMenu")
        group = QActionGroup(self)
        chosen = self.theme()
        self.theme_actions = {}
        for key, label in THEMES.items():
            action = theme_menu.addAction(label)
            action.setObjectName(f"theme{key.title()}")
            action.setCheckable(True)
            action.setChecked(key == chosen)
            action.setActionGroup(group)
            action.triggered.connect(lambda _checked=False, key=key: self.set_theme(key))
            self.theme_actions[key] = action
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.about_action)

        toolbar = QToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        tools: list[QAction | None] = [
            self.new_action,
            self.edit_action,
            self.delete_action,
            None,
            self.tag_action,
            self.attach_action,
            self.import_action,
            None,
            self.undo_action,
            self.find_action,
        ]
        for tool in tools:
            if tool is None:
                toolbar.addSeparator()
            elif tool is self.undo_action:
                # "Undo Tag 3 documents with “to-read”" in a fixed width,
                # elided, whole in the tooltip: the toolbar no longer moves.
                self.undo_button = ElidedToolButton(tool, UNDO_BUTTON_WIDTH)
                self.undo_button.setObjectName("undoButton")
                toolbar.addWidget(self.undo_button)
            else:
                toolbar.addAction(tool)
        self.addToolBar(toolbar)
        self.new_action.setIconText("New")
        self.edit_action.setIconText("Edit")
        self.delete_action.setIconText("Delete")
        self.tag_action.setIconText("Tag")
        self.attach_action.setIconText("Attach")
        self.import_action.setIconText("Import")
        self.find_action.setIconText("Search")

    def _build_status_bar(self) -> None:
        self.task_label = QLabel()
        self.task_bar = QProgressBar()
        self.task_bar.setMaximumWidth(240)
        self.task_bar.setObjectName("taskProgress")
        self.task_cancel = QPushButton("Cancel")
        self.task_cancel.setObjectName("cancelTask")
        self.task_cancel.clicked.connect(self.cancel_import)
        for widget in (self.task_label, self.task_bar, self.task_cancel):
            self.statusBar().addPermanentWidget(widget)
            widget.hide()

    def _enable_actions(self, enabled: bool) -> None:
        for action in self.actions():
            if action not in (self.quit_action, self.about_action, self.shortcuts_action, self.own_action):
                action.setEnabled(enabled)

    # -- following the palette -------------------------------------------------

    def theme(self) -> str:
        value = str(self.settings.value("view/theme", "system"))
        return value if value in THEMES else "system"

    def set_theme(self, name: str) -> None:
        """View > Theme: applied now, and at the next start."""
        self.settings.setValue("view/theme", name)
        apply_theme(name)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._restyle_timer.start()

    def _restyle(self) -> None:
        """The system went light or dark: icons, colours and chips follow."""
        clear_caches()
        sheet = stylesheet()
        if sheet != self.styleSheet():  # setting it sends palette events again
            self.setStyleSheet(sheet)
        refresh_icons(self)
        if not self.ready:
            return
        self.tabs.restyle()
        for tab in self.browse_tabs:
            tab.model.restyle()
        self.search_tab.restyle()
        self.orgs_tab.model.restyle()
        self.detail.restyle()

    # -- state -----------------------------------------------------------------

    def _restore_state(self) -> None:
        s = self.settings
        state = s.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        for splitter in (self.splitter, self.search_tab.splitter, self.sessions_tab.splitter, self.main):
            value = s.value(f"splitter/{splitter.objectName()}")
            if isinstance(value, QByteArray):
                splitter.restoreState(value)
        # The detail splitter is fitted to each document; what persists is
        # the share the user gave the preview (see DetailPane).
        try:
            share: float | None = float(str(s.value("detail/previewShare", "")))
        except (TypeError, ValueError):
            share = None
        if share is not None and 0.05 < share < 0.95:
            self.detail.preview_share = share
        for tab in self.browse_tabs:
            value = s.value(f"columns/{tab.objectName()}")
            if isinstance(value, QByteArray):
                tab.restore_header(value)
        try:
            self.tabs.setCurrentIndex(int(str(s.value("window/tab", 0))))
        except (TypeError, ValueError):
            pass

    def save_state(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        if not self.ready:
            return
        s.setValue("window/state", self.saveState())
        s.setValue("window/tab", self.tabs.currentIndex())
        for splitter in (self.splitter, self.search_tab.splitter, self.sessions_tab.splitter, self.main):
            s.setValue(f"splitter/{splitter.objectName()}", splitter.saveState())
        if self.detail.preview_share is not None:
            s.setValue("detail/previewShare", round(self.detail.preview_share, 4))
        for tab in self.browse_tabs:
            s.setValue(f"columns/{tab.objectName()}", tab.table.horizontalHeader().saveState())
        s.sync()

    def closeEvent(self, event) -> None:
        self.save_state()
        if getattr(self, "background_ocr", None) is not None:
            self.background_ocr.stop()
        if self.ready:
            self.ops.close()
        super().closeEvent(event)

    # -- selection and refresh -------------------------------------------------

    def current_tab(self) -> QWidget:
        return self.tabs.currentWidget()

    def selected_ids(self) -> list[int]:
        """What every action acts on: the list's selection, which holds the
        document shown (selection.py); the shown one alone when the list
        selects nothing (a new document not among the search hits)."""
        tab = self.current_tab()
        if not isinstance(tab, (BrowseTab, SearchTab)):
            return []  # the pane is hidden: nothing acts on it unseen
        ids = tab.selected_ids()
        if ids:
            return ids
        return [self.detail.document_id] if self.detail.document_id is not None else []

    def _tab_changed(self, index: int) -> None:
        tab = self.tabs.widget(index)
        self.detail.setVisible(isinstance(tab, (BrowseTab, SearchTab)))
        if isinstance(tab, BrowseTab):
            if tab.dirty:
                tab.reload()
            self.show_document(tab.shown_id())
        elif isinstance(tab, SearchTab):
            self.show_document(tab.shown_id())
        elif tab is self.tags_tab:
            self.tags_tab.reload()
        elif tab is self.orgs_tab:
            self.orgs_tab.reload()
        self.update_actions()

    def _selection_changed(self, tab: QWidget) -> None:
        if tab is self.current_tab():
            self.update_actions()

    def _shown_changed(self, tab: QWidget, doc_id: int | None) -> None:
        if tab is self.current_tab():  # not a tab in the background reloading
            # A search hit inside a file opens that file at its page (issue 14).
            self.detail.wanted_place = tab.shown_place() if tab is self.search_tab else None
            self.show_document(doc_id)

    def show_document(self, doc_id: int | None) -> None:
        if doc_id is None:
            self.detail.show_document(None)
            self.update_actions()
            return
        try:
            self.detail.show_document(self.service.documents.get_document(doc_id))
        except NotFound:
            self.detail.show_document(None)
        except DBAPIError as exc:  # a team catalog's server away: the pane keeps what it shows
            failure = server_failure(exc)
            if failure is None:
                raise
            self.statusBar().showMessage(f"Cannot show the document: {failure}", 6000)
        self.update_actions()

    def _catalog_changed(self, changes: ChangeSet) -> None:
        """The window's own parts follow a write: the tag completions and the
        document the pane shows. The tabs follow it themselves."""
        if changes.tags:
            self._reload_tag_names()
        shown = self.detail.document_id
        if shown is not None and shown in changes.documents | changes.attachments:
            self.show_document(shown)

    def _operation_done(self, done: Done) -> None:
        if done.message:
            self.statusBar().showMessage(done.message, 6000)
        if done.select is None:
            return
        current = self.current_tab()
        if isinstance(current, BrowseTab):
            current.select_document(done.select)
            return
        if current is self.search_tab and not self.search_tab.select_document(done.select):
            # not among the hits: the hits' selection must not stay the target
            self.search_tab.results.clearSelection()
        self.show_document(done.select)

    def _reload_tag_names(self) -> None:
        self.tag_names = [t.name for t in self.service.tags.all()]
        self.detail.tags.set_completions(self.tag_names)

    def reload_all(self) -> None:
        self.titles.forget()
        for tab in self.browse_tabs:
            tab.dirty = True
        self._reload_tag_names()
        self.sessions_tab.reload_sessions()
        self._tab_changed(self.tabs.currentIndex())
        self.search_tab.refresh()

    # -- searching and filtering -----------------------------------------------

    def focus_search(self) -> None:
        self.tabs.setCurrentWidget(self.search_tab)
        self.search_tab.focus_box()

    def focus_tab(self, index: int) -> None:
        """Ctrl+1 … Ctrl+8: the tab, with the keyboard in it (Search: the box)."""
        if not self.ready:
            return
        self.tabs.setCurrentIndex(index)
        tab = self.current_tab()
        if tab is self.search_tab:
            self.search_tab.focus_box()
        else:
            self.focus_list()

    def list_view(self, tab: QWidget | None = None):
        """The list of a tab, where the keyboard goes back to."""
        tab = tab or self.current_tab()
        if isinstance(tab, SearchTab):
            return tab.results
        if isinstance(tab, (BrowseTab, TagsTab, OrganizationsTab)):
            return tab.table
        return tab

    def focus_list(self) -> None:
        """Shift+F6: back to the list from the detail pane (or anywhere)."""
        if self.ready:
            self.list_view().setFocus(Qt.FocusReason.ShortcutFocusReason)

    def focus_pane(self) -> None:
        """F6: to the detail pane, in the box that adds a tag."""
        if not self.ready or not self.detail.isVisible() or self.detail.document is None:
            self.statusBar().showMessage("Select a document to go to its details.", 4000)
            return
        self.detail.tags.line.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def menu_for_focus(self) -> None:
        """Shift+F10 (and the Menu key): the right-click menu of the list or
        file strip that has the focus, at its current row."""
        widget = QApplication.focusWidget()
        while widget is not None and not isinstance(widget, QAbstractItemView):
            widget = widget.parentWidget()
        if widget is None or widget.contextMenuPolicy() != Qt.ContextMenuPolicy.CustomContextMenu:
            return
        index = widget.currentIndex()
        rect = widget.visualRect(index) if index.isValid() else QRect()
        pos = rect.center() if rect.isValid() and widget.viewport().rect().contains(rect.center()) else QPoint(8, 8)
        widget.customContextMenuRequested.emit(pos)

    def focus_filter(self) -> None:
        tab = self.current_tab()
        if isinstance(tab, BrowseTab):
            tab.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
            tab.filter_edit.selectAll()
        elif tab is self.search_tab:
            self.search_tab.focus_box()
        elif hasattr(tab, "filter_edit"):
            tab.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def filter_by_tag(self, name: str) -> None:
        self.all_tab.set_extra_filter(DocumentFilter(tag=name), f"Tag: {name}")
        self.tabs.setCurrentWidget(self.all_tab)

    def filter_by_organization(self, org_id: int, name: str) -> None:
        self.all_tab.set_extra_filter(DocumentFilter(organization_id=org_id), f"Organization: {name}")
        self.tabs.setCurrentWidget(self.all_tab)

    # -- documents (new, edit, delete, export: document_actions.py) ------------

    def collect_selected(self) -> None:
        """Add to collection…: the selected documents into a collection named in a dialog."""
        ids = self.selected_ids()
        if not ids or not self.ready:
            self.statusBar().showMessage("Select the documents to add first.", 4000)
            return
        self.sidebar.ask_collect(ids)

    def batch_edit_selected(self) -> None:
        """Ctrl+Shift+E: the kind, date, session or an organization of every
        selected document, in one step Ctrl+Z undoes."""
        ids = self.selected_ids()
        if not ids or not self.ready:
            self.statusBar().showMessage("Select the documents to edit first.", 4000)
            return
        dialog = self.batch_dialog = BatchEditDialog(
            len(ids), self.service.reference.organizations(), self.service.reference.sessions(), self
        )
        dialog.accepted.connect(lambda: self.ops.batch_edit(ids, dialog.options()))
        dialog.open()

    def undo(self) -> None:
        if self.ready and self.ops.can_undo:
            self.ops.undo()

    def redo(self) -> None:
        if self.ready and self.ops.redo_text:
            self.ops.redo()

    def _redo_changed(self, text: str) -> None:
        self.redo_action.setEnabled(bool(text))
        self.redo_action.setText(f"&Redo {text}" if text else "&Redo")

    def _undo_changed(self, text: str) -> None:
        self.undo_action.setEnabled(bool(text))
        self.undo_action.setText(f"&Undo {text}" if text else "&Undo")
        self.undo_action.setToolTip(f"Undo: {text} (Ctrl+Z)" if text else "Nothing to undo")

    # -- files (see files.py; tags: tag_actions.py) ---------------------------

    def attachments_available(self) -> bool:
        return getattr(self.service, "store", None) is not None

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() and self.ready:  # not on a team catalog's offline search page
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = local_paths(event.mimeData())
        if not paths:
            return
        event.acceptProposedAction()
        if self.detail.document_id is not None:
            self.attach_files(self.detail.document_id, paths)
        else:
            self.statusBar().showMessage("Select a document, then drop files on it to attach them.", 5000)

    # -- help ------------------------------------------------------------------

    def about(self) -> None:
        QMessageBox.about(
            self,
            "About",
            "<b>Shizimen Finance Week — Document catalog</b><p>An offline catalog of the reports, blue papers, "
            "initiatives and session records of the finance week, with full-text search in English, Chinese and "
            "Portuguese.</p>",
        )

    def show_shortcuts(self) -> None:
        ShortcutSheet(self).open()
