"""The main window's tag actions: tag and untag the selected documents,
rename, merge, delete and recolour tags. Each asks what it needs in a
dialog and hands the change to ``self.ops`` (operations.py), which runs it
on a worker and makes it undoable."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QColorDialog, QInputDialog

from .confirm import confirm_destructive, plain_buttons
from .dialogs import TagNameDialog
from .window_contract import WindowContract


class TagActionsMixin(WindowContract):
    """For MainWindow: needs ``ops``, ``service``, ``tag_names`` and
    ``selected_ids()``."""

    def tag_selected(self) -> None:
        self._ask_tag_for_selected("Tag", "Add a tag to", lambda ids, name: self.ops.add_tag(ids, name))

    def untag_selected(self) -> None:
        self._ask_tag_for_selected(
            "Remove a tag from", "Remove a tag from", lambda ids, name: self.ops.remove_tag(ids, name)
        )

    def _ask_tag_for_selected(self, title: str, verb: str, apply) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        # Say which documents, or how many: the dialog is the last look
        # before the change.
        count = f"{len(ids)} document{'s' if len(ids) > 1 else ''}"
        if len(ids) == 1:
            target = f"“{self.service.documents.get_document(ids[0]).title}”"
        else:
            target = f"the {len(ids)} selected documents"
        dialog = TagNameDialog(f"{title} {count}", f"{verb} {target}:", self.tag_names, parent=self)
        dialog.accepted.connect(lambda: apply(ids, dialog.name()))
        dialog.open()

    def rename_tag(self, name: str) -> None:
        dialog = TagNameDialog(
            "Rename tag",
            f"New name for “{name}” (an existing name merges the two):",
            self.tag_names,
            text=name,
            parent=self,
        )

        def rename() -> None:
            if dialog.name() != name:
                self.ops.rename_tag(name, dialog.name())

        dialog.accepted.connect(rename)
        dialog.open()

    def merge_tags(self, names: list[str]) -> None:
        if len(names) < 2:
            return
        dialog = QInputDialog(self)
        dialog.setObjectName("mergeDialog")
        dialog.setWindowTitle("Merge tags")
        dialog.setLabelText(f"Merge {', '.join(names)} into:")
        dialog.setComboBoxItems(names)
        dialog.setComboBoxEditable(True)

        def merge(target: str) -> None:
            target = target.strip()
            if target:
                self.ops.merge_tags([n for n in names if n != target], target)

        dialog.textValueSelected.connect(merge)
        dialog.open()
        plain_buttons(dialog)  # its buttons exist once it shows

    def delete_tags(self, names: list[str]) -> None:
        if not names:
            return
        label = f"the tag “{names[0]}”" if len(names) == 1 else f"{len(names)} tags"
        confirm_destructive(
            self,
            "confirmDeleteTags",
            "Delete tags",
            f"Delete {label}?",
            "The documents stay; only the tag is removed from them. You can undo this with Ctrl+Z.",
            "Delete",
            lambda: self.ops.delete_tags(names),
        )

    def choose_tag_color(self, name: str) -> None:
        current = next((t.color for t in self.service.tags.all() if t.name == name), None)
        color = QColorDialog.getColor(Qt.GlobalColor.gray if current is None else current, self, f"Colour of “{name}”")
        if color.isValid():
            self.ops.set_tag_color(name, color.name())
