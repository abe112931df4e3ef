"""A team catalog's upkeep (core/team/upkeep.py), on a real PostgreSQL server:
the change log pruned to what every desktop applied, a desktop away past the
pruning rebuilding its index and finding everything, and the trash purged
once per team at open, by one desktop when two open at once."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time

from sqlalchemy import func, select, update

from finweek_desktop.core import changelog
from finweek_desktop.core.database import make_engine
from finweek_desktop.core.models import CatalogSetting, Change
from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.startup import open_catalog
from finweek_desktop.core.team import team as team_part
from finweek_desktop.core.team import upkeep


def _log_rows(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Change)) or 0


def _last_seq(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.max(Change.seq))) or 0


def test_the_log_is_pruned_to_what_every_desktop_applied(tmp_path, postgres_url):
    a = open_catalog(tmp_path / "a", database_url=postgres_url, seed=False)
    b = open_catalog(tmp_path / "b", database_url=postgres_url, seed=False)
    engine = make_engine(postgres_url)
    try:
        for title in ("Macao bond market", "Hengqin tax incentives", "Cross-border wealth connect"):
            a.service.documents.create_document(NewDocument(kind="report", title=title))
        a.close()  # says it applied everything
        last = _last_seq(engine)
        assert upkeep.prune_log(engine) == (0, 0)  # B said it applied nothing yet: all kept for it
        assert _log_rows(engine) >= 3
        b.service.writer.catch_up(wait=True)
        b.close()  # now B applied everything too
        removed, through = upkeep.prune_log(engine)
        assert removed >= 3 and through == last and _log_rows(engine) == 0
        again = open_catalog(tmp_path / "a", database_url=postgres_url, seed=False)  # no rebuild needed
        try:
            assert again.service.writer.require_follower().position().through == last
            assert again.service.search("bond OR tax OR wealth").total == 3
        finally:
            again.close()
    finally:
        engine.dispose()


def test_a_desktop_away_past_the_pruning_rebuilds_and_finds_everything(tmp_path, postgres_url, caplog):
    open_catalog(tmp_path / "away", database_url=postgres_url, seed=False).close()
    b = open_catalog(tmp_path / "b", database_url=postgres_url, seed=False)
    notes = tmp_path / "notes.txt"
    notes.write_text("Minutes of the offshore renminbi clearing round table", encoding="utf-8")
    b.service.attachments.create_document_with_files(NewDocument(kind="report", title="Round table notes"), [notes])
    for title in ("Nansha financial opening", "Qianhai free trade zone"):
        b.service.documents.create_document(NewDocument(kind="report", title=title))
    b.close()
    engine = make_engine(postgres_url)
    try:
        # The away desktop was not seen within the kept days (0 here): the log goes without it.
        removed, through = upkeep.prune_log(engine, keep_days=0)
        assert removed > 0 and _log_rows(engine) == 0
        with engine.connect() as connection:
            assert changelog.pruned_through(connection) == through
    finally:
        engine.dispose()
    with caplog.at_level(logging.WARNING):
        back = open_catalog(tmp_path / "away", database_url=postgres_url, seed=False)
    try:
        assert "behind what the change log keeps; rebuilding" in caplog.text
        follower = back.service.writer.require_follower()
        assert follower.position().through >= through and follower.pending() == 0
        found = {h.title for h in back.service.search("renminbi OR Nansha OR Qianhai").hits}
        assert found == {"Round table notes", "Nansha financial opening", "Qianhai free trade zone"}
    finally:
        back.close()


def test_the_trash_is_purged_once_per_team_when_two_desktops_open_at_once(tmp_path, postgres_url, monkeypatch):
    monkeypatch.setenv("FINWEEK_TRASH_DAYS", "0")  # anything in the trash is past the retention
    first = open_catalog(tmp_path / "first", database_url=postgres_url, seed=False)
    assert first.upkept  # the first open of the day did it
    doc = first.service.documents.create_document(NewDocument(kind="report", title="Superseded draft"))
    first.service.documents.delete_document(doc.id)
    assert len(first.service.trash.entries()) == 1
    with first.engine.begin() as connection:  # the next day
        yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
        connection.execute(update(CatalogSetting).where(CatalogSetting.key == upkeep.UPKEEP).values(value=yesterday))
    first.close()
    barrier = threading.Barrier(2)
    opened: list = [None, None]

    def open_at_once(i: int) -> None:
        barrier.wait()
        try:
            opened[i] = open_catalog(tmp_path / f"desk{i}", database_url=postgres_url, seed=False)
        except Exception as exc:
            opened[i] = exc

    threads = [threading.Thread(target=open_at_once, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not any(isinstance(c, Exception) for c in opened), opened
        assert sorted(c.upkept for c in opened) == [False, True]  # once per team
        assert opened[0].service.trash.entries() == [] and opened[1].service.trash.entries() == []
        assert not upkeep.claim(opened[0].engine)  # done for today
    finally:
        for c in opened:
            if c is not None and not isinstance(c, Exception):
                c.close()


def test_an_open_desktop_says_now_and_then_how_far_it_follows(tmp_path, postgres_url, monkeypatch):
    monkeypatch.setattr(team_part, "REPORT_SECONDS", 0.0)  # at every wake-up, not hourly
    a = open_catalog(tmp_path / "a", database_url=postgres_url, seed=False)
    b = open_catalog(tmp_path / "b", database_url=postgres_url, seed=False)
    key = upkeep.DESKTOP_PREFIX + a.desktop

    def said() -> int:
        with a.engine.connect() as connection:
            value = connection.scalar(select(CatalogSetting.value).where(CatalogSetting.key == key))
        return json.loads(value)["through"]

    try:
        a.service.team.listen(poll=0.2)
        b.service.documents.create_document(NewDocument(kind="report", title="Zhuhai port logistics"))
        last = _last_seq(a.engine)
        deadline = time.monotonic() + 60
        while said() < last and time.monotonic() < deadline:
            time.sleep(0.1)
        assert said() == last  # without a.close(): the pruning may take what it applied
    finally:
        b.close()
        a.close()
