"""A paragraph pasted from a document is searched as the passage it is, and
finds that document first (#17.4)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from finweek_desktop.core.search.index import SearchIndex
from finweek_desktop.core.search.schema import IndexedDocument

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import corpus

PASSAGES = {
    9001: ("横琴粤澳深度合作区建设总体方案提出，要发展科技研发和高端制造产业，培育中医药等澳门品牌工业，"
           "发展文旅会展商贸产业，发展现代金融产业。合作区将推动跨境资金流动自由便利，支持澳门银行在合作区"
           "设立分支机构，探索构建电子围网系统。"),
    9002: ("数字人民币试点在粤港澳大湾区稳步推进，跨境支付场景不断丰富。多家银行推出跨境理财通业务，"
           "便利居民投资港澳金融产品。监管部门强调，要守住不发生系统性金融风险的底线，加强跨境资金流动监测。"),
    9003: ("澳门特区政府公布经济适度多元发展规划，提出做强做优博彩旅游业，同时发展中医药大健康、现代金融、"
           "高新技术、会展商贸和文化体育等重点产业，推动澳门经济可持续发展。"),
    9004: ("The Macao financial services sector has grown steadily since the opening of the Hengqin cooperation "
           "zone, with cross-border wealth management connect allowing residents of the Greater Bay Area to "
           "invest in products distributed by banks in Macao and Hong Kong. Regulators stressed that liquidity "
           "monitoring and anti-money laundering compliance remain priorities for the coming year."),
    9005: ("Green bond issuance in Macao reached a record as the central securities depository began operating, "
           "and regional banks listed renminbi denominated debt for investors from Portuguese-speaking "
           "countries. The stock exchange project remains under study by the monetary authority."),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    ix = SearchIndex(tmp_path_factory.mktemp("passages") / "index")
    ix.open()
    filler = []
    for i in range(200):
        item = corpus.document(i)
        filler.append(IndexedDocument(id=i + 1, kind="report", title=item.document.title,
                                      summary=item.document.summary or "", content=item.content[:3000]))
    ix.add_many(filler)
    ix.add_many(IndexedDocument(id=doc_id, kind="report", title=f"Document {doc_id}",
                                summary="A note on the region.", content=f"Introduction.\n\n{text}\n\nConclusion.")
                for doc_id, text in PASSAGES.items())
    yield ix
    ix.close()


def _garbled(text: str) -> str:
    """What a copy out of a PDF gives: a line break mid-sentence, a word
    or a character misread, a page number."""
    middle = len(text) // 2
    text = text[:middle] + "\n" + text[middle:]
    text = text.replace("steadily", "steadly").replace("record", "rec0rd")
    text = text.replace("科技", "科技术").replace("试点", "试典").replace("博彩", "博采")
    return text + " (p. 12)"


@pytest.mark.parametrize("doc_id", sorted(PASSAGES))
def test_a_pasted_paragraph_finds_its_document_first(index, doc_id):
    results = index.search(_garbled(PASSAGES[doc_id]), limit=10)
    assert results.hits and results.hits[0].id == doc_id, [h.id for h in results.hits]
    assert results.notice and "passage" in results.notice


@pytest.mark.parametrize("doc_id", sorted(PASSAGES))
def test_a_sentence_of_it_finds_it_too(index, doc_id):
    text = PASSAGES[doc_id]
    sentence = text[: len(text) // 2]
    results = index.search(sentence, limit=10)
    assert results.hits and results.hits[0].id == doc_id, [h.id for h in results.hits]


def test_a_passage_is_a_share_of_its_rarest_words_not_any_of_them(index):
    results = index.search(_garbled(PASSAGES[9004]), limit=None)
    # Not every document holding "macao" or "banks": only those holding
    # half of the passage's most selective words.
    assert results.total < 20
    assert index.search("macao", limit=None).total > results.total


def test_typed_queries_are_not_passages(index):
    assert index.parse("macao financial services").passage is None
    assert index.parse("横琴金融").passage is None
    long_with_syntax = "title:macao financial services sector grown steadily opening hengqin cooperation zone wealth"
    assert index.parse(long_with_syntax).passage is None
    assert index.parse("macao AND financial AND services AND sector AND grown AND steadily AND opening AND "
                       "hengqin AND cooperation AND zone AND wealth AND banks").passage is None
    assert index.parse(PASSAGES[9004]).passage is not None


def test_a_passage_of_words_the_catalog_lacks_finds_nothing_and_says_why(index):
    results = index.search("zqxwv " * 3 + " ".join(f"nonword{i}x" for i in range(14)))
    assert results.total == 0
    assert "none of its words" in results.notice


def test_a_passage_of_common_words_only_reads_fewer_of_them(index):
    # #17.4: a paragraph of words in most documents read the postings of 12
    # of them (1.5 s at 50,000 documents); their frequencies now add up to at
    # most PASSAGE_POSTINGS times the catalog, with at least PASSAGE_MIN_TERMS words.
    import run  # benchmarks/run.py: its query set holds such a paragraph

    from finweek_desktop.core.search import query

    passage = run.common_words_paragraph()["q"]
    assert 900 < len(passage) <= 1000
    results = index.search(passage, limit=10)
    assert results.notice.startswith("Searched as a passage: documents holding")
    chosen = results.notice.rsplit("(", 1)[1].rstrip(")").split()
    assert query.PASSAGE_MIN_TERMS <= len(chosen) < query.PASSAGE_TERMS
    assert results.total > 0
    # A distinctive passage still reads its twelve rarest words.
    assert f"of its {query.PASSAGE_TERMS} most distinctive" in index.search(PASSAGES[9004]).notice
