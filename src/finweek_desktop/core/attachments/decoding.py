"""Bytes to text for plain-text, Markdown and HTML files.

The files come from Chinese, Macanese and Portuguese sources. After a
byte-order mark, a declared charset and strict UTF-8, each of GB18030 (a
superset of GBK and GB2312), Big5-HKSCS (Traditional, common in Macao) and
Latin-1 that decodes the bytes is scored for how much it reads like text,
and the best one wins. No single test works: Latin-1 accents often pair up
into valid GB18030, Big5 bytes are valid GBK, and real Chinese text holds
Traditional and rare name characters outside GB2312.
"""

from __future__ import annotations

import codecs
import functools
import re

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CHINESE = ("gb18030", "big5hkscs")
# Pages declare the old name and use the superset, as browsers assume.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "big5": "big5hkscs"}
_SAMPLE_CHARS = 200_000  # scoring the start of a big file is enough

_IDEOGRAPH = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
# CJK punctuation, fullwidth forms, and the general punctuation, numbers
# and symbols Chinese text uses (“”—…·×℃①Ⅱ→≤).
_CJK_MARK = re.compile(
    "[\u3000-\u303f\uff00-\uffef\u2010-\u206f\u00b7\u00d7\u00f7\u2100-\u22ff\u2460-\u24ff\u25a0-\u25ff]"
)
# What Portuguese (or French, Spanish) puts beside its accented letters.
_LATIN_MARK = re.compile(
    "[\u00a0\u00aa\u00ab\u00b0\u00ba\u00bb\u00a7\u00b7\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u20ac]"
)


def decode_text(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Returns (text, encoding used)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace"), encoding
    if declared:
        declared = _SUPERSETS.get(declared.lower(), declared)
        try:
            return data.decode(declared), declared
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong declaration is common; guess instead
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    latin = "cp1252" if _decodes(data, "cp1252") else "latin-1"
    candidates = [(data.decode(latin), "latin-1", _latin_score)]
    for encoding in _CHINESE:
        try:
            candidates.append((data.decode(encoding), encoding, _chinese_score))
        except UnicodeDecodeError:
            pass
    # max() keeps the first of equal scores: Latin-1, then GB18030, then Big5.
    text, encoding, _ = max(candidates, key=lambda c: c[2](c[0][:_SAMPLE_CHARS]))
    return text, encoding


def _chinese_score(text: str) -> float:
    """From -1 (not Chinese) to 1: the share of the non-ASCII text that is
    common ideographs or CJK punctuation, rare ideographs counting half."""
    wide = [c for c in text if ord(c) > 0x7F]
    if not wide:
        return 0.0
    common = _common_ideographs()
    score = 0.0
    for char in wide:
        if char in common or _CJK_MARK.match(char):
            score += 1.0
        elif _IDEOGRAPH.match(char):
            score += 0.5  # real, but a wrong decoding is full of them
        else:
            score -= 1.0  # private use, kana, box drawing, Cyrillic: misread bytes
    return score / len(wide)


def _latin_score(text: str) -> float:
    """From -1 to 1: accented letters alone or in pairs within words read as
    Latin text; longer runs of accents and symbols are Chinese misread."""
    wide = 0
    score = 0.0
    for run in re.finditer(r"[^\x00-\x7f]+", text):
        chars = run.group()
        wide += len(chars)
        plausible = len(chars) <= 2 and all(c.isalpha() or _LATIN_MARK.match(c) for c in chars)
        score += len(chars) if plausible else -len(chars)
    return score / wide if wide else 0.0


@functools.cache
def _common_ideographs() -> frozenset[str]:
    """The 3,755 level-1 characters of GB2312 and the 5,401 common
    characters of Big5: nearly all of everyday Simplified and Traditional text."""
    chars: set[str] = set()
    for lead in range(0xB0, 0xD8):
        for trail in range(0xA1, 0xFF):
            chars.update(bytes((lead, trail)).decode("gb2312", "ignore"))
    for code in range(0xA440, 0xC67F):
        chars.update(code.to_bytes(2, "big").decode("big5", "ignore"))
    return frozenset(chars)


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
        return True
    except UnicodeDecodeError:
        return False
