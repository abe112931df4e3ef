"""The Search tab: results as you type (debounced, searched on a worker),
highlighted snippets, kind and tag counts to narrow, relevance or date order."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..core.catalog import CatalogService
from ..core.catalog.meaning import DEFAULT_MODE
from ..core.changes import ChangeSet
from ..core.search.query import QueryError
from .errors import describe
from .models import SearchResultsModel, SnippetRole, SummaryRole
from .selection import DocumentSelection
from .tasks import TaskRunner
from .theme import ICON_PROPERTY, banner_colors, icon, kind_icon, kind_label
from .titles import fold_title, natural_key
from .widgets import HtmlDelegate


def query_problem(error: BaseException) -> str:
    """One sentence for a query that cannot be searched. The core says
    "nothing to search for: <why>"; the banner says why, once."""
    text = str(error).strip().rstrip(".")
    prefix = "nothing to search for:"
    if text.lower().startswith(prefix):
        text = text[len(prefix) :].strip()
    return f"Cannot search: {text[:1].lower()}{text[1:]}." if text else "Cannot search this query."


HELP = (
    "<p><b>Type to search the whole catalog</b>: titles, summaries, the text of attached files, "
    "organizations and tags, in English, Chinese and Portuguese.</p>"
    '<p>For example: <i>digital currency</i> · <i>"blue paper"</i> · <i>tag:fintech</i> · '
    '<i>org:"01 Think Tank"</i> · <i>year:2020</i> · <i>hengq*</i> · <i>横琴</i></p>'
    '<p>Words are combined with AND; use OR and NOT, "phrases", prefix*, fuzzy~ and field:value '
    "(title, summary, content, org, tag, kind, session, place, language, year, date).</p>"
)

MODES = (("Words + meaning", "hybrid"), ("Words", "words"), ("Meaning", "meaning"))
MODE_TIPS = {
    "hybrid": "Documents with the words first, then those near in meaning, in any language",
    "words": "Only documents holding the words (or their other forms and scripts)",
    "meaning": "Documents nearest in meaning, whatever their language, with the passage that makes them near",
}
SORTS = (("Relevance", "relevance"), ("Newest first", "date"), ("Oldest first", "date-asc"), ("Title", "title"))
RESULT_LIMIT = 500
DEBOUNCE_MS = 250
EXPLAIN_AFTER_MS = 1200  # a query error shows once the typing pauses this long
FacetRole = Qt.ItemDataRole.UserRole + 30


class SearchTab(QWidget):
    shown_changed = Signal(object)  # the document to show (see selection.py), or None
    searched = Signal(object)  # SearchResults, or an exception
    save_requested = Signal(str, str, list, list)  # "Save search…": query, sort, kinds, tags

    def __init__(self, service: CatalogService, runner: TaskRunner, parent=None):
        super().__init__(parent)
        self.setObjectName("searchTab")
        self.service = service
        self.runner = runner
        self._generation = 0
        self._last_results = None
        self.results_shown = 0
        self._typing = False

        self.box = QLineEdit()
        self.box.setObjectName("searchBox")
        self.box.setPlaceholderText("Search…  e.g. digital currency, tag:fintech, year:2020")
        self.box.setClearButtonEnabled(True)
        self.box.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition).setProperty(
            ICON_PROPERTY, "search"
        )
        self.box.textChanged.connect(self._schedule)
        self.box.returnPressed.connect(self.search_now)
        self.box.installEventFilter(self)  # Down: from the box to the hits

        self.sort = QComboBox()
        self.sort.setObjectName("searchSort")
        for label, key in SORTS:
            self.sort.addItem(label, key)
        self.sort.currentIndexChanged.connect(lambda _i: self.search_now())
        self.mode = QComboBox()
        self.mode.setObjectName("searchMode")
        self.mode.setToolTip("Search by words, by meaning across languages, or both")
        for label, key in MODES:
            self.mode.addItem(label, key)
            self.mode.setItemData(self.mode.count() - 1, MODE_TIPS[key], Qt.ItemDataRole.ToolTipRole)
        self.mode.setCurrentIndex(self.mode.findData(DEFAULT_MODE))
        self.mode.currentIndexChanged.connect(lambda _i: self.search_now())

        self.message = QLabel()
        self.message.setObjectName("searchMessage")
        self.message.setWordWrap(True)
        self.message.hide()
        # While the background embeds documents (a new catalog, an import, a
        # new model), meaning finds only those done so far: say how far it is.
        self.embedding = QLabel()
        self.embedding.setObjectName("embeddingProgress")
        self.embedding.hide()
        self._embedding_timer = QTimer(self, interval=1000)
        self._embedding_timer.timeout.connect(self.show_embedding)
        self._embedding_timer.start()
        self.status = QLabel()
        self.status.setObjectName("searchStatus")
        self.status.setWordWrap(True)  # a long line here made the whole window wider

        self.model = SearchResultsModel(self)
        self.results = QListView()
        self.results.setObjectName("searchResults")
        self.results.setModel(self.model)
        self.results.setItemDelegate(HtmlDelegate(SnippetRole, self._meta, self.results))
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.results.setDragEnabled(True)  # hits drag onto a collection in the sidebar
        self.results.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.results.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)  # the window's document menu
        self.results.setAlternatingRowColors(True)
        self.results.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.results.setResizeMode(QListView.ResizeMode.Adjust)  # rows wrap again at the new width
        self.selection = DocumentSelection(self.results)
        self.selection.shown_changed.connect(self.shown_changed)

        # Until a search has counts to show, a hint stands where the empty
        # lists would; the kinds list is as tall as its few rows.
        self.kinds = self._facet_list("kindFacets")
        self.tags = self._facet_list("tagFacets")
        self.kinds_heading = self._heading("Kinds")
        self.tags_heading = self._heading("Tags")
        self.facet_hint = QLabel("Counts by kind and by tag show here after a search. Tick one to narrow the hits.")
        self.facet_hint.setObjectName("hintLabel")
        self.facet_hint.setWordWrap(True)
        self.facet_hint.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        facets = QWidget()
        facets.setObjectName("facetColumn")
        facet_layout = QVBoxLayout(facets)
        facet_layout.setContentsMargins(0, 0, 0, 0)
        facet_layout.addWidget(self.kinds_heading)
        facet_layout.addWidget(self.kinds)
        facet_layout.addWidget(self.tags_heading)
        facet_layout.addWidget(self.tags, 1)
        facet_layout.addWidget(self.facet_hint)
        facet_layout.addStretch(1)

        self.save_button = QPushButton("Save search…")
        self.save_button.setObjectName("saveSearch")
        self.save_button.setToolTip(
            "Keep this search, with its sort and ticked kinds and tags, in the sidebar; "
            "it is run again whenever you open it"
        )
        self.save_button.clicked.connect(self._save_requested)

        # The box on a line of its own: beside the pane it would be cut to
        # a few words; how to search and sort go on the line below.
        top = QVBoxLayout()
        top.setSpacing(4)
        top.addWidget(self.box)
        options = QHBoxLayout()
        options.addWidget(self.mode)  # its items say what they search by
        options.addWidget(QLabel("Sort:"))
        options.addWidget(self.sort)
        options.addStretch(1)
        options.addWidget(self.save_button)
        top.addLayout(options)

        self.help = QLabel(HELP)
        self.help.setObjectName("searchHelp")
        self.help.setWordWrap(True)
        self.help.setTextFormat(Qt.TextFormat.RichText)
        self.help.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.help.setContentsMargins(12, 8, 12, 8)
        self.results_area = QStackedWidget()
        self.results_area.addWidget(self.help)
        self.results_area.addWidget(self.results)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.status)
        right_layout.addWidget(self.embedding)
        right_layout.addWidget(self.results_area, 1)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("searchSplitter")
        self.splitter.addWidget(facets)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([230, 670])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.splitter, 1)

        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(lambda: self.search_now(typing=True))
        # A query that cannot be searched while it is being typed (kind:rep)
        # is explained once the typing pauses, not flashed at each key.
        self._explain_timer = QTimer(self, singleShot=True, interval=EXPLAIN_AFTER_MS)
        self._explain_timer.timeout.connect(self._explain)
        self._unexplained: BaseException | None = None
        self._show_idle()

    def show_embedding(self) -> None:
        """Show how far the background embedding is (its timer asks every second)."""
        meaning = self.service.meaning
        progress, refining = meaning.progress, meaning.refining
        if (progress is None and refining is None) or self.mode.currentData() == "words":
            self.embedding.hide()
            return
        if progress is not None:  # the first pass: documents not searchable by meaning yet
            done, total = progress
            self.embedding.setText(
                f"Preparing search by meaning: {done:,} of {total or done:,} documents done; "
                "until then, meaning finds only those."
            )
        elif refining is not None:  # the second pass: every document is searchable, from its start for now
            done, total = refining
            self.embedding.setText(
                f"Refining search by meaning: {done:,} of {total or done:,} long documents read to the end "
                "(the rest are found by their start for now)."
            )
        self.embedding.show()

    def _facet_list(self, name: str) -> QListWidget:
        facet = QListWidget()
        facet.setObjectName(name)
        facet.setIconSize(QSize(16, 16))
        facet.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        facet.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        facet.itemChanged.connect(lambda _item: self.search_now())
        return facet

    @staticmethod
    def _heading(text: str) -> QLabel:
        label = QLabel(text.upper())
        label.setObjectName("sectionLabel")
        return label

    def _meta(self, index) -> str:
        hit = index.data(SummaryRole)
        parts = [kind_label(hit.kind)]
        if hit.date:
            parts.append(hit.date)
        return " · ".join(parts)

    # -- searching -------------------------------------------------------------

    def current_search(self) -> tuple[str, str, list[str], list[str]]:
        """What "Save search…" keeps: the query, the sort, the ticked kinds and tags."""
        return self.box.text().strip(), self.sort.currentData(), self.checked(self.kinds), self.checked(self.tags)

    def _save_requested(self) -> None:
        query, sort, kinds, tags = self.current_search()
        if not query:
            self._message("Type a search first, then save it.", "notice")
            return
        self.save_requested.emit(query, sort, kinds, tags)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.box
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Down
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
        ):
            return self.focus_hits()
        return super().eventFilter(watched, event)

    def focus_hits(self) -> bool:
        """Down in the box: the keyboard goes to the hits, on the one shown
        (the first when none is): the arrows then walk them."""
        if self.results_area.currentWidget() is not self.results or not self.model.rowCount():
            return False
        if not self.selection.ids():
            self.results.setCurrentIndex(self.model.index(0))  # selects it: the pane shows it
        self.results.setFocus(Qt.FocusReason.TabFocusReason)
        return True

    def focus_box(self) -> None:
        self.box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.box.selectAll()

    def _schedule(self, _text: str = "") -> None:
        self._timer.start()
        if self._explain_timer.isActive():
            self._explain_timer.start()  # still typing: later

    def checked(self, facet: QListWidget) -> list[str]:
        return [
            facet.item(i).data(FacetRole)
            for i in range(facet.count())
            if facet.item(i).checkState() == Qt.CheckState.Checked
        ]

    _searched = ""  # the text of the last search asked

    def search_now(self, typing: bool = False) -> None:
        """Search the box's text; ``typing``: asked by the pause in typing
        (a query error waits to be explained), not by Enter or a click."""
        self._timer.stop()
        self._typing = typing
        if not typing:
            self._explain_timer.stop()
        text = self.box.text().strip()
        self._generation += 1
        if not text:
            self._explain_timer.stop()
            self._show_idle()
            return
        generation = self._generation
        self._searched = text
        sort = self.sort.currentData()
        mode = self.mode.currentData()
        kinds, tags = self.checked(self.kinds), self.checked(self.tags)
        self._status_before = self.status.text()
        self.status.setText("Searching…")
        self.status.show()  # also over the idle help: the first search by meaning loads the model
        if mode != "words":
            self.service.meaning.follow_in_background()  # embeds what is missing, from now on
        self.runner.run(
            lambda: self.service.search(text, mode=mode, limit=RESULT_LIMIT, sort=sort, kinds=kinds, tags=tags),
            lambda result, error: self._show(generation, result, error),
        )

    def refresh(self) -> None:
        """Search again (after the catalog changed)."""
        if self.box.text().strip():
            self.search_now()

    def catalog_changed(self, changes: ChangeSet) -> None:
        if not changes.empty:
            self.refresh()

    def _show(self, generation: int, results, error) -> None:
        if generation != self._generation:  # a newer query is on its way
            return
        shown = self.selection.shown_id()
        if error is not None and self._typing and isinstance(error, (QueryError, ValueError)):
            # Half typed: the hits of the last query stay until the typing pauses.
            self._unexplained = error
            self._explain_timer.start()
            self.status.setText(self._status_before)
            self.searched.emit(error)
            return
        self._explain_timer.stop()
        self._unexplained = None
        if error is not None:
            self.model.set_hits(())
            self._fill_facets({}, {})  # no counts from the query before
            if isinstance(error, (QueryError, ValueError)):
                self._message(query_problem(error), "error")
            else:
                self._message(f"The search failed: {describe(error)}", "error")
            self.status.setText("")
            self.results_area.setCurrentWidget(self.help)  # the syntax, next to what went wrong
            self.selection.sync()
            self.searched.emit(error)
            return
        self._last_results = results
        if results.notice:
            self._message(results.notice, "notice")
        else:
            self.message.hide()
        hits = results.hits
        if self.sort.currentData() == "title":  # naturally: paper 2 before paper 10
            hits = sorted(hits, key=lambda hit: natural_key(fold_title(hit.title)))
        self.model.set_hits(hits)
        self.results_area.setCurrentWidget(self.results)
        self.status.show()
        self.results_shown = len(results.hits)
        first = f" (showing the first {len(results.hits)})" if results.total > len(results.hits) else ""
        self.status.setText(
            f"{results.total:,} document{'s' if results.total != 1 else ''} found{first}"
            if results.total
            else "Nothing found. Try fewer words, a prefix* or a fuzzy~ term."
        )
        self._fill_facets(results.kind_counts, results.tag_counts)
        if shown is not None:
            self.select_document(shown)
        self.selection.sync()
        self.searched.emit(results)

    def _explain(self) -> None:
        """The typing paused on a query that cannot be searched: say why."""
        error, self._unexplained = self._unexplained, None
        if error is None:
            return
        self.model.set_hits(())
        self._fill_facets({}, {})
        self._message(query_problem(error), "error")
        self.status.setText("")
        self.results_area.setCurrentWidget(self.help)
        self.selection.sync()

    def _fill_facets(self, kind_counts: dict, tag_counts: dict) -> None:
        self._fill_facet(self.kinds, kind_counts, kind_label, kind_icon)
        self._fill_facet(self.tags, tag_counts, str, None)
        self._show_facets()

    def _show_facets(self) -> None:
        for heading, facet in ((self.kinds_heading, self.kinds), (self.tags_heading, self.tags)):
            heading.setVisible(facet.count() > 0)
            facet.setVisible(facet.count() > 0)
        rows = self.kinds.count()
        if rows:
            self.kinds.setFixedHeight(rows * self.kinds.sizeHintForRow(0) + 2 * self.kinds.frameWidth() + 4)
        self.facet_hint.setVisible(not self.kinds.count() and not self.tags.count())
        self.facet_hint.setText(
            "Counts by kind and by tag show here after a search. Tick one to narrow the hits."
            if not self.box.text().strip()
            else "No hits to count."
        )
        # the filler keeps the kinds at the top when there are no tags
        self._facets_filler_stretch(0 if self.tags.count() else 1)

    def _facets_filler_stretch(self, stretch: int) -> None:
        parent = self.facet_hint.parentWidget()
        layout = parent.layout() if parent is not None else None
        if isinstance(layout, QBoxLayout):
            layout.setStretch(layout.count() - 1, stretch)

    def _fill_facet(self, facet: QListWidget, counts: dict, label, icon_for) -> None:
        checked = set(self.checked(facet))
        facet.blockSignals(True)
        facet.clear()
        for key, count in counts.items():
            item = QListWidgetItem(f"{label(key)}  ({count})")
            item.setData(FacetRole, key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if key in checked else Qt.CheckState.Unchecked)
            item.setToolTip(
                f"Only show the {count} hit{'s' if count != 1 else ''} with this {'kind' if icon_for else 'tag'}"
            )
            if icon_for:
                item.setIcon(icon_for(key))
            facet.addItem(item)
        for key in checked - set(counts):  # keep a narrowing visible even with no hits
            item = QListWidgetItem(f"{label(key)}  (0)")
            item.setData(FacetRole, key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            facet.addItem(item)
        facet.blockSignals(False)

    def restyle(self) -> None:
        """The palette changed: kind icons and the banner follow."""
        for i in range(self.kinds.count()):
            self.kinds.item(i).setIcon(kind_icon(self.kinds.item(i).data(FacetRole)))
        level = self.message.property("level")
        if level and not self.message.isHidden():
            self._message(self.message.text(), level)
        self.model.restyle()

    def _message(self, text: str, level: str) -> None:
        background, foreground = banner_colors(level)
        self.message.setStyleSheet(f"QLabel#searchMessage {{ background: {background}; color: {foreground}; }}")
        self.message.setProperty("level", level)
        self.message.setText(text)
        self.message.show()

    def _show_idle(self) -> None:
        self.model.set_hits(())
        self.message.hide()
        self.kinds.clear()
        self.tags.clear()
        self._show_facets()
        self.status.setText("")
        self.status.hide()
        self.results_area.setCurrentWidget(self.help)
        self.selection.sync()

    # -- selection -------------------------------------------------------------
    # A model reset drops the selection without a signal; selection.sync()
    # after each one clears the pane when the hit it showed is no longer
    # listed, so no action can act on a document out of sight.

    def shown_id(self) -> int | None:
        return self.selection.shown_id()

    @property
    def searched_text(self) -> str:
        """The text of the last search asked."""
        return self._searched

    def shown_place(self):
        """(HitPlace, query) of the shown hit when it matched inside a file, else None."""
        doc_id = self.shown_id()
        for row in range(self.model.rowCount()):
            hit = self.model.hit(row)
            if hit.id == doc_id and hit.where:
                return hit.where[0], self._searched
        return None

    def selected_ids(self) -> list[int]:
        return self.selection.ids()

    def result_titles(self) -> list[str]:
        return [self.model.hit(row).title for row in range(self.model.rowCount())]

    def select_document(self, doc_id: int) -> bool:
        for row in range(self.model.rowCount()):
            if self.model.hit(row).id == doc_id:
                index = self.model.index(row)
                self.results.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
                return True
        return False
