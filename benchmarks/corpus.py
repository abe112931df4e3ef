"""A deterministic, seeded generator of a research-library-sized catalog.

``generate(n, seed)`` yields ``ImportItem``s: a ``NewDocument`` (every kind,
a title, a summary, 1-4 tags out of a few hundred, organizations, a date of
day, month or year precision, a session and places for some) plus ~1,500
words of attachment text (``content``: the importer stores it as a UTF-8
``.txt`` attachment, as if the user had attached a text file). Words are drawn from a Zipf-like distribution over
a vocabulary that is mostly English with some Portuguese and some Chinese;
Chinese words are written the Chinese way, without spaces between them.

Document ``i`` depends only on ``(seed, i)``, so any slice of the corpus can be
regenerated alone (the benchmark rebuilds the FTS5 reference that way).
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator
from functools import lru_cache

try:
    from finweek_desktop.core.catalog.imports import ImportItem
except ImportError:  # a version from before the catalog was composed, measured for comparison
    from finweek_desktop.core.bulk import ImportItem
from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.vocabulary import DocumentKind

DEFAULT_SEED = 20201120
CONTENT_WORDS = 1500

# Frequent words first: the Zipf rank follows list order.
_ENGLISH = """
the of and to in a is that for on with as by are financial this from be at it bank
market cooperation development finance capital investment will has have which its
fund services macao hengqin zone economic policy growth trade international cross border
digital technology platform innovation industry enterprises companies regulatory risk
credit banking insurance securities assets management global regional currency payment
yuan renminbi exchange rate bond bonds equity wealth private public sector support
region greater bay area guangdong zhuhai hong kong china portuguese speaking countries
integration reform opening pilot free demonstration project projects strategic plan
forum session report blue paper initiative week annual edition summit speakers experts
leaders officials government authorities commission association institute university
research analysis data survey index performance outlook forecast quarter year years
billion million percent increase decrease rose fell stable volatile liquidity inflation
interest rates monetary fiscal stimulus budget deficit surplus debt lending loans
mortgage deposits savings pension funds venture startups fintech blockchain ledger
artificial intelligence cloud computing cybersecurity compliance supervision audit
governance transparency sustainability green climate carbon emissions esg transition
energy infrastructure logistics port bridge tourism gaming hospitality retail consumer
households income employment labour talent education training skills workforce
partnership agreement memorandum understanding signed launched announced established
opened approved issued published released presented discussed highlighted noted
stressed emphasized according said added explained believes expects projected estimated
first second third new major key important significant further more most many several
high level quality efficient effective modern advanced smart open inclusive shared
local national foreign domestic overseas central provincial municipal special
between among within across through under over into during after before while
also however therefore moreover including such other these those their our all
""".split()

_PORTUGUESE = """
de da do que em para com uma os as no na por mais financeiro cooperação
desenvolvimento investimento mercado banco região zona comércio serviços
economia económico política crescimento inovação tecnologia plataforma
associação finanças capital câmbio moeda pagamento seguros valores governo
autoridade monetária macau países língua portuguesa lusófonos parceria acordo
projeto empresas sector público privado crédito risco fundo sustentável verde
ano anos milhões percentagem aumento relatório fórum sessão semana edição
integração reforma abertura estratégia planeamento investigação análise dados
""".split()

_CHINESE = """
金融 合作 发展 澳门 横琴 投资 市场 银行 跨境 人民币 服务 经济 创新 科技 平台
产业 企业 政策 风险 监管 保险 证券 资产 财富 管理 贸易 区域 粤港澳 大湾区
珠海 广东 葡语国家 深度合作区 石门 金融周 论坛 报告 蓝皮书 倡议 数字 区块链
绿色 可持续 债券 基金 融资 汇率 支付 结算 机构 政府 研究 数据 指数 增长 开放
改革 试点 示范 战略 规划 建设 项目 协议 签署 发布 启动 年度 会议 专家 领导
""".split()


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, tuple[list[str], list[float]]]:
    """Per-language (words, cumulative Zipf weights), built once."""
    rng = random.Random(7)
    # A long tail of rare English-like words: the rare terms of a real library.
    onsets = "b c d f g h j k l m n p r s t v w z br cr dr fr gr pl pr st tr sh ch th".split()
    vowels = "a e i o u ai ea io ou".split()
    codas = "n r s t l m x nd rt st ck ng".split()
    tail: set[str] = set()
    while len(tail) < 20000:
        syllables = rng.randint(2, 4)
        word = "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(syllables)) + rng.choice(codas)
        tail.add(word)
    english = _ENGLISH + sorted(tail, key=lambda w: (hash_rank(w), w))
    return {
        "en": (english, _zipf(len(english))),
        "pt": (_PORTUGUESE, _zipf(len(_PORTUGUESE))),
        "zh": (_CHINESE, _zipf(len(_CHINESE))),
    }


def hash_rank(word: str) -> int:
    # A stable shuffle (str hash is salted per process; this is not).
    value = 0
    for ch in word:
        value = (value * 131 + ord(ch)) % 1_000_003
    return value


def _zipf(n: int, s: float = 1.15) -> list[float]:
    return list(itertools.accumulate(1.0 / (rank**s) for rank in range(1, n + 1)))


def _words(rng: random.Random, language: str, k: int) -> list[str]:
    words, weights = vocabulary()[language]
    return rng.choices(words, cum_weights=weights, k=k)


# Which language each word of a document's text comes from, by document language.
_MIX = {
    "en": (("en", 0.96), ("pt", 0.025), ("zh", 0.015)),
    "pt": (("pt", 0.55), ("en", 0.43), ("zh", 0.02)),
    "zh": (("zh", 0.6), ("en", 0.4)),
}
_LANGUAGES = (("en", 0.8), ("pt", 0.12), ("zh", 0.08))


def _text(rng: random.Random, language: str, n_words: int, sentence=(8, 22), paragraph=6) -> str:
    mix = _MIX[language]
    counts = {lang: max(0, round(n_words * share)) for lang, share in mix}
    pool: list[tuple[str, str]] = []
    for lang, count in counts.items():
        pool.extend((lang, w) for w in _words(rng, lang, count))
    rng.shuffle(pool)
    sentences: list[str] = []
    paragraphs: list[str] = []
    i = 0
    while i < len(pool):
        length = rng.randint(*sentence)
        chunk = pool[i : i + length]
        i += length
        out: list[str] = []
        for lang, word in chunk:
            # Chinese words run together without spaces, as in Chinese text.
            if lang == "zh" and out and out[-1][-1] >= "\u3400":
                out[-1] += word
            else:
                out.append(word)
        text = " ".join(out)
        sentences.append(text[:1].upper() + text[1:] + ("。" if chunk[-1][0] == "zh" else "."))
        if len(sentences) == paragraph:
            paragraphs.append(" ".join(sentences))
            sentences = []
    if sentences:
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs)


_TOPICS = """
cross-border payments; green bonds; RMB internationalisation; wealth management; fintech regulation;
Macao bond market; Hengqin cooperation; Portuguese-speaking markets; digital currency; venture capital;
insurance innovation; securities connect; trade finance; supply chain finance; carbon markets;
private banking; family offices; sovereign funds; infrastructure investment; cross-border e-commerce;
central bank digital currency; financial leasing; asset securitisation; risk management; anti-money laundering;
open banking; regtech; blockchain settlement; talent mobility; SME financing; tourism economy;
capital account opening; free trade accounts; QFLP pilots; bond connect; ESG disclosure
""".replace("\n", " ")
TOPICS = [t.strip() for t in _TOPICS.split(";") if t.strip()]
_TAG_MODIFIERS = ["", "policy", "outlook", "case-study", "data", "2020s", "pilot", "regulation", "survey"]
_ORG_STEMS = """Macao Hengqin Zhuhai Guangdong Lusophone Pearl-River Greater-Bay Shizimen Cotai Taipa
Xiangzhou Nanping Jinwan Doumen Coloane Praia Lotus Orient Silk-Road Meridian""".split()
_ORG_FORMS = [
    "{} Development Bank", "{} Financial Association", "{} Institute of Finance", "{} Securities",
    "{} Insurance Group", "{} Capital Partners", "{} Monetary Research Centre", "{} Chamber of Commerce",
]
_TITLE_FORMS = [
    "{topic}: {aspect} in the Greater Bay Area",
    "Report on {topic} ({year})",
    "{aspect} of {topic} between Macao and Hengqin",
    "Blue paper on {topic}",
    "{topic} and {topic2}: {aspect}",
    "Initiative for {topic}",
    "Session notes: {topic}",
    "Why {topic} matters for {topic2}",
]
_ASPECTS = ["Progress", "Prospects", "Challenges", "A survey", "Lessons", "Opportunities", "Risks",
            "The state", "Ten proposals", "Benchmarks"]
_PT_TITLE = ["Relatório sobre {topic}", "Cooperação financeira: {topic}", "Fórum de {topic}"]
_ZH_TITLE = ["{zh}发展报告 ({year})", "关于{zh}的倡议", "{zh}与{zh2}合作论坛"]


@lru_cache(maxsize=1)
def tag_names() -> list[str]:
    names = []
    for topic, modifier in itertools.product(TOPICS, _TAG_MODIFIERS):
        slug = topic.lower().replace(" ", "-").replace(":", "")
        names.append(f"{slug}-{modifier}" if modifier else slug)
    return names  # 37 topics x 9 = 333 tags


@lru_cache(maxsize=1)
def organization_names() -> list[str]:
    return [form.format(stem) for stem in _ORG_STEMS for form in _ORG_FORMS]  # 160


def document(i: int, seed: int = DEFAULT_SEED, *, sessions: tuple[int, ...] = (), places: tuple[str, ...] = ()) -> ImportItem:
    """The ``i``-th generated document: a pure function of (seed, i)."""
    rng = random.Random(seed * 1_000_003 + i)
    kinds = list(DocumentKind)
    kind = kinds[rng.randrange(len(kinds))]
    language = _pick(rng, _LANGUAGES)
    year = rng.randint(2012, 2025)
    topic, topic2 = rng.sample(TOPICS, 2)
    zh, zh2 = rng.sample(_CHINESE[:40], 2)
    fmt = dict(topic=topic, topic2=topic2, aspect=rng.choice(_ASPECTS), year=year, zh=zh, zh2=zh2)
    if language == "pt":
        title = rng.choice(_PT_TITLE).format(**fmt)
    elif language == "zh":
        title = rng.choice(_ZH_TITLE).format(**fmt)
    else:
        title = rng.choice(_TITLE_FORMS).format(**fmt)
        title = title[:1].upper() + title[1:]
    precision = rng.random()
    if precision < 0.6:
        date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    elif precision < 0.85:
        date = f"{year}-{rng.randint(1, 12):02d}"
    elif precision < 0.97:
        date = str(year)
    else:
        date = None
    tags = tuple(rng.sample(tag_names(), rng.randint(1, 4)))
    orgs = organization_names()
    roles = ("publisher", "author", "supporter", "mentioned")
    organizations = tuple(
        dict.fromkeys((rng.choice(orgs), roles[j]) for j in range(rng.choice((0, 1, 1, 1, 2, 2, 3))))
    )
    session_id = rng.choice(sessions) if sessions and kind is DocumentKind.SESSION_RECORD else None
    doc_places = tuple(rng.sample(places, rng.randint(0, min(2, len(places))))) if places else ()
    summary = _text(rng, language, rng.randint(35, 80), paragraph=99)
    content = _text(rng, language, int(rng.gauss(CONTENT_WORDS, 150)))
    new = NewDocument(
        kind=kind.value,
        title=title,
        date=date,
        language=language,
        summary=summary,
        tags=tags,
        organizations=organizations,
        session_id=session_id,
        places=doc_places,
        source=f"Generated benchmark document {i} (seed {seed})",
    )
    return ImportItem(new, content=content, content_name=f"benchmark-{i}.txt")


def generate(n: int, seed: int = DEFAULT_SEED, *, start: int = 0, sessions=(), places=()) -> Iterator[ImportItem]:
    sessions, places = tuple(sessions), tuple(places)
    for i in range(start, start + n):
        yield document(i, seed, sessions=sessions, places=places)


def _pick(rng: random.Random, weighted) -> str:
    values = [v for v, _ in weighted]
    cum = list(itertools.accumulate(w for _, w in weighted))
    return values[bisect.bisect(cum, rng.random() * cum[-1])]
