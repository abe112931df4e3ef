"""The embedded default catalog: the facts of the source, loaded idempotently."""

from __future__ import annotations

from finweek_desktop.core.seed import load_seed
from finweek_desktop.core.vocabulary import DocumentKind


def test_first_open_loads_the_finance_week(catalog, service):
    assert catalog.created
    kinds = {d.kind for d in service.documents.list_documents()}
    assert kinds == {k.value for k in DocumentKind}
    titles = [d.title for d in service.documents.list_documents()]
    assert "Digital Alliance Initiative" in titles
    assert "2020 Digital Currency Blue Paper" in titles


def test_loading_the_seed_twice_changes_nothing(service):
    before = (service.documents.count_documents(), service.tags.all(), service.reference.organizations(), service.reference.sessions())
    assert load_seed(service) == 0
    after = (service.documents.count_documents(), service.tags.all(), service.reference.organizations(), service.reference.sessions())
    assert before == after
    assert service.integrity.check().ok


def test_publishers_and_roles_follow_the_source(service, seeded_id):
    report = service.documents.get_document(seeded_id("Cooperation Report"))
    assert {(o.name, o.role) for o in report.organizations} == {
        ("China Economic Information Service", "publisher"),
        ("Mongoose", "publisher"),
    }
    assert report.date == "2020"
    blue_paper = service.documents.get_document(seeded_id("Blue Paper"))
    assert {o.name for o in blue_paper.organizations} == {
        "01 Think Tank",
        "Chinese Institute of Digital Assets",
        "Hengqin Finance Research Institute",
    }


def test_event_organizer_supporters_and_places(service):
    (event,) = service.reference.events()
    assert event["name"] == "3rd Shizimen Finance Week"
    assert event["duration_days"] == 3
    roles = {(link["name"], link["role"]) for link in event["organizations"]}
    assert ("Hengqin New Area Administrative Committee", "organizer") in roles
    assert {name for name, role in roles if role == "supporter"} == {
        "Research and Development International",
        "Hengqin New Area Financial Services Bureau",
        "Hengqin New Area Financial Services Center",
    }
    places = {p["name"]: p for p in service.reference.places()}
    base = places["Hengqin Financial Industry Base"]
    assert (base["opened_year"], base["area_m2"]) == (2013, 191000)
    assert places["Hengqin Smart Finance Industrial Park"]["opened_year"] == 2018


def test_every_session_kind_has_a_record(service):
    sessions = {s.name: s for s in service.reference.sessions()}
    assert set(sessions) == {
        "Opening ceremony",
        "High-end discussion",
        "Special report session",
        "Consulting sessions",
        "Theme forums",
    }
    assert all(s.document_count == 1 for s in sessions.values())
    assert "Cross-border capital" in sessions["Theme forums"].topics


def test_the_seed_claims_nothing_the_source_does_not_say(service, seeded_id):
    # The source never says in which language the initiative, the report or
    # the blue paper were published; only the news report itself is English.
    for title in ("Digital Alliance Initiative", "Cooperation Report", "Blue Paper"):
        assert service.documents.get_document(seeded_id(title)).language is None
    assert service.documents.get_document(seeded_id("brings new ideas")).language == "en"
    # "Edited by Duan Jing with Xinhua Silk Road": an editor, not an author.
    news = service.documents.get_document(seeded_id("brings new ideas"))
    assert ("Xinhua Silk Road", "editor") in {(o.name, o.role) for o in news.organizations}
    # The committee organized the week; the source ties it to no one session.
    assert service.documents.get_document(seeded_id("Opening ceremony")).organizations == ()
    # The topics are those of the week's discussions, not of the forums alone.
    assert "does not say which session" in service.documents.get_document(seeded_id("Theme forums")).notes


def test_portuguese_names_of_places_and_bodies_are_aliases(service):
    places = {p["name"]: p for p in service.reference.places()}
    assert "Macau" in places["Macao"]["aliases"]
    assert "Ilha da Montanha" in places["Hengqin New Area"]["aliases"]
    assert "Grande Baía Guangdong-Hong Kong-Macau" in places["Guangdong-Hong Kong-Macao Greater Bay Area"]["aliases"]
    assert ("Zona de Cooperação Aprofundada entre Guangdong e Macau em Hengqin"
            in places["Guangdong (Hengqin)-Macao In-depth Cooperation Zone"]["aliases"])
    xinhua = next(o for o in service.reference.organizations() if o.name == "Xinhua News Agency")
    assert "Agência de Notícias Xinhua" in xinhua.aliases


def test_a_first_search_in_portuguese_finds_the_macao_records(service):
    news = "3rd Shizimen Finance Week brings new ideas for Hengqin–Macao financial cooperation"
    # accents folded: the Portuguese note on the news report names the association
    assert [h.title for h in service.search("associacao").hits] == [news]
    assert news in [h.title for h in service.search("seguradoras").hits]
    # a Portuguese name of a place finds the records of that place
    bay = {h.title for h in service.search('"Grande Baía Guangdong-Hong Kong-Macau"', limit=None).hits}
    assert "2020 Hengqin New Area–Macao Cooperation Report" in bay
    assert "Digital Alliance Initiative" in {h.title for h in service.search('"Ilha da Montanha"', limit=None).hits}


def test_the_portuguese_note_keeps_to_the_source(service, seeded_id):
    notes = service.documents.get_document(seeded_id("brings new ideas")).notes
    portuguese = notes.split("Em português", 1)[1]
    # the source's figures, and nothing the source does not give
    for fact in ("três dias", "Zhuhai", "2013", "191 000 metros quadrados", "2018", "onze anos"):
        assert fact in portuguese, fact
    assert "Autoridade Monetária" not in portuguese
