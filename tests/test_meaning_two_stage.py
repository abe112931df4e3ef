"""Search by meaning at scale (issue 15's targets): the two-stage search
(one vector a document in memory, then the candidates' passages from the
database) against an exact search over every passage, and embedding in two
passes (the first passages, then the rest) followed through the change log,
on real catalogs in tmp_path."""

from __future__ import annotations

import threading

import numpy as np
from sqlalchemy import select

from finweek_desktop.core.catalog.meaning import MEANING_FLOOR, passage_sources
from finweek_desktop.core.meaning.encoder import Encoder, shared_encoder
from finweek_desktop.core.meaning.follower import COMPLETE, DOCUMENT_ROW, FIRST_PASS, EmbeddingFollower
from finweek_desktop.core.meaning.passages import FIRST_PASSAGES, passages
from finweek_desktop.core.meaning.vectors import DocumentIndex, exact_nearest, nearest
from finweek_desktop.core.models import Document, Embedding
from finweek_desktop.core.records import NewDocument

QUERIES = [
    "seguro automóvel transfronteiriço",
    "数字货币试点",
    "green bonds for environmental projects",
    "Macao investment",
    "横琴",
    "financial technology companies",
]

# Six topics a sentence each, ten sentences: more passages than the first pass embeds.
LONG_SUMMARY = " ".join(
    [
        "Cars registered in Macao that drive into Hengqin can carry one insurance policy recognised on both sides.",
        "The policy is sold by insurers of either side and covers third-party liability on the island.",
        "Issuers of green bonds reported the environmental outcomes of the projects they funded during the year.",
        "The central bank extended its pilot of the digital currency to merchants in Zhuhai and Hengqin.",
        "Retirees who moved to Hengqin asked how their pensions are paid across the border each month.",
        "A calligraphy exhibition during the finance week showed four single characters in large format.",
        "Financial technology companies opened offices in the new industrial park next to the port.",
        "Wealth management products sold across the border are subject to quotas set by both regulators.",
        "Speakers compared the rules for cross-border data transfers in the bay area with those in Europe.",
        "The report closes with a list of questions that the next edition of the finance week should answer.",
    ]
)


def _add(service, title, summary="", language=None):
    return service.documents.create_document(
        NewDocument(kind="report", title=title, summary=summary, language=language)
    ).id


def _rows(engine, document_id):
    with engine.connect() as connection:
        return connection.execute(
            select(Embedding.passage_no, Embedding.source, Embedding.vector, Embedding.model_version)
            .where(Embedding.document_id == document_id)
            .order_by(Embedding.passage_no)
        ).all()


def test_two_stages_find_what_an_exact_search_over_every_passage_finds(catalog):
    """The seeded catalog and a few documents more: each query's ranking,
    scores and nearest passages equal those of every stored passage
    searched exactly (with the default pool, larger than this catalog). With
    a pool of half the documents, a document whose mean is far but one
    passage near can be missed (a long one on many topics): what is found
    is scored as exactly, in the same order, and the best is the same."""
    service = catalog.service
    _add(service, "Cross-border motor insurance", "Cars from Macao carry one policy in Hengqin.", "en")
    _add(service, "两地车辆保险互认安排", "澳门车辆驶入横琴时，只需购买一份两地都承认的保单。", "zh-Hans")
    _add(service, "Relatório de cooperação", LONG_SUMMARY, "pt")
    meaning = service.meaning
    assert meaning.catch_up()
    with catalog.engine.connect() as connection:
        ids = list(connection.scalars(select(Document.id).order_by(Document.id)))
    stored = meaning.follower.passage_vectors(ids)
    assert set(stored) == set(ids)
    index = meaning.follower.vectors()
    assert len(index) == len(ids)
    for query in QUERIES:
        vector = meaning.encoder.encode([query])
        exact = exact_nearest(stored, vector, limit=10, floor=MEANING_FLOOR)
        two = meaning.nearest(query, limit=10)
        assert [(n.document_id, n.passage) for n in two] == [(n.document_id, n.passage) for n in exact]
        assert np.allclose([n.score for n in two], [n.score for n in exact])
        half = nearest(
            index, meaning.follower.passage_vectors, vector, limit=3, floor=MEANING_FLOOR, candidates=len(ids) // 2
        )
        assert half[:1] == exact[:1]
        assert [n for n in exact if n in half] == half  # each scored as exactly, in order


