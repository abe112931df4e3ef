"""Every query answers or is refused with a documented error, quickly (#17.4).

Random queries (operators, quotes, parentheses, unknown fields, *, ~, ^,
ranges, Chinese, emoji, control characters, lone surrogates, 10,000
characters) go through the core API; only QueryError and IndexDamaged may
come out. Speed is measured by benchmarks/fuzz_queries.py and run.py; here a
generous alarm only catches a hang.
"""

from __future__ import annotations

import signal
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from finweek_desktop.core.search import query as query_module
from finweek_desktop.core.search.index import IndexDamaged, SearchIndex
from finweek_desktop.core.search.query import QueryError
from finweek_desktop.core.search.schema import IndexedDocument

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import fuzz_queries

HANG_SECONDS = 20  # a query that takes this long hangs; the benchmark measures the real times


@contextmanager
def hang_guard(q: str):
    def fail(_signum, _frame):
        raise AssertionError(f"query hangs: {q[:200]!r}")

    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(HANG_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _search(service, q: str):
    with hang_guard(q):
        try:
            return service.search(q, limit=20)
        except (QueryError, IndexDamaged) as exc:
            message = str(exc)
            assert message and "\n" not in message, f"{q[:80]!r}: {message!r}"
            return exc


def test_a_few_hundred_random_queries_raise_only_documented_errors(service):
    failures = []
    for q in fuzz_queries.queries(300, seed=17):
        try:
            _search(service, q)
        except AssertionError:
            raise
        except Exception as exc:  # what must never escape
            failures.append(f"{q[:80]!r}: {exc.__class__.__name__}: {exc}")
    assert not failures, "\n".join(failures[:20])


@pytest.mark.parametrize("q", [
    "<(language:[2020 TO *]",  # IndexError in Whoosh's parser
    "(language:[2020 TO *] OR",
    "\ud800 finance",  # a lone surrogate: UnicodeEncodeError
    "finance \udc80x report",
    "date:2020 \ud83d",
    "fin\x00ance \x1b[31m bank \u202e",
    "(" * 5000 + "finance" + ")" * 5000,  # deeper than Python recurses
    "((((((((((((((((((((((((((finance))))))))))))))))))))))))))",
    "a" * 10000,
    "横" * 10000,
])
def test_queries_that_escaped_answer_or_are_refused_clearly(service, q):
    _search(service, q)


def test_a_query_longer_than_the_limit_is_refused_saying_so(service):
    with pytest.raises(QueryError, match="too long"):
        service.search("finance " * 1500)


def test_control_characters_and_lone_surrogates_are_spaces(service):
    clean = service.search("digital\x00currency", limit=None)
    assert clean.total == service.search("digital currency", limit=None).total > 0
    assert service.search("digital \ud800currency", limit=None).total == clean.total


# -- too broad ------------------------------------------------------------------


def _words_index(tmp_path, n_words: int = 300) -> SearchIndex:
    ix = SearchIndex(tmp_path / "index")
    ix.open()
    ix.add_many(IndexedDocument(id=i, kind="report", title=f"Report {i}",
                                summary=f"alpha{i:04d} beta{i:04d} gamma finance", tags=(f"tag{i}",))
                for i in range(1, n_words + 1))
    return ix


@pytest.mark.parametrize("q", ["*a*", "a*", "alpha0*", "alph?0*", "alpha0~", "tag:*", "summary:?lpha*"])
def test_an_expansion_past_the_bound_is_refused_as_too_broad(tmp_path, monkeypatch, q):
    ix = _words_index(tmp_path)
    monkeypatch.setattr(query_module, "EXPANSION_SCAN", 50)
    try:
        with pytest.raises(QueryError, match="too broad"):
            ix.search(q)
        # The index is not taken for damaged, and other queries still answer.
        assert ix.search("gamma").total == 300
    finally:
        ix.close()


def test_expansions_within_the_bound_are_capped_to_the_most_frequent_words(tmp_path, monkeypatch):
    ix = _words_index(tmp_path)
    try:
        assert ix.search("alpha000?").total == 9  # alpha0001..alpha0009
        assert ix.search("*ta0001").total == 1
        assert ix.search("alpha0001~").total == 21  # the words one edit away
        monkeypatch.setattr(query_module, "FUZZY_EXPANSIONS", 5)
        assert ix.search("alpha0001~").total == 5
        assert ix.search("*a0*", limit=None).total == query_module.WILDCARD_EXPANSIONS
    finally:
        ix.close()


def test_a_fuzzy_distance_is_bounded(tmp_path):
    ix = _words_index(tmp_path, 20)
    try:
        parsed = ix.parse("alpha0001~9")
        assert all(getattr(q, "maxdist", 0) <= query_module.FUZZY_MAX_DISTANCE for q in parsed.query.leaves())
    finally:
        ix.close()


def test_all_expansions_of_a_search_share_one_budget(tmp_path, monkeypatch):
    ix = _words_index(tmp_path)
    try:
        # Each term alone is within the bound; together they look through too many words.
        monkeypatch.setattr(query_module, "EXPANSION_BUDGET", 2000)
        assert ix.search("alpha*").total == query_module.PREFIX_EXPANSIONS
        with pytest.raises(QueryError, match="too broad"):
            ix.search("alpha* OR beta* OR a* OR b* OR *a OR *0 OR ?lpha* OR ?eta*")
    finally:
        ix.close()


def test_the_results_of_a_query_with_a_lone_surrogate_can_be_printed(service):
    results = service.search("digital \ud800currency")
    assert results.text.encode("utf-8") == b"digital  currency"


def test_syntax_the_parser_cannot_read_is_searched_as_words_with_a_plain_notice(service):
    results = service.search("NOT " * 40 + "digital currency")
    assert results.notice and "syntax could not be read" in results.notice
    assert "index" not in results.notice  # no "list index out of range"
