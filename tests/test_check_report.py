"""`finweek check` says when searches take Whoosh's public path."""

from __future__ import annotations

import json

from finweek_desktop.core.search import whoosh_internals


def test_check_reports_the_fast_path_turned_off_without_calling_it_a_fault(finweek, monkeypatch):
    assert json.loads(finweek("check", "--json")[1])["search_fast_path_off"] is None
    monkeypatch.setattr(whoosh_internals, "installed_release", lambda: "9.9.9")
    code, out, _ = finweek("check", "--json")
    data = json.loads(out)
    assert code == 0 and data["ok"]
    assert "9.9.9" in data["search_fast_path_off"]
    code, out, _ = finweek("check")
    assert code == 0 and "Searches use Whoosh's public API" in out and "9.9.9" in out
