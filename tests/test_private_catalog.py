"""The catalog is private to its user (issue 17, item 9): folders 0700 and
files 0600 in the data folder, its store and its index, whatever the
originals' permissions and the umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from test_attachment_samples import image_file, write

from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.startup import open_catalog

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


@pytest.fixture
def loose_umask():
    """The common default umask (files 0644, folders 0755); restored after."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def modes(root: Path) -> dict[str, str]:
    """Every item under root (root included) that is not private: {path: mode}.

    Folders must be 0700 and files 0600, but for the empty lock file Whoosh
    creates with execute bits (0700): nothing in it to read."""
    found = {}
    for item in [root, *root.rglob("*")]:
        info = item.lstat()
        mode = stat.S_IMODE(info.st_mode)
        if stat.S_ISDIR(info.st_mode):
            private = mode == 0o700
        elif item.name.endswith("_WRITELOCK"):
            private = mode & 0o077 == 0
        else:
            private = mode == 0o600
        if not private:
            found[str(item.relative_to(root.parent))] = oct(mode)
    return found


def test_everything_a_catalog_writes_is_private_to_the_user(tmp_path, loose_umask):
    report = write(tmp_path / "report.txt", "Quarterly figures of the cross-border fund")
    report.chmod(0o644)
    chart = image_file(tmp_path / "chart.png")
    chart.chmod(0o755)
    data = tmp_path / "data"
    catalog = open_catalog(data, seed=False)
    try:
        service = catalog.service
        doc = service.attachments.create_document_with_files(NewDocument(kind="report", title="Fund"), [report, chart])
        image = next(a for a in doc.attachments if a.mime_type == "image/png")
        service.attachments.thumbnail(image.id)  # a preview in the store's cache
        # A file no row refers to, which a repair moves to the quarantine.
        with service.store.stage_bytes(b"left by a crash") as staged:
            staged.commit()
        assert service.integrity.repair().quarantined_files
        service.documents.update_document(doc.id, summary="written to the index after the open")
        in_progress = service.store.stage(report)  # a temporary copy
        assert service.search("cross-border").hits
        assert modes(data) == {}
        in_progress.discard()
    finally:
        catalog.close()
    assert (data / "catalog.sqlite3").exists() and list((data / "index").iterdir())
    assert list(service.store.quarantine_dir.iterdir()) and list(service.store.previews.rglob("*.png"))
    assert modes(data) == {}


def test_a_catalog_made_readable_by_others_is_made_private_when_opened(tmp_path, loose_umask):
    data = tmp_path / "data"
    catalog = open_catalog(data, seed=False)
    catalog.service.attachments.create_document_with_files(
        NewDocument(kind="report", title=""), [write(tmp_path / "notes.txt", "private notes")])
    catalog.close()
    for item in [data, *data.rglob("*")]:  # as an older version left it
        item.chmod(0o755 if item.is_dir() else 0o644)
    assert modes(data)
    catalog = open_catalog(data, seed=False)
    try:
        assert modes(data) == {}
        assert catalog.service.search("private").hits
    finally:
        catalog.close()
