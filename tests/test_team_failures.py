"""A team catalog when its server goes away, when the role may only read,
and with TLS settings in the URL. These tests stop and restart their own
server, so they do not share the session's."""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import func, select

from finweek_desktop.core.errors import CatalogOpenError, CatalogUnavailable, ReadOnlyCatalog
from finweek_desktop.core.models import Document
from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.startup import open_catalog


def _wait(condition, seconds=60.0):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_a_server_restart_mid_session(tmp_path, own_server):
    url = own_server.new_database()
    a = open_catalog(tmp_path / "a", database_url=url, seed=False)
    try:
        a.service.team.listen(poll=3600)
        assert _wait(lambda: a.service.team.listener.connected)
        doc = a.service.documents.create_document(NewDocument(kind="report", title="Offshore renminbi notes"))
        own_server.kill()
        # Search goes on from this desktop's index and its stored fields.
        assert [h.title for h in a.service.search("renminbi").hits] == ["Offshore renminbi notes"]
        with pytest.raises(CatalogUnavailable) as caught:
            a.service.documents.create_document(NewDocument(kind="report", title="Written while away"))
        message = str(caught.value)
        assert "cannot be reached" in message and "nothing was saved" in message and "\n" not in message
        assert _wait(lambda: not a.service.team.listener.connected)
        own_server.restart()
        # It reconnects by itself: the next write works, the listener listens again.
        again = a.service.documents.create_document(NewDocument(kind="report", title="Written after the restart"))
        assert _wait(lambda: a.service.team.listener.connected)
        with a.engine.connect() as connection:
            titles = connection.scalars(select(Document.title).order_by(Document.id)).all()
        assert titles == ["Offshore renminbi notes", "Written after the restart"]  # nothing lost, nothing twice
        assert {h.id for h in a.service.search("notes OR restart").hits} >= {doc.id, again.id}
    finally:
        a.close()


def test_a_read_only_role_is_told_so(tmp_path, own_server):
    url = own_server.new_database()
    owner = open_catalog(tmp_path / "owner", database_url=url, seed=False)
    owner.service.documents.create_document(NewDocument(kind="report", title="Team reading list"))
    owner.close()
    database = url.rsplit("/", 1)[1]
    with psycopg.connect(
        f"host=127.0.0.1 port={own_server.port} user=postgres dbname={database}", autocommit=True
    ) as c:
        c.execute("CREATE ROLE reader LOGIN")
        c.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader")
    reader = open_catalog(tmp_path / "reader", database_url=url.replace("postgres@", "reader@"), seed=False)
    try:
        assert [h.title for h in reader.service.search("reading list").hits] == ["Team reading list"]
        with pytest.raises(ReadOnlyCatalog, match="this team catalog is read-only for you"):
            reader.service.documents.create_document(NewDocument(kind="report", title="Not allowed"))
        (doc,) = reader.service.documents.list_documents()
        with pytest.raises(ReadOnlyCatalog):
            reader.service.tags.add_tag([doc.id], "mine")
        with reader.engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(Document)) == 1
    finally:
        reader.close()


def test_sslmode_in_the_url_reaches_libpq(tmp_path, own_server):
    url = own_server.new_database()
    catalog = open_catalog(tmp_path / "plain", database_url=url + "?sslmode=disable", seed=False)
    catalog.close()
    with pytest.raises(CatalogOpenError, match="SSL"):  # this test server has no TLS: libpq says so
        open_catalog(tmp_path / "tls", database_url=url + "?sslmode=require", seed=False)


def test_the_cli_says_in_one_line_that_the_server_cannot_be_reached(finweek, own_server):
    code, _, err = finweek("--database-url", "postgresql+psycopg://postgres@127.0.0.1:1/finweek", "list")
    assert code == 1 and err.count("\n") == 1
    assert err.startswith("finweek: error: cannot open the team catalog:")


def test_opening_while_the_server_is_away_searches_this_desktops_copy(tmp_path, own_server, finweek, data_dir):
    url = own_server.new_database()
    code, _, err = finweek("--database-url", url, "list")  # this desktop opened the team catalog once
    assert code == 0, err
    own_server.kill()
    try:
        code, out, err = finweek("--database-url", url, "search", "hengqin")
        assert code == 0, err
        assert "cannot be reached" in err and "searching this desktop's copy" in err
        assert "match" in out  # hits from the local index's stored fields
        code, _, err = finweek("--database-url", url, "add", "--kind", "report", "--title", "Offline note")
        assert code == 1 and err.count("\n") == 1 and "cannot be reached" in err
        # A catalog this desktop never opened cannot be searched offline: one line says why.
        code, _, err = finweek("--database-url", url.rsplit("/", 1)[0] + "/never_opened", "list")
        assert code == 1 and err.startswith("finweek: error: cannot open the team catalog:")
    finally:
        own_server.restart()
    code, out, _ = finweek("--database-url", url, "list", "--json")
    assert code == 0 and "Offline note" not in out  # nothing half-written while away
