"""Search in Simplified and Traditional Chinese, Portuguese and English,
each rule checked against a real Whoosh index in tmp_path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.search import analysis
from finweek_desktop.core.search.index import VERSION_FILE, SearchIndex
from finweek_desktop.core.search.schema import SCHEMA_VERSION, IndexedDocument
from finweek_desktop.core.startup import open_catalog

ROOT = Path(__file__).resolve().parents[1]

DOCUMENTS = [
    IndexedDocument(1, "report", "横琴新区金融服务发展报告", summary="横琴新区金融服务业发展迅速，银行和保险机构不断聚集。", language="zh-Hans"),
    IndexedDocument(2, "report", "澳門保險業概況", summary="澳門的保險市場與橫琴的合作日益緊密。", language="zh-Hant"),
    IndexedDocument(3, "report", "横向比较", summary="横 琴 金 融 四个字分开出现，不是一个词。", language="zh-Hans"),
    IndexedDocument(4, "report", "珠海环保", summary="珠海推动环保。", language="zh-Hans"),
    IndexedDocument(5, "report", "Relatório anual da Associação", summary="Os relatórios da ASSOCIAÇÃO descrevem a cooperação entre Macau e Hengqin.", language="pt"),
    IndexedDocument(6, "report", "Nota da associacao", summary="A associacao publicou um relatório sobre seguros.", language="pt-MO"),
    IndexedDocument(7, "report", "Hengqin insurance reports", summary="Reports on the insurance market of Hengqin, with the key term 保险.", language="en"),
    IndexedDocument(8, "report", "Hengqin industrial park", summary="An industrial park on Hengqin island for fintech firms.", language="en"),
    IndexedDocument(9, "report", "澳门数字货币试点", summary="澳门居民参与数字货币试点。", language="zh-Hans"),
]


@pytest.fixture
def index(tmp_path):
    ix = SearchIndex(tmp_path / "index")
    assert ix.open() is True  # new: the caller must fill it
    ix.upsert(DOCUMENTS)
    yield ix
    ix.close()


def ids(index, text):
    return {hit.id for hit in index.search(text, limit=None).hits}


def snippet(index, text, doc_id):
    return next(hit.snippet for hit in index.search(text, limit=None).hits if hit.id == doc_id)


# -- Simplified / Traditional -----------------------------------------------------


def test_traditional_query_finds_simplified_documents_and_back(index):
    assert ids(index, "澳門") == {2, 9}
    assert ids(index, "澳门") == {2, 9}
    assert ids(index, "數字貨幣") == {9}
    assert ids(index, "橫琴") == {1, 2}


def test_snippets_keep_the_documents_own_script(index):
    assert "<b>澳門</b>" in snippet(index, "澳门", 2)
    assert "<b>澳门</b>" in snippet(index, "澳門", 9)


def test_folding_uses_opencc_phrases_not_only_characters():
    # 乾 alone is folded to 干, but not inside the name 乾隆: a phrase table
    # decides, which a character-by-character map cannot.
    assert analysis.to_simplified("乾燥") == "干燥"
    assert analysis.to_simplified("乾隆") == "乾隆"
    # offsets survive: one character out per character in
    assert len(analysis.to_simplified("澳門特別行政區")) == len("澳門特別行政區")


PHRASE_DOCUMENTS = [
    # 反覆 and 瞭解 inside runs that hold other Traditional characters (市場,
    # 討論, 風險...), and inside runs that hold none (各方反覆协商, 我们瞭解):
    # OpenCC's phrase table folds them to 反复 / 了解 in every case.
    IndexedDocument(1, "report", "理財產品", summary="市場反覆討論跨境理財，投資者已充分瞭解風險。", language="zh-Hant"),
    IndexedDocument(2, "report", "监管细则", summary="监管部门反复研究，企业希望了解细则。", language="zh-Hans"),
    IndexedDocument(3, "report", "协商纪要", summary="各方反覆协商，我们瞭解。", language="zh-Hans"),
    IndexedDocument(4, "report", "覆盖范围", summary="保险覆盖范围扩大，解释条款。", language="zh-Hans"),
]


@pytest.fixture
def phrase_index(tmp_path):
    ix = SearchIndex(tmp_path / "phrases")
    ix.open()
    ix.upsert(PHRASE_DOCUMENTS)
    yield ix
    ix.close()


@pytest.mark.parametrize("query", ["反覆", "反复", "瞭解", "了解"])
def test_phrase_only_folding_does_not_depend_on_the_neighbours(phrase_index, query):
    assert ids(phrase_index, query) == {1, 2, 3}


def test_phrase_only_folding_keeps_the_documents_script_in_snippets(phrase_index):
    assert "<b>反覆</b>" in snippet(phrase_index, "反复", 1)
    assert "<b>瞭解</b>" in snippet(phrase_index, "了解", 3)
    assert "<b>反复</b>" in snippet(phrase_index, "反覆", 2)


def test_folding_is_the_same_as_folding_the_whole_run():
    # Every entry of OpenCC's t2s phrase table, alone and between other
    # characters (Simplified, Traditional, both): the fold never depends on
    # whether the run happens to hold a character that changes on its own.
    phrases = analysis._t2s().dictionary.ts_phrases[0]
    for key in phrases:
        for run in (key, f"我们{key}", f"市場{key}", f"{key}协商", f"各方{key}討論"):
            assert analysis.to_simplified(run) == analysis.fold_whole(run), run
    for traditional, simplified in (("反覆", "反复"), ("批覆", "批复"), ("瞭解", "了解"), ("回覆", "回复"), ("藉口", "借口")):
        assert analysis.to_simplified(traditional) == simplified
        assert analysis.to_simplified("我们" + traditional) == "我们" + simplified
        assert analysis.to_simplified("市場" + traditional) == "市场" + simplified


def test_phrase_rewrites_that_are_not_folds_are_left_out():
    # OpenCC's t2s phrase table maps 结束 (Simplified) to 結束 (Traditional)
    # and rewrites 新抱 (Cantonese) as 媳妇: neither is a fold, and keeping
    # them would split 结束 from 結束 and hide 抱怨 inside 新抱怨.
    assert analysis.to_simplified("结束") == analysis.to_simplified("結束") == "结束"
    assert analysis.to_simplified("會議結束") == analysis.to_simplified("会议结束") == "会议结束"
    assert analysis.to_simplified("新抱怨") == "新抱怨"
    assert analysis.to_simplified("乾隆") == "乾隆" and analysis.to_simplified("乾燥") == "干燥"


def test_a_conversion_that_changes_length_keeps_one_character_per_character():
    # Not in OpenCC's t2s tables today, but offsets must survive one: only
    # the stretch whose length changed falls back to the character table.
    def by_character(ch):
        return {"門": "门", "區": "区"}.get(ch, ch)

    assert analysis.fit_length("澳門特區", "澳门特别区", by_character) == "澳门特区"
    assert analysis.fit_length("澳門特區", "澳门区", by_character) == "澳门特区"
    assert analysis.fit_length("澳門", "澳门", by_character) == "澳门"


# -- Chinese words ---------------------------------------------------------------


def test_word_inside_a_longer_run(index):
    assert ids(index, "横琴") == {1, 2}
    assert ids(index, "金融服务") == {1}


def test_multi_character_query_matches_its_words_not_its_characters(index):
    # 横琴 + 金融, each a phrase of bigrams, ANDed: matches 横琴新区金融服务,
    # not the document holding the four characters apart.
    assert ids(index, "横琴金融") == {1}
    query = str(index.parse("横琴金融").query)
    # (summary is indexed in body since schema 4)
    assert "body:横琴 AND body:金融" in query
    assert "body:琴金" not in query and "body:横 " not in query


def test_quoted_chinese_is_an_exact_phrase(index):
    assert ids(index, '"横琴新区"') == {1}
    assert ids(index, '"横琴金融"') == set()


def test_one_chinese_character_finds_documents(index):
    # 保 inside a run, and as the last character of one (环保)
    assert ids(index, "保") == {1, 2, 4, 7}
    assert ids(index, "險") == {1, 2, 7}
    assert "<b>保" in snippet(index, "保", 4)


def test_one_chinese_character_highlights_that_character_only(index):
    # The index matched 险 through the bigram 险市 (a prefix query): the
    # highlight is the character typed, not the bigram that held it.
    assert "保<b>險</b>市場" in snippet(index, "險", 2)
    assert "<b>保</b>險市場" in snippet(index, "保", 2)
    assert "<b>保</b>" in snippet(index, "保", 4)
    # A word query still highlights the word, and next to a one-character
    # prefix the spans join.
    assert "<b>保險</b>市場" in snippet(index, "保险", 2)
    assert "<b>保險</b>市場" in snippet(index, "保 保险", 2)


def test_two_scripts_in_one_query_are_anded(index):
    assert ids(index, "Hengqin 保险") == {7}
    assert ids(index, "Hengqin 保險") == {7}
    assert ids(index, "Hengqin OR 保险") == {1, 2, 5, 7, 8}


# -- accents, case, stemming -----------------------------------------------------------


@pytest.mark.parametrize("query", ["Associação", "associacao", "ASSOCIAÇÃO", "associações", "associacoes"])
def test_accent_and_case_folding(index, query):
    assert ids(index, query) == {5, 6}


@pytest.mark.parametrize("query", ["relatórios", "relatório", "relatorios", "RELATORIO"])
def test_portuguese_plural_and_singular(index, query):
    assert ids(index, query) == {5, 6}


def test_portuguese_match_is_highlighted(index):
    assert "<b>cooperação</b>" in snippet(index, "cooperacoes", 5)


def test_english_stemming_still_works(index):
    assert ids(index, "report") == {7}
    assert ids(index, "reports") == {7}
    assert ids(index, "parks") == {8}
    assert ids(index, "INSURED") == {7}


def test_portuguese_stemmer_only_for_portuguese_documents():
    english = IndexedDocument(1, "report", "Reports", summary="reports", language="en")
    portuguese = IndexedDocument(2, "report", "Relatórios", summary="relatórios", language="pt")
    # (the summary's shadow is body_pt since schema 4: summary is indexed in body)
    assert "body_pt" not in english.fields()
    assert portuguese.fields()["body_pt"] == "relatórios"


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("pt", "Annual report", True),  # the language field decides
        ("pt-MO", "", True),
        ("por", "", True),
        ("en", "Os relatórios da associação sobre a cooperação entre Macau e Hengqin", False),
        ("zh-Hant", "", False),
        ("", "Os relatórios da associação sobre a cooperação entre Macau e Hengqin", True),  # detected
        ("", "The reports of the association on cooperation between Macao and Hengqin", False),
        ("", "澳門保險業概況", False),
        # English words that are Portuguese ones too do not make it Portuguese
        ("", "No new rules as yet: do banks sell e-commerce cover in Macao?", False),
        ("", "As a rule, no bank does e-commerce as such.", False),
        ("", "As associações de Macau e o relatório sobre a cooperação.", True),
    ],
)
def test_how_a_documents_language_is_known(language, text, expected):
    document = IndexedDocument(1, "report", "t", summary=text, language=language)
    assert document.is_portuguese() is expected


PORTUGUESE_ATTACHMENT = (
    "As associações de seguradoras de Macau publicaram os relatórios anuais. "
    "O mercado é pequeno, mas cresce: as associações pedem regras comuns para os produtos "
    "transfronteiriços e uma plataforma de dados entre Macau e Hengqin."
)


@pytest.mark.parametrize(
    ("language", "content", "expected"),
    [
        ("", PORTUGUESE_ATTACHMENT, True),  # the attached text tells
        ("en", PORTUGUESE_ATTACHMENT, False),  # the field still decides
        ("", "The insurers' associations of Macao published their annual reports.", False),
        ("", "", False),
    ],
)
def test_language_is_detected_from_the_attached_text_too(language, content, expected):
    document = IndexedDocument(1, "report", "Annual note", content=content, language=language)
    assert document.is_portuguese() is expected


def test_undeclared_portuguese_attachment_gets_portuguese_stemming(tmp_path):
    ix = SearchIndex(tmp_path / "index")
    ix.open()
    english = IndexedDocument(2, "report", "No rules as yet", summary="No new rules as yet: do banks sell e-commerce cover?")
    ix.upsert([IndexedDocument(1, "report", "Annual note", content=PORTUGUESE_ATTACHMENT), english])
    # associações -> associacao only through the Portuguese stemmer
    assert {h.id for h in ix.search("associacao").hits} == {1}
    assert {h.id for h in ix.search("relatorio").hits} == {1}
    assert "body_pt" not in english.fields()
    ix.close()


def test_undeclared_portuguese_text_gets_portuguese_stemming(tmp_path):
    ix = SearchIndex(tmp_path / "index")
    ix.open()
    ix.upsert([IndexedDocument(1, "report", "Nota", summary="As associações de Macau e o relatório sobre a cooperação.")])
    assert {h.id for h in ix.search("associacao").hits} == {1}
    ix.close()


# -- schema version and lazy loading -----------------------------------------------------


def test_an_index_of_another_analyzer_version_is_rebuilt(tmp_path):
    directory = tmp_path / "index"
    ix = SearchIndex(directory)
    ix.open()
    ix.upsert(DOCUMENTS[:2])
    ix.close()
    assert (directory / VERSION_FILE).read_text() == SCHEMA_VERSION
    (directory / VERSION_FILE).write_text("1.1")  # built by the previous analyzer

    ix = SearchIndex(directory)
    assert ix.open() is True  # must be refilled: never searched with the old analysis
    assert ix.doc_count() == 0
    assert (directory / VERSION_FILE).read_text() == SCHEMA_VERSION
    ix.close()


def test_catalog_rebuilds_an_old_index_at_start_with_progress(tmp_path):
    data = tmp_path / "data"
    catalog = open_catalog(data, seed=False)
    catalog.service.documents.create_document(NewDocument(kind="report", title="澳门保险市场报告", date="2020"))
    index_dir = catalog.index.directory
    catalog.close()
    (index_dir / VERSION_FILE).write_text("1.1")

    steps = []
    catalog = open_catalog(data, seed=False, progress=lambda what, done, total: steps.append((what, done, total)))
    try:
        assert steps and steps[-1][1:] == (1, 1)
        assert (index_dir / VERSION_FILE).read_text() == SCHEMA_VERSION
        assert [hit.title for hit in catalog.service.search("澳門保險").hits] == ["澳门保险市场报告"]
    finally:
        catalog.close()


def test_segmenter_loads_lazily_never_at_import_or_indexing(tmp_path):
    code = f"""
