"""The desktop app, driven as a researcher would drive it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from finweek_desktop.core.catalog import DocumentFilter
from finweek_desktop.gui.dialogs import DocumentDialog, TagNameDialog
from finweek_desktop.gui.models import DocumentTableModel, SnippetRole, TagTableModel
from finweek_desktop.gui.preview import PreviewWidget
from finweek_desktop.gui.titles import fold_title, natural_key

from gui_helpers import BLUE_PAPER, click_message_button, dialog, drop, idle, press, search, seeded_id, select_title, titles


# -- searching ----------------------------------------------------------------


def test_typing_a_query_finds_the_blue_paper(qtbot, window):
    search(qtbot, window, "digital currency")
    qtbot.waitUntil(lambda: BLUE_PAPER in window.search_tab.result_titles(), timeout=10000)
    assert "found" in window.search_tab.status.text()
    # facet counts for kinds and tags
    kinds = [window.search_tab.kinds.item(i).text() for i in range(window.search_tab.kinds.count())]
    assert any(k.startswith("Blue paper") and "(1)" in k for k in kinds)
    assert window.search_tab.tags.count() > 0


def test_search_snippets_are_highlighted_and_selecting_a_hit_shows_it(qtbot, window):
    search(qtbot, window, "digital currency")
    qtbot.waitUntil(lambda: window.search_tab.model.rowCount() > 0, timeout=10000)
    results = window.search_tab.results
    row = window.search_tab.result_titles().index(BLUE_PAPER)
    index = window.search_tab.model.index(row)
    assert "<b>" in index.data(SnippetRole)
    qtbot.mouseClick(results.viewport(), Qt.MouseButton.LeftButton, pos=results.visualRect(index).center())
    qtbot.waitUntil(lambda: window.detail.title.text() == BLUE_PAPER)


def test_a_kind_facet_narrows_the_hits(qtbot, window):
    search(qtbot, window, "digital")
    tab = window.search_tab
    qtbot.waitUntil(lambda: tab.kinds.count() > 1, timeout=10000)
    item = next(tab.kinds.item(i) for i in range(tab.kinds.count()) if tab.kinds.item(i).text().startswith("Blue paper"))
    item.setCheckState(Qt.CheckState.Checked)
    qtbot.waitUntil(lambda: tab.result_titles() == [BLUE_PAPER], timeout=10000)


def test_a_malformed_query_says_so(qtbot, window):
    search(qtbot, window, "nosuchfield:value")
    tab = window.search_tab
    qtbot.waitUntil(lambda: tab.message.isVisible(), timeout=10000)
    assert tab.message.text().startswith("Cannot search:")
    assert "unknown field" in tab.message.text().lower()
    assert tab.model.rowCount() == 0


def test_sort_by_date(qtbot, window, service):
    search(qtbot, window, "finance")
    tab = window.search_tab
    qtbot.waitUntil(lambda: tab.model.rowCount() > 1, timeout=10000)
    mode = tab.mode.currentData()  # words + meaning by default: what is near in meaning is listed too
    by_date = [h.title for h in service.search("finance", mode=mode, sort="date-asc", limit=500).hits]
    assert tab.result_titles() != by_date
    tab.sort.setCurrentIndex(tab.sort.findData("date-asc"))
    qtbot.waitUntil(lambda: tab.result_titles() == by_date, timeout=10000)


# -- browsing -----------------------------------------------------------------


def test_tabs_show_their_kind_of_documents(qtbot, window):
    window.tabs.bar.setCurrentIndex(2)  # Blue papers
    assert window.tabs.currentWidget() is window.blue_tab
    qtbot.waitUntil(lambda: titles(window.blue_tab) == [BLUE_PAPER])
    press(qtbot, window, Qt.Key.Key_2)
    assert window.tabs.currentWidget() is window.reports_tab
    qtbot.waitUntil(lambda: not window.reports_tab.model.loading)
    assert titles(window.reports_tab) and all("Report" in t for t in titles(window.reports_tab))
    window.tabs.setCurrentWidget(window.sessions_tab)
    idle(qtbot, window)
    records = titles(window.sessions_tab)
    assert "Consulting sessions" in records and BLUE_PAPER not in records
    sessions = window.sessions_tab.sessions
    theme = next(i for i in range(sessions.count()) if sessions.item(i).text().startswith("Theme forums"))
    sessions.setCurrentRow(theme)
    idle(qtbot, window)
    assert titles(window.sessions_tab) == [
        "Theme forums: digital economy, digital currency, healthcare, cross-border capital and insurance"
    ]


def test_selecting_a_document_shows_its_details(qtbot, window):
    window.tabs.setCurrentWidget(window.all_tab)
    select_title(qtbot, window.all_tab, BLUE_PAPER)
    detail = window.detail
    assert detail.title.text() == BLUE_PAPER
    assert "01 Think Tank" in detail.organizations.text() and "publisher" in detail.organizations.text()
    assert {chip.name for chip in detail.tags.chips()} >= {"digital-currency", "fintech"}


def test_the_title_filter_and_sorting(qtbot, window):
    tab = window.all_tab
    qtbot.keyClicks(tab.filter_edit, "blue")
    qtbot.waitUntil(lambda: titles(tab) == [BLUE_PAPER])
    tab.filter_edit.clear()
    qtbot.waitUntil(lambda: len(titles(tab)) > 1)
    header = tab.table.horizontalHeader()
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(header.sectionViewportPosition(DocumentTableModel.TITLE) + 20, header.height() // 2))

    def sorted_by_title():  # naturally: "3rd …" before "2020 …"
        names = titles(tab)
        key = lambda name: natural_key(fold_title(name))  # noqa: E731
        return names == sorted(names, key=key) or names == sorted(names, key=key, reverse=True)

    qtbot.waitUntil(sorted_by_title)  # the new order comes from a worker


def test_filtering_runs_off_the_ui_thread_and_keeps_the_latest_answer(qtbot, window, service, monkeypatch):
    import threading
    import time

    tab = window.all_tab
    original = service.documents.document_ids
    threads = []

    def slow_for_b(where=DocumentFilter(), sort="date"):
        threads.append(threading.current_thread() is threading.main_thread())
        if len(threads) == 1:  # the list for "b": the answer to the first keystroke comes back last
            time.sleep(0.6)
        return original(where, sort)

    monkeypatch.setattr(service.documents, "document_ids", slow_for_b)
    qtbot.keyClicks(tab.filter_edit, "b")
    qtbot.waitUntil(lambda: tab.model.loading, timeout=5000)  # debounce over, the "b" list is being built
    qtbot.keyClicks(tab.filter_edit, "lue")
    qtbot.waitUntil(lambda: titles(tab) == [BLUE_PAPER], timeout=5000)
    assert tab.filter_edit.hasFocus() or tab.filter_edit.text() == "blue"
    qtbot.wait(900)  # the stale "b" answer arrives meanwhile and is dropped
    assert titles(tab) == [BLUE_PAPER]
    assert tab.count.text() == "1 document"
    assert threads and not any(threads)  # never on the UI thread


def test_document_model_is_a_valid_qt_model(qapp, qtmodeltester, service):
    model = DocumentTableModel(service)
    model.reload()
    qtmodeltester.check(model)
    tags = TagTableModel(service)
    tags.reload()
    qtmodeltester.check(tags)


def test_document_model_fetches_rows_on_demand(service, monkeypatch):
    model = DocumentTableModel(service, DocumentFilter())
    model.PAGE = 3
    calls = []
    original = service.documents.summaries
    monkeypatch.setattr(service.documents, "summaries", lambda ids: calls.append(list(ids)) or original(ids))
    model.reload()
    assert model.rowCount() == 9 and calls == []
    model.index(0, 0).data()
    model.index(1, 0).data()
    assert len(calls) == 1 and len(calls[0]) == 3  # one page, not the whole catalog


# -- tags ---------------------------------------------------------------------


def test_add_a_tag_in_the_detail_pane_and_find_the_document_by_it(qtbot, window):
    select_title(qtbot, window.all_tab, BLUE_PAPER)
    line = window.detail.tags.line
    qtbot.keyClicks(line, "cbdc-research")
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        qtbot.keyClick(line, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "cbdc-research" in {c.name for c in window.detail.tags.chips()})
    search(qtbot, window, "tag:cbdc-research")
    qtbot.waitUntil(lambda: window.search_tab.result_titles() == [BLUE_PAPER], timeout=10000)


def test_tag_completion_offers_existing_tags(qtbot, window):
    select_title(qtbot, window.all_tab, BLUE_PAPER)
    assert "hengqin-macao-cooperation" in window.detail.tags.line.names()


def test_tag_several_documents_at_once_then_undo(qtbot, window, service):
    tab = window.all_tab
    tab.table.selectAll()
    press(qtbot, window, Qt.Key.Key_T)
    box = dialog(qtbot, TagNameDialog)
    qtbot.keyClicks(box.edit, "to-read")
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        qtbot.keyClick(box.edit, Qt.Key.Key_Return)
    assert service.documents.count_documents(DocumentFilter(tag="to-read")) == 9
    assert "to-read" in window.undo_action.text()
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        press(qtbot, window, Qt.Key.Key_Z)
    assert "to-read" not in [t.name for t in service.tags.all()]


def test_remove_a_tag_from_several_documents_at_once(qtbot, window, service):
    assert service.documents.count_documents(DocumentFilter(tag="dual-circulation")) == 3
    window.all_tab.table.selectAll()
    press(qtbot, window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    box = dialog(qtbot, TagNameDialog)
    qtbot.keyClicks(box.edit, "dual-circulation")
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        qtbot.keyClick(box.edit, Qt.Key.Key_Return)
    assert service.documents.count_documents(DocumentFilter(tag="dual-circulation")) == 0


def test_remove_a_tag_with_the_chip(qtbot, window, service):
    doc_id = select_title(qtbot, window.all_tab, BLUE_PAPER)
    chip = next(c for c in window.detail.tags.chips() if c.name == "fintech")
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        qtbot.mouseClick(chip, Qt.MouseButton.LeftButton, pos=QPoint(chip.width() - 6, chip.height() // 2))
    assert "fintech" not in [t.name for t in service.documents.get_document(doc_id).tags]


def test_rename_a_tag_in_the_tags_tab(qtbot, window, service):
    window.tabs.setCurrentWidget(window.tags_tab)
    tags = window.tags_tab
    assert tags.select_tag("fintech")
    qtbot.mouseClick(tags.rename_button, Qt.MouseButton.LeftButton)
    box = dialog(qtbot, TagNameDialog)
    box.edit.clear()
    qtbot.keyClicks(box.edit, "financial-technology")
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        qtbot.keyClick(box.edit, Qt.Key.Key_Return)
    names = [t.name for t in service.tags.all()]
    assert "financial-technology" in names and "fintech" not in names
    qtbot.waitUntil(lambda: tags.model.row_of("financial-technology") is not None)
    search(qtbot, window, "tag:financial-technology")
    qtbot.waitUntil(lambda: BLUE_PAPER in window.search_tab.result_titles(), timeout=10000)


def test_delete_a_tag_after_confirming(qtbot, window, service):
    window.tabs.setCurrentWidget(window.tags_tab)
    window.tags_tab.select_tag("healthcare")
    qtbot.mouseClick(window.tags_tab.delete_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        click_message_button(qtbot, "confirmDeleteTags", "Delete")
    assert "healthcare" not in [t.name for t in service.tags.all()]


def test_clicking_a_tag_filters_the_catalog(qtbot, window):
    window.tabs.setCurrentWidget(window.tags_tab)
    tags = window.tags_tab
    tags.select_tag("digital-currency")
    qtbot.mouseClick(tags.show_button, Qt.MouseButton.LeftButton)
    assert window.tabs.currentWidget() is window.all_tab
    qtbot.waitUntil(lambda: sorted(titles(window.all_tab)) == sorted([
        BLUE_PAPER, "Theme forums: digital economy, digital currency, healthcare, cross-border capital and insurance"]))
    assert "digital-currency" in window.all_tab.chip.text()
    qtbot.mouseClick(window.all_tab.chip_clear, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(titles(window.all_tab)) == 9)


def test_clicking_a_tag_chip_filters_too(qtbot, window):
    select_title(qtbot, window.all_tab, BLUE_PAPER)
    chip = next(c for c in window.detail.tags.chips() if c.name == "fintech")
    qtbot.mouseClick(chip, Qt.MouseButton.LeftButton, pos=QPoint(8, chip.height() // 2))
    assert window.all_tab.chip.text() == "Tag: fintech"
    qtbot.waitUntil(lambda: BLUE_PAPER in titles(window.all_tab) and len(titles(window.all_tab)) == 2)


def test_organizations_tab_filters_the_catalog(qtbot, window):
    window.tabs.setCurrentWidget(window.orgs_tab)
    tab = window.orgs_tab
    qtbot.keyClicks(tab.filter_edit, "01 Think")
    index = tab.proxy.index(0, 0)
    tab.table.setCurrentIndex(index)
    tab.table.activated.emit(index)
    assert window.tabs.currentWidget() is window.all_tab
    qtbot.waitUntil(lambda: not window.all_tab.model.loading)
    assert BLUE_PAPER in titles(window.all_tab)
    assert "01 Think Tank" in window.all_tab.chip.text()


# -- documents ----------------------------------------------------------------


def test_delete_a_document_then_undo(qtbot, window, service):
    doc_id = select_title(qtbot, window.all_tab, BLUE_PAPER)
    qtbot.keyClick(window.all_tab.table, Qt.Key.Key_Delete)
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        click_message_button(qtbot, "confirmDelete", "Delete")
    qtbot.waitUntil(lambda: BLUE_PAPER not in titles(window.all_tab))
    assert window.undo_action.isEnabled()
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        window.undo_action.trigger()
    qtbot.waitUntil(lambda: BLUE_PAPER in titles(window.all_tab))
    assert service.documents.get_document(doc_id).title == BLUE_PAPER
    search(qtbot, window, "digital currency")
    qtbot.waitUntil(lambda: BLUE_PAPER in window.search_tab.result_titles(), timeout=10000)


def test_cancelling_the_delete_keeps_the_document(qtbot, window):
    select_title(qtbot, window.all_tab, BLUE_PAPER)
    qtbot.mouseClick(window.detail.delete_button, Qt.MouseButton.LeftButton)
    click_message_button(qtbot, "confirmDelete", "Cancel")
    idle(qtbot, window)
    assert BLUE_PAPER in titles(window.all_tab)


def test_new_document_dialog(qtbot, window, service):
    press(qtbot, window, Qt.Key.Key_N)
    box = dialog(qtbot, DocumentDialog)
    box.kind.setCurrentIndex(box.kind.findData("report"))
    qtbot.keyClicks(box.title_edit, "Cross-border wealth management notes")
    qtbot.keyClicks(box.date, "2021-03")
    qtbot.keyClicks(box.tags, "wealth, greater-bay-area")
    box.organizations.add_row("Hengqin Finance Research Institute", "author")
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        qtbot.mouseClick(next(b for b in box.buttons.buttons() if b.text() == "Create"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.detail.title.text() == "Cross-border wealth management notes")
    doc = service.documents.get_document(window.detail.document_id)
    assert doc.kind == "report" and doc.date == "2021-03"
    assert {t.name for t in doc.tags} == {"wealth", "greater-bay-area"}
    assert [(o.name, o.role) for o in doc.organizations] == [("Hengqin Finance Research Institute", "author")]


def test_new_document_needs_a_title(qtbot, window):
    window.new_action.trigger()
    box = dialog(qtbot, DocumentDialog)
    box.buttons.accepted.emit()
    assert box.isVisible() and "title is required" in box.error.text()
    box.reject()


def test_edit_a_document(qtbot, window, service):
    doc_id = select_title(qtbot, window.all_tab, BLUE_PAPER)
    press(qtbot, window, Qt.Key.Key_E)
    box = dialog(qtbot, DocumentDialog)
    box.subtitle.clear()
    qtbot.keyClicks(box.subtitle, "Edited subtitle")
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        box.buttons.accepted.emit()
    assert service.documents.get_document(doc_id).subtitle == "Edited subtitle"
    qtbot.waitUntil(lambda: window.detail.subtitle.text() == "Edited subtitle")


# -- files --------------------------------------------------------------------


@pytest.fixture
def note(tmp_path):
    path = tmp_path / "forum-minutes.txt"
    path.write_text("Minutes of the digital currency forum: sandbox for cross-border payments.", encoding="utf-8")
    return path


def test_attach_a_file_through_the_file_dialog(qtbot, window, service, note, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(note)], ""))
    doc_id = select_title(qtbot, window.all_tab, BLUE_PAPER)
    with qtbot.waitSignal(window.ops.finished, timeout=20000):
        qtbot.mouseClick(window.detail.attach_button, Qt.MouseButton.LeftButton)
    assert [a.original_name for a in service.documents.get_document(doc_id).attachments] == ["forum-minutes.txt"]
    qtbot.waitUntil(lambda: window.detail.attachments.count() == 1)
    # the text file is previewed as text
    qtbot.waitUntil(lambda: window.detail.preview.mode == PreviewWidget.TEXT, timeout=10000)
    assert "sandbox for cross-border payments" in window.detail.preview.text.toPlainText()
    # the table's file count follows
    row = window.all_tab.model.row_of(doc_id)
    assert window.all_tab.model.index(row, DocumentTableModel.ATTACHMENTS).data() == "1"
    # and the attachment's text is searchable
    search(qtbot, window, "sandbox payments")
    qtbot.waitUntil(lambda: BLUE_PAPER in window.search_tab.result_titles(), timeout=10000)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_drop_a_file_on_a_document_row(qtbot, window, service, note):
    tab = window.all_tab
    doc_id = seeded_id(service, "Digital Alliance Initiative")
    row = tab.model.row_of(doc_id)
    rect = tab.table.visualRect(tab.model.index(row, 0))
    with qtbot.waitSignal(window.ops.finished, timeout=20000):
        drop(tab.table.viewport(), rect.center(), [note])
    assert [a.original_name for a in service.documents.get_document(doc_id).attachments] == ["forum-minutes.txt"]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_drop_a_file_on_the_detail_pane(qtbot, window, service, note):
    doc_id = select_title(qtbot, window.all_tab, BLUE_PAPER)
    with qtbot.waitSignal(window.ops.finished, timeout=20000):
        drop(window.detail, QPoint(50, 50), [note])
    assert len(service.documents.get_document(doc_id).attachments) == 1


def test_a_duplicate_file_is_reported(qtbot, window, service, note):
    first = seeded_id(service, BLUE_PAPER)
    second = seeded_id(service, "Digital Alliance Initiative")
    service.attachments.attach_files(first, [note])
    with qtbot.waitSignal(window.ops.finished, timeout=20000):
        window.attach_files(second, [note])
    box = dialog(qtbot, QMessageBox, "duplicateReport")
    assert BLUE_PAPER in box.informativeText()
    assert service.documents.get_document(second).attachments == ()
    with qtbot.waitSignal(window.ops.finished, timeout=20000):
        click_message_button(qtbot, "duplicateReport", "Attach anyway")
    assert len(service.documents.get_document(second).attachments) == 1


def test_bulk_import_with_progress(qtbot, window, service, tmp_path, note):
    files = []
    for n in range(3):
        path = tmp_path / f"brief-{n}.md"
        path.write_text(f"# Brief number {n}\n\nNotes on offshore renminbi, part {n}.", encoding="utf-8")
        files.append(path)
    files.append(note)
    service.attachments.attach_files(seeded_id(service, BLUE_PAPER), [note])  # a duplicate to report
    before = service.documents.count_documents()
    with qtbot.waitSignal(window.ops.finished, timeout=60000):
        window.start_import(files, "report", ("imported",))
        assert window.task_bar.isVisible()
    assert service.documents.count_documents() == before + 3
    report = window.last_import
    assert len(report.documents) == 3 and len(report.duplicates) == 1
    box = dialog(qtbot, QMessageBox, "importReport")
    assert "forum-minutes.txt" in box.informativeText()
    assert not window.task_bar.isVisible()
    assert service.documents.count_documents(DocumentFilter(tag="imported")) == 3


def test_bulk_import_can_be_cancelled(qtbot, window, service, tmp_path):
    files = []
    for n in range(8):
        path = tmp_path / f"memo-{n}.txt"
        path.write_text(f"memo {n}", encoding="utf-8")
        files.append(path)
    before = service.documents.count_documents()
    window.start_import(files, "report")
    assert window.task_cancel.isVisible()
    qtbot.mouseClick(window.task_cancel, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(window.ops.finished, timeout=60000):
        pass
    assert window.last_import.cancelled
    assert service.documents.count_documents() < before + 8


def test_pdf_preview_pages_and_zoom(qtbot, window, service):
    doc_id = next(d.id for d in service.documents.list_documents() if d.attachment_count)
    detail = service.documents.get_document(doc_id)
    if not any(a.mime_type == "application/pdf" for a in detail.attachments):
        pytest.skip("the seed has no PDF attachment")
    window.all_tab.select_document(doc_id)
    files = window.detail.attachments
    pdf_row = next(r for r in range(files.count()) if files.item(r).data(Qt.ItemDataRole.UserRole + 20).mime_type == "application/pdf")
    files.setCurrentRow(pdf_row)
    preview = window.detail.preview
    qtbot.waitUntil(lambda: preview.mode == PreviewWidget.IMAGE, timeout=20000)
    if preview.page_box.maximum() > 1:
        qtbot.mouseClick(preview.next_page, Qt.MouseButton.LeftButton)
        assert preview.current_page == 1
    qtbot.mouseClick(preview.zoom_in, Qt.MouseButton.LeftButton)
    assert preview.zoom is not None
    qtbot.mouseClick(preview.zoom_fit, Qt.MouseButton.LeftButton)
    assert preview.zoom is None
    idle(qtbot, window)


def test_delete_a_document_with_files_then_undo_restores_the_files(qtbot, window, service, note):
    doc_id = seeded_id(service, BLUE_PAPER)
    service.attachments.attach_files(doc_id, [note])
    window.reload_all()
    window.all_tab.select_document(doc_id)
    window.delete_documents([doc_id])
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        click_message_button(qtbot, "confirmDelete", "Delete")
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        window.undo()
    (attachment,) = service.documents.get_document(doc_id).attachments
    assert service.attachments.attachment(attachment.id).path.read_text(encoding="utf-8").startswith("Minutes")
    assert service.integrity.check().ok


# -- state --------------------------------------------------------------------


def test_state_persists(qtbot, catalog, settings):
    from finweek_desktop.gui.main_window import MainWindow

    first = MainWindow(catalog, settings=settings)
    qtbot.addWidget(first)
    first.tabs.setCurrentWidget(first.tags_tab)
    first.all_tab.table.setColumnWidth(DocumentTableModel.KIND, 201)
    first.close()
    second = MainWindow(catalog, settings=settings)
    qtbot.addWidget(second)
    assert second.tabs.currentWidget() is second.tags_tab
    assert second.all_tab.table.columnWidth(DocumentTableModel.KIND) == 201


def test_bulk_import_goes_through_the_batched_path(qtbot, window, service, tmp_path):
    files = []
    for n in range(12):
        path = tmp_path / f"circular-{n:02d}.txt"
        path.write_text(f"Circular {n} on numbatfunds{n} and offshore clearing", encoding="utf-8")
        files.append(path)
    twin = tmp_path / "circular-copy.txt"
    twin.write_bytes(files[4].read_bytes())  # the same content twice in one import
    files.append(twin)
    before = service.documents.count_documents()
    with qtbot.waitSignal(window.ops.finished, timeout=60000):
        window.start_import(files, "report", ("circulars",))
    report = window.last_import
    assert len(report.documents) == 12 and [d.name for d in report.duplicates] == ["circular-copy.txt"]
    assert "circular-04.txt" in dialog(qtbot, QMessageBox, "importReport").informativeText()
    assert service.documents.count_documents() == before + 12
    # Stored as attachments with their text: found by it, and the catalog checks clean.
    hit = service.search("numbatfunds7").hits
    assert [h.title for h in hit] == ["Circular 7 on numbatfunds7 and offshore clearing"]
    assert [a.original_name for a in service.documents.get_document(hit[0].id).attachments] == ["circular-07.txt"]
    assert service.integrity.check().ok
    # The window shows them: the all-documents tab lists the new rows.
    window.tabs.setCurrentWidget(window.all_tab)
    qtbot.waitUntil(lambda: window.all_tab.model.rowCount() == before + 12, timeout=10000)
