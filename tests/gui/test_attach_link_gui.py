"""A link dropped on a document (#17.13): its target is attached, and the
window says which file that was, as the CLI does."""

from __future__ import annotations

import pytest
from gui_helpers import BLUE_PAPER, drop, select_title
from PySide6.QtCore import QPoint


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_link_dropped_on_the_detail_pane_says_which_file_it_attached(qtbot, window, service, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "budget-2020.txt"
    target.write_text("Hengqin budget lines for cross-border insurance", encoding="utf-8")
    link = tmp_path / "budget.txt"
    link.symlink_to(target)

    doc_id = select_title(qtbot, window.all_tab, BLUE_PAPER)
    with qtbot.waitSignal(window.ops.finished, timeout=20000):
        drop(window.detail, QPoint(50, 50), [link])
    [attached] = service.documents.get_document(doc_id).attachments
    assert attached.original_name == "budget.txt"  # under the link's own name
    said = window.statusBar().currentMessage()
    assert "1 file attached" in said and f"budget.txt is a link: attached its target {target}" in said, said
