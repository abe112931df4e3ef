"""`finweek reindex | check`."""

from __future__ import annotations

from .output import print_json


def register(subparsers, common) -> None:
    p = subparsers.add_parser("reindex", parents=[common], help="rebuild the search index from the database")
    p.set_defaults(handler=run_reindex)

    p = subparsers.add_parser("check", parents=[common], help="report differences between the database and the index")
    p.add_argument("--repair", action="store_true", help="fix what is found")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=run_check)


def run_reindex(args, catalog) -> int:
    count = catalog.service.reindex()
    print(f"Indexed {count} documents.")
    return 0


def run_check(args, catalog) -> int:
    service = catalog.service
    report = service.check()
    repaired = None
    if args.repair and not report.ok:
        repaired = service.repair(report)
    if args.json:
        data = {
            "ok": report.ok,
            "missing_from_index": list(report.missing_from_index),
            "stale_in_index": list(report.stale_in_index),
            "orphans_in_index": list(report.orphans_in_index),
            "problems": list(report.problems),
        }
        if repaired is not None:
            data["repaired"] = repaired.ok
        print_json(data)
    else:
        if report.ok:
            print("Database and index agree.")
        for label, ids in (
            ("missing from the index", report.missing_from_index),
            ("out of date in the index", report.stale_in_index),
            ("in the index but not in the database", report.orphans_in_index),
        ):
            if ids:
                print(f"{len(ids)} document(s) {label}: {', '.join(map(str, ids))}")
        for problem in report.problems:
            print(problem)
        if repaired is not None:
            print("Repaired." if repaired.ok else "Repair incomplete: run `finweek reindex`.")
    if report.ok or (repaired is not None and repaired.ok):
        return 0
    return 1
