"""`finweek reindex | check`."""

from __future__ import annotations

import sys
from pathlib import Path

from ..core.attachments import ocr
from ..core.catalog import RepairNeedsConfirmation
from .output import CliError, print_json


def register(subparsers, common) -> None:
    p = subparsers.add_parser("reindex", parents=[common], help="rebuild the search index from the database")
    p.add_argument(
        "--meaning", action="store_true", help="make every document's embeddings (search by meaning) again instead"
    )
    p.set_defaults(handler=run_reindex)

    p = subparsers.add_parser("check", parents=[common], help="report differences between the database and the index")
    p.add_argument(
        "--repair", action="store_true", help="fix what is found (stored files are quarantined, never deleted)"
    )
    p.add_argument("--yes", action="store_true", help="with --repair: drop documents only the index has without asking")
    p.add_argument("--purge-quarantine", action="store_true", help="delete the files a repair moved to the quarantine")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=run_check)


def run_reindex(args, catalog) -> int:
    if args.meaning:
        from .search import embedding_progress

        count = catalog.service.meaning.redo(embedding_progress())
        print(f"Embedded {count} documents.")
        return 0
    count = catalog.service.integrity.reindex()
    print(f"Indexed {count} documents.")
    return 0


def run_check(args, catalog) -> int:
    service = catalog.service
    rebuilt = catalog.index.recreated_because
    if rebuilt and rebuilt != "missing" and not args.json:
        if catalog.index.write_problem() is None:
            print(f"The search index was {rebuilt} and has been rebuilt from the database.")
        else:  # a full disk or a read-only folder: said below, with what to do
            print(f"The search index was {rebuilt}; it is rebuilt once it can be written (see below).")
    purged = service.store.purge_quarantine() if args.purge_quarantine and service.store is not None else None
    # Temporary copies of processes that ended, which opening the catalog removed.
    removed = [str(p) for p in service.store.removed_leftovers] if service.store is not None else []
    report = service.integrity.check()
    meaning = service.meaning.status()
    repaired = None
    if args.repair and not report.ok:
        repaired = _repair(service, report, args.yes)
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
            "quarantined_files": list(report.quarantined_files),
            "attachments_needing_ocr": list(report.needs_ocr),
            "attachments_ocr_failed": list(report.ocr_failed),
            "ocr_unavailable": ocr.missing(),
            "search_fast_path_off": report.search_fast_path_off,
            "temporary_files_removed_at_open": removed,
            "index_rebuilt_at_open": rebuilt,
            "not_embedded": meaning.missing,
            "embedding_changes_pending": meaning.pending_changes,
            "embedded_first_pass_only": meaning.partial,
        }
        if repaired is not None:
            data["repaired"] = repaired.ok
        if purged is not None:
            data["purged_from_quarantine"] = purged
        print_json(data)
    else:
        if purged is not None:
            print(f"Deleted {purged} quarantined file(s).")
        if removed:
            print(
                f"Removed {len(removed)} temporary file(s) left by an attach or import "
                "whose process is no longer running."
            )
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
        if report.search_fast_path_off:
            print(f"Searches use Whoosh's public API (slower, same results): {report.search_fast_path_off}")
        _print_store_report(report)
        if meaning.missing or meaning.pending_changes or meaning.partial:
            print(
                f"Search by meaning: {meaning.missing} of {meaning.documents} document(s) not embedded yet"
                + (f", {meaning.partial} from their start only" if meaning.partial else "")
                + (f", {meaning.pending_changes} change(s) to follow" if meaning.pending_changes else "")
                + " (the app embeds them in the background; `finweek reindex --meaning` makes them all now)."
            )
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


def _repair(service, report, yes: bool):
    try:
        return service.integrity.repair(report, confirmed=yes)
    except RepairNeedsConfirmation as exc:
        if not sys.stdin.isatty():
            raise CliError(str(exc)) from None
        answer = input(
            f"Repair would remove {len(exc.ids)} document(s) from the search index that the database "
            "does not have (the index may be their last copy). Remove them? [y/N] "
        )
        if answer.strip().lower() not in ("y", "yes"):
            raise CliError("repair cancelled; nothing was changed") from None
        return service.integrity.repair(report, confirmed=True)


def _print_store_report(report) -> None:
    if report.unreferenced_files:
        print(
            f"{len(report.unreferenced_files)} stored file(s) no attachment refers to: "
            f"{', '.join(h[:12] for h in report.unreferenced_files)}"
        )
    if report.missing_files:
        print(
            f"{len(report.missing_files)} attachment(s) whose file is missing from the store: "
            f"{', '.join(map(str, report.missing_files))}"
        )
    if report.temp_files:
        print(f"{len(report.temp_files)} temporary file(s) left by an interrupted attach or import")
    if report.quarantined_files:
        print(
            f"{len(report.quarantined_files)} file(s) in the quarantine, moved there by a repair "
            f"(in {Path(report.quarantined_files[0]).parent}; `finweek check --purge-quarantine` deletes them)"
        )
    if report.pending_text:
        print(
            f"{len(report.pending_text)} attachment(s) whose text was never extracted: "
            f"{', '.join(map(str, report.pending_text))}"
        )
    if report.needs_ocr:
        why = ocr.missing()
        then = f"OCR is not available: {ocr.ENABLE_HINT}" if why else "`finweek ocr` reads them now"
        print(f"{len(report.needs_ocr)} attachment(s) need OCR: {_ids(report.needs_ocr)}; {then}")
    if report.ocr_failed:
        print(
            f"{len(report.ocr_failed)} attachment(s) whose OCR failed: {_ids(report.ocr_failed)}"
            " (`finweek attachments ID` says why; `finweek ocr --force ID` tries again)"
        )


def _ids(ids: tuple[int, ...]) -> str:
    return ", ".join(map(str, ids[:30])) + (" …" if len(ids) > 30 else "")
