"""Telling an institution from a person whose name a file gives whole.

A file marks an institution in its own way where it can: BibTeX by double
braces (``{{Macao Monetary Authority}}``), RIS by a trailing comma (EndNote's
corporate author). CSL-JSON's ``literal`` serves both, and a braced BibTeX
name may be a Chinese name in full; such a name is taken for an institution
when the catalog knows the organization, when the entry names it as its
publisher too, or when it reads as an institution's name.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# Words of institutions' names, in English, Portuguese and Chinese.
_INSTITUTION_WORDS = re.compile(
    r"\b(academy|agency|association|authority|bank|board|bureau|cent(?:er|re)|chamber|college|commission|committee"
    r"|company|corporation|council|department|exchange|federation|forum|foundation|fund|government|group|institute"
    r"|institution|ltd|limited|ministry|office|organi[sz]ation|press|publish\w*|society|school|secretariat|union"
    r"|university|inc|llc|plc|associação|autoridade|banco|câmara|comissão|conselho|direcção|direção|fundação"
    r"|governo|gabinete|instituto|universidade|sociedade)\b"
    r"|(协会|協會|学会|學會|研究院|研究所|研究中心|中心|委员会|委員會|银行|銀行|政府|办公室|辦公室|办公厅|辦公廳|集团|集團"
    r"|公司|大学|大學|学院|學院|出版社|报社|報社|管理局|局|部|署|厅|廳|处|處|基金会|基金會|商会|商會|联合会|聯合會|交易所|论坛|論壇)",
    re.IGNORECASE,
)


def reads_as_institution(name: str) -> bool:
    return _INSTITUTION_WORDS.search(name) is not None


def is_institution(name: str, publishers: tuple[str, ...] = (), known: Callable[[str], bool] | None = None) -> bool:
    folded = name.strip().casefold()
    if any(folded == p.strip().casefold() for p in publishers):
        return True
    if known is not None and known(name):
        return True
    return reads_as_institution(name)
