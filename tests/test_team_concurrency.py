"""Two desktops writing at the same moment: optimistic locking of documents,
and tags, aliases and imports that stay correct (unique constraints, retries).
The edit conflict runs on SQLite too (two processes' catalogs on one file)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from finweek_desktop.core.catalog import ChangedMeanwhile, NotFound
from finweek_desktop.core.catalog.imports import ImportItem
from finweek_desktop.core.models import Organization, Tag
from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.startup import open_catalog


@pytest.fixture(params=["sqlite", "postgresql"])
def two_desktops(request, tmp_path):
    """Two open catalogs on one database: one SQLite file, or one team database."""
    if request.param == "sqlite":
        a = open_catalog(tmp_path / "one", seed=False)
        b = open_catalog(tmp_path / "one", seed=False)
    else:
        url = request.getfixturevalue("postgres_url")
        a = open_catalog(tmp_path / "a", database_url=url, seed=False)
        b = open_catalog(tmp_path / "b", database_url=url, seed=False)
    yield a, b
    b.close()
    a.close()


@pytest.fixture
def team(tmp_path, postgres_url):
    a = open_catalog(tmp_path / "a", database_url=postgres_url, seed=False)
    b = open_catalog(tmp_path / "b", database_url=postgres_url, seed=False)
    yield a, b
    b.close()
    a.close()


def at_once(*calls):
    """Run the calls in threads released together; their results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_the_second_writer_is_told_and_nothing_is_overwritten(two_desktops):
    a, b = two_desktops
    doc = a.service.documents.create_document(NewDocument(kind="report", title="Draft"))
    opened_on_a = a.service.documents.get_document(doc.id)  # A's edit dialog starts from this
    opened_on_b = b.service.documents.get_document(doc.id)
    b.service.documents.update_document(doc.id, expected_version=opened_on_b.version, title="B's title")
    with pytest.raises(ChangedMeanwhile) as caught:
        a.service.documents.update_document(doc.id, expected_version=opened_on_a.version, title="A's title")
    conflict = caught.value
    assert (conflict.your_version, conflict.their_version) == (opened_on_a.version, opened_on_a.version + 1)
    assert conflict.yours == {"title": "A's title"} and conflict.theirs == {"title": "B's title"}
    assert "changed by someone else meanwhile" in str(conflict)
    assert a.service.documents.get_document(doc.id).title == "B's title"
    # Starting again from what is there now works.
    fresh = a.service.documents.get_document(doc.id)
    assert a.service.documents.update_document(doc.id, expected_version=fresh.version, title="Agreed").title == "Agreed"


def test_the_same_new_tag_from_two_desktops_at_once_is_one_tag(team):
    a, b = team
    first = a.service.documents.create_document(NewDocument(kind="report", title="One"))
    second = b.service.documents.create_document(NewDocument(kind="report", title="Two"))
    for round_ in range(5):
        name = f"Fintech {round_}"
        results = at_once(
            lambda name=name: a.service.tags.add_tag([first.id], name),
            lambda name=name: b.service.tags.add_tag([second.id], name),
        )
        assert not any(isinstance(r, Exception) for r in results), results
        (tag,) = [t for t in a.service.tags.all() if t.name == name]
        assert tag.count == 2


def test_two_desktops_merging_one_tag_at_once_lose_no_document(team):
    a, b = team
    ids = [
        a.service.documents.create_document(NewDocument(kind="report", title=f"Doc {i}", tags=("cbdc",))).id
        for i in range(6)
    ]
    results = at_once(
        lambda: a.service.tags.merge_tags(["cbdc"], "Digital currency"),
        lambda: b.service.tags.merge_tags(["cbdc"], "e-CNY"),
    )
    failures = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(f, NotFound) for f in failures), failures  # the second found "cbdc" merged away
    for doc_id in ids:
        names = {t.name for t in a.service.documents.get_document(doc_id).tags}
        assert names & {"Digital currency", "e-CNY"}, names
    assert "cbdc" not in {t.name for t in a.service.tags.all()}


def test_one_alias_given_to_two_organizations_at_once(team):
    a, b = team
    a.service.documents.create_document(
        NewDocument(
            kind="report",
            title="x",
            organizations=(("Hengqin Finance Bureau", "publisher"), ("Macao Monetary Authority", "publisher")),
        )
    )
    results = at_once(
        lambda: a.service.reference.add_organization_alias("Hengqin Finance Bureau", "HFB"),
        lambda: b.service.reference.add_organization_alias("Macao Monetary Authority", "HFB"),
    )
    assert sum(isinstance(r, ValueError) and "already names" in str(r) for r in results) == 1, results
    holders = [o.name for o in a.service.reference.organizations() if "HFB" in o.aliases]
    assert len(holders) == 1


def test_two_imports_with_the_same_new_tag_and_organization(team):
    a, b = team

    def items(prefix):
        return [
            ImportItem(
                NewDocument(
                    kind="report",
                    title=f"{prefix} {i}",
                    tags=("Imported",),
                    organizations=(("Zhuhai Research Centre", "author"),),
                )
            )
            for i in range(20)
        ]

    results = at_once(
        lambda: a.service.imports.import_documents(items("A")), lambda: b.service.imports.import_documents(items("B"))
    )
    assert not any(isinstance(r, Exception) for r in results), results
    assert a.service.documents.count_documents() == 40
    with a.engine.connect() as connection:
        assert connection.scalar(select(func.count()).where(Tag.name_key == "imported")) == 1
        assert connection.scalar(select(func.count()).where(Organization.name == "Zhuhai Research Centre")) == 1


def test_two_desktops_tagging_and_attaching_to_one_document_at_once(team, tmp_path):
    a, b = team
    doc = a.service.documents.create_document(NewDocument(kind="report", title="Shared report"))
    for round_ in range(3):
        results = at_once(
            lambda r=round_: a.service.tags.add_tag([doc.id], f"from a {r}"),
            lambda r=round_: b.service.tags.add_tag([doc.id], f"from b {r}"),
        )
        assert not any(isinstance(r, Exception) for r in results), results
    names = {t.name for t in a.service.documents.get_document(doc.id).tags}
    assert names == {f"from {who} {r}" for who in "ab" for r in range(3)}
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("Notes by A on the Macao bond market", encoding="utf-8")
    second.write_text("Notes by B on the Hengqin tax rules", encoding="utf-8")
    results = at_once(
        lambda: a.service.attachments.attach_files(doc.id, [first], sandbox=False),
        lambda: b.service.attachments.attach_files(doc.id, [second], sandbox=False),
    )
    assert not any(isinstance(r, Exception) for r in results), results
    assert {x.original_name for x in a.service.attachments.of(doc.id)} == {"a.txt", "b.txt"}
