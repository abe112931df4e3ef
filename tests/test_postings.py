"""The postings readers (whoosh_internals.py, cached by postings.py) read
what Whoosh writes: a term's ids and weights equal Whoosh's matcher,
positions of many postings at once equal Whoosh's own decoder, one posting
at a time."""

from __future__ import annotations

import pickle
import random

import numpy as np
import pytest
from whoosh.formats import Positions

from finweek_desktop.core.search import postings, whoosh_internals
from finweek_desktop.core.search.index import SearchIndex
from finweek_desktop.core.search.matching import leaf_readers
from finweek_desktop.core.search.postings import segment_id
from finweek_desktop.core.search.schema import IndexedDocument

FORMAT = Positions()


def _decode_all(values, owners):
    docs, where = whoosh_internals.positions(values, np.array(owners, dtype=np.int64), FORMAT.decode_positions)
    out: dict[int, list[int]] = {}
    for doc, pos in zip(docs.tolist(), where.tolist()):
        out.setdefault(doc, []).append(pos)
    return out


def test_positions_equal_whooshs_decoder():
    rng = random.Random(7)
    lists = [
        [0], [5], [300], [70000],                       # one int: K, M, J opcodes
        [0, 1, 2], [3, 255, 256, 65535, 65536, 2**31 - 1],  # every width, in one list
        sorted(rng.sample(range(200_000), 2500)),       # > 1000: pickle splits APPENDS
    ]
    lists += [sorted(rng.sample(range(5000), rng.randint(1, 40))) for _ in range(200)]
    values = [FORMAT.encode(p) for p in lists]
    owners = list(range(10, 10 + len(lists)))
    decoded = _decode_all(values, owners)
    assert decoded == {owner: FORMAT.decode_positions(v) for owner, v in zip(owners, values)}


def test_values_of_another_shape_are_decoded_one_by_one():
    class Doubled(Positions):
        def decode_positions(self, valuestring):
            return [2 * p for p in super().decode_positions(valuestring)]

    good = FORMAT.encode([1, 4])
    odd = good[:4] + b"\x80\x03" + good[6:]  # another pickle protocol
    decoded = whoosh_internals.positions([good, odd], np.array([1, 2]), Doubled().decode_positions)
    assert decoded[0].tolist() == [1, 1, 2, 2]
    assert decoded[1].tolist() == [2, 8, 2, 8]  # the fallback decoder ran for all


def test_no_values_no_positions():
    docs, where = whoosh_internals.positions([], np.zeros(0, dtype=np.int64), FORMAT.decode_positions)
    assert len(docs) == len(where) == 0


@pytest.mark.parametrize("n", [1, 2, 3, 4, 128])
def test_ids_and_weights_come_out_of_a_block_without_its_values(n, monkeypatch):
    ids = tuple(range(1, n + 1))
    weights = tuple(float(i % 5 + 1) for i in range(n))
    values = tuple(FORMAT.encode([i, i + 3]) for i in range(n))
    raw = pickle.dumps((ids, weights, values), 2)
    calls = []
    real_loads = pickle.loads
    monkeypatch.setattr(whoosh_internals.pickle, "loads", lambda data: calls.append(len(data)) or real_loads(data))
    assert whoosh_internals._ids_and_weights(raw, n) == (ids, weights)
    assert calls and calls[0] < len(raw)  # the values were cut off, not unpickled


@pytest.mark.parametrize("block", [((1, 2), None, None), ((4,), 2.0, (b"x",)), ((1, 2), (1.0, 3.0), ())])
def test_blocks_of_other_shapes_are_read_whole(block):
    raw = pickle.dumps(block, 2)
    assert whoosh_internals._ids_and_weights(raw, len(block[0])) == block[:2]


def test_a_terms_postings_equal_whooshs_matcher(tmp_path):
    ix = SearchIndex(tmp_path / "index")
    ix.open()
    words = ["alpha", "beta", "gamma", "delta"]
    ix.add_many(
        IndexedDocument(id=i, kind="report", title=f"T{i}",
                        content=" ".join(words[j % 4] for j in range(i % 7 + 1)) + " common " * (i % 3 + 1))
        for i in range(1, 400)
    )
    reader = next(r for r, _o in leaf_readers(ix._current_searcher()))
    checked = 0
    for btext in reader.lexicon("body"):
        matcher = reader.postings("body", btext)  # Whoosh's public matcher (no deletions here)
        expected_ids, expected_weights = [], []
        while matcher.is_active():
            expected_ids.append(matcher.id())
            expected_weights.append(matcher.weight())
            matcher.next()
        read = postings.read(reader, "body", btext)
        assert read.ids.tolist() == expected_ids
        assert read.weights.tolist() == pytest.approx(expected_weights)
        checked += 1
    assert checked >= 5
    ix.close()


def _index_with_segments(tmp_path, batches):
    ix = SearchIndex(tmp_path / "index")
    ix.open()
    for batch in batches:
        ix.upsert(IndexedDocument(id=i, kind="report", title=f"T{i}", content=f"common word{i % 5}")
                  for i in batch)
    return ix


def test_the_postings_cache_gives_what_reading_gives_and_keeps_it(tmp_path):
    ix = _index_with_segments(tmp_path, [range(1, 300)])
    reader = next(r for r, _o in leaf_readers(ix._current_searcher()))
    cache = postings.PostingsCache()
    first = cache.read(reader, "body", b"common")
    assert first.ids.tolist() == postings.read(reader, "body", b"common").ids.tolist()
    assert cache.read(reader, "body", b"common") is first  # no second read
    with_positions = cache.read(reader, "body", b"common", with_values=True)
    assert with_positions is not first and len(with_positions.values) == len(first.ids)
    ix.close()


def test_the_postings_cache_stays_within_its_size_least_recently_used_out(tmp_path):
    ix = _index_with_segments(tmp_path, [range(1, 300)])
    reader = next(r for r, _o in leaf_readers(ix._current_searcher()))
    one = postings.read(reader, "body", b"common")
    cache = postings.PostingsCache(max_bytes=4 * (one.ids.nbytes + one.weights.nbytes + 64) + 1)
    kept = cache.read(reader, "body", b"common")
    for word in (b"word0", b"word1", b"word2", b"word3", b"word4"):
        cache.read(reader, "body", word)
        assert cache.read(reader, "body", b"common") is kept  # used: stays
    assert cache._bytes <= cache.max_bytes
    assert cache.read(reader, "body", b"word0") is not None
    ix.close()


def test_search_through_the_cache_sees_deletions_and_new_segments(tmp_path):
    ix = _index_with_segments(tmp_path, [range(1, 200)])
    assert ix.search("common", limit=None).total == 199
    ix.delete([5, 6])
    ix.upsert([IndexedDocument(id=500, kind="report", title="T500", content="common")])
    results = ix.search("common", limit=None)
    assert results.total == 198 and {5, 6}.isdisjoint(h.id for h in results.hits)
    assert 500 in {h.id for h in results.hits}
    live = {segment_id(r) for r, _o in leaf_readers(ix._current_searcher())}
    assert {key[0] for key in ix._postings._entries} <= live  # gone segments forgotten
    ix.close()