import sys
from pathlib import Path
from finweek_desktop.core.search.index import SearchIndex
from finweek_desktop.core.search.schema import IndexedDocument
from finweek_desktop.core.search import analysis
assert "jieba" not in sys.modules, "jieba imported at import time"
ix = SearchIndex(Path({str(tmp_path / 'ix')!r}))
ix.open()
ix.upsert([IndexedDocument(1, "report", "横琴新区金融服务", summary="澳門保險")])
assert "jieba" not in sys.modules, "indexing loaded jieba"
ix.search("Hengqin")
assert not analysis.segmenter_loaded(), "a Latin query loaded jieba"
assert [h.id for h in ix.search("横琴").hits] == [1]
assert not analysis.segmenter_loaded(), "a two-character query loaded jieba"
assert [h.id for h in ix.search("横琴金融").hits] == [1]
assert analysis.segmenter_loaded()
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


# -- the relevance set ---------------------------------------------------------------


def test_relevance_set_covers_every_group():
    data = ROOT / "benchmarks" / "relevance"
    documents = json.loads((data / "documents.json").read_text(encoding="utf-8"))
    queries = json.loads((data / "queries.json").read_text(encoding="utf-8"))
    assert len(documents) >= 60 and len(queries) >= 40
    assert {d["language"] for d in documents} >= {"en", "zh-Hans", "zh-Hant", "pt"}
    assert {q["group"] for q in queries} == {
        "en", "zh-Hans", "zh-Hant", "pt", "mixed", "pasted", "cross-lingual", "paraphrase"
    }
    assert sum(q["group"] == "cross-lingual" for q in queries) >= 30
    assert sum(q["group"] == "paraphrase" for q in queries) >= 20


