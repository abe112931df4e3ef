"""Fields that hold markup (#17.6, #17.11): a title, summary or note of
``<img src="…">`` (from an imported BibTeX or RIS file, a PDF's metadata) is
shown as typed in the detail pane and in the dialogs that name the document,
never read as rich text: a label reading it loads the file it names itself
(``/dev/zero`` froze the window). A real picture outside the store stands
for it here; its 300×500 pixels would show in the label's height."""

from __future__ import annotations

from gui_helpers import dialog, idle
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from finweek_desktop.core.records import NewDocument


def test_markup_in_a_documents_fields_is_shown_as_typed_and_loads_nothing(qtbot, window, service, tmp_path):
    picture = tmp_path / "outside.png"
    Image.new("RGB", (300, 500), (0, 0, 200)).save(picture)
    tag = f'<img src="{picture}">'
    doc = service.documents.create_document(
        NewDocument(kind="report", title=f"Hostile {tag}", subtitle=tag, summary=f"{tag} summary", notes=tag)
    )
    qtbot.waitUntil(lambda: window.all_tab.model.rowCount() == 10, timeout=10000)
    window.show_document(doc.id)
    idle(qtbot, window)
    detail = window.detail
    for label in (detail.title, detail.subtitle, detail.summary, detail.notes):
        assert label.textFormat() == Qt.TextFormat.PlainText
        assert tag in label.text()
        assert label.sizeHint().height() < 200, label.objectName()  # the text, not the 500-pixel picture

    window.delete_documents([doc.id])  # Delete on the document: the confirmation names it
    box = dialog(qtbot, QMessageBox, "confirmDelete")
    assert box.textFormat() == Qt.TextFormat.PlainText and tag in box.text()
    box.done(0)