def test_related_ranks_by_passages_after_the_first_stage(catalog):
    service = catalog.service
    pt = _add(service, "Seguro automóvel transfronteiriço", "Os carros de Macau em Hengqin têm uma só apólice.", "pt")
    zh = _add(service, "两地车辆保险互认安排", "澳门车辆驶入横琴时，只需购买一份两地都承认的保单。", "zh-Hans")
    assert service.meaning.catch_up()
    related = service.meaning.related(pt)
    assert related[0].id == zh and pt not in [r.id for r in related]
    assert related == sorted(related, key=lambda r: -r.score)


def test_a_long_document_is_embedded_in_two_passes_through_the_change_log(empty_catalog):
    service, engine = empty_catalog.service, empty_catalog.engine
    meaning = service.meaning
    doc = _add(service, "Relatório de cooperação", LONG_SUMMARY, "pt")
    short = _add(service, "Green bonds", "Issuers reported the outcomes of their projects.")
    [document] = passage_sources(service.writer)([doc])  # what the follower reads
    every = passages(document)
    assert len(every) > FIRST_PASSAGES

    # The first pass: the first passages and the document's vector, marked as a first pass.
    assert meaning.catch_up(refine=False)
    rows = _rows(engine, doc)
    assert [r.passage_no for r in rows] == [DOCUMENT_ROW, *range(FIRST_PASSAGES)]
    assert rows[0].source == FIRST_PASS
    assert _rows(engine, short)[0].source == COMPLETE  # it has no more passages than that
    status = meaning.status()
    assert (status.missing, status.partial) == (0, 1)
    hits = service.search("cross-border motor insurance", mode="meaning").hits
    assert hits and hits[0].id == doc  # searchable already
    first = {r.passage_no: r.vector for r in rows if r.passage_no >= 0}

    # The second pass adds the rest; the first passes' vectors stay as they were.
    assert meaning.catch_up()
    rows = _rows(engine, doc)
    assert [r.passage_no for r in rows] == [DOCUMENT_ROW, *range(len(every))]
    assert rows[0].source == COMPLETE
    assert {r.passage_no: r.vector for r in rows if r.passage_no in first} == first
    assert meaning.status().partial == 0
    # The passage on data transfers is beyond the first pass: it is the snippet now.
    hit = service.search("transferência de dados entre fronteiras", mode="meaning").hits[0]
    assert hit.id == doc and hit.snippet.startswith("Financial technology companies")

    # An edit is followed through the change log: the first pass again, then the second.
    service.documents.update_document(doc, summary="Obrigações verdes. " + LONG_SUMMARY)
    assert meaning.status().pending_changes == 1
    assert meaning.catch_up(refine=False)
    rows = _rows(engine, doc)
    assert rows[0].source == FIRST_PASS and len(rows) == FIRST_PASSAGES + 1
    assert meaning.status().pending_changes == 0
    assert meaning.catch_up()
    [document] = passage_sources(service.writer)([doc])
    assert len(_rows(engine, doc)) == len(passages(document)) + 1
    assert _rows(engine, doc)[0].source == COMPLETE


def test_the_second_pass_redoes_a_document_changed_since_its_first(empty_catalog):
    """A first pass stored for a text that has changed since (a write the
    log has not brought yet) is not kept beside passages of the new one."""
    from sqlalchemy import update

    service, engine = empty_catalog.service, empty_catalog.engine
    meaning = service.meaning
    doc = _add(service, "Relatório de cooperação", LONG_SUMMARY, "pt")
    assert meaning.catch_up(refine=False)
    with engine.begin() as connection:  # behind the write path: no change-log row
        connection.execute(update(Document).where(Document.id == doc).values(summary="Novo texto. " + LONG_SUMMARY))
    assert meaning.catch_up()
    [document] = passage_sources(service.writer)([doc])
    expected = passages(document)
    rows = _rows(engine, doc)
    assert len(rows) == len(expected) + 1 and rows[0].source == COMPLETE
    fresh = meaning.encoder.encode([p.text for p in expected])
    stored = meaning.follower.passage_vectors([doc])[doc].floats()
    assert np.all(np.sum(fresh * stored, axis=1) > 0.99)  # every passage is the new text's