def _relevance(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "relevance.py"), *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
    )


def test_relevance_script_runs_and_ours_leads_fts5_everywhere():
    out = _relevance()
    assert out.returncode == 0, out.stderr  # non-zero when words is not ahead, or hybrid falls short
    lines = out.stdout.splitlines()
    assert "recall@10 / MRR / nDCG@10" in lines[0]
    header = next(line for line in lines if line.startswith("| system"))
    groups = [cell.strip().split(" (")[0] for cell in header.split("|")[2:-1]]
    assert groups == ["en", "zh-Hans", "zh-Hant", "pt", "mixed", "pasted", "cross-lingual", "paraphrase", "all"]
    rows = {
        line.split("|")[1].strip(): [[float(x) for x in cell.split(" / ")] for cell in line.split("|")[2:-1]]
        for line in lines
        if line.startswith("| ") and not line.startswith("| system")
    }
    assert {"words", "meaning", "hybrid", "fts5 unicode61", "fts5 trigram"} <= set(rows)
    existing, new = range(6), range(6, 8)
    for name in ("fts5 unicode61", "fts5 trigram"):
        for i in existing:
            (recall, mrr, _n), (their_recall, their_mrr, _tn) = rows["words"][i], rows[name][i]
            assert recall > their_recall and mrr > their_mrr, (name, groups[i], rows["words"], rows[name])
    for i in new:  # hybrid leads words and FTS5 where words cannot reach
        for name in ("words", "fts5 unicode61", "fts5 trigram"):
            assert all(h > t for h, t in zip(rows["hybrid"][i], rows[name][i])), (groups[i], name)
    for i in existing:  # and loses at most 0.02 to words anywhere else
        assert all(h >= w - 0.02 for h, w in zip(rows["hybrid"][i], rows["words"][i])), groups[i]


