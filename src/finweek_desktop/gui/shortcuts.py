"""The keyboard shortcut sheet (F1), built from the keys the window really
has: an action's keys are read from the action, so the sheet cannot drift
from what the keys do. README.md's table is this sheet (a test compares them).
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout


def keys_of(*sequences) -> str:
    """'Ctrl+F', or several keys joined: 'Page Down / Page Up'."""
    texts = []
    for sequence in sequences:
        if isinstance(sequence, str):
            texts.append(sequence)
        else:
            texts.append(QKeySequence(sequence).toString(QKeySequence.SequenceFormat.NativeText))
    return " / ".join(t for t in texts if t)


def sheet(window) -> list[tuple[str, list[tuple[str, str]]]]:
    """(group, [(what it does, keys)]) for the main window ``window``."""

    def k(action) -> str:
        return keys_of(*action.shortcuts())

    preview = window.detail.preview if getattr(window, "detail", None) is not None else None
    zoom_in = keys_of(preview.zoom_in.shortcut()) if preview else "Ctrl++"
    zoom_out = keys_of(preview.zoom_out.shortcut()) if preview else "Ctrl+-"
    zoom_fit = keys_of(preview.zoom_fit.shortcut()) if preview else "Ctrl+0"
    return [
        (
            "Documents",
            [
                ("New document", k(window.new_action)),
                ("Edit the document shown", f"{k(window.edit_action)} / Enter in a list"),
                *(
                    [("Batch edit the selected documents", k(window.batch_edit_action))]
                    if hasattr(window, "batch_edit_action")
                    else []
                ),
                ("Delete the selected documents", k(window.delete_action)),
                ("Tag the selected documents", k(window.tag_action)),
                ("Remove a tag from them", k(window.untag_action)),
                ("Attach files to the document", k(window.attach_action)),
                ("Import files as new documents", k(window.import_action)),
                ("Undo the last change", k(window.undo_action)),
                *([("Redo what was undone", k(window.redo_action))] if hasattr(window, "redo_action") else []),
            ],
        ),
        (
            "Finding",
            [
                ("Search the catalog", k(window.find_action)),
                ("From the search box to the hits", "Down"),
                ("Filter this list by title", k(window.filter_action)),
                (
                    f"Go to a tab ({k(window.tab_actions[5])}: Search)",
                    f"{k(window.tab_actions[0])} … {k(window.tab_actions[-1])}",
                ),
                ("Reload the lists", k(window.reload_action)),
            ],
        ),
        (
            "Moving around",
            [
                ("To the detail pane", k(window.pane_action)),
                ("Back to the list", k(window.list_action)),
                ("Next / previous control", "Tab / Shift+Tab"),
                ("Menu of the selection", k(window.menu_action)),
            ],
        ),
        (
            "Preview",
            [
                ("Next / previous PDF page (in the preview)", "Page Down / Page Up"),
                ("Zoom in / out", f"{zoom_in} / {zoom_out}"),
                ("Fit to the area", zoom_fit),
                ("Find in the file (in the preview)", "Ctrl+F"),
                ("Next / previous match", "Enter / Shift+Enter"),
                ("Reader window: full screen", "F11"),
            ],
        ),
        (
            "Tags tab",
            [
                ("Rename the selected tag", f"F2 / {k(window.edit_action)}"),
                ("Delete the selected tags", k(window.delete_action)),
            ],
        ),
        (
            "Window",
            [
                ("Keyboard shortcuts", k(window.shortcuts_action)),
                ("Quit", k(window.quit_action)),
            ],
        ),
    ]


def sheet_html(groups) -> str:
    """Two columns of groups, so the sheet fits a 700 px high screen."""
    sizes = [len(entries) + 1 for _title, entries in groups]  # a heading is a row too
    half, rows_left = 0, 0
    while half < len(groups) and rows_left + sizes[half] <= sum(sizes) / 2 + 1:
        rows_left += sizes[half]
        half += 1
    columns = []
    for part in (groups[:half], groups[half:]):
        rows = []
        for title, entries in part:
            rows.append(f"<tr><td colspan=2 style='padding-top:10px'><b>{html.escape(title)}</b></td></tr>")
            rows += [
                f"<tr><td nowrap>{html.escape(what)}</td>"
                f"<td nowrap style='padding-left:14px'><b>{html.escape(keys)}</b></td></tr>"
                for what, keys in entries
            ]
        columns.append(f"<table cellpadding=2>{''.join(rows)}</table>")
    return f"<table><tr><td valign=top>{columns[0]}</td><td width=36></td><td valign=top>{columns[1]}</td></tr></table>"


def sheet_markdown(groups) -> str:
    """The sheet as README.md's table."""
    lines = ["| | keys |", "|---|---|"]
    for title, entries in groups:
        lines.append(f"| **{title}** | |")
        lines += [f"| {what} | {_cell(keys)} |" for what, keys in entries]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


class ShortcutSheet(QDialog):
    """F1: the sheet in two columns (a message box wrapped every line)."""

    def __init__(self, window):
        super().__init__(window)
        self.setObjectName("shortcutSheet")
        self.setWindowTitle("Keyboard shortcuts")
        self.label = QLabel(sheet_html(sheet(window)))
        self.label.setTextFormat(Qt.TextFormat.RichText)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 8, 18, 12)
        layout.addWidget(self.label)
        layout.addWidget(buttons)

    def text(self) -> str:
        return self.label.text()
