"""The one owner of the Whoosh index: open or create, update, delete,
rebuild and search.

The catalog service calls it on every write, so a saved document is
searchable at once. An index that is missing, unreadable or built by another
schema version is reported as needing a rebuild; the service rebuilds it
from the database rather than failing.
"""

from __future__ import annotations

import errno
import functools
import html
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from filelock import FileLock
from whoosh import index as whoosh_index
from whoosh import sorting

from . import checksums, ranking, selfcheck, whoosh_internals
from .analysis import contains_han, han_spellings
from .matching import FacetSets, Matched, leaf_readers, split_by_segment
from .postings import FieldLengths, PostingsCache
from .query import (
    ParsedQuery,
    QueryError,
    clean_query_text,
    expansion_budget,
    make_parser,
    parse_query,
    plain_words,
    select_passage,
)
from .schema import (
    SCHEMA_VERSION,
    IndexedDocument,
    build_schema,
)
from .sessions import Sessions
from .snippets import Snippets
from .synonyms import Synonyms

log = logging.getLogger(__name__)

VERSION_FILE = "finweek-index-version"
# Written in VERSION_FILE by `finweek recover`: the index of a database it replaced, rebuilt at the next open.
RECOVERED_VERSION = "recovered"
INDEX_NAME = "catalog"
SORTS = ("relevance", "date", "date-asc", "title")
_OPEN_ATTEMPTS = 3
# Above this many documents a rebuild uses two writer processes.
_MULTIPROCESS_THRESHOLD = 2000


# Fast-path problems already logged by this process (each is logged once).
_LOGGED_PROBLEMS: set[str] = set()

_DAMAGED_MESSAGE = (
    "the search index is damaged; it will be rebuilt from the catalog at the next start (or now with `finweek reindex`)"
)


_TEXT_FIELDS = {"title", "title_pt", "body", "body_pt", "subtitle_pt"}
# What text_matcher analyses apart: a run of Chinese characters, or a word.
_CHUNK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|\w+")
_HAN_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class IndexDamaged(RuntimeError):
    """The index's files are not what was written; the message is for the
    user. The index is marked for a rebuild at the next open."""


class IndexBusy(RuntimeError):
    """Another writer holds the index (an import, a rebuild, another process)."""


class IndexReadOnly(IndexBusy):
    """The index folder cannot be written (its permissions, a read-only
    mount): reads go on, writes wait in the change log. The message names
    the folder and what to do, for the user."""


class IndexFull(IndexBusy):
    """The disk holding the index filled while a write was committed: the
    write is saved in the database and waits in the change log; nothing of
    it stays in the index (no half-written segment). The message says where
    and how much to free, for the user."""


# What the system answers when a folder cannot be written to.
_NOT_WRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS)
# ... and when its disk (or the user's quota) is full.
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
# What to free on a full disk for the index: room for a few commits and their merges,
# more when the write that failed was bigger.
_NEEDED_FREE_BYTES = 8 * 1024 * 1024


def read_only_problem(directory: Path) -> str | None:
    """Why new documents cannot reach the index in ``directory`` (its folder
    is read-only), for the user; None when it can be written (or is not there
    yet: it is made when needed). Asks the system, writes nothing."""
    directory = Path(directory)
    if not directory.is_dir() or os.access(directory, os.W_OK):
        return None
    return (
        f"the search index folder {directory} is read-only: make it writable again "
        f"(chmod -R u+w '{directory}', or remount it read-write), and what was saved meanwhile becomes searchable"
    )


def full_disk_problem(directory: Path, needed: int) -> str | None:
    """Why what was saved is not searchable yet when the disk holding the
    index in ``directory`` has less than ``needed`` bytes free, for the user;
    None once it has them."""
    try:
        free = shutil.disk_usage(directory).free
    except OSError:
        return None
    if free >= needed:
        return None
    return (
        f"the disk holding the search index {directory} is full ({free // 1024:,} KB free): what was saved is "
        f"kept and becomes searchable by itself once there is room; free at least {-(-needed // 2**20)} MB there"
    )


def _folder_size(directory: Path) -> int:
    try:
        return sum(p.stat().st_size for p in directory.iterdir() if p.is_file())
    except OSError:
        return 0


@dataclass(frozen=True)
class SearchHit:
    id: int
    kind: str
    title: str
    date: str | None  # "2020", "2020-11" or "2020-11-20"
    score: float  # relevance; 0.0 when sorted by date or title
    snippet: str  # HTML: escaped text with <b> around the matches
    tags: tuple[str, ...] = ()
    where: tuple[HitPlace, ...] = ()  # the attached files (and pages) that matched, best first


def summary_snippet(summary: str, chars: int = 220) -> str:
    """The snippet of a hit no word matched: the start of its summary, as HTML."""
    return html.escape(summary[:chars] + ("…" if len(summary) > chars else ""))


