"""The analyzer's output is pinned together with ANALYZER_VERSION.

An index built with one analysis and searched with another silently misses
documents; the version is what makes the catalog rebuild it (see
test_multilingual_search.py). So a change to the tokens below must come with
a new version: change the analysis, see this test fail, bump
ANALYZER_VERSION in analysis.py, and write the new version and tokens here.
"""

from __future__ import annotations

from finweek_desktop.core.search import analysis
from finweek_desktop.core.search.schema import SCHEMA_VERSION, IndexedDocument

# English, Portuguese with accents and capitals, a hyphenated name, a
# Traditional run holding a phrase only OpenCC's phrase table folds (反覆),
# Simplified, a lone phrase-only word (瞭解), two phrase-table rewrites that
# are not folds (结束, 新抱), an e-word, a number, stop words.
SAMPLE = "Relatórios da ASSOCIAÇÃO: Hengqin-Macao reports 市場反覆討論，澳門保險 横琴新区 瞭解 会议结束 新抱怨 e-CNY 2020 of the"

EXPECTED_VERSION = 4

# (text, position, startchar, endchar) in index mode, English stemming.
EXPECTED_TOKENS = [
    ("relatorio", 0, 0, 10), ("da", 1, 11, 13), ("associacao", 2, 14, 24), ("hengqin", 3, 26, 33),
    ("macao", 4, 34, 39), ("report", 5, 40, 47),
    ("市场", 6, 48, 50), ("场反", 7, 49, 51), ("反复", 8, 50, 52), ("复讨", 9, 51, 53), ("讨论", 10, 52, 54),
    ("论", 10, 53, 54),
    ("澳门", 11, 55, 57), ("门保", 12, 56, 58), ("保险", 13, 57, 59), ("险", 13, 58, 59),
    ("横琴", 14, 60, 62), ("琴新", 15, 61, 63), ("新区", 16, 62, 64), ("区", 16, 63, 64),
    ("了解", 17, 65, 67), ("解", 17, 66, 67),
    ("会议", 18, 68, 70), ("议结", 19, 69, 71), ("结束", 20, 70, 72), ("束", 20, 71, 72),
    ("新抱", 21, 73, 75), ("抱怨", 22, 74, 76), ("怨", 22, 75, 76),
    ("e", 23, 77, 78), ("cni", 24, 79, 82), ("2020", 25, 83, 87),
]
# The Portuguese shadow fields' analyzer differs on Latin words only.
EXPECTED_PORTUGUESE_WORDS = ["relatori", "da", "associaca", "hengqin", "maca", "reports", "e", "cny", "2020"]
# What a query word becomes (bigrams only, no trailing character).
EXPECTED_QUERY = [
    "relatorio", "da", "associacao", "hengqin", "macao", "report", "市场", "场反", "反复", "复讨", "讨论",
    "澳门", "门保", "保险", "横琴", "琴新", "新区", "了解", "会议", "议结", "结束", "新抱", "抱怨", "e", "cni", "2020",
]
# Which undeclared texts get the Portuguese shadow fields.
EXPECTED_DETECTION = {
    "As associações de Macau e o relatório sobre a cooperação.": True,
    "No new rules as yet: do banks sell e-commerce cover in Macao?": False,
}


def _tokens(analyzer, mode="index"):
    return [(t.text, t.pos, t.startchar, t.endchar)
            for t in analyzer(SAMPLE, positions=True, chars=True, mode=mode)]


def test_analysis_matches_its_version():
    assert analysis.ANALYZER_VERSION == EXPECTED_VERSION, "update the expected tokens with the version"
    assert SCHEMA_VERSION.endswith(f".{EXPECTED_VERSION}")
    assert _tokens(analysis.multilingual_analyzer()) == EXPECTED_TOKENS
    portuguese = [text for text, *_ in _tokens(analysis.portuguese_analyzer()) if not analysis.contains_han(text)]
    assert portuguese == EXPECTED_PORTUGUESE_WORDS
    assert [text for text, *_ in _tokens(analysis.multilingual_analyzer(), mode="query")] == EXPECTED_QUERY
    for text, expected in EXPECTED_DETECTION.items():
        assert IndexedDocument(1, "report", "t", content=text).is_portuguese() is expected, text
