"""Citations (issue 13): APA, Chicago and GB/T 7714 for documents with
persons, with an organization only, and with neither (the title stands in
for the author once, never twice); GB/T 7714's numbers collapse to ranges.
Real catalogs; every style in text and HTML."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from finweek_desktop.core.records import NewDocument, PersonName
from finweek_desktop.core.refs.cite import collapse_numbers, in_text
from finweek_desktop.core.refs.record import RefRecord

PERSONS = NewDocument(
    kind="news_article",
    title="Finance week opens in Zhuhai",
    date="2020-11-20",
    language="en",
    persons=(PersonName("Chan", "Mei Ling"),),
    organizations=(("Macao Daily", "publisher"),),
)
ORGANIZATION = NewDocument(
    kind="report",
    title="Annual report on cross-border payments",
    date="2021",
    language="en",
    organizations=(("Macao Monetary Authority", "author"), ("Macao Monetary Authority", "publisher")),
    place_published="Macao",
)
NEITHER = NewDocument(kind="initiative", title="Digital alliance initiative", date="2020-11", language="en")


@pytest.fixture
def cited(empty_catalog):
    service = empty_catalog.service
    ids = {name: service.documents.create_document(new).id for name, new in
           (("persons", PERSONS), ("organization", ORGANIZATION), ("neither", NEITHER))}  # fmt: skip
    return service.bibliography, ids


def text_of(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).replace("&amp;", "&")


EXPECTED = {
    "apa": {
        "persons": "Chan, M. L. (2020, November 20). Finance week opens in Zhuhai. Macao Daily.",
        # APA 7: an author who is also the publisher is not repeated as the publisher
        "organization": "Macao Monetary Authority. (2021). Annual report on cross-border payments.",
        # no author: the title moves to the author's place, and is not printed again
        "neither": "Digital alliance initiative. (2020, November).",
    },
    "chicago": {
        # Chicago writes given names in full
        "persons": "Chan, Mei Ling. 2020. “Finance Week Opens in Zhuhai”. Macao Daily, November 20.",
        # CMOS 18 gives no place of publication; an organization may be author and publisher
        "organization": "Macao Monetary Authority. 2021. Annual Report on Cross-border Payments. "
        "Macao Monetary Authority.",
        "neither": "“Digital Alliance Initiative”. 2020. November.",
    },
    "gb7714": {
        "persons": "[1] CHAN M L. Finance week opens in Zhuhai[N]. Macao Daily, 2020-11-20.",
        "organization": "[1] Macao Monetary Authority. Annual report on cross-border payments[R]. "
        "Macao: Macao Monetary Authority, 2021.",
        "neither": "[1] Digital alliance initiative[Z]. 2020.",
    },
}


@pytest.mark.parametrize("style", ["apa", "chicago", "gb7714"])
@pytest.mark.parametrize("who", ["persons", "organization", "neither"])
def test_each_style_for_persons_an_organization_and_neither(cited, style, who):
    bibliography, ids = cited
    [text] = bibliography.cite([ids[who]], style, "text")
    assert text == EXPECTED[style][who]
    [html] = bibliography.cite([ids[who]], style, "html")
    # the same entry in HTML, with the title in italics where the style sets it so
    assert " ".join(text_of(html).split()).replace("[1]", "[1] ", 1).replace("]  ", "] ") == text
    title = {"persons": PERSONS, "organization": ORGANIZATION, "neither": NEITHER}[who].title
    folded = text.casefold()
    assert folded.count(title.casefold()) == 1, f"the title once, not twice: {text}"


def test_no_author_in_html_shows_the_title_once_in_italics(cited):
    bibliography, ids = cited
    for style in ("apa", "chicago"):
        [html] = bibliography.cite([ids["organization"]], style, "html")
        assert html.count("<i>") == 1
    [html] = bibliography.cite([ids["neither"]], "apa", "html")
    assert html == "<i>Digital alliance initiative</i>. (2020, November)."


def test_the_in_text_citation_of_a_document_without_author_names_its_title(cited):
    bibliography, ids = cited
    assert bibliography.in_text([ids["neither"]], "apa") == "(Digital Alliance Initiative, 2020)"
    assert bibliography.in_text([ids["organization"]], "chicago") == "(Macao Monetary Authority 2021)"
    assert bibliography.in_text([ids["persons"], ids["organization"]], "apa") == (
        "(Chan, 2020; Macao Monetary Authority, 2021)"
    )


# -- GB/T 7714: consecutive numbers collapse -----------------------------------------------


def test_gb7714_consecutive_numbers_collapse_to_ranges(empty_catalog):
    service = empty_catalog.service
    ids = [
        service.documents.create_document(NewDocument(kind="report", title=f"第{n}号报告", date="2022")).id
        for n in range(1, 7)
    ]
    bibliography = service.bibliography
    assert bibliography.in_text(ids[:3], "gb7714") == "[1-3]"
    assert bibliography.in_text(ids, "gb7714", "html") == "<sup>[1-6]</sup>"
    assert bibliography.in_text(ids[:2], "gb7714") == "[1,2]"  # CSL collapses runs of three or more
    records = list(bibliography.records(ids))
    # a citation of part of a six-entry bibliography, in any order
    assert in_text(records, "gb7714", cited=[4, 0, 1, 2]) == "[1-3,5]"
    assert in_text(records, "gb7714", "html", cited=[0, 1, 2, 4]) == "<sup>[1-3,5]</sup>"
    assert in_text(records, "gb7714", cited=[0, 2, 3, 4, 5]) == "[1,3-6]"
    assert in_text(records, "gb7714", cited=[1, 3]) == "[2,4]"
    # author-date styles have no numbers to collapse
    assert in_text(records[:3], "apa").count(";") == 2


def test_collapse_numbers():
    assert collapse_numbers("1,2,3") == "1-3"
    assert collapse_numbers("1,2,3,5") == "1-3,5"
    assert collapse_numbers("5,3,1,2") == "1-3,5"
    assert collapse_numbers("1,2") == "1,2"
    assert collapse_numbers("1,2,3,4,7,8,9,11") == "1-4,7-9,11"


def test_cited_positions_out_of_range_are_refused():
    records = [RefRecord(kind="report", title="One", date="2020")]
    with pytest.raises(ValueError, match="cited positions"):
        in_text(records, "gb7714", cited=[3])


def test_finweek_cite_prints_a_title_once_for_a_document_without_author(finweek):
    import json

    code, out, err = finweek("add", "--kind", "initiative", "--title", "Hengqin Green Finance Pledge", "--json")
    assert code == 0, err
    doc_id = str(json.loads(out)["id"])
    for style, expected in (
        ("apa", "Hengqin Green Finance Pledge. (n.d.)."),
        ("chicago", "“Hengqin Green Finance Pledge”. n.d."),
        ("gb7714", "[1] Hengqin Green Finance Pledge[Z]."),
    ):
        code, out, err = finweek("cite", doc_id, "--style", style)
        assert code == 0, err
        assert out.strip() == expected
        code, out, err = finweek("cite", doc_id, "--style", style, "--format", "html")
        assert code == 0, err
        assert out.count("Hengqin Green Finance Pledge") == 1


def test_the_citeproc_patches_are_checked_against_the_pinned_release():
    # cite.py replaces methods of citeproc-py: pyproject.toml pins the release
    # they were written against, and they are applied only to that release.
    from finweek_desktop.core.refs import cite

    project = (Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    pinned = next(line for line in project.splitlines() if '"citeproc-py==' in line)
    assert cite.PATCHED_RELEASE in pinned
    assert cite.citeproc_release_matches()  # the pinned release is what is installed
