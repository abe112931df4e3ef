"""Citations (issue 13): APA, Chicago and GB/T 7714 for documents with
persons, with an organization only, and with neither (the title stands in
for the author once, never twice), with editors in the author's place or
beside an author; GB/T 7714's numbers collapse to ranges.
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


# -- editors standing in for the author (and beside one) -----------------------------------------

EDITED_BIB = """
@book{yearbook-zh, title = {澳门金融年鉴}, year = {2020}, editor = {王, 小明},
  publisher = {澳门金融学会}, address = {澳门}}
@book{yearbook-en, title = {Macao Financial Yearbook}, year = {2020},
  editor = {Chan, Mei Ling and Wong, Ka Ho}, publisher = {Macao Monetary Authority}, address = {Macao}}
@book{authored, title = {Cross-border Wealth Management}, year = {2021}, author = {Lee, Ka Wai},
  editor = {Chan, Mei Ling}, publisher = {Macao Monetary Authority}, address = {Macao}}
"""

EDITED_EXPECTED = {
    # the style file's author <names> has no <label>: editors print as its authors do, without one;
    # the publisher's place is printed (GB/T 7714-2015 4.1: place: publisher, year)
    "gb7714": {
        "yearbook-zh": "[1] 王小明. 澳门金融年鉴[M]. 澳门: 澳门金融学会, 2020.",
        "yearbook-en": "[1] CHAN M L, WONG K H. Macao Financial Yearbook[M]. Macao: Macao Monetary Authority, 2020.",
        # the style names no editor of an authored book (its other contributors are translators)
        "authored": "[1] LEE K W. Cross-border Wealth Management[M]. Macao: Macao Monetary Authority, 2021.",
    },
    # APA 7 prints no place of publication
    "apa": {
        "yearbook-zh": "王小明 (Ed.). (2020). 澳门金融年鉴. 澳门金融学会.",
        "yearbook-en": "Chan, M. L., & Wong, K. H. (Eds.). (2020). Macao Financial Yearbook. Macao Monetary Authority.",
        "authored": "Lee, K. W. (2021). Cross-border Wealth Management (M. L. Chan, Ed.). Macao Monetary Authority.",
    },
    # the editor substitute inherits the author's <name> (inverted first name, "and") and <label> ("eds.");
    # CMOS 18, which the style follows, gives no place of publication (the style leaves it out)
    "chicago": {
        "yearbook-zh": "王小明, ed. 2020. 澳门金融年鉴. 澳门金融学会.",
        "yearbook-en": "Chan, Mei Ling, and Ka Ho Wong, eds. 2020. Macao Financial Yearbook. Macao Monetary Authority.",
        "authored": "Lee, Ka Wai. 2021. Cross-border Wealth Management. Edited by Mei Ling Chan. "
        "Macao Monetary Authority.",
    },
}


@pytest.fixture
def edited(empty_catalog, tmp_path):
    path = tmp_path / "edited.bib"
    path.write_text(EDITED_BIB, encoding="utf-8")
    service = empty_catalog.service
    report = service.bibliography.import_files([path])
    assert report.refused == [] and report.duplicates == []
    keys = ["yearbook-zh", "yearbook-en", "authored"]
    return service.bibliography, dict(zip(keys, [doc_id for doc_id, _title in report.added], strict=True))


@pytest.mark.parametrize("style", ["gb7714", "apa", "chicago"])
@pytest.mark.parametrize("which", ["yearbook-zh", "yearbook-en", "authored"])
def test_editors_in_each_style(edited, style, which):
    bibliography, ids = edited
    [text] = bibliography.cite([ids[which]], style, "text")
    assert text == EDITED_EXPECTED[style][which]
    [html] = bibliography.cite([ids[which]], style, "html")
    assert " ".join(text_of(html).split()).replace("[1]", "[1] ", 1).replace("]  ", "] ") == text
    assert html.count("<i>") == (0 if style == "gb7714" else 1)  # the book's title, where the style sets it so


def test_an_editor_beside_an_author_does_not_take_the_authors_place(edited):
    bibliography, ids = edited
    for style in ("gb7714", "apa", "chicago"):
        [text] = bibliography.cite([ids["authored"]], style)
        assert text.removeprefix("[1] ").startswith(("LEE K W.", "Lee, K. W.", "Lee, Ka Wai."))
        assert text.count("Chan") <= 1  # named once as editor (APA, Chicago), or not at all (GB/T 7714)
        assert "Eds." not in text and "eds." not in text


def test_in_text_citations_of_edited_books_name_the_editors(edited):
    bibliography, ids = edited
    both = [ids["yearbook-en"], ids["authored"]]
    assert bibliography.in_text(both, "chicago") == "(Chan and Wong 2020; Lee 2021)"
    assert bibliography.in_text(both, "apa") == "(Chan & Wong, 2020; Lee, 2021)"
    assert bibliography.in_text([ids["yearbook-zh"]], "chicago") == "(王小明 2020)"


def test_many_editors_and_an_editor_organization_in_chicago(empty_catalog):
    # the inherited <name> brings the bibliography's et-al (CMOS: more than six -> three and "et al.")
    service = empty_catalog.service
    many = NewDocument(
        kind="blue_paper",
        title="Greater Bay Area Finance",
        date="2021",
        language="en",
        persons=tuple(
            PersonName(family, "Ka", role="editor") for family in ("Au", "Bo", "Cheng", "Ding", "Fong", "Ho", "Ip")
        ),
        organizations=(("Hengqin Press", "publisher"),),
    )
    organization = NewDocument(
        kind="report",
        title="Macao Financial Yearbook 2021",
        date="2021",
        language="en",
        organizations=(("Macao Monetary Authority", "editor"), ("Macao Monetary Authority", "publisher")),
    )
    ids = [service.documents.create_document(new).id for new in (many, organization)]
    assert service.bibliography.cite(ids, "chicago") == [
        "Au, Ka, Ka Bo, Ka Cheng, et al., eds. 2021. Greater Bay Area Finance. Hengqin Press.",
        "Macao Monetary Authority, ed. 2021. Macao Financial Yearbook 2021. Macao Monetary Authority.",
    ]


def test_finweek_cite_of_imported_edited_books(finweek, tmp_path):
    import json

    path = tmp_path / "edited.bib"
    path.write_text(EDITED_BIB, encoding="utf-8")
    code, out, err = finweek("import-refs", "--json", str(path))
    assert code == 0, err
    ids = [str(entry["id"]) for entry in json.loads(out)["added"]][:2]
    for style in ("gb7714", "apa", "chicago"):
        code, out, err = finweek("cite", "--style", style, *ids)
        assert code == 0, err
        expected = [EDITED_EXPECTED[style]["yearbook-zh"], EDITED_EXPECTED[style]["yearbook-en"]]
        if style == "gb7714":
            expected[1] = expected[1].replace("[1]", "[2]", 1)
        assert sorted(out.strip().splitlines()) == sorted(expected)
