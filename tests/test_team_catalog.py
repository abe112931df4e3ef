"""A catalog shared by a team on a real PostgreSQL server: two desktops
(two data folders) on one database URL, as issue 12 tried it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from finweek_desktop.core.models import Document, Tag
from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.resources import db_path
from finweek_desktop.core.startup import open_catalog

SRC = Path(__file__).resolve().parents[1] / "src"


def _seed_documents() -> int:
    return len(json.loads(db_path("seed", "finance_week.json").read_text(encoding="utf-8"))["documents"])


@pytest.fixture
def desktops(tmp_path, postgres_url):
    """Two desktops, A and B, on one team catalog."""
    opened = []

    def open_desktop(name: str, **options):
        catalog = open_catalog(tmp_path / name, database_url=postgres_url, **options)
        opened.append(catalog)
        return catalog

    yield open_desktop
    for catalog in reversed(opened):
        catalog.close()


def test_the_seed_loads_into_a_new_team_catalog(desktops):
    a = desktops("a")
    assert a.created
    assert a.service.documents.count_documents() == _seed_documents()
    assert a.service.search("hengqin").hits  # and the seed is searchable
    b = desktops("b")
    assert not b.created  # the second desktop finds it loaded
    assert b.service.documents.count_documents() == _seed_documents()
    assert b.service.search("hengqin").hits  # its new index was built from the database


def test_a_deleted_seed_document_does_not_come_back(desktops):
    a = desktops("a")
    first = a.service.documents.list_documents()[0]
    a.service.documents.delete_document(first.id)
    b = desktops("b")
    assert b.service.documents.count_documents() == _seed_documents() - 1


def test_two_desktops_opening_a_new_team_catalog_at_once_load_one_seed(tmp_path, postgres_url):
    """Two processes (two desktops' CLIs) open the empty database at the same moment."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    runs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "finweek_desktop.cli",
                "--data-dir",
                str(tmp_path / name),
                "--database-url",
                postgres_url,
                "list",
                "--json",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    for run, (out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err
        assert len(json.loads(out)) == _seed_documents()
    catalog = open_catalog(tmp_path / "c", database_url=postgres_url)
    try:
        with catalog.engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(Document)) == _seed_documents()
            names = connection.scalars(select(Tag.name_key)).all()
        assert len(names) == len(set(names))
    finally:
        catalog.close()


def test_a_document_added_on_b_is_found_by_a(desktops):
    a = desktops("a", seed=False)
    b = desktops("b", seed=False)
    doc = b.service.documents.create_document(NewDocument(kind="report", title="Cross-border wealth connect notes"))
    a.service.writer.catch_up()
    assert [h.id for h in a.service.search("wealth connect").hits] == [doc.id]
    assert a.service.integrity.check().ok


def test_a_file_attached_on_a_is_there_on_b(desktops, tmp_path):
    a = desktops("a", seed=False)
    b = desktops("b", seed=False)
    source = tmp_path / "minutes.txt"
    source.write_text("Minutes of the Hengqin roundtable on cross-border settlement.", encoding="utf-8")
    doc = a.service.attachments.create_document_with_files(NewDocument(kind="report", title=""), [source])
    b.service.writer.catch_up()
    assert b.service.integrity.check().ok  # no "attachment whose file is missing"
    (attachment,) = b.service.attachments.of(doc.id)
    assert "roundtable" in b.service.attachments.text_preview(attachment.id)
    assert b.service.attachments.attachment(attachment.id).path.read_bytes() == source.read_bytes()
    assert [h.id for h in b.service.search("roundtable").hits] == [doc.id]
