"""The `finweek` command, run in-process as a user would type it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from finweek_desktop.cli import main


def test_first_command_creates_and_seeds_the_catalog(finweek, data_dir):
    code, out, _ = finweek("search", "digital currency")
    assert code == 0
    assert "2020 Digital Currency Blue Paper" in out
    assert "**digital** **currency**" in out  # highlighted (not a tty)
    assert (data_dir / "catalog.sqlite3").exists()


def test_search_json_is_stable_and_finds_chinese(finweek):
    code, out, _ = finweek("search", "横琴", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["total"] >= 1
    hit = data["hits"][0]
    assert set(hit) >= {"id", "kind", "title", "date", "tags", "organizations", "score", "snippet"}
    assert set(data["facets"]) == {"kind", "tag"}


def test_list_by_kind(finweek):
    code, out, _ = finweek("list", "--kind", "initiative", "--json")
    assert code == 0
    assert [d["title"] for d in json.loads(out)] == ["Digital Alliance Initiative"]


def test_add_tag_untag_and_tags(finweek):
    code, out, _ = finweek(
        "add", "--kind", "report", "--title", "My notes", "--tag", "insurance", "--date", "2020-11-20", "--json"
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["date"] == "2020-11-20" and doc["tags"] == ["insurance"]

    assert finweek("tag", str(doc["id"]), "cross-border-capital")[0] == 0
    _, out, _ = finweek("search", "tag:cross-border-capital", "--json")
    assert doc["id"] in [h["id"] for h in json.loads(out)["hits"]]

    _, out, _ = finweek("tags", "--json")
    counts = {t["name"]: t["count"] for t in json.loads(out)}
    assert counts["cross-border-capital"] == 2 and counts["insurance"] == 2

    assert finweek("tag", str(doc["id"]), "cross-border-capital", "--remove")[0] == 0
    _, out, _ = finweek("tags", "--json")
    assert {t["name"]: t["count"] for t in json.loads(out)}["cross-border-capital"] == 1


def test_show_edit_delete(finweek):
    _, out, _ = finweek("add", "--kind", "report", "--title", "Draft", "--org", "CEIS:author", "--json")
    doc_id = str(json.loads(out)["id"])
    code, out, _ = finweek("edit", doc_id, "--title", "Final", "--date", "2020-11", "--kind", "blue-paper", "--json")
    edited = json.loads(out)
    assert (edited["title"], edited["date"], edited["kind"]) == ("Final", "2020-11", "blue_paper")
    code, out, _ = finweek("show", doc_id, "--json")
    shown = json.loads(out)
    assert shown["organizations"] == [{"name": "China Economic Information Service", "role": "author"}]
    assert finweek("delete", doc_id)[0] == 0
    code, _, err = finweek("show", doc_id)
    assert code == 1 and err.strip() == f"finweek: error: no document with id {doc_id}"


@pytest.mark.parametrize(
    "argv, message",
    [
        (("add", "--kind", "memo", "--title", "x"), "unknown kind 'memo'"),
        (("add", "--kind", "report", "--title", "x", "--date", "2020-13"), "invalid date"),
        (("tag", "999", "x"), "no document with id 999"),
        (("search", "title:"), "nothing to search for"),
        (("search", "colour:red"), "unknown field"),
        (("edit", "1"), "nothing to change"),
    ],
)
def test_errors_are_one_line_on_stderr_with_nonzero_exit(finweek, argv, message):
    code, out, err = finweek(*argv)
    assert code != 0
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_check_and_repair(finweek, data_dir):
    from finweek_desktop.core.startup import open_catalog

    assert finweek("check")[0] == 0
    catalog = open_catalog(data_dir)
    catalog.index.delete([1])
    catalog.close()
    code, out, _ = finweek("check", "--json")
    assert code == 1 and json.loads(out)["missing_from_index"] == [1]
    code, out, _ = finweek("check", "--repair")
    assert code == 0 and "Repaired" in out
    assert finweek("check")[0] == 0


def test_reindex(finweek):
    code, out, _ = finweek("reindex")
    assert code == 0 and "Indexed 9 documents" in out


def test_data_dir_from_environment(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FINWEEK_DATA_DIR", str(tmp_path / "from-env"))
    assert main(["list", "--json"]) == 0
    assert (tmp_path / "from-env" / "catalog.sqlite3").exists()


def test_console_script_runs(data_dir):
    result = subprocess.run(
        [sys.executable, "-m", "finweek_desktop.cli", "--data-dir", str(data_dir), "event"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "3rd Shizimen Finance Week" in result.stdout
    assert "191,000 m²" in result.stdout


@pytest.mark.parametrize(
    "argv",
    [
        ("show", "99999999999999999999999"),  # beyond any database integer
        ("show", "abc"),
        ("tag", "1", "99999999999999999999", "x"),
        ("detach", "1", "-3"),
        ("list", "--limit", "-1"),  # SQLite would take it as "no limit", PostgreSQL refuse it
        ("search", "--limit", "0", "hengqin"),
    ],
)
def test_bad_numbers_are_one_line_errors(finweek, argv):
    with pytest.raises(SystemExit) as exit_info:
        finweek(*argv)
    assert exit_info.value.code != 0


def test_usage_errors_are_one_line(data_dir):
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from finweek_desktop.cli import main; sys.exit(main())",
         "--data-dir", str(data_dir), "show", "99999999999999999999999"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "argument id" in result.stderr and "Traceback" not in result.stderr


def test_a_damaged_database_is_a_one_line_error(finweek, data_dir):
    data_dir.mkdir(parents=True)
    (data_dir / "catalog.sqlite3").write_bytes(b"this is not a database " * 100)
    code, out, err = finweek("list")
    assert code == 1
    assert err.strip().splitlines() == [err.strip()], err
    assert "file is not a database" in err
    assert (data_dir / "catalog.sqlite3").read_bytes() == b"this is not a database " * 100  # left as it was


def test_a_query_starting_with_a_dash_is_explained(finweek, capsys):
    with pytest.raises(SystemExit) as exit_info:
        finweek("search", "-digital")
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "finweek search -- -word" in err and len(err.strip().splitlines()) == 1
    code, out, _ = finweek("search", "--", "-digital")
    assert code == 0 and "Digital Currency Blue Paper" in out


def test_data_dir_option_beats_the_environment(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FINWEEK_DATA_DIR", str(tmp_path / "from-env"))
    assert main(["--data-dir", str(tmp_path / "from-option"), "list", "--json"]) == 0
    assert (tmp_path / "from-option" / "catalog.sqlite3").exists()
    assert not (tmp_path / "from-env").exists()


def test_default_data_dir_is_the_platform_user_data_folder(tmp_path, monkeypatch):
    from finweek_desktop.core.paths import resolve_data_dir

    monkeypatch.delenv("FINWEEK_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert resolve_data_dir(None) == tmp_path / "xdg" / "finweek-desktop"


def test_edit_moves_a_record_to_another_session_and_undo_moves_it_back(finweek):
    record = next(d for d in json.loads(finweek("list", "--kind", "session_record", "--json")[1])
                  if d["title"] == "Consulting sessions")
    code, out, err = finweek("edit", str(record["id"]), "--session", "Theme forums", "--json")
    assert code == 0, err
    assert json.loads(out)["session"] == "Theme forums"
    assert finweek("undo")[0] == 0
    assert json.loads(finweek("show", str(record["id"]), "--json")[1])["session"] != "Theme forums"
    code, _, err = finweek("edit", str(record["id"]), "--session", "No such session")
    assert code == 1 and "session" in err
