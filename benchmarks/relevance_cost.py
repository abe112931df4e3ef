"""What the multilingual analysis costs: indexing speed and index size.

    python benchmarks/relevance_cost.py                  # 3000 documents of ~1,500 words
    python benchmarks/relevance_cost.py --docs 200       # a quick look

Builds the same generated corpus (documents in English, Simplified and
Traditional Chinese and Portuguese, some mixing scripts, each ~1,500 words of
attachment text plus a title and a summary) twice, single process, with the
same writer settings:

- "plain": the catalog's fields with Whoosh's StemmingAnalyzer (regex words,
  lower case, stop words, English stemming): no accent folding, no
  Traditional folding, a Chinese run indexed as one opaque token, no
  Portuguese fields;
- "multilingual": the catalog's own schema (``SearchIndex``'s), Portuguese
  shadow fields included.

It prints documents per second (the speed of importing documents into the
catalog) and the size of the index on disk, and the start-up costs that the
multilingual analysis adds: importing the search modules, and loading
jieba's dictionary on the first Chinese query (lazy, off the first paint).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import TEXT

HERE = Path(__file__).resolve().parent
try:
    from finweek_desktop.core.search.schema import PORTUGUESE_SHADOWS, IndexedDocument, build_schema
except ImportError:
    sys.path.insert(0, str(HERE.parent / "src"))
    from finweek_desktop.core.search.schema import PORTUGUESE_SHADOWS, IndexedDocument, build_schema

EN = (
    "report reports reporting insurance insurer insurers policy policies capital flows cross-border "
    "digital currency currencies payment payments bank banks banking fund funds investor investors "
    "industrial park parks smart finance financial blockchain ledger ledgers cooperation zone zones "
    "Hengqin Macao Zhuhai bay area market markets risk risks regulation regulator supervision data "
    "sharing platform platforms wealth management bond bonds green sustainable trade settlement yuan "
    "customs taxation talent training accountants analysts sandbox pilot pilots custody custodian "
    "assets liability premium claims reinsurance typhoon coverage merchants tourists wallets mobile "
    "forum forums session sessions discussion speakers organizers researchers industry growth quota "
    "quotas limits annual review reviews study studies framework frameworks outcome outcomes launch "
    "the of and to in for with on by from that this is are was were will as at an a"
).split()
PT = (
    "relatório relatórios seguro seguros seguradora seguradoras associação associações cooperação "
    "cooperações moeda moedas digital digitais pagamento pagamentos banco bancos fundos investidores "
    "parque parques industrial industriais finanças financeira financeiras financeiro mercado mercados "
    "obrigações verdes instituição instituições formação quadros plataforma países língua portuguesa "
    "zona zonas regras aduaneiras fiscais transfronteiriço transfronteiriços empresas tecnologia "
    "comércio crédito dados partilha riscos gestão patrimónios liquidação alfândega fiscalidade "
    "de da do das dos em no na nos nas para com uma um os as que não são pela pelo ao e é entre sobre"
).split()
ZH = (
    "横琴 澳门 珠海 金融 服务 保险 银行 基金 跨境 资金 流动 数字 货币 人民币 区块链 技术 产业园 "
    "智慧 科技 企业 合作区 粤港澳 大湾区 居民 医疗 产品 市场 规模 发展 监管 沙盒 支付 移动 游客 "
    "商户 手续费 债券 绿色 信贷 环保 项目 披露 人才 培训 会计师 分析师 规则 衔接 海关 税收 理财 "
    "额度 投资者 托管 风险 审计 责任 论坛 开幕式 嘉宾 研究 平台 葡语 国家 结算 效率 机构 创新 "
    "理赔 人工智能 经济 多元 现代 重点 产业 十字门 商务区 证券 公司 报告 白皮书 试点 方案 隐私"
).split()
ZH_PUNCT = "，，，。；、"


def _vocabularies():
    """Realistic vocabularies with their frequencies, all shipped offline:
    Chinese words from jieba's dictionary (its 20,000 most frequent), English
    words from the Python standard library's own sources (docstrings and
    comments, 20,000 most frequent), and the Portuguese finance vocabulary
    above with its plural and feminine forms."""
    import collections
    import re
    import sysconfig

    import jieba

    zh = []
    with open(Path(jieba.__file__).with_name("dict.txt"), encoding="utf-8") as f:
        for line in f:
            word, freq, _tag = line.split()
            zh.append((word, int(freq)))
    zh.sort(key=lambda wf: -wf[1])
    zh = zh[:20000]

    counts: collections.Counter[str] = collections.Counter()
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py"))[:200]:
        counts.update(re.findall(r"[a-z]{2,}", path.read_text(encoding="utf-8", errors="ignore").lower()))
    en = counts.most_common(20000)

    pt_words = set(PT)
    for w in PT:
        if len(w) < 5 or w.endswith(("ão", "s")):
            continue
        if w.endswith("o"):
            pt_words.update((w[:-1] + "a", w[:-1] + "as"))
        if w[-1] in "aeo":
            pt_words.add(w + "s")
    pt = [(w, 1000 // (i + 1) + 1) for i, w in enumerate(sorted(pt_words))]
    return {"en": en, "pt": pt + [(w, 50) for w in EN[:40]], "zh": zh}


def generate(count: int, words: int = 1500, seed: int = 7) -> list[IndexedDocument]:
    from opencc_purepy import OpenCC

    s2t = OpenCC("s2t")
    vocab = _vocabularies()
    rng = random.Random(seed)
    pools = {}
    for key, pairs in vocab.items():
        pools[key] = ([w for w, _ in pairs], list(__import__("itertools").accumulate(f for _, f in pairs)))
    zh_words = pools["zh"][0]
    hant = dict(zip(zh_words, s2t.convert("\n".join(zh_words)).split("\n")))
    languages = ["en"] * 4 + ["zh-Hans"] * 2 + ["zh-Hant"] * 2 + ["pt"] * 2
    documents = []
    for i in range(1, count + 1):
        language = rng.choice(languages)
        mixed = rng.random() < 0.15
        make = lambda n: _text(rng, language, n, pools, hant, mixed)  # noqa: E731
        documents.append(
            IndexedDocument(
                id=i,
                kind="report",
                title=make(8),
                summary=make(40),
                content=make(words),
                language=language,
                date="2020-11-20",
            )
        )
    return documents


def _text(rng, language, words, pools, hant, mixed) -> str:
    chinese = language.startswith("zh")
    key = "zh" if chinese else language
    population, weights = pools[key]
    other_population, other_weights = pools["en" if chinese else "zh"]
    chosen = rng.choices(population, cum_weights=weights, k=words)
    out: list[str] = []
    for n, word in enumerate(chosen):
        if mixed and n % 20 == 19:  # a term from another script now and then
            out.append(" " + rng.choices(other_population, cum_weights=other_weights)[0] + " ")
            continue
        if language == "zh-Hant":
            word = hant.get(word, word)
        out.append(word)
        if chinese:
            if rng.random() < 0.15:
                out.append(rng.choice(ZH_PUNCT))
        else:
            out.append("." if rng.random() < 0.07 else " ")
    return "".join(out).strip()


def benchmark_corpus(count: int) -> list[IndexedDocument]:
    """The documents of benchmarks/corpus.py (the catalog benchmark's corpus:
    80 % English with some Chinese and Portuguese words, 12 % Portuguese,
    8 % Chinese), as the catalog would index them."""
    sys.path.insert(0, str(HERE))
    import corpus

    documents = []
    for i in range(count):
        item = corpus.document(i)
        new = item.document
        documents.append(
            IndexedDocument(
                id=i + 1,
                kind=new.kind,
                title=new.title,
                summary=new.summary,
                content=item.content,
                organizations=tuple(name for name, _role in new.organizations),
                tags=new.tags,
                language=new.language or "",
                date=new.date,
            )
        )
    return documents


def plain_schema():
    """The catalog's fields with StemmingAnalyzer and no Portuguese shadows."""
    schema = build_schema()
    analyzer = StemmingAnalyzer()
    for name in PORTUGUESE_SHADOWS.values():
        schema.remove(name)
    for name in list(schema.names()):
        field = schema[name]
        if isinstance(field, TEXT):
            schema.remove(name)
            schema.add(name, TEXT(analyzer=analyzer, stored=field.stored))
    return schema