def test_a_model_version_change_embeds_both_passes_again(empty_catalog):
    service, engine = empty_catalog.service, empty_catalog.engine
    doc = _add(service, "Relatório de cooperação", LONG_SUMMARY, "pt")
    assert service.meaning.catch_up()
    newer = Encoder(version=shared_encoder().version + "+next")
    follower = EmbeddingFollower(engine, newer, service.integrity.indexed_documents, DocumentIndex(512))
    assert follower.status().missing == 1
    assert follower.catch_up(refine=False)
    assert (follower.status().missing, follower.status().partial) == (0, 1)
    assert follower.catch_up()
    rows = _rows(engine, doc)
    assert {r.model_version for r in rows} == {newer.version}
    assert rows[0].source == COMPLETE and follower.status().partial == 0
    assert len(follower.vectors()) == 1


def test_a_bulk_import_is_embedded_with_progress(empty_catalog):
    """A bulk import arrives through the change log: its first passes are
    reported as they go (what the CLI and the Search tab show), then the
    second passes."""
    service = empty_catalog.service
    items = [NewDocument(kind="report", title=f"Relatório {n}", summary=LONG_SUMMARY, language="pt") for n in range(40)]
    report = service.imports.import_documents(items)
    assert report.count == 40
    first, second = [], []
    assert service.meaning.follower.catch_up(
        lambda d, t: first.append((d, t)), refining=lambda d, t: second.append((d, t))
    )
    assert first[-1] == (40, 40) and len(first) >= 2
    assert second[-1] == (40, 40)
    status = service.meaning.status()
    assert (status.missing, status.partial, status.pending_changes) == (0, 0, 0)


def test_the_background_embedding_waits_for_the_writes_to_pause(empty_catalog):
    """The app's thread: it steps aside while documents are being written
    (a bulk import keeps its pace), then embeds them all, both passes."""
    import time

    service = empty_catalog.service
    meaning = service.meaning
    before = set(threading.enumerate())  # a thread of another test's catalog is not this one's
    meaning.follow_in_background(interval=0.2, quiet=0.5)
    try:
        for n in range(5):
            _add(service, f"Relatório {n}", LONG_SUMMARY, "pt")
        deadline = time.monotonic() + 120  # a bound on waiting, not a measurement
        while time.monotonic() < deadline:
            status = meaning.status()
            if (status.missing, status.partial, status.pending_changes) == (0, 0, 0):
                break
            time.sleep(0.2)
        status = meaning.status()
        assert (status.documents, status.missing, status.partial, status.pending_changes) == (5, 0, 0, 0)
    finally:
        meaning.stop_following()
    assert not any(t.name == "finweek-embeddings" for t in set(threading.enumerate()) - before)


def test_the_first_stage_distance_is_each_documents_fewest_differing_signs():
    # The column-major walk over the signs must give what comparing every
    # passage of every document with the queries, row by row, gives; after an
    # update too (the matrix rebuilt from the documents' own views).
    from finweek_desktop.core.meaning.vectors import signs

    rng = np.random.default_rng(7)
    held = {i: signs(rng.normal(size=(int(rng.integers(1, 9)), 512))) for i in range(1, 3001)}
    index = DocumentIndex(512)
    index.load(dict(held), generation=1)
    index.distances(rng.normal(size=(1, 512)))  # the matrix built once before the update
    held[5] = signs(rng.normal(size=(3, 512)))
    index.update({5: held[5], 7: None}, generation=2)
    del held[7]
    queries = rng.normal(size=(2, 512)).astype(np.float32)
    ids, distance = index.distances(queries)
    assert ids.tolist() == sorted(held)
    wanted = signs(queries)
    expected = [min(int(np.bitwise_count(held[i] ^ q).sum(axis=1).min()) for q in wanted) for i in ids.tolist()]
    assert distance.tolist() == expected


