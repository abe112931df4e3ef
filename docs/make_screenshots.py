"""Screenshots of every tab at 1280x800: `python docs/make_screenshots.py OUTDIR [light|dark]`.

The theme is the window's own View > Theme (light by default): docs/screenshots/
is taken light, docs/screenshots/dark/ dark (main.png of each: docs/screenshot-main*.png).

Runs offscreen (or under Xvfb with QT_QPA_PLATFORM=xcb) on a fresh catalog
in a temporary folder.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, QThreadPool  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from finweek_desktop.core.startup import open_catalog  # noqa: E402
from finweek_desktop.gui.file_strip import AttachmentRole  # noqa: E402
from finweek_desktop.gui.main_window import MainWindow  # noqa: E402


def settle(app: QApplication, window: MainWindow) -> None:
    for _ in range(50):
        app.processEvents()
        window.runner.wait(2000)
        app.processEvents()
        if window.runner.pending == 0:
            break


def main(out: Path, theme: str = "light") -> None:
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    app.setStyle("Fusion")
    tmp = Path(tempfile.mkdtemp())
    catalog = open_catalog(tmp / "data")
    settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("view/theme", theme)  # as View > Theme chose it
    window = MainWindow(catalog, settings=settings)
    window.resize(1280, 800)
    window.show()
    settle(app, window)
    names = ["all", "reports", "blue-papers", "initiatives", "sessions", "search", "tags", "organizations"]
    for index, name in enumerate(names):
        window.tabs.setCurrentIndex(index)
        if name == "search":
            window.search_tab.box.setText("digital currency")
            window.search_tab.search_now()
        if name == "sessions":
            window.sessions_tab.sessions.setCurrentRow(5)
        settle(app, window)
        if name == "search":
            window.search_tab.results.setCurrentIndex(window.search_tab.model.index(0))
            settle(app, window)
        window.grab().save(str(out / f"tab-{index + 1}-{name}.png"))
    window.tabs.setCurrentIndex(0)
    settle(app, window)
    # the main screenshot: a document with files, its PDF previewed
    news = next(d.id for d in catalog.service.documents.list_documents() if d.attachment_count)
    window.all_tab.select_document(news)
    settle(app, window)
    files = window.detail.attachments
    for row in range(files.count()):
        if files.item(row).data(AttachmentRole).mime_type == "application/pdf":
            files.setCurrentRow(row)
    settle(app, window)
    settle(app, window)
    window.grab().save(str(out / "main.png"))
    window.close()
    QThreadPool.globalInstance().waitForDone()
    catalog.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots"), sys.argv[2] if len(sys.argv) > 2 else "light")
