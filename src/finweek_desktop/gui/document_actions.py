"""The main window's document actions: new, edit, delete, export, the
right-click menu of a document list, and what the toolbar's actions say and
allow on each tab.

Every action acts on what ``selected_ids()`` returns: the selection of the
list in view, which always holds the document the detail pane shows
(selection.py). Actions on several documents say how many; those that take
one document (Edit, Attach) are disabled while several are selected. On the
Tags tab, Edit and Delete act on the selected tags; on the Organizations
tab, which edits nothing, they are disabled, and so are Tag and Attach on
both (the detail pane is hidden there: nothing must act on it unseen).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu

from ..core.refs.cite import STYLES
from .browse import BrowseTab
from .confirm import confirm_destructive
from .dialogs import DocumentDialog
from .search_tab import SearchTab
from .window_contract import WindowContract

# The save dialog's filters, by format: the filter chosen picks the format.
EXPORT_FILTERS = {
    "bibtex": "BibTeX (*.bib)",
    "ris": "RIS (*.ris)",
    "csl-json": "CSL-JSON (*.json)",
    "csv": "CSV (*.csv)",
    "json": "JSON (*.json)",
}
STYLE_LABELS = {"gb7714": "GB/T 7714-2015", "apa": "APA", "chicago": "Chicago (author-date)"}


def export_format(name: str, chosen_filter: str) -> str:
    """The format of an export: the dialog's filter, else the file's extension."""
    for fmt, text in EXPORT_FILTERS.items():
        if chosen_filter == text:
            return fmt
    lowered = name.lower()
    if lowered.endswith(".csl.json"):
        return "csl-json"
    return {".bib": "bibtex", ".ris": "ris", ".csv": "csv"}.get(Path(lowered).suffix, "json")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


class DocumentActionsMixin(WindowContract):
    """For MainWindow: needs ``ops``, ``service``, ``tabs``, ``detail``,
    ``tags_tab``, the actions built in ``_build_actions`` and ``selected_ids()``."""

    # -- what the actions say and allow ----------------------------------------

    def _keys(self, action) -> str:
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        return f" ({keys})" if keys else ""

    def _say(self, action, text: str, tip: str, enabled: bool) -> None:
        action.setText(text)
        action.setToolTip(tip + (self._keys(action) if enabled else ""))
        action.setEnabled(enabled)

    def update_actions(self) -> None:
        """Enable and word the selection's actions for the tab in view."""
        if not self.ready:
            return
        tab = self.current_tab()
        off = "Only on the document tabs"
        if isinstance(tab, (BrowseTab, SearchTab)):
            ids = self.selected_ids()
            n = len(ids)
            what = "the document" if n <= 1 else f"the {n} selected documents"
            one = n == 1
            self._say(
                self.edit_action,
                "&Edit document…",
                "Edit the document" if n <= 1 else "Select one document to edit it",
                one,
            )
            self._say(self.delete_action, "&Delete" if n <= 1 else f"&Delete {n} documents", f"Delete {what}", n >= 1)
            self._say(self.tag_action, "&Tag…" if n <= 1 else f"&Tag {n} documents…", f"Add a tag to {what}", n >= 1)
            self._say(
                self.untag_action,
                "&Remove a tag…" if n <= 1 else f"&Remove a tag from {n} documents…",
                f"Remove a tag from {what}",
                n >= 1,
            )
            self._say(
                self.attach_action,
                "&Attach files…",
                "Attach files to the document" if n <= 1 else "Select one document to attach files to it",
                one,
            )
            self._say(
                self.export_action,
                "E&xport…" if n <= 1 else f"E&xport {n} documents…",
                f"Save {what} as BibTeX, RIS, CSL-JSON, CSV or JSON",
                n >= 1,
            )
            self._say(self.copy_citation_action, "Copy &citation", f"Copy the citation of {what}", n >= 1)
            self._say(self.copy_bibliography_action, "Copy &bibliography", f"Copy the bibliography of {what}", n >= 1)
            self._say(
                self.batch_edit_action,
                "&Batch edit…" if n <= 1 else f"&Batch edit {n} documents…",
                f"Change the kind, date, session or organizations of {what}",
                n >= 1,
            )
            self._say(
                self.collect_action,
                "Add to &collection…" if n <= 1 else f"Add {n} to &collection…",
                f"Put {what} in a collection",
                n >= 1,
            )
            shown = self.detail.document_id
            self.detail.set_selection(n, ids.index(shown) + 1 if shown in ids else 1)
            return
        names = self.tags_tab.selected_names() if tab is self.tags_tab else []
        k = len(names)
        if tab is self.tags_tab:
            self._say(
                self.edit_action,
                "&Rename tag…",
                f"Rename the tag “{names[0]}”" if k == 1 else "Select one tag to rename it",
                k == 1,
            )
            self._say(
                self.delete_action,
                "&Delete tag" if k <= 1 else f"&Delete {k} tags",
                f"Delete the tag “{names[0]}”"
                if k == 1
                else f"Delete the {k} selected tags"
                if k
                else "Select tags to delete them",
                k >= 1,
            )
        else:
            self._say(self.edit_action, "&Edit document…", off, False)
            self._say(self.delete_action, "&Delete", off, False)
        self._say(self.tag_action, "&Tag…", off, False)
        self._say(self.untag_action, "&Remove a tag…", off, False)
        self._say(self.attach_action, "&Attach files…", off, False)
        self._say(self.export_action, "E&xport…", off, False)
        self._say(self.copy_citation_action, "Copy &citation", off, False)
        self._say(self.copy_bibliography_action, "Copy &bibliography", off, False)
        self._say(self.batch_edit_action, "&Batch edit…", off, False)
        self._say(self.collect_action, "Add to &collection…", off, False)

    # -- the right-click menu of a document list -------------------------------

    def document_menu(self, view, pos) -> None:
        """``pos``: viewport coordinates in ``view`` (the press that came
        first selected the row, or kept a selection holding it)."""
        menu = QMenu(self)
        menu.setObjectName("documentMenu")
        ids = self.selected_ids() if view.indexAt(pos).isValid() else []
        if not ids:
            menu.addAction(self.new_action)
            menu.addAction(self.import_action)
        else:
            document = self.detail.document
            files = document.attachments if document is not None and len(ids) == 1 else ()
            if len(files) == 1:
                menu.addAction(f"&Open “{files[0].original_name}”", partial(self.open_attachment, files[0]))
            elif files:
                submenu = menu.addMenu("&Open")
                for attachment in files:
                    submenu.addAction(attachment.original_name, partial(self.open_attachment, attachment))
            else:
                menu.addAction("&Open (no file attached)").setEnabled(False)
            menu.addAction(self.edit_action)
            if len(ids) > 1:
                menu.addAction(self.batch_edit_action)
            menu.addAction(self.attach_action)
            menu.addSeparator()
            menu.addAction(self.tag_action)
            menu.addAction(self.untag_action)
            menu.addAction(self.collect_action)
            menu.addAction(self.export_action)
            menu.addAction(self.copy_citation_action)
            menu.addAction(self.copy_bibliography_action)
            menu.addSeparator()
            menu.addAction(self.delete_action)
        previous: QMenu | None = getattr(self, "context_menu", None)
        if previous is not None:
            previous.deleteLater()
        self.context_menu: QMenu = menu
        menu.popup(view.viewport().mapToGlobal(pos))

    # -- documents -------------------------------------------------------------

    def new_document(self) -> None:
        dialog = DocumentDialog(
            self.service.reference.organizations(),
            self.tag_names,
            sessions=self.service.reference.sessions(),
            can_attach=self.attachments_available(),
            parent=self,
        )
        dialog.file_chooser = self.choose_files

        def accepted():
            files = dialog.file_paths()
            self.ops.create_document(dialog.new_document(), done=lambda d: files and self.attach_files(d.id, files))

        dialog.accepted.connect(accepted)
        dialog.open()

    def edit_selected(self) -> None:
        """Ctrl+E: the document shown, or on the Tags tab the selected tag."""
        if self.current_tab() is self.tags_tab:
            names = self.tags_tab.selected_names()
            if len(names) == 1:
                self.rename_tag(names[0])
        else:
            self.edit_document()

    def edit_document(self) -> None:
        doc_id = self.detail.document_id
        if doc_id is None or not isinstance(self.current_tab(), (BrowseTab, SearchTab)):
            return
        if len(self.selected_ids()) > 1:
            self.statusBar().showMessage("Several documents are selected: select one to edit it.", 5000)
            return
        document = self.service.documents.get_document(doc_id)
        dialog = DocumentDialog(
            self.service.reference.organizations(),
            self.tag_names,
            document,
            sessions=self.service.reference.sessions(),
            parent=self,
        )
        dialog.accepted.connect(
            lambda: self.ops.update_document(
                doc_id,
                dialog.edit_changes(),
                dialog.organization_links(),
                dialog.persons(),
                expected_version=document.version,
            )
        )
        dialog.open()

    def delete_selected(self) -> None:
        """Del, the toolbar's Delete and the pane's: the selected documents,
        or on the Tags tab the selected tags."""
        tab = self.current_tab()
        if tab is self.tags_tab:
            self.delete_tags(self.tags_tab.selected_names())
        elif isinstance(tab, (BrowseTab, SearchTab)):
            self.delete_documents(self.selected_ids())

    def delete_documents(self, ids: list[int]) -> None:
        if not ids:
            return
        if len(ids) == 1:
            title = self.service.documents.get_document(ids[0]).title
            text = f"Delete “{title}”?"
        else:
            text = f"Delete {len(ids)} documents?"
        confirm_destructive(
            self,
            "confirmDelete",
            "Delete",
            text,
            "Their tags, organization links and file records go with them. You can undo this with Ctrl+Z.",
            "Delete",
            lambda: self.ops.delete_documents(ids),
        )

    def export_selected(self) -> None:
        """The selected documents as BibTeX, RIS, CSL-JSON, CSV or JSON (the
        save dialog's filter, or the name's extension, chooses), written on a worker."""
        ids = self.selected_ids()
        if ids:
            self.export_documents(ids, f"Export {_plural(len(ids), 'document')}")

    def export_collection(self, info) -> None:
        """A collection's documents, or a saved search's hits run now (the sidebar's Export…)."""
        ids = self.service.collections.document_ids(info.id)
        if not ids:
            self.statusBar().showMessage(f"“{info.name}” has no documents to export", 6000)
            return
        self.export_documents(ids, f"Export “{info.name}” ({_plural(len(ids), 'document')})")

    def export_documents(self, ids: list[int], title: str) -> None:
        last = str(self.settings.value("export/format", "bibtex"))
        fmt = last if last in EXPORT_FILTERS else "bibtex"
        extension = {"bibtex": ".bib", "ris": ".ris", "csv": ".csv"}.get(fmt, ".json")
        start = Path(str(self.settings.value("paths/lastDir", "") or Path.home())) / f"finweek-export{extension}"
        filters = [EXPORT_FILTERS[fmt]] + [f for k, f in EXPORT_FILTERS.items() if k != fmt]
        name, chosen = QFileDialog.getSaveFileName(self, title, str(start), ";;".join(filters))
        if not name:
            return
        path = Path(name)
        fmt = export_format(name, chosen)
        self.settings.setValue("paths/lastDir", str(path.parent))
        self.settings.setValue("export/format", fmt)
        bibliography = self.service.bibliography

        def work():
            return bibliography.export_to(ids, fmt, path)

        def done(count, error):
            if error is not None:
                self.show_file_error(f"Could not export to {path.name}", error)
            else:
                self.statusBar().showMessage(f"Exported {_plural(count, 'document')} to {path}", 8000)

        self.runner.run(work, done)

    # -- citations -------------------------------------------------------------

    def citation_style(self) -> str:
        style = str(self.settings.value("citation/style", "gb7714"))
        return style if style in STYLES else "gb7714"

    def set_citation_style(self, style: str) -> None:
        self.settings.setValue("citation/style", style)

    def copy_citation(self) -> None:
        """The in-text citation of the selected documents, as text and HTML."""
        self._copy_citations(bibliography=False)

    def copy_bibliography(self) -> None:
        """Their bibliography entries, as text and HTML, on the clipboard."""
        self._copy_citations(bibliography=True)

    def _copy_citations(self, bibliography: bool) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        style = self.citation_style()
        service = self.service.bibliography

        def work():
            if bibliography:
                return service.cite(ids, style, "text"), service.cite(ids, style, "html")
            return [service.in_text(ids, style, "text")], [service.in_text(ids, style, "html")]

        def done(result, error):
            if error is not None:
                self.show_file_error("Could not format the citation", error)
                return
            text, html = result
            data = QMimeData()
            data.setText("\n".join(text))
            data.setHtml("<br>\n".join(html))
            QGuiApplication.clipboard().setMimeData(data)
            what = "bibliography" if bibliography else "citation"
            self.statusBar().showMessage(
                f"Copied the {what} of {_plural(len(ids), 'document')} ({STYLE_LABELS[style]})", 6000
            )

        self.runner.run(work, done)