@dataclass(frozen=True)
class HitPlace:
    """Where in a document's files a hit matched: a file, and its page (1-based) when it has pages."""

    attachment_id: int
    name: str
    page: int | None = None

    def label(self) -> str:
        """ "in report.pdf, p. 7" """
        return f"in {self.name}" + (f", p. {self.page}" if self.page else "")

    def to_json(self) -> dict:
        data: dict[str, int | str] = {"attachment_id": self.attachment_id, "name": self.name}
        if self.page is not None:
            data["page"] = self.page
        return data


@dataclass(frozen=True)
class SearchResults:
    text: str
    total: int
    hits: tuple[SearchHit, ...]
    kind_counts: dict[str, int] = field(default_factory=dict)
    tag_counts: dict[str, int] = field(default_factory=dict)
    notice: str | None = None


class SearchIndex:
    """A Whoosh index in ``directory``. Thread-safe; one writer at a time."""

    def __init__(self, directory: Path, *, han_index: str = "bigrams", han_query: str = "words"):
        # han_index / han_query choose how Chinese is indexed and queried
        # (see analysis.py); other values than the defaults exist only for
        # benchmarks/relevance.py to measure the alternatives.
        self.directory = Path(directory)
        self._schema = build_schema(han_index)
        self._synonyms = Synonyms()
        self._parser = make_parser(self._schema, han_query=han_query, synonyms=self._synonyms)
        self._version = SCHEMA_VERSION if han_index == "bigrams" else f"{SCHEMA_VERSION}+{han_index}"
        self._ix: whoosh_index.Index | None = None
        self._searcher = None
        self.recreated_because: str | None = None  # why the last open() made it anew
        self._full_needed: int | None = None  # the last commit failed on a full disk: bytes to free
        self._damaged = False  # found damaged since opened: rebuilt at the next open
        self._facets = FacetSets()
        self._lengths = FieldLengths()
        self._postings = PostingsCache()
        # Why searches go through Whoosh's public API alone (selfcheck.py),
        # and whether the fast path was compared on terms of this index yet.
        self._fast_path_problem: str | None = None
        self._fast_path_checked = False
        self._lock = threading.RLock()
        # text_matcher's analysis of chunks of text, by field
        self._analysed_chunks: dict[str, Callable[[str], frozenset[str]]] = {}
        # Other processes (the CLI beside the app) open, recreate and swap
        # this directory too: deciding and swapping happen under this lock.
        # Thread-local (filelock's default): re-entrant in a thread, and it
        # excludes this process's other threads as well as other processes.
        self._dir_lock = FileLock(self.directory.with_name(self.directory.name + ".lock"), mode=0o600)
        # Marks this object's time with the index open, so the next open can
        # tell whether it stopped cleanly (sessions.py).
        self._sessions = Sessions(self.directory.with_name(self.directory.name + ".sessions"))

    # -- opening -----------------------------------------------------------

    def open(self) -> bool:
        """Open the index, creating it empty when unusable.

        Returns True when the caller must fill it (new, damaged, or built with
        another schema version); False when it opened as it was.
        """
        with self._lock, self._dir_lock:
            self.close()
            self._discard_leftovers()
            self._sessions.begin()
            for attempt in range(_OPEN_ATTEMPTS):
                reason = self._unusable_reason()
                if reason is None:
                    try:
                        self._ix = whoosh_index.open_dir(str(self.directory), indexname=INDEX_NAME)
                        self._ix.doc_count()  # touches the segments: fails if damaged
                        self._check_fast_path()
                        return False
                    except Exception as exc:  # any damage means: rebuild
                        reason = f"unreadable ({exc.__class__.__name__}: {exc})"
                if not reason.startswith("unreadable"):
                    break
                # Another process may be committing (its new TOC not yet in
                # place): only a damage that persists is worth a rebuild.
                time.sleep(0.2 * (attempt + 1))
            problem = self.read_only_problem()
            if problem is not None and reason is not None:  # it cannot be recreated: read it as it is, if it can
                return self._open_read_only(reason, problem)
            expected = reason == "missing" or (reason or "").startswith(f"of version {RECOVERED_VERSION},")
            level = logging.INFO if expected else logging.WARNING
            log.log(level, "search index at %s is %s; recreating it", self.directory, reason)
            self.recreated_because = reason
            try:
                self._create_empty(self.directory)
            except OSError as exc:
                if exc.errno not in _DISK_FULL:
                    raise
                self._ix = None
                self._full_needed = _NEEDED_FREE_BYTES
                problem = full_disk_problem(self.directory, self._full_needed) or "its disk is full"
                raise IndexFull(f"the search index must be rebuilt (it is {reason}), but {problem}") from exc
            return True

    def _open_read_only(self, reason: str, problem: str) -> bool:
        """Open an index that should be rebuilt but whose folder is read-only:
        one only without checksums is searched as it is (they are recorded
        once the folder is writable); anything else is refused, saying so."""
        if reason == "without checksums":
            try:
                self._ix = whoosh_index.open_dir(str(self.directory), indexname=INDEX_NAME, readonly=True)
                self._ix.doc_count()
            except Exception as exc:
                reason = f"unreadable ({exc.__class__.__name__}: {exc})"
            else:
                log.warning("search index at %s is %s and cannot get them now: %s", self.directory, reason, problem)
                self._check_fast_path()
                return False
        raise IndexReadOnly(f"the search index must be rebuilt (it is {reason}), but {problem}")

    def _discard_leftovers(self) -> None:
        """Remove what an interrupted rebuild left beside the index."""
        for suffix in (".rebuild", ".old"):
            leftover = self.directory.with_name(self.directory.name + suffix)
            if leftover.exists():
                log.info("removing %s left by an interrupted rebuild", leftover)
                shutil.rmtree(leftover, ignore_errors=True)

    def _unusable_reason(self) -> str | None:
        try:
            if not whoosh_index.exists_in(str(self.directory), indexname=INDEX_NAME):
                return "missing"
        except Exception as exc:  # exists_in reads the TOC, which may be damaged
            return f"unreadable ({exc.__class__.__name__}: {exc})"
        try:
            version = (self.directory / VERSION_FILE).read_text().strip()
        except OSError:
            return "of an unknown version"
        if version != self._version:
            return f"of version {version}, not {self._version}"
        if not checksums.exists(self.directory):
            # Built before checksums, or they were lost: its bytes cannot be
            # told from bit rot, and recording them now would bless it.
            return "without checksums"
        # Segment files never change: one whose size did is damaged (a file
        # merged away meanwhile by another process is simply not there).
        present = [p.name for p in self.directory.iterdir()]
        bad = checksums.damaged(self.directory, present, contents=False)
        if bad:
            return f"damaged ({len(bad)} file(s) changed since written: {', '.join(bad[:3])})"
        unclean = self._sessions.ended_uncleanly()
        if unclean:
            # Whoosh does not sync its files: after a crash or a power cut a
            # file may hold other bytes at its size. Read them all, once.
            log.warning(
                "the search index was left open by %d process(es) that stopped without closing it; checking its files",
                len(unclean),
            )
            bad = checksums.damaged(self.directory, present, contents=True)
            self._sessions.forget(unclean)
            if bad:
                return (
                    f"damaged ({len(bad)} file(s) changed since written, found after an unclean stop: "
                    f"{', '.join(bad[:3])})"
                )
        return None

    def _create_empty(self, directory: Path) -> None:
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir(parents=True)
        self._ix = whoosh_index.create_in(str(directory), self._schema, indexname=INDEX_NAME)
        (directory / VERSION_FILE).write_text(self._version)

    def _live_files(self) -> list[str]:
        """The files of the open index's segments and table of contents."""
        ix = self._ix
        assert ix is not None  # called with the index open
        segment_ids = whoosh_internals.segment_ids(ix)
        names = [f"_{INDEX_NAME}_{ix.latest_generation()}.toc"]
        for path in self.directory.iterdir():
            if any(path.name.startswith(segid + ".") for segid in segment_ids):
                names.append(path.name)
        return names

    def _record_checksums(self) -> None:
        """Record the files of the committed table of contents only: another
        writer's files in progress are in none yet."""
        with self._dir_lock:
            try:
                checksums.record(self.directory, self._live_files())
            except OSError as exc:  # a full disk: the commit stands; the next one records its files
                (self.directory / (checksums.CHECKSUMS_FILE + ".tmp")).unlink(missing_ok=True)
                log.warning("could not record the search index's checksums: %s", exc)

    def verify(self) -> list[str]:
        """The index files whose contents differ from what was written
        (reads every file: seconds for a big index)."""
        with self._lock, self._dir_lock:
            if self._ix is None:
                try:
                    self._ix = whoosh_index.open_dir(str(self.directory), indexname=INDEX_NAME)
                except Exception as exc:
                    return [f"the table of contents ({exc.__class__.__name__})"]
            return checksums.damaged(self.directory, self._live_files(), contents=True)

    def mark_damaged(self) -> None:
        """Make the next open rebuild the index; until then, searches say
        it is damaged (writes go on: the rebuild reads the database)."""
        with self._lock, self._dir_lock:
            self._damaged = True
            try:
                (self.directory / VERSION_FILE).write_text("damaged")
            except OSError as exc:  # a read-only folder: searches say it until the next open
                log.warning("could not mark the search index for a rebuild: %s", exc)

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None
            if self._ix is not None:
                self._ix.close()
                self._ix = None
            self._sessions.end()

    @property
    def fast_path_problem(self) -> str | None:
        """Why searches go through Whoosh's public API alone, slower but
        with the same documents: None while the fast path is in use."""
        return self._fast_path_problem

    def _check_fast_path(self) -> None:
        """Compare the fast path with Whoosh's public matchers on a sample
        of the index (selfcheck.py); leave it when they disagree."""
        outcome = selfcheck.check(self._current_searcher())
        self._fast_path_checked = outcome.problem is not None or outcome.terms > 0
        if outcome.problem == self._fast_path_problem:
            return
        self._fast_path_problem = outcome.problem
        self._facets = FacetSets(public=outcome.problem is not None)
        self._lengths = FieldLengths()
        self._postings.forget_except(())
        if outcome.problem is not None and outcome.problem not in _LOGGED_PROBLEMS:
            _LOGGED_PROBLEMS.add(outcome.problem)
            log.warning(
                "search index at %s: %s; searching through Whoosh's public API alone (slower)",
                self.directory,
                outcome.problem,
            )

    @property
    def ix(self):
        if self._ix is None:
            self.open()
        return self._ix

    # -- writing -----------------------------------------------------------

    def upsert(self, documents: Iterable[IndexedDocument]) -> int:
        """Add or replace documents in one commit; returns how many."""
        documents = list(documents)
        self.apply(documents, ())
        return len(documents)

    def apply(self, documents: Iterable[IndexedDocument], deleted: Iterable[int], *, timeout: float = 10.0) -> None:
        """Replace ``documents`` and remove the ids ``deleted`` in one commit.
        Raises IndexBusy when another writer holds the index past ``timeout``."""
        with self._lock:
            try:
                writer = self.ix.writer(timeout=timeout, compound=False)
            except whoosh_index.LockError as exc:
                raise IndexBusy("another process is writing the search index") from exc
            except OSError as exc:  # its lock file cannot be made
                raise self._not_writable(exc) from exc
            try:
                for document in documents:
                    writer.update_document(**document.fields())
                for doc_id in deleted:
                    writer.delete_by_term("id", str(doc_id))
                writer.commit()
            except BaseException as exc:
                self._give_up(writer, exc)
                raise
            self._committed()

    def delete(self, ids: Iterable[int]) -> None:
        self.apply((), ids)

    def read_only_problem(self) -> str | None:
        """Why writes cannot reach this index (a read-only folder), else None."""
        return read_only_problem(self.directory)

    def write_problem(self) -> str | None:
        """Why what was saved cannot reach this index now, for the user: its
        folder is read-only, or its disk was full at the last commit and
        still is; else None."""
        problem = self.read_only_problem()
        if problem is None and self._full_needed is not None:
            problem = full_disk_problem(self.directory, self._full_needed)
        return problem

    def _give_up(self, writer, exc: BaseException) -> None:
        """A writer that failed writing the catalog's changes or committing
        them: nothing it wrote stays (a half-written segment would take the
        room freed later) and its lock is released, so the same changes are
        applied whole later. Raises IndexFull when it found the disk full.
        (A bulk add failing before its commit, where a full disk is its
        documents' source's, is ``whoosh_internals.abandon``'s alone.)"""
        freed = whoosh_internals.abandon(writer)
        if isinstance(exc, OSError) and exc.errno in _DISK_FULL:
            self._full_needed = max(_NEEDED_FREE_BYTES, 2 * freed)
            log.info("an index commit failed on a full disk; its %d bytes were removed", freed)
            raise IndexFull(
                full_disk_problem(self.directory, self._full_needed)
                or f"the disk holding the search index {self.directory} was full; what was saved is kept"
            ) from exc

    def _committed(self) -> None:
        self._full_needed = None
        self._record_checksums()

    def _not_writable(self, exc: OSError) -> OSError | IndexReadOnly:
        if exc.errno not in _NOT_WRITABLE:
            return exc
        return IndexReadOnly(self.read_only_problem() or f"the search index folder {self.directory} is read-only")

    def rebuild(
        self,
        documents: Iterable[IndexedDocument],
        total: int | None = None,
        progress: Callable[[int, int | None], None] | None = None,
    ) -> int:
        """Replace the whole index with ``documents``.

        The new index is built beside the old one and swapped in at the end,
        so a crash mid-way leaves the old index (or none, which means another
        rebuild at next start), never a half-built one taken for complete.
        """
        problem = self.read_only_problem()
        if problem is not None:  # it could not be swapped in: build nothing
            raise IndexReadOnly(problem)
        # The directory lock is held throughout: another process opening the
        # index waits, rather than taking the staging folder for a leftover.
        with self._lock, self._dir_lock:
            self.close()
            staging = self.directory.with_name(self.directory.name + ".rebuild")
            self._create_empty(staging)
            procs = 2 if total and total >= _MULTIPROCESS_THRESHOLD else 1
            kwargs = {"procs": procs, "multisegment": True} if procs > 1 else {}
            # compound=False: see add_many.
            assert self._ix is not None  # _create_empty opened it
            writer = self._ix.writer(compound=False, **kwargs)
            count = 0
            try:
                for document in documents:
                    writer.add_document(**document.fields())
                    count += 1
                    if progress and count % 200 == 0:
                        progress(count, total)
                writer.commit()
            except BaseException as exc:
                whoosh_internals.abandon(writer)
                self.close()
                shutil.rmtree(staging, ignore_errors=True)
                if isinstance(exc, OSError) and exc.errno in _DISK_FULL:
                    self._full_needed = max(_NEEDED_FREE_BYTES, 2 * _folder_size(self.directory))
                    problem = full_disk_problem(self.directory, self._full_needed) or "its disk was full"
                    raise IndexFull(f"the search index could not be rebuilt: {problem}") from exc
                raise
            self.close()
            old = self.directory.with_name(self.directory.name + ".old")
            if self.directory.exists():
                self.directory.rename(old)
            staging.rename(self.directory)
            shutil.rmtree(old, ignore_errors=True)
            self._ix = whoosh_index.open_dir(str(self.directory), indexname=INDEX_NAME)
            self._sessions.begin()
            self._damaged = False
            self._record_checksums()
            self._check_fast_path()
            if progress:
                progress(count, total)
            return count

    # -- reading -----------------------------------------------------------

    def _current_searcher(self):
        if self._searcher is None:
            self._searcher = self.ix.searcher()
        elif not self._searcher.up_to_date():
            # A fresh searcher, not Searcher.refresh(): refresh() reuses the
            # reader of a segment and misses deletions made in it since.
            self._searcher.close()
            self._searcher = self.ix.searcher()
            readers = [r for r, _o in leaf_readers(self._searcher)]
            self._facets.forget_except(readers)
            self._lengths.forget_except(readers)
            self._postings.forget_except(readers)
        return self._searcher

    def forget_postings(self) -> None:
        """Empty the postings cache: the next searches read every word from
        disk (benchmarks measure queries of words not searched before)."""
        self._postings.forget_except(())

    def fingerprints(self) -> dict[int, str]:
        """id -> fingerprint of every indexed document (for `check`)."""
        with self._lock:
            searcher = self._current_searcher()
            return {int(f["id"]): f["fingerprint"] for f in searcher.all_stored_fields()}

    def doc_count(self) -> int:
        with self._lock:
            return self._current_searcher().doc_count()

    def set_synonyms(self, groups: Iterable[Iterable[str]]) -> None:
        """Names that mean one entity (a place or organization with its
        aliases): a query naming one searches them all (synonyms.py)."""
        self._synonyms.replace(groups)

    def parse(self, text: str) -> ParsedQuery:
        return parse_query(text, self._parser)

    def text_matcher(self, text: str) -> Callable[[str], int] | None:
        """For a query, a function telling how many of its words a piece of
        text holds (a page, a file), analysed exactly as the index analyses
        attached text: accents and Traditional/Simplified folded, stems,
        Chinese bigrams. None when the query has no words to look for."""
        try:
            parsed = self.parse(text)
            terms = {
                (field, term if isinstance(term, str) else term.decode("utf-8"))
                for field, term in parsed.query.iter_all_terms(phrases=True)
                if field in _TEXT_FIELDS
            }
        except Exception:
            return None
        wanted = {name: {t for f, t in terms if f == name} for name in ("body", "body_pt")}
        wanted["body"] |= {t for f, t in terms if f == "title"}
        wanted["body_pt"] |= {t for f, t in terms if f in ("title_pt", "subtitle_pt")}
        # Only the words typed: a place's aliases the query also searched
        # (Hengqin -> "Hengqin New Area") must not make "new" a match.
        typed = plain_words(text)
        for name in wanted:
            wanted[name] &= {t.text for t in self._schema[name].analyzer(typed, mode="index")}
        analyzers = {name: self._schema[name].analyzer for name, words in wanted.items() if words}
        if not analyzers:
            return None

        # Each distinct chunk (a word, a run of Chinese characters: the
        # analyzer never joins two) is analysed once and remembered, with the
        # query's words it holds. An ASCII word whose start is no query word's
        # start (stemming and folding only change a word's end) is skipped
        # without analysis: a page costs a regex split and set look-ups.
        memos: list[tuple[dict[str, frozenset[str]], Callable[[str], frozenset[str]], frozenset[str]]] = [
            ({}, self._chunk_tokens(name), frozenset(wanted[name])) for name in analyzers
        ]
        starts = {w[:n] for words in wanted.values() for w in words for n in (1, 2, 3) if w[:n].isascii()}
        short = {w for words in wanted.values() for w in words if len(w) < 3}
        # A run of Chinese characters is analysed only when it holds one that
        # folds into a query word's: most runs of a Chinese page hold none.
        han = frozenset(ch for words in wanted.values() for w in words for ch in w if contains_han(ch))
        spellings = han_spellings(han)

        def worth_analysing(chunk: str) -> bool:
            head = chunk[:3]
            if not head.isascii():
                if spellings is not None and _HAN_RUN.match(chunk):  # _CHUNK keeps a run whole
                    return not spellings.isdisjoint(chunk)
                return True  # an accent to fold
            head = head.lower()
            return head in starts or (bool(short) and (head[:1] in short or head[:2] in short))

        def count(piece: str) -> int:
            chunks = [c for c in set(_CHUNK.findall(piece)) if worth_analysing(c)]
            found = 0
            for memo, analysed, words in memos:
                held: set[str] = set()
                for chunk in chunks:
                    matched = memo.get(chunk)
                    if matched is None:
                        matched = memo[chunk] = analysed(chunk) & words
                    if matched:
                        held |= matched
                found += len(held)
            return found

        return count

    def _chunk_tokens(self, field: str) -> Callable[[str], frozenset[str]]:
        """The field's analysis of one chunk of text, remembered (200,000 chunks)."""
        known = self._analysed_chunks.get(field)
        if known is None:
            analyzer = self._schema[field].analyzer

            @functools.lru_cache(maxsize=200_000)
            def analysed(chunk: str) -> frozenset[str]:
                return frozenset(t.text for t in analyzer(chunk, mode="index"))

            known = self._analysed_chunks[field] = analysed
        return known

    def search(
        self,
        text: str,
        *,
        limit: int | None = 20,
        sort: str = "relevance",
        kinds: Iterable[str] = (),
        tags: Iterable[str] = (),
        snippets: int | None = None,
    ) -> SearchResults:
        """Run a query; raises QueryError with a readable message when the
        query cannot be searched at all.

        Queries of words, phrases, prefixes and their combinations are matched
        and ranked a posting block at a time (ranking.py); anything else by
        Whoosh, in one scored pass. The total and the facet counts come from
        the matched documents (matching.py); stored fields and snippets are
        read for the page's hits only, from the fields holding query terms
        (for the first ``snippets`` of them, when given: the others show the
        start of their summary).
        """
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r}; choose one of {', '.join(SORTS)}")
        parsed = self.parse(text)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: the results carry what was searched
            text = clean_query_text(text)
        kinds, tags = list(kinds), [t.lower() for t in tags]
        with self._lock:
            if self._damaged:
                raise IndexDamaged(_DAMAGED_MESSAGE)
            try:
                with expansion_budget():
                    return self._search(text, parsed, limit, _SORT_FACETS[sort], kinds, tags, snippets)
            except QueryError:  # too broad, found while expanding its terms
                raise
            except Exception as exc:
                # Damage or a bug? Reading every file to tell (verify(): 711
                # MB at 50,000 documents, under both locks) is left to
                # `finweek check` and to the open after an unclean stop.
                why = self._damage_behind(exc)
                if why is None:
                    raise
                log.error("search index damaged (%s): %s", why, exc)
                self.mark_damaged()
                raise IndexDamaged(_DAMAGED_MESSAGE) from exc

    def _damage_behind(self, exc: Exception) -> str | None:
        """Why a search's failure looks like damaged files, without reading
        them: a file whose size changed, or an error raised while Whoosh or
        whoosh_internals read and decoded the files; None for what looks
        like a bug."""
        try:
            with self._dir_lock:
                bad = checksums.damaged(self.directory, self._live_files(), contents=False)
        except Exception as toc_error:  # the table of contents itself
            return f"the table of contents is unreadable ({toc_error.__class__.__name__})"
        if bad:
            return f"{len(bad)} file(s) changed size since written: {', '.join(bad[:3])}"
        if whoosh_internals.raised_reading_files(exc):
            return f"{exc.__class__.__name__} while reading the index files"
        return None

    def _search(
        self, text: str, parsed: ParsedQuery, limit, sortedby, kinds: list[str], tags: list[str], with_snippets=None
    ):
        if not self._fast_path_checked:  # opened empty: compare on what it holds now
            self._check_fast_path()
        searcher = self._current_searcher()
        parsed = select_passage(parsed, searcher)
        term_cache: dict = {}
        phrases_cut: list[bool] = []  # per segment: a phrase checked in its best candidates only (ranking.py)
        if self._fast_path_problem is None and ranking.supports(parsed.query, self._schema):
            ranked = self._rank(parsed.query, searcher, term_cache, kinds, tags, phrases_cut)
            matched = [(reader, offset, m.docs) for reader, offset, m in ranked]
            if sortedby is None:
                best = ranking.top([(offset, m) for _r, offset, m in ranked], limit)
                page = [_StoredHit(searcher, docnum, score) for docnum, score in best]
            else:
                page = self._sorted_page(parsed.query, searcher, matched, sortedby, limit)
        else:
            results = searcher.search(parsed.query, limit=None, sortedby=sortedby)
            matched = split_by_segment(results.docs(), searcher)
            page = [results[i] for i in range(results.scored_length())]
            if kinds or tags:
                matched = [(r, o, self._facets.narrow(r, d, kinds, tags)) for r, o, d in matched]
                allowed = {offset + d for _r, offset, docs in matched for d in docs.tolist()}
                page = [hit for hit in page if hit.docnum in allowed]
            page = page[:limit] if limit else page
        total = sum(len(docs) for _r, _o, docs in matched)
        notice = parsed.notice
        if any(phrases_cut):
            cut = (
                "A phrase's words are in very many documents: it was checked in those that match its words "
                "best, so more documents than counted may hold it"
            )
            notice = f"{notice}. {cut}" if notice else cut
        counts = self._facets.counts(matched)
        snippets = Snippets(self._schema, parsed.query, searcher, matched, term_cache)
        hits = [
            self._hit(
                hit, scored=sortedby is None, snippets=snippets if with_snippets is None or i < with_snippets else None
            )
            for i, hit in enumerate(page)
        ]
        return SearchResults(
            text=text,
            total=total,
            hits=tuple(hits),
            kind_counts=_sorted_counts(counts["kind"]),
            tag_counts=_sorted_counts(counts["tag"]),
            notice=notice,
        )

    def _rank(self, q, searcher, term_cache: dict, kinds: list[str], tags: list[str], phrases_cut: list[bool]):
        """(segment reader, offset, ranking.Matches) of each segment."""
        out = []
        statistics: dict = {}
        for reader, offset in leaf_readers(searcher):
            segment_cache = term_cache.setdefault(id(reader), {})
            ranker = ranking.SegmentRanker(searcher, reader, self._lengths, segment_cache, self._postings, statistics)
            matches = ranker.matches(q)
            phrases_cut.append(ranker.phrases_cut)
            if (kinds or tags) and len(matches):
                docs = self._facets.narrow(reader, matches.docs, kinds, tags)
                keep = np.isin(matches.docs, docs, assume_unique=True)
                matches = ranking.Matches(matches.docs[keep], matches.scores[keep])
            out.append((reader, offset, matches))
        return out

    @staticmethod
    def _sorted_page(q, searcher, matched: Matched, sortedby, limit: int | None):
        """The page in date or title order: Whoosh sorts the matched documents."""
        total = sum(len(docs) for _r, _o, docs in matched)
        if not total:
            return []
        allowed = {offset + d for _r, offset, docs in matched for d in docs.tolist()}
        results = searcher.search(q, limit=min(limit, total) if limit else total, filter=allowed, sortedby=sortedby)
        # Not list(results): that asks len(results), which makes Whoosh
        # count every match again.
        return [results[i] for i in range(results.scored_length())]

    def _hit(self, hit, scored: bool, snippets: Snippets | None) -> SearchHit:
        snippet = snippets.for_hit(hit) if snippets is not None else ""
        if not snippet:
            snippet = summary_snippet(hit.get("summary") or "")
        tags = tuple(t for t in (hit.get("tag") or "").split(",") if t)
        return SearchHit(
            id=int(hit["id"]),
            kind=hit["kind"],
            title=hit["title"],
            date=hit.get("date_text"),
            # Sorted results carry their sort key in .score, not a relevance.
            score=float(hit.score) if scored and hit.score is not None else 0.0,
            snippet=snippet,
            tags=tags,
        )

    def page(
        self,
        ranked: Sequence[tuple[int, float, str]],
        *,
        text: str,
        filter_text: str = "",
        limit: int | None = 20,
        sort: str = "relevance",
        kinds: Iterable[str] = (),
        tags: Iterable[str] = (),
        notice: str | None = None,
        base: SearchResults | None = None,
        described: Mapping[int, SearchHit] | None = None,
    ) -> SearchResults:
        """Results for a ranking made elsewhere (search by meaning, or fused
        with the words'): ``ranked`` is (document id, score, snippet HTML),
        best first. Documents the index does not hold are left out; so are
        those outside ``filter_text`` (a query of fields: ``year:2020
        kind:report``), ``kinds`` and ``tags``. The total and the facet
        counts are those of the ranked documents kept; with ``base`` (the
        word search that ranked some of them), its total and counts plus
        those of the kept documents it does not list. ``described``: hits
        for some of the ranked documents read elsewhere (the catalog
        database), used instead of the index's stored fields, which hold a
        document's whole text, unless ``filter_text`` asks the index."""
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r}; choose one of {', '.join(SORTS)}")
        kinds, tags = list(kinds), [t.lower() for t in tags]
        with self._lock:
            if self._damaged:
                raise IndexDamaged(_DAMAGED_MESSAGE)
            searcher = self._current_searcher()
            allowed = None
            if filter_text.strip():
                parsed = self.parse(filter_text)
                with expansion_budget():
                    allowed = set(searcher.search(parsed.query, limit=None).docs())
            known = {h.id: h for h in base.hits} if base else {}
            kept: list[SearchHit] = []
            for document_id, score, snippet in ranked:
                hit = known.get(document_id)
                if hit is not None:  # the word search found it: it passed every filter already
                    kept.append(replace(hit, score=score, snippet=snippet or hit.snippet))
                    continue
                hit = described.get(document_id) if described and allowed is None else None
                if hit is None:
                    docnum = searcher.document_number(id=str(document_id))
                    if docnum is None or (allowed is not None and docnum not in allowed):
                        continue
                    stored = searcher.stored_fields(docnum)
                    hit = SearchHit(
                        id=document_id,
                        kind=stored["kind"],
                        title=stored["title"],
                        date=stored.get("date_text"),
                        score=score,
                        snippet=summary_snippet(stored.get("summary") or ""),
                        tags=tuple(t for t in (stored.get("tag") or "").split(",") if t),
                    )
                if kinds and hit.kind not in kinds:
                    continue
                if any(tag not in {t.lower() for t in hit.tags} for tag in tags):
                    continue
                kept.append(replace(hit, score=score, snippet=snippet or hit.snippet))
        kind_counts: dict[str, int] = dict(base.kind_counts) if base else {}
        tag_counts: dict[str, int] = dict(base.tag_counts) if base else {}
        added = [h for h in kept if h.id not in known]
        for hit in added:
            kind_counts[hit.kind] = kind_counts.get(hit.kind, 0) + 1
            for tag in hit.tags:
                tag_counts[tag.lower()] = tag_counts.get(tag.lower(), 0) + 1
        if sort == "title":
            kept.sort(key=lambda h: h.title.casefold())
        elif sort in ("date", "date-asc"):  # ISO dates ("2020", "2020-11", "2020-11-20") sort as text
            dated = sorted((h for h in kept if h.date), key=lambda h: h.date or "", reverse=sort == "date")
            kept = dated + [h for h in kept if not h.date]
        shown = kept[:limit] if limit else kept
        hits = [h if sort == "relevance" else replace(h, score=0.0) for h in shown]
        return SearchResults(
            text=text,
            total=(max(base.total, len(kept) - len(added)) + len(added)) if base else len(kept),
            hits=tuple(hits),
            kind_counts=_sorted_counts(kind_counts),
            tag_counts=_sorted_counts(tag_counts),
            notice=notice,
        )

    # -- bulk adds (core/bulk.py) --------------------------------------------

    def add_many(self, documents: Iterable[IndexedDocument], *, procs: int = 1) -> int:
        """Add documents new to the index with ONE writer and one commit.

        For bulk imports: ``documents`` may be a long lazy iterable (the
        importer commits database batches while it is consumed). With
        ``procs`` > 1 the writer indexes in that many processes and keeps
        their segments unmerged, so a whole import costs a few segments.
        Searches keep working meanwhile; other writers wait for the lock.
        """
        kwargs = {"procs": procs, "multisegment": True} if procs > 1 else {}
        # compound=False: Whoosh opens a compound segment through BufferFile,
        # which copies each sub-file (postings, stored fields: hundreds of MB
        # at 50k documents) into memory at every reader open. Plain files are
        # read on demand.
        try:
            writer = self.ix.writer(timeout=10.0, compound=False, **kwargs)
        except OSError as exc:
            raise self._not_writable(exc) from exc
        count = 0
        try:
            for document in documents:
                writer.add_document(**document.fields())
                count += 1
        except BaseException:
            whoosh_internals.abandon(writer)
            raise
        if not count:  # nothing came (every file failed, e.g. on a full disk): nothing to commit
            whoosh_internals.abandon(writer)
            return 0
        with self._lock:
            try:
                writer.commit()
            except BaseException as exc:
                self._give_up(writer, exc)
                raise
            self._committed()
        return count


