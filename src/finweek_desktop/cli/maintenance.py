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
    rebuilt = catalog.index.recreated_because
    if rebuilt and rebuilt != "missing" and not args.json:
        print(f"The search index was {rebuilt} and has been rebuilt from the database.")
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
            "unreferenced_files": list(report.unreferenced_files),
            "attachments_without_file": list(report.missing_files),
            "temporary_files": list(report.temp_files),
            "attachments_without_text": list(report.pending_text),
            "index_rebuilt_at_open": rebuilt,
        }
        if repaired is not None:
            data["repaired"] = repaired.ok
        print_json(data)
    else:
        if report.ok:
            print("Database, index and attachment store agree.")
        for label, ids in (
            ("missing from the index", report.missing_from_index),
            ("out of date in the index", report.stale_in_index),
            ("in the index but not in the database", report.orphans_in_index),
        ):
            if ids:
                print(f"{len(ids)} document(s) {label}: {', '.join(map(str, ids))}")
        for problem in report.problems:
            print(problem)
        _print_store_report(report)
        if repaired is not None:
            if repaired.ok:
                print("Repaired.")
            elif repaired.missing_files:
                print(
                    f"Repair incomplete: {len(repaired.missing_files)} attachment(s) have lost their file; "
                    "attach the file again or detach them (`finweek detach ID ATTACHMENT_ID`)."
                )
            else:
                print("Repair incomplete: run `finweek reindex`.")
    if report.ok or (repaired is not None and repaired.ok):
        return 0
    return 1


def _print_store_report(report) -> None:
    if report.unreferenced_files:
        print(f"{len(report.unreferenced_files)} stored file(s) no attachment refers to: "
              f"{', '.join(h[:12] for h in report.unreferenced_files)}")
    if report.missing_files:
        print(f"{len(report.missing_files)} attachment(s) whose file is missing from the store: "
              f"{', '.join(map(str, report.missing_files))}")
    if report.temp_files:
        print(f"{len(report.temp_files)} temporary file(s) left by an interrupted attach")
    if report.pending_text:
        print(f"{len(report.pending_text)} attachment(s) whose text was never extracted: "
              f"{', '.join(map(str, report.pending_text))}")
