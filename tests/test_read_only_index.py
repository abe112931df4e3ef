"""A read-only index folder (#17.8): reads go on, a write is saved and said
to be not yet searchable with the folder and what to do, `check` says the
folder is read-only, and once it is writable again the index catches up.

The tests run as root, whom ``chmod a-w`` does not stop: the folder is made
read-only by a read-only bind mount over it (as well as chmod), which stops
root too. Skipped where nothing can be mounted."""

from __future__ import annotations

import json
import subprocess

import pytest


@pytest.fixture
def read_only_index(data_dir, finweek):
    assert finweek("list")[0] == 0  # made and seeded while writable
    index = data_dir / "index"
    subprocess.run(["chmod", "-R", "a-w", str(index)], check=True)
    bound = subprocess.run(["mount", "--bind", str(index), str(index)], capture_output=True)
    if bound.returncode != 0:
        subprocess.run(["chmod", "-R", "u+w", str(index)], check=True)
        pytest.skip("cannot bind-mount here (needs root): root writes through chmod a-w")
    remounted = subprocess.run(["mount", "-o", "remount,bind,ro", str(index)], capture_output=True)

    def make_writable():
        subprocess.run(["umount", "-l", str(index)], check=False)
        subprocess.run(["chmod", "-R", "u+w", str(index)], check=False)

    if remounted.returncode != 0:
        make_writable()
        pytest.skip("cannot remount read-only here")
    yield index, make_writable
    make_writable()


def test_reads_work_and_writes_wait_in_a_read_only_index_folder(read_only_index, finweek):
    index, make_writable = read_only_index
    with pytest.raises(OSError):  # really read-only, even for root
        (index / "probe").write_text("x")

    code, out, err = finweek("search", "digital currency")
    assert code == 0 and "2020 Digital Currency Blue Paper" in out, err
    code, out, _ = finweek("list", "--json")
    assert code == 0 and len(json.loads(out)) == 9

    code, out, err = finweek("add", "--kind", "report", "--title", "Written beside a read-only index")
    assert code == 0, err
    assert "Added [10]" in out
    lines = err.strip().splitlines()
    assert lines == [
        "finweek: saved; it will be searchable in a moment",
        f"finweek: the search index folder {index} is read-only: make it writable again "
        f"(chmod -R u+w '{index}', or remount it read-write), and what was saved meanwhile becomes searchable",
    ], err
    code, out, err = finweek("tag", "10", "fintech")
    assert code == 0 and "Traceback" not in err and str(index) in err

    code, out, _ = finweek("check", "--json")
    report = json.loads(out)
    assert code == 1 and not report["ok"]
    assert report["missing_from_index"] == [10]
    assert any("is read-only" in p and str(index) in p for p in report["problems"])
    code, out, err = finweek("check")
    assert f"the search index folder {index} is read-only" in out and "Traceback" not in err
    # Not in the word index yet (search by meaning, which follows the log on
    # its own, may already find it: the catalog database describes its hit).
    assert finweek("search", "--mode", "words", "read-only index")[1].startswith("No documents match")
    code, _, err = finweek("reindex")  # refused before it builds anything
    assert code == 1 and "is read-only" in err
    assert not index.with_name("index.rebuild").exists()

    make_writable()
    code, out, err = finweek("search", "read-only index")  # caught up at open
    assert code == 0 and "Written beside a read-only index" in out, err
    code, out, _ = finweek("search", "tag:fintech read-only")
    assert "Written beside a read-only index" in out
    code, out, _ = finweek("check")
    assert code == 0 and "agree" in out


@pytest.fixture
def read_only_index_without_checksums(data_dir, finweek):
    assert finweek("list")[0] == 0
    (data_dir / "index" / "finweek-index-checksums.json").unlink()  # built before checksums
    yield from _read_only(data_dir / "index")


def _read_only(index):
    bound = subprocess.run(["mount", "--bind", str(index), str(index)], capture_output=True)
    if bound.returncode != 0:
        pytest.skip("cannot bind-mount here (needs root)")
    if subprocess.run(["mount", "-o", "remount,bind,ro", str(index)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(index)], check=False)
        pytest.skip("cannot remount read-only here")
    yield index, lambda: subprocess.run(["umount", "-l", str(index)], check=False)
    subprocess.run(["umount", "-l", str(index)], check=False)


def test_an_index_that_should_get_checksums_is_searched_as_it_is_while_read_only(
    read_only_index_without_checksums, finweek
):
    # Opening wants to rebuild an index without checksums (#17.7); in a
    # read-only folder it cannot, and reads must not fail for it.
    index, make_writable = read_only_index_without_checksums
    code, out, err = finweek("search", "digital currency")
    assert code == 0 and "2020 Digital Currency Blue Paper" in out, err
    assert "Traceback" not in err
    code, out, err = finweek("add", "--kind", "report", "--title", "Added while it is read-only")
    assert code == 0 and "is read-only" in err and "Traceback" not in err
    code, out, _ = finweek("check")
    assert code == 1 and f"the search index folder {index} is read-only" in out
    make_writable()
    code, out, err = finweek("search", "while it is read-only")  # rebuilt with checksums at open
    assert code == 0 and "Added while it is read-only" in out, err
    assert (index / "finweek-index-checksums.json").is_file()
    assert finweek("check")[0] == 0