_SORT_FACETS = {
    "relevance": None,
    "date": sorting.MultiFacet([sorting.FieldFacet("undated"), sorting.FieldFacet("date", reverse=True)]),
    "date-asc": sorting.MultiFacet([sorting.FieldFacet("undated"), sorting.FieldFacet("date")]),
    "title": sorting.FieldFacet("title_sort"),
}


class _StoredHit:
    """A ranked document's stored fields, read for the page only (what
    Whoosh's Hit offers the code below)."""

    def __init__(self, searcher, docnum: int, score: float):
        self.docnum = docnum
        self.score = score
        self._fields = searcher.stored_fields(docnum)

    def __getitem__(self, name):
        return self._fields[name]

    def get(self, name, default=None):
        return self._fields.get(name, default)


def stored_document_count(directory: Path) -> int | None:
    """How many documents the index in ``directory`` holds, read without
    writing anything: 0 when there is no index, None when there is one that
    cannot be read (it still holds something)."""
    directory = Path(directory)
    try:
        if not whoosh_index.exists_in(str(directory), indexname=INDEX_NAME):
            return 0
        ix = whoosh_index.open_dir(str(directory), indexname=INDEX_NAME, readonly=True)
        try:
            return ix.doc_count()
        finally:
            ix.close()
    except Exception:  # damaged: whatever it holds is not nothing
        return None


def _sorted_counts(counts) -> dict[str, int]:
    counts = {str(key): n for key, n in counts.items() if key not in (None, "") and n}
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
