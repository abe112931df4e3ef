"""References in the window (issue 13): Export in a chosen format from the
row menu and File menu, Copy citation and Copy bibliography onto the
clipboard, the citation fields of the document dialog, and importing a folder
with a batch date and session."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu, QPushButton

from finweek_desktop.gui.dialogs import DocumentDialog
from finweek_desktop.gui.files import ImportDialog

from gui_helpers import BLUE_PAPER, choose, dialog, idle, right_click, select_title, titles

REPORT = "2020 Hengqin New Area–Macao Cooperation Report"


def row_center(tab, title: str):
    row = next(r for r, t in enumerate(titles(tab)) if title.lower() in t.lower())
    return tab.table.visualRect(tab.model.index(row, 1)).center()


def test_export_from_the_row_menu_as_bibtex(qtbot, window, tmp_path, monkeypatch):
    target = tmp_path / "refs.bib"
    offered = []

    def save(parent, title, start, filters, *rest):
        offered.append(filters)
        return str(target), "BibTeX (*.bib)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save)
    tab = window.all_tab
    doc_id = select_title(qtbot, tab, REPORT)
    right_click(qtbot, tab.table, row_center(tab, REPORT))
    choose(qtbot, dialog(qtbot, QMenu, "documentMenu"), "Export…")
    qtbot.waitUntil(target.exists, timeout=10000)
    idle(qtbot, window)
    text = target.read_text(encoding="utf-8")
    assert text.startswith(f"@techreport{{finweek{doc_id},")
    assert "title = {2020 Hengqin New Area–Macao Cooperation Report}" in text
    assert all(f in offered[0] for f in ("BibTeX (*.bib)", "RIS (*.ris)", "CSL-JSON (*.json)", "CSV (*.csv)"))
    assert "Exported 1 document" in window.statusBar().currentMessage()


def test_file_export_as_csl_json_remembers_the_format(qtbot, window, tmp_path, monkeypatch):
    target = tmp_path / "refs.json"
    starts = []

    def save(parent, title, start, filters, *rest):
        starts.append(start)
        return str(target), "CSL-JSON (*.json)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save)
    tab = window.all_tab
    select_title(qtbot, tab, BLUE_PAPER)
    window.export_action.trigger()
    qtbot.waitUntil(target.exists, timeout=10000)
    idle(qtbot, window)
    (item,) = json.loads(target.read_text(encoding="utf-8"))
    assert item["type"] == "book" and item["title"] == BLUE_PAPER
    target.unlink()
    window.export_action.trigger()  # the next export offers the same format's extension
    qtbot.waitUntil(target.exists, timeout=10000)
    idle(qtbot, window)
    assert starts[1].endswith(".json")


def test_copy_citation_and_bibliography_put_text_and_html_on_the_clipboard(qtbot, window):
    tab = window.all_tab
    select_title(qtbot, tab, BLUE_PAPER)
    right_click(qtbot, tab.table, row_center(tab, BLUE_PAPER))
    choose(qtbot, dialog(qtbot, QMenu, "documentMenu"), "Copy bibliography")
    clipboard = QApplication.clipboard()
    qtbot.waitUntil(lambda: BLUE_PAPER in clipboard.text(), timeout=10000)
    idle(qtbot, window)
    assert clipboard.text().startswith("[1] ") and "[M]" in clipboard.text()  # GB/T 7714 by default
    assert BLUE_PAPER in clipboard.mimeData().html()
    assert "GB/T 7714-2015" in window.statusBar().currentMessage()
    # Edit menu: the style is chosen there, Copy citation copies the in-text form
    edit_menu = next(m for m in window.menuBar().findChildren(QMenu) if m.title() == "&Edit")
    style_menu = next(m for m in edit_menu.findChildren(QMenu) if m.objectName() == "citationStyleMenu")
    next(a for a in style_menu.actions() if a.text() == "APA").trigger()
    assert window.copy_citation_action in edit_menu.actions()
    window.copy_citation_action.trigger()
    qtbot.waitUntil(lambda: clipboard.text().startswith("("), timeout=10000)
    idle(qtbot, window)
    assert "2020)" in clipboard.text()


def test_the_document_dialog_edits_authors_and_citation_fields(qtbot, window, service):
    tab = window.all_tab
    doc_id = select_title(qtbot, tab, REPORT)
    window.edit_action.trigger()
    box = dialog(qtbot, DocumentDialog)
    box.authors.setText("王小明; Smith, John")
    box.citation["doi"].setText("not a doi")
    save = box.buttons.button(box.buttons.StandardButton.Ok)
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    assert box.isVisible() and box.error.text() == "Invalid DOI 'not a doi': a DOI has the form 10.NNNN/suffix."
    box.citation["doi"].setText("https://doi.org/10.1234/hq.2020")
    box.citation["place_published"].setText("Zhuhai")
    with qtbot.waitSignal(window.ops.finished, timeout=20000):
        qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    idle(qtbot, window)
    detail = service.documents.get_document(doc_id)
    assert detail.doi == "10.1234/hq.2020" and detail.place_published == "Zhuhai"
    assert [p.display for p in detail.persons] == ["王小明", "Smith, John"]


def test_import_a_folder_with_a_batch_date_and_session(qtbot, window, service, tmp_path, monkeypatch):
    folder = tmp_path / "forum"
    (folder / "day2").mkdir(parents=True)
    (folder / "speech.txt").write_text("Speech on cross-border insurance", encoding="utf-8")
    (folder / "day2" / "panel.txt").write_text("Panel on fintech parks", encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    session = service.reference.sessions()[0]
    window.import_folder_action.trigger()
    box = dialog(qtbot, ImportDialog)
    assert any("2 files found in 1 folder" in label.text() for label in box.findChildren(type(box.error)))
    box.kind.setCurrentIndex(box.kind.findData("session_record"))
    box.date.setText("2020-11-20")
    box.session.setCurrentIndex(box.session.findData(session.id))
    button = next(b for b in box.findChildren(QPushButton) if b.text() == "Import")
    with qtbot.waitSignal(window.ops.finished, timeout=60000):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    idle(qtbot, window)
    report = window.last_import
    assert sorted(report.added) == ["panel.txt", "speech.txt"]
    for doc_id in report.documents:
        detail = service.documents.get_document(doc_id)
        assert detail.kind == "session_record" and detail.date == "2020-11-20" and detail.session_id == session.id


def test_import_references_from_the_file_menu_reports_duplicates_and_refusals(qtbot, window, service, tmp_path,
                                                                                monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    path = tmp_path / "zotero.bib"
    path.write_text(
        "@techreport{a, title = {Offshore clearing in Hengqin}, year = 2022, author = {Lee, Ka Wai}}\n"
        "@techreport{b, title = {Offshore Clearing in Hengqin}, year = 2022}\n"
        "@misc{c, year = 2020}\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(path)], ""))
    before = window.all_tab.model.rowCount()
    with qtbot.waitSignal(window.ops.finished, timeout=60000):
        window.import_refs_action.trigger()
    idle(qtbot, window)
    box = dialog(qtbot, QMessageBox, "referenceImportReport")
    assert box.text() == "Import finished: 1 added, 1 skipped as duplicates, 1 refused."
    assert "zotero.bib: b" in box.informativeText() and "no title" in box.informativeText()
    box.close()
    qtbot.waitUntil(lambda: window.all_tab.model.rowCount() == before + 1, timeout=10000)
    assert "Offshore clearing in Hengqin" in titles(window.all_tab)


def test_a_folder_dropped_on_a_document_is_offered_for_import(qtbot, window, tmp_path):
    folder = tmp_path / "dropped"
    folder.mkdir()
    for n in range(3):
        (folder / f"memo-{n}.txt").write_text(f"Memo {n} on offshore clearing", encoding="utf-8")
    doc_id = select_title(qtbot, window.all_tab, REPORT)
    window.attach_files(doc_id, [folder])
    box = dialog(qtbot, ImportDialog)
    assert any("3 files found in 1 folder" in label.text() for label in box.findChildren(type(box.error)))
    box.reject()