def test_the_second_stage_scores_each_document_by_its_nearest_passage():
    # One product over every candidate's passages must rank as scoring each
    # document alone does: its best passage's cosine, that passage, the floor.
    from finweek_desktop.core.meaning.vectors import DocumentVectors, PassageRef, rescore

    rng = np.random.default_rng(11)
    found = {}
    for document_id in range(1, 201):
        n = int(rng.integers(1, 9))
        vectors = rng.normal(size=(n, 512)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        rows = np.clip(np.rint(vectors * 127 / np.abs(vectors).max(axis=1, keepdims=True)), -127, 127)
        found[document_id] = DocumentVectors(
            rows.astype(np.int8),
            (np.abs(vectors).max(axis=1) / 127).astype(np.float32),
            tuple(PassageRef(p, "text", p * 10, p * 10 + 9) for p in range(n)),
        )
    found[201] = DocumentVectors(np.zeros((0, 512), dtype=np.int8), np.zeros(0, dtype=np.float32), ())
    queries = rng.normal(size=(2, 512)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)

    expected = []
    for document_id, v in found.items():
        if not len(v.passages):
            continue
        cosines = (v.floats() @ queries.T).max(axis=1)
        best = int(np.argmax(cosines))
        if cosines[best] >= -0.05:
            expected.append((document_id, float(cosines[best]), v.passages[best]))
    expected.sort(key=lambda e: (-e[1], e[0]))

    got = rescore(queries, found, limit=150, floor=-0.05)
    assert [(n.document_id, n.passage) for n in got] == [(d, p) for d, _, p in expected[:150]]
    assert all(abs(n.score - s) < 1e-5 for n, (_, s, _) in zip(got, expected, strict=False))


def test_the_embedding_thread_rebuilds_the_vectors_searches_use(empty_catalog, monkeypatch):
    # After each batch of the background embedding the signs' matrix is
    # rebuilt on the embedding's own thread (at 50,000 documents the search
    # that did it paid 60 to 130 ms), and a search between the batch's commit
    # and that patch keeps what it holds rather than read every vector again.
    from finweek_desktop.core.meaning import vectors

    service, meaning = empty_catalog.service, empty_catalog.service.meaning
    items = [NewDocument(kind="report", title=f"Relatório {n}", summary=LONG_SUMMARY, language="pt") for n in range(40)]
    service.imports.import_documents(items[:20])
    assert meaning.catch_up()
    meaning.nearest("seguro automóvel")  # the vectors loaded, their matrix built
    follower = meaning.follower
    reloads: list[int] = []
    built_on: list[str] = []
    reload, matrix_of, update = follower._reload, vectors._matrix_of, follower.cache.update
    monkeypatch.setattr(follower, "_reload", lambda generation: reloads.append(generation) or reload(generation))
    monkeypatch.setattr(
        vectors, "_matrix_of", lambda *a: built_on.append(threading.current_thread().name) or matrix_of(*a)
    )

    def searched_meanwhile(changed, generation):
        meaning.nearest("seguro automóvel")  # committed, not yet patched in
        update(changed, generation)

    monkeypatch.setattr(follower.cache, "update", searched_meanwhile)
    new = service.imports.import_documents(items[20:]).ids
    worker = threading.Thread(target=meaning.catch_up, name="embedding")
    worker.start()
    worker.join(120)
    assert not reloads
    assert built_on and set(built_on) == {"embedding"}
    meaning.nearest("seguro automóvel")
    assert set(built_on) == {"embedding"}  # the search found the matrix built
    assert all(i in follower.vectors() for i in new) and not reloads


def test_the_first_stage_ranks_its_hamming_candidates_by_the_querys_own_values():
    # Hamming distance compares the query's signs with each passage's; the
    # first stage then ranks WIDEN times its candidates by the query's values
    # over each passage's signs, which keeps more of an exact search's top 10.
    from finweek_desktop.core.meaning.vectors import WIDEN, signs

    rng = np.random.default_rng(3)
    topics = rng.normal(size=(60, 512))
    floats, held = {}, {}
    for document_id in range(1, 4001):
        rows = topics[rng.integers(60)] + rng.normal(scale=3.0, size=(int(rng.integers(1, 9)), 512))
        floats[document_id] = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
        held[document_id] = signs(floats[document_id])
    index = DocumentIndex(512)
    index.load(dict(held), generation=1)
    ids = np.array(sorted(floats))
    ranked, by_hamming = [], []
    for _ in range(30):
        query = topics[rng.integers(60)] + rng.normal(scale=3.0, size=512)
        query = (query / np.linalg.norm(query)).astype(np.float32)[None, :]
        best = [float((floats[i] @ query.T).max()) for i in ids.tolist()]
        exact = set(ids[np.argsort(best)[::-1][:10]].tolist())
        found = index.candidates(query, limit=40)
        assert len(found) == 40 and len(set(found)) == 40
        hamming_ids, distance = index.distances(query)
        nearest_signs = hamming_ids[np.argsort(distance, kind="stable")[:40]].tolist()
        widest = np.sort(distance)[40 * WIDEN - 1]  # each found is among the WIDEN x 40 nearest signs (ties aside)
        assert all(distance[np.searchsorted(hamming_ids, i)] <= widest for i in found)
        ranked.append(len(exact & set(found)) / 10)
        by_hamming.append(len(exact & set(nearest_signs)) / 10)
    assert np.mean(ranked) >= np.mean(by_hamming) + 0.1
