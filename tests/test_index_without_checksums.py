"""An index whose checksums are missing is rebuilt at open (#17.7): bit rot
in it could not be told from what was written."""

from __future__ import annotations

import json

from finweek_desktop.core.search.checksums import CHECKSUMS_FILE
from finweek_desktop.core.startup import open_catalog


def _flip_bytes_in_the_biggest_file(index_dir):
    biggest = max((p for p in index_dir.iterdir() if p.is_file()), key=lambda p: p.stat().st_size)
    data = bytearray(biggest.read_bytes())
    for i in range(len(data) // 3, len(data) // 3 + 64):
        data[i] ^= 0xFF
    biggest.write_bytes(bytes(data))


def test_an_index_without_checksums_is_rebuilt_at_open_and_searches_after(data_dir, finweek):
    catalog = open_catalog(data_dir)
    index_dir = catalog.index.directory
    expected = [h.id for h in catalog.service.search("digital currency").hits]
    catalog.close()
    (index_dir / CHECKSUMS_FILE).unlink()  # as an index built before checksums existed
    _flip_bytes_in_the_biggest_file(index_dir)

    code, out, err = finweek("check", "--json")
    assert code == 0, err
    assert json.loads(out)["index_rebuilt_at_open"] == "without checksums"
    assert (index_dir / CHECKSUMS_FILE).is_file()
    catalog = open_catalog(data_dir)
    try:
        assert [h.id for h in catalog.service.search("digital currency").hits] == expected
    finally:
        catalog.close()
