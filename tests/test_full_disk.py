"""A full disk (#17.3): reading goes on, a write is refused saying where and
how much to free, and once space is freed everything works again with no
repair. On a real, small tmpfs; skipped where one cannot be mounted."""

from __future__ import annotations

import json
import subprocess

import pytest


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk):
    filler = disk / "filler"
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
        except OSError:
            pass
    return filler


def test_reads_work_on_a_full_disk_and_writes_resume_once_space_is_freed(small_disk, capsys):
    from finweek_desktop.cli import main

    def finweek(*argv):
        code = main(["--data-dir", str(small_disk / "data"), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    assert finweek("list")[0] == 0  # made and seeded while there was room
    filler = _fill(small_disk)

    code, out, _ = finweek("search", "digital currency")
    assert code == 0 and "2020 Digital Currency Blue Paper" in out
    code, out, _ = finweek("list", "--json")
    assert code == 0 and len(json.loads(out)) == 9
    code, out, _ = finweek("check", "--json")
    assert code == 0 and json.loads(out)["ok"]

    code, _, err = finweek("add", "--kind", "report", "--title", "Written on a full disk")
    assert code == 1
    assert "nothing was written" in err and str(small_disk / "data") in err and "free at least 64 MB" in err
    assert "Traceback" not in err

    filler.unlink()
    code, out, err = finweek("add", "--kind", "report", "--title", "Written once freed")
    assert code == 0, err
    assert "Written once freed" in finweek("search", "once freed")[1]
    assert finweek("check")[0] == 0
