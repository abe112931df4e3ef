"""What `check` finds, and the one question a repair may have to ask."""

from __future__ import annotations

from dataclasses import dataclass, field

# A repair may drop this many documents from the index without asking.
DROP_WITHOUT_ASKING = 5


class RepairNeedsConfirmation(RuntimeError):
    """A repair would drop documents only the index still has; nothing was changed."""

    def __init__(self, ids: tuple[int, ...]):
        self.ids = ids
        super().__init__(
            f"repair would remove {len(ids)} document(s) from the search index that the database "
            f"does not have; the index may be their last copy. Nothing was changed; "
            f"confirm to remove them (--yes), or restore the database from a backup first"
        )


@dataclass(frozen=True)
class CheckReport:
    missing_from_index: tuple[int, ...] = ()
    stale_in_index: tuple[int, ...] = ()
    orphans_in_index: tuple[int, ...] = ()
    problems: tuple[str, ...] = field(default=())
    # The attachment store: files no row refers to (hashes), rows whose file
    # is gone (attachment ids), copies a crash left in tmp/, and attachments
    # whose text was never extracted (from before migration 0002).
    unreferenced_files: tuple[str, ...] = ()
    missing_files: tuple[int, ...] = ()
    temp_files: tuple[str, ...] = ()
    pending_text: tuple[int, ...] = ()
    # Attachments waiting for OCR, or whose OCR failed: listed, never counted as a fault.
    needs_ocr: tuple[int, ...] = ()
    ocr_failed: tuple[int, ...] = ()
    quarantined_files: tuple[str, ...] = ()  # moved aside by a repair: listed, never counted as a fault
    index_damaged: bool = False  # its files are not what was written: repair rebuilds it
    # Why searches take Whoosh's public path (the fast path's self-check
    # failed); searches still answer correctly, only slower: not a fault.
    search_fast_path_off: str | None = None

    @property
    def ok(self) -> bool:
        return not (
            self.missing_from_index
            or self.stale_in_index
            or self.orphans_in_index
            or self.problems
            or self.unreferenced_files
            or self.missing_files
            or self.temp_files
            or self.pending_text
        )