def test_relevance_script_fails_when_ours_is_not_ahead(tmp_path):
    # One English word that FTS5 finds as well as we do: a tie is not a lead.
    documents = [{"id": "d1", "language": "en", "title": "Insurance", "text": "insurance"},
                 {"id": "d2", "language": "en", "title": "Bonds", "text": "bonds"}]
    queries = [{"group": "en", "rule": "a word", "query": "insurance", "relevant": ["d1"]}]
    (tmp_path / "documents.json").write_text(json.dumps(documents), encoding="utf-8")
    (tmp_path / "queries.json").write_text(json.dumps(queries), encoding="utf-8")
    out = _relevance("--data", str(tmp_path))
    assert out.returncode == 1
    assert "below the bar" in out.stderr and "words: en recall" in out.stderr


def test_a_two_character_query_is_its_bigram_not_two_characters_apart(index):
    # 1 holds 横琴 (and 2 橫琴), 3 the characters apart: 横 琴 金 融.
    assert ids(index, "横琴") == {1, 2}
    # 琴 and 金 stand in 1 and 3, never side by side: no document has 琴金
    # (jieba would have cut it into two characters, each found anywhere).
    assert ids(index, "琴金") == set()
    assert ids(index, "琴新") == {1}


def test_a_page_is_counted_in_any_script_that_folds_to_the_query(index):
    # Hits name the pages holding the query's words (catalog/hits.py): a
    # Chinese run is analysed only when it holds a character that folds
    # into a query word's, Traditional forms included.
    count = index.text_matcher("栏目 横琴")
    both, one = count("横琴的专栏栏目"), count("栏目")
    assert 0 < one < both
    assert count("橫琴的專欄欄目") == both  # Traditional
    assert count("银行保险机构聚集") == 0
    assert count("Hengqin 横琴 bank") == count("横琴") > 0
    latin = index.text_matcher("insurance")
    assert latin("两地车辆保险互认安排 Cross-border insurance") == latin("insurance") > 0
    assert latin("两地车辆保险互认安排") == 0
