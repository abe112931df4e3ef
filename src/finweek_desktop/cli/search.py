"""`finweek search`, `finweek related`."""

from __future__ import annotations

import sys

from sqlalchemy.exc import SQLAlchemyError

from ..core.catalog.meaning import DEFAULT_MODE, MODES
from ..core.database import server_failure
from ..core.display import safe_display_name
from ..core.search.index import SORTS
from .output import CliError, kind_label, positive_int, print_json, snippet_to_plain, snippet_to_text


def register(subparsers, common) -> None:
    p = subparsers.add_parser(
        "search",
        parents=[common],
        help="full-text search",
        description=(
            'Search the catalog. Words are ANDed; OR, NOT, "exact phrases", field:value '
            "(title:, tag:, kind:, org:, year:, place:, session:), prefix* and fuzzy~ work."
        ),
    )
    p.add_argument(
        "query", nargs="*", help="the query (several arguments are joined with spaces); required unless --saved"
    )
    p.add_argument("--limit", type=positive_int, default=20, help="how many hits to show (default 20)")
    p.add_argument("--sort", choices=SORTS, default=None, help="relevance (default), date, date-asc or title")
    p.add_argument("--kind", action="append", default=[], help="only this kind (repeatable)")
    p.add_argument("--tag", action="append", default=[], help="only documents with this tag (repeatable)")
    p.add_argument(
        "--save",
        metavar="NAME",
        help="also save this search (query, sort, --kind and --tag filters) under NAME; "
        "'Parent/Child' nests it in a collection; a saved search of that name is replaced",
    )
    p.add_argument("--saved", metavar="NAME", help="run the saved search NAME now (its own query, sort and filters)")
    p.add_argument(
        "--mode",
        choices=MODES,
        default=DEFAULT_MODE,
        help=f"words (the word index), meaning (across languages) or hybrid (both fused); default {DEFAULT_MODE}",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=run)

    p = subparsers.add_parser(
        "related",
        parents=[common],
        help="the documents nearest in meaning to one",
        description="The 10 documents nearest in meaning to document ID, whatever their language, "
        "with the passage that makes each near.",
    )
    p.add_argument("id", type=positive_int, help="the document's id")
    p.add_argument("--limit", type=positive_int, default=10, help="how many (default 10)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=run_related)


def embedding_progress():
    """Progress of embedding on stderr (a terminal only), for the CLI."""
    shown = [False]

    def report(done: int, total: int | None) -> None:
        if not sys.stderr.isatty():
            return
        shown[0] = True
        end = "\n" if total is not None and done >= total else ""
        print(f"\rEmbedding documents for search by meaning: {done}/{total}", end=end, file=sys.stderr, flush=True)

    return report


# Above this many documents to embed, a search does not wait for them
# (minutes on a large import): it says so and searches what is embedded.
EMBED_BEFORE_SEARCH = 500


def _embed_first(catalog) -> None:
    """The CLI has no background thread: embed what is missing now, when it
    is little (not at all while a team catalog's server is away, nor on a
    catalog open for reading only: a full disk)."""
    service = catalog.service
    if catalog.read_only:
        return
    try:
        status = service.meaning.status()
    except SQLAlchemyError as exc:
        if server_failure(exc) is None:
            raise
        return
    if status.missing + status.pending_changes <= EMBED_BEFORE_SEARCH:
        # The first passes make every document searchable; the second passes
        # (the rest of each text) too when they are few.
        refine = status.missing + status.partial + status.pending_changes <= EMBED_BEFORE_SEARCH
        service.meaning.catch_up(embedding_progress(), refine=refine)
    else:
        print(
            f"note: {status.missing:,} document(s) are not embedded yet; search by meaning skips them "
            "(`finweek reindex --meaning` embeds them, or the app does in the background)",
            file=sys.stderr,
        )


def run_related(args, catalog) -> int:
    from .output import CliError

    service = catalog.service
    _embed_first(catalog)
    try:
        hits = service.meaning.related(args.id, limit=args.limit)
    except (LookupError, RuntimeError) as exc:  # no such document; the encoder's package missing
        raise CliError(str(exc)) from exc
    if args.json:
        print_json(
            {
                "hits": [
                    {"id": h.id, "title": h.title, "kind": h.kind, "score": h.score, "passage": h.passage} for h in hits
                ]
            }
        )
        return 0
    if not hits:
        print(f"No document is near document {args.id} in meaning.")
        return 0
    for hit in hits:
        print(f"\n[{hit.id}] {safe_display_name(hit.title)}")
        print(f"    {kind_label(hit.kind)}  score {hit.score:.2f}")
        if hit.passage:
            print(f"    {safe_display_name(hit.passage)}")
    return 0


def run(args, catalog) -> int:
    from ..core.vocabulary import DocumentKind

    service = catalog.service
    query = " ".join(args.query)
    saved_as = None
    if args.saved is not None:
        if query or args.save or args.sort or args.kind or args.tag:
            raise CliError(
                "--saved runs a saved search as it was saved: give no query, --save, --sort, --kind or --tag"
            )
        saved = service.collections.find(args.saved, count=False)
        if not saved.saved:
            raise CliError(f"{saved.path!r} is a collection, not a saved search (see `finweek collections`)")
        results = service.collections.run(saved.id, limit=args.limit)
    else:
        if not query.strip():
            raise CliError("give a query, or --saved NAME to run a saved search")
        kind_filter = [DocumentKind.parse(k).value for k in args.kind]
        sort = args.sort or "relevance"
        if args.mode != "words":
            _embed_first(catalog)
        results = service.search(query, mode=args.mode, limit=args.limit, sort=sort, kinds=kind_filter, tags=args.tag)
        if args.save is not None:
            saved_as = service.collections.save_search(args.save, query, sort=sort, kinds=kind_filter, tags=args.tag)
    try:
        summaries = {s.id: s for s in service.documents.summaries([h.id for h in results.hits])}
    except SQLAlchemyError as exc:  # a team catalog's server away: the hits' own stored fields
        if server_failure(exc) is None:
            raise
        summaries = {}
    if args.json:
        print_json(
            {
                "query": results.text,
                **({"saved_as": saved_as.path} if saved_as is not None else {}),
                "total": results.total,
                "notice": results.notice,
                "facets": {"kind": results.kind_counts, "tag": results.tag_counts},
                "hits": [
                    {
                        "id": hit.id,
                        "kind": hit.kind,
                        "title": hit.title,
                        "date": hit.date,
                        "tags": list(summaries[hit.id].tags) if hit.id in summaries else list(hit.tags),
                        "organizations": list(summaries[hit.id].organizations) if hit.id in summaries else [],
                        "score": round(hit.score, 4),
                        "snippet": hit.snippet,
                        "snippet_text": snippet_to_plain(hit.snippet),
                        # Where in the attached files it matched, best first; file and page of the best.
                        "where": [w.to_json() for w in hit.where],
                        "file": hit.where[0].name if hit.where else None,
                        "page": hit.where[0].page if hit.where else None,
                    }
                    for hit in results.hits
                ],
            }
        )
        return 0
    if saved_as is not None:
        print(f"Saved the search as “{safe_display_name(saved_as.path)}” (`finweek search --saved` runs it)")
    if results.notice:
        print(f"note: {safe_display_name(results.notice)}")
    if not results.hits:
        print(f"No documents match {results.text!r}.")
        return 0
    shown = len(results.hits)
    print(
        f"{results.total} document{'s' if results.total != 1 else ''} match"
        + (f" (showing {shown})" if shown < results.total else "")
    )
    for hit in results.hits:
        date = f"  {hit.date}" if hit.date else ""
        print(f"\n[{hit.id}] {safe_display_name(hit.title)}")
        print(f"    {kind_label(hit.kind)}{date}  score {hit.score:.2f}")
        if hit.snippet:
            print(f"    {snippet_to_text(hit.snippet)}")
        if hit.where:
            print(f"    {'; '.join(safe_display_name(w.label()) for w in hit.where)}")
    kinds = ", ".join(f"{kind_label(k)} {n}" for k, n in results.kind_counts.items())
    print(f"\nBy kind: {kinds}")
    if results.tag_counts:
        print("By tag: " + ", ".join(f"{safe_display_name(t)} {n}" for t, n in list(results.tag_counts.items())[:12]))
    return 0
