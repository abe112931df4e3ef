"""What finding each hit's file and page costs a search (issue 14).

    python benchmarks/hit_places.py --docs 1000

Builds a corpus catalog (benchmarks/corpus.py, ~1,500 words of attached text
per document) and times the seven benchmark queries, top 20 with snippets,
through ``SearchIndex.search`` (the index alone) and ``CatalogService.search``
(the same, then ``HitPlaces.locate``: the hits' files and pages read from the
database and their text analysed for the query's words). Medians over
``--rounds`` rounds, warm.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

QUERIES = ("financial", "macao investment", '"cross border"', "title:bonds", "fin*", "横琴", "insurance regulation")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    import corpus

    from finweek_desktop.core.startup import open_catalog

    folder = Path(tempfile.mkdtemp(prefix="finweek-hit-places-"))
    try:
        catalog = open_catalog(folder / "catalog")
        service = catalog.service
        sessions = [s.id for s in service.reference.sessions()]
        places = [p["name"] for p in service.reference.places()]
        service.imports.import_documents(corpus.generate(args.docs, sessions=sessions, places=places))
        timings: dict[str, list[float]] = {"index": [], "service": []}
        located = 0
        for round_ in range(args.rounds + 1):
            for q in QUERIES:
                started = time.perf_counter()
                service.index.search(q, limit=20)
                index_ms = (time.perf_counter() - started) * 1000
                started = time.perf_counter()
                results = service.search(q, limit=20)
                service_ms = (time.perf_counter() - started) * 1000
                if round_:  # the first round warms up
                    timings["index"].append(index_ms)
                    timings["service"].append(service_ms)
                    located += sum(1 for h in results.hits if h.where)
        catalog.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    index, service_ = statistics.median(timings["index"]), statistics.median(timings["service"])
    print(f"{args.docs} documents, {len(QUERIES)} queries x {args.rounds} rounds, top 20")
    print(f"| search, index only | {index:.1f} ms |")
    print(f"| search + hit places | {service_:.1f} ms (+{service_ - index:.1f} ms) |")
    print(f"hits that named a file: {located} of {len(timings['index']) * 20} at most")
    return 0


if __name__ == "__main__":
    sys.exit(main())
