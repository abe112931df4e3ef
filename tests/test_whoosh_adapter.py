"""Whoosh's internals are read in one module (whoosh_internals.py), and the
index checks that module against Whoosh's public matchers when it opens:
when they disagree, searches go through the public API alone and still find
the right documents."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest

from finweek_desktop.core.search import selfcheck, whoosh_internals
from finweek_desktop.core.search.index import SearchIndex
from finweek_desktop.core.search.matching import leaf_readers
from finweek_desktop.core.search.schema import IndexedDocument

SEARCH_PACKAGE = Path(whoosh_internals.__file__).parent
PHRASES = ["cross border capital", "capital markets of Macao", "横琴新区金融服务", "澳门保险市场"]


def _documents(n: int, start: int = 1):
    for i in range(start, start + n):
        yield IndexedDocument(
            id=i,
            kind="report" if i % 3 else "blue_paper",
            title=f"Document {i} {'insurance bonds' if i % 4 == 0 else 'annual review'}",
            summary=f"finance {'financial markets ' * (i % 3)}{PHRASES[i % len(PHRASES)]} rare{i}word",
            content=f"padding {'text ' * (i % 11)} investment" if i % 2 else "other",
            tags=("insurance",) if i % 5 == 0 else ("fintech",),
            date=f"{2010 + i % 12}-0{1 + i % 9}",
        )


@pytest.fixture
def index_dir(tmp_path):
    """An index of three segments with deletions, closed."""
    directory = tmp_path / "index"
    ix = SearchIndex(directory)
    ix.open()
    ix.add_many(_documents(260))
    ix.upsert(_documents(40, start=261))
    ix.upsert(_documents(10, start=20))  # replaced: deletions in the first segment
    ix.delete([7, 270])
    ix.close()
    return directory


# Queries of every feature, with what they are asked for: (text, kinds, tags, sort).
QUERIES = [
    ("finance", (), (), "relevance"),
    ("financial markets", (), (), "relevance"),
    ('"cross border"', (), (), "relevance"),
    ("横琴", (), (), "relevance"),
    ("澳门保险", (), (), "relevance"),
    ("fin*", (), (), "relevance"),
    ("title:insurance", (), (), "relevance"),
    ("tag:insurance", (), (), "relevance"),
    ("kind:blue_paper investment", (), (), "relevance"),
    ("finance date:[2012 TO 2014]", (), (), "relevance"),
    ("finance NOT insurance", (), (), "relevance"),
    ("finance", ("report",), ("fintech",), "relevance"),
    ("finance", (), (), "date"),
    ("rare17word", (), (), "relevance"),
]


def _answers(ix: SearchIndex):
    out = {}
    for text, kinds, tags, sort in QUERIES:
        results = ix.search(text, limit=None, kinds=kinds, tags=tags, sort=sort)
        out[text, kinds, tags, sort] = (
            results.total,
            sorted(h.id for h in results.hits),
            results.kind_counts,
            results.tag_counts,
            {h.id: h.snippet for h in results.hits if h.id in (1, 2, 17, 40)},
        )
    return out


def test_the_self_check_passes_on_a_real_index_and_samples_every_kind_of_term(index_dir):
    ix = SearchIndex(index_dir)
    assert ix.open() is False
    assert ix.fast_path_problem is None
    searcher = ix._current_searcher()
    outcome = selfcheck.check(searcher)
    assert outcome.problem is None and outcome.terms >= 4
    reader = max((r for r, _o in leaf_readers(searcher)), key=lambda r: r.doc_count_all())
    sampled = selfcheck.sample_terms(reader)
    fields = {f for f, _b in sampled}
    assert {"body", "title", "tag"} <= fields
    frequencies = [reader.doc_frequency(f, b) for f, b in sampled]
    assert max(frequencies) > 128  # postings in more than one block
    assert min(frequencies) == 1  # postings inlined in the terms file
    ix.close()


def test_a_fast_path_that_disagrees_falls_back_to_the_public_api_with_the_same_documents(
        index_dir, monkeypatch, caplog):
    fast = SearchIndex(index_dir)
    fast.open()
    expected = _answers(fast)
    fast.close()

    real = whoosh_internals.read_postings

    def drops_the_last_posting(reader, fieldname, btext, with_values=False):
        read = real(reader, fieldname, btext, with_values)
        if len(read.ids) < 2:
            return read
        return whoosh_internals.Postings(read.ids[:-1], read.weights[:-1],
                                         read.values[:-1] if read.values is not None else None)

    monkeypatch.setattr(whoosh_internals, "read_postings", drops_the_last_posting)
    ix = SearchIndex(index_dir)
    with caplog.at_level(logging.WARNING, logger="finweek_desktop.core.search.index"):
        ix.open()
        ix.open()  # a second open, the same problem: not logged again
    assert ix.fast_path_problem is not None
    assert "disagrees with Whoosh" in ix.fast_path_problem
    logged = [r for r in caplog.records if "public API" in r.getMessage()]
    assert len(logged) == 1 and ix.fast_path_problem in logged[0].getMessage()

    # The same documents, counts and snippets for every feature; and the
    # broken reader is not used (it would lose documents).
    assert _answers(ix) == expected
    ix.close()


def test_another_whoosh_release_turns_the_fast_path_off(index_dir, monkeypatch):
    monkeypatch.setattr(whoosh_internals, "installed_release", lambda: "2.7.6")
    ix = SearchIndex(index_dir)
    ix.open()
    assert ix.fast_path_problem is not None and "2.7.6" in ix.fast_path_problem
    assert "2.7.5" in ix.fast_path_problem
    assert ix.search("finance", limit=5).total == 298
    # Checksums still find the segments' files, through Whoosh's public TOC.
    assert whoosh_internals.segment_ids(ix.ix)
    assert ix.verify() == []
    ix.close()


def test_an_index_opened_empty_checks_the_fast_path_once_it_holds_documents(tmp_path):
    ix = SearchIndex(tmp_path / "index")
    assert ix.open() is True
    ix.upsert(_documents(30))
    assert ix.search("finance").total == 30
    assert ix.fast_path_problem is None and ix._fast_path_checked
    ix.close()


def test_the_installed_whoosh_is_the_release_the_adapter_was_checked_against():
    assert whoosh_internals.release_problem() is None
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    assert f'"whoosh-reloaded=={whoosh_internals.CHECKED_RELEASE}"' in pyproject


def _private_uses(path: Path) -> list[str]:
    """obj._name where obj is not self/cls, and from-imports of _names."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                found.append(f"{path.name}:{node.lineno} .{node.attr}")
        if isinstance(node, ast.ImportFrom):
            found += [f"{path.name}:{node.lineno} import {a.name}" for a in node.names
                      if a.name.startswith("_")]
    return found


def test_only_the_adapter_reaches_into_underscored_names():
    uses = []
    for path in sorted(SEARCH_PACKAGE.glob("*.py")):
        if path.name != "whoosh_internals.py":
            uses += _private_uses(path)
    assert uses == []