def build(schema, documents, directory: Path, drop_shadows: bool) -> tuple[float, int]:
    directory.mkdir(parents=True)
    ix = whoosh_index.create_in(str(directory), schema)
    start = time.perf_counter()
    writer = ix.writer(limitmb=256)
    for document in documents:
        fields = document.fields()
        if drop_shadows:
            for name in PORTUGUESE_SHADOWS.values():
                fields.pop(name, None)
        writer.add_document(**fields)
    writer.commit()
    elapsed = time.perf_counter() - start
    ix.close()
    size = sum(f.stat().st_size for f in directory.iterdir() if f.is_file())
    return elapsed, size


def startup_costs() -> dict[str, float]:
    """Seconds to import the search index module in a fresh interpreter, and
    to load jieba on the first Chinese query (done lazily)."""
    code = (
        "import time; t=time.perf_counter();"
        "import finweek_desktop.core.search.index as m;"
        "a=time.perf_counter()-t;"
        "from finweek_desktop.core.search import analysis;"
        "assert not analysis.segmenter_loaded();"
        "t=time.perf_counter(); analysis.segment('横琴金融'); b=time.perf_counter()-t;"
        "t=time.perf_counter(); analysis.to_simplified('澳門'); c=time.perf_counter()-t;"
        "print(a, b, c)"
    )
    plain = (
        "import time; t=time.perf_counter();"
        "import whoosh.index, whoosh.qparser, whoosh.highlight, whoosh.sorting;"
        "from whoosh.analysis import StemmingAnalyzer; StemmingAnalyzer();"
        "print(time.perf_counter()-t)"
    )
    env = dict(os.environ, PYTHONPATH=str(HERE.parent / "src"))

    def python(source: str) -> list[float]:
        runs = [
            subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, env=env, check=True)
            for _ in range(3)
        ]
        # the best of three runs: start-up times are noisy
        return [min(values) for values in zip(*(map(float, r.stdout.split()) for r in runs))]

    (plain_import,) = python(plain)
    imp, jieba_load, opencc_load = python(code)
    return {
        "import Whoosh only (plain)": plain_import,
        "import our search modules (Whoosh included)": imp,
        "first Chinese query: load jieba (lazy)": jieba_load,
        "first Traditional text: load OpenCC (lazy)": opencc_load,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--words", type=int, default=1500)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--corpus", choices=("scripts", "benchmark"), default="scripts",
        help="scripts: 60%% Chinese/Portuguese documents (the default); benchmark: benchmarks/corpus.py",
    )
    args = parser.parse_args(argv)

    documents = generate(args.docs, args.words) if args.corpus == "scripts" else benchmark_corpus(args.docs)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        # Warm both paths (OpenCC tables, stemmer caches) on a few documents
        # first, so that neither run pays a one-off start-up cost.
        build(plain_schema(), documents[:20], Path(tmp) / "warm-plain", True)
        build(build_schema(), documents[:20], Path(tmp) / "warm-multi", False)
        results["plain"] = build(plain_schema(), documents, Path(tmp) / "plain", True)
        results["multilingual"] = build(build_schema(), documents, Path(tmp) / "multi", False)
    startup = startup_costs()
    plain_t, plain_size = results["plain"]
    multi_t, multi_size = results["multilingual"]
    report = {
        "documents": args.docs,
        "words per document": args.words,
        "plain": {"seconds": plain_t, "docs_per_s": args.docs / plain_t, "index_bytes": plain_size},
        "multilingual": {"seconds": multi_t, "docs_per_s": args.docs / multi_t, "index_bytes": multi_size},
        "indexing time cost": multi_t / plain_t - 1,
        "index size cost": multi_size / plain_size - 1,
        "startup": startup,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    if args.corpus == "scripts":
        print(
            f"{args.docs} generated documents of ~{args.words} words (EN 40%, zh-Hans 20%, zh-Hant 20%, PT 20%;"
            " 15% mixing scripts; words drawn by frequency)\n"
        )
    else:
        print(f"{args.docs} documents of the catalog benchmark's corpus (benchmarks/corpus.py)\n")
    print("| analysis | index time | docs/s | index size |")
    print("|---|---|---|---|")
    for name in ("plain", "multilingual"):
        r = report[name]
        print(f"| {name} | {r['seconds']:.1f} s | {r['docs_per_s']:.0f} | {r['index_bytes'] / 1e6:.1f} MB |")
    print(f"| cost | {report['indexing time cost']:+.0%} | | {report['index size cost']:+.0%} |")
    print()
    for name, seconds in startup.items():
        print(f"{name}: {seconds * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
