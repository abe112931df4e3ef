"""`finweek search`, `finweek related`."""

from __future__ import annotations

import sys

from ..core.catalog.meaning import DEFAULT_MODE, MODES
from ..core.display import safe_display_name
from ..core.search.index import SORTS
from .output import kind_label, positive_int, print_json, snippet_to_plain, snippet_to_text


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
    p.add_argument("query", nargs="+", help="the query (several arguments are joined with spaces)")
    p.add_argument("--limit", type=positive_int, default=20, help="how many hits to show (default 20)")
    p.add_argument("--sort", choices=SORTS, default="relevance")
    p.add_argument("--kind", action="append", default=[], help="only this kind (repeatable)")
    p.add_argument("--tag", action="append", default=[], help="only documents with this tag (repeatable)")
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


def _embed_first(service) -> None:
    """The CLI has no background thread: embed what is missing now, when it is little."""
    status = service.meaning.status()
    if status.missing + status.pending_changes <= EMBED_BEFORE_SEARCH:
        service.meaning.catch_up(embedding_progress())
    else:
        print(
            f"note: {status.missing:,} document(s) are not embedded yet; search by meaning skips them "
            "(`finweek reindex --meaning` embeds them, or the app does in the background)",
            file=sys.stderr,
        )


def run_related(args, catalog) -> int:
    from .output import CliError

    service = catalog.service
    _embed_first(service)
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
    if args.mode != "words":
        _embed_first(service)
    results = service.search(
        " ".join(args.query),
        mode=args.mode,
        limit=args.limit,
        sort=args.sort,
        kinds=[DocumentKind.parse(k).value for k in args.kind],
        tags=args.tag,
    )
    summaries = {s.id: s for s in service.documents.summaries([h.id for h in results.hits])}
    if args.json:
        print_json(
            {
                "query": results.text,
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
                    }
                    for hit in results.hits
                ],
            }
        )
        return 0
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
    kinds = ", ".join(f"{kind_label(k)} {n}" for k, n in results.kind_counts.items())
    print(f"\nBy kind: {kinds}")
    if results.tag_counts:
        print("By tag: " + ", ".join(f"{safe_display_name(t)} {n}" for t, n in list(results.tag_counts.items())[:12]))
    return 0
