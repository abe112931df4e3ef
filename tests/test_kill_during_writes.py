"""kill -9 in the middle of a write (issue 11, "Done means").

The real command (``python -m finweek_desktop.cli --data-dir D ...``) runs
in a subprocess on a real catalog (the seeded one plus 80 imported
documents with text: SQLite + Whoosh index + attachment store; a merge
re-indexes 40 of them) and is SIGKILLed at a chosen moment of
its work; then the next command runs (a search, which opens the catalog and
catches up with the change log), and ``finweek check --json`` must exit 0
with "ok": true, and what committed must be whole: a document exists with
every attachment and its file or not at all, a merge happened or not, a
deleted document is in the documents or in the trash, never half of each.

The moments are observed from outside, by polling the catalog folder every
millisecond, so the kill lands where it is meant to whatever the machine's
speed:

- ``staging``: the command's first temporary copy is in the store's tmp/
  (files being copied and parsed, nothing committed);
- ``db-commit``: the SQLite WAL holds more than its header: the write's
  transaction is being committed (its pages half written) or just was, the
  index has not followed;
- ``index-commit``: the index's table of contents has a new generation:
  the index applied the change, its position in the log is not recorded yet;
- ``rebuilding`` / ``swapped``: `reindex` building the new index beside the
  old one / the new index just renamed into place, its position not written;
- ``timed-N``: a delay drawn from a seeded generator after the catalog was
  opened (its WAL appears), anywhere in the work or after it (an uncut run,
  checked the same way).

The next command and ``check`` run in this process through the CLI's own
``main`` (the same code as the ``finweek`` command, without paying for a
new interpreter each time); the killed command is always a real process.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from finweek_desktop.core.catalog.imports import ImportItem
from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.startup import open_catalog

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs kill -9 (POSIX)")

DOCUMENTS = 80  # imported: a merge re-indexes 40 of them, a reindex all
WORDS_PER_DOCUMENT = 150
FILES = 4  # given to `add` and to `attach`: each is copied and parsed in the sandbox
ADD_TITLE = "Written while killed zqxadded"
DOOMED_TITLE = "Doomed report zqxdoomed"


# -- the catalog -------------------------------------------------------------


@dataclass
class Base:
    data: Path  # the catalog every trial copies
    files: Path
    target: int  # the document `attach` adds files to
    doomed: int  # the document `delete` deletes (it has files)
    documents: set[int]
    attachments: dict[int, set[tuple[str, str]]]  # document -> {(file name, sha256)}
    tags: dict[str, set[int]]

    def add_files(self) -> list[Path]:
        return sorted(self.files.glob("add-*.txt"))

    def attach_files(self) -> list[Path]:
        return sorted(self.files.glob("attach-*.txt"))


def _words(rng: random.Random, count: int) -> str:
    return " ".join(f"{rng.choice('bdfgklmnprst')}{rng.choice('aeiou')}{rng.randrange(2000)}x" for _ in range(count))


def _write_files(folder: Path) -> None:
    folder.mkdir()
    rng = random.Random(7)
    for prefix, marker in (("add", "zqxaddfile"), ("attach", "zqxattached"), ("doomed", "zqxdoomedfile")):
        for n in range(FILES):
            text = f"{marker} {prefix} file {n}\n" + _words(rng, 600)
            (folder / f"{prefix}-{n}.txt").write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Base:
    root = tmp_path_factory.mktemp("kill-base")
    files = root / "files"
    _write_files(files)
    data = root / "catalog"
    catalog = open_catalog(data)
    try:
        service = catalog.service
        rng = random.Random(11)
        tags = ("alpha", "beta", "gamma", "delta")
        items = [
            ImportItem(NewDocument(kind="report", title=f"Imported {i} {_words(rng, 3)}", tags=(tags[i % 4],)),
                       content=_words(rng, WORDS_PER_DOCUMENT))
            for i in range(DOCUMENTS)
        ]
        report = service.imports.import_documents(items, sandbox=False)
        doomed = service.attachments.create_document_with_files(
            NewDocument(kind="report", title=DOOMED_TITLE), sorted(files.glob("doomed-*.txt")), sandbox=False
        )
        target = report.ids[0]
    finally:
        catalog.close()
    assert not _wal(data).exists(), "the base catalog must be closed cleanly (its WAL gone)"
    state = _read_state(data)
    return Base(data, files, target, doomed.id, state.documents, state.attachments, state.tags)


# -- reading a catalog after the fact ----------------------------------------


@dataclass
class State:
    documents: set[int]
    titles: dict[int, str]
    attachments: dict[int, set[tuple[str, str]]]
    tags: dict[str, set[int]]
    trashed: list[int] | None  # document ids in the trash (None: no trash in this version)


def _read_state(data: Path) -> State:
    with closing(sqlite3.connect(f"file:{data / 'catalog.sqlite3'}?mode=ro", uri=True)) as db:
        titles = dict(db.execute("SELECT id, title FROM documents"))
        attachments: dict[int, set[tuple[str, str]]] = {}
        for doc_id, name, sha in db.execute("SELECT document_id, original_name, sha256 FROM attachments"):
            attachments.setdefault(doc_id, set()).add((name, sha))
        tags: dict[str, set[int]] = {name: set() for (name,) in db.execute("SELECT name FROM tags")}
        for name, doc_id in db.execute(
            "SELECT t.name, dt.document_id FROM document_tags dt JOIN tags t ON t.id = dt.tag_id"
        ):
            tags[name].add(doc_id)
        has_trash = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'trash'").fetchone()
        trashed = [row[0] for row in db.execute("SELECT document_id FROM trash")] if has_trash else None
    return State(set(titles), titles, attachments, tags, trashed)


def _stored(data: Path, sha256: str) -> bool:
    return (data / "attachments" / "objects" / sha256[:2] / sha256).is_file()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def finweek_here(data: Path, *argv: str) -> tuple[int, str, str]:
    """The CLI's main in this process -> (exit code, stdout, stderr)."""
    from finweek_desktop.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["--data-dir", str(data), *argv])
    return code, out.getvalue(), err.getvalue()


def search_ids(data: Path, query: str) -> tuple[list[int], int]:
    """The next command after the kill: a search (it opens the catalog and
    catches up). By words: what the word index holds is what is checked
    (the base documents are random words, which meaning finds near anything)."""
    code, out, err = finweek_here(data, "search", "--mode", "words", "--json", "--limit", "500", query)
    assert code == 0, err
    assert "error" not in err, err
    result = json.loads(out)
    return [hit["id"] for hit in result["hits"]], result["total"]


def assert_check_clean(data: Path) -> dict:
    code, out, err = finweek_here(data, "check", "--json")
    report = json.loads(out) if out.startswith("{") else {"ok": False, "output": out, "stderr": err}
    assert code == 0 and report["ok"] is True, f"finweek check after the kill: {report}"
    return report


# -- killing the real command at a moment ---------------------------------------


def _wal(data: Path) -> Path:
    return data / "catalog.sqlite3-wal"


class Watch:
    """What the catalog folder shows of a command's progress."""

    def __init__(self, data: Path):
        self.data = data
        self.started = time.monotonic()
        self.opened_at: float | None = None  # when the command's WAL appeared (the catalog is open)
        self.tocs = self.toc_names()
        self.seen: set[str] = set()

    def toc_names(self) -> set[str]:
        index = self.data / "index"
        try:
            return {p.name for p in index.iterdir() if p.name.endswith(".toc")}
        except OSError:
            return set()

    def wal_size(self) -> int | None:
        try:
            return _wal(self.data).stat().st_size
        except OSError:
            return None

    def poll(self) -> None:
        if self.opened_at is None and self.wal_size() is not None:
            self.opened_at = time.monotonic()


Moment = Callable[[Watch], bool]


def staging(w: Watch) -> bool:
    tmp = w.data / "attachments" / "tmp"
    return tmp.is_dir() and any(p.name.endswith(".part") for p in tmp.iterdir())


def db_commit(w: Watch) -> bool:
    size = w.wal_size()
    return size is not None and size > 32  # more than the WAL header: a transaction's pages


def index_commit(w: Watch) -> bool:
    names = w.toc_names()
    return bool(names) and names != w.tocs


def rebuilding(w: Watch) -> bool:
    return (w.data / "index.rebuild").exists()


def swapped(w: Watch) -> bool:
    if rebuilding(w):
        w.seen.add("rebuilding")
        return False
    return "rebuilding" in w.seen


def files_live(sha256s: list[str]) -> Moment:
    def moment(w: Watch) -> bool:
        return any(_stored(w.data, sha) for sha in sha256s)

    return moment


def timed(command: str, n: int, span: float) -> Moment:
    """A delay after the catalog was opened, drawn from a generator seeded by the trial's name."""
    delay = random.Random(f"{command}-{n}").uniform(0.0, span)

    def moment(w: Watch) -> bool:
        return w.opened_at is not None and time.monotonic() - w.opened_at >= delay

    return moment


@dataclass
class Trial:
    command: str
    moment: str
    killed: bool  # False: the command ended before the moment came
    returncode: int
    seconds: float
    data: Path
    stderr: str = ""
    notes: list[str] = field(default_factory=list)


TRIALS: list[Trial] = []


def run_and_kill(base: Base, tmp_path: Path, command: str, name: str, argv: list[str], moment: Moment) -> Trial:
    data = tmp_path / "catalog"
    shutil.copytree(base.data, data)
    env = {**os.environ, "FINWEEK_DATA_DIR": str(data)}
    watch = Watch(data)
    with open(tmp_path / "stderr.txt", "wb") as stderr_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "finweek_desktop.cli", "--data-dir", str(data), *argv],
            stdout=subprocess.DEVNULL, stderr=stderr_file, env=env, start_new_session=True,
        )
    killed = False
    deadline = watch.started + 120
    try:
        while proc.poll() is None:
            watch.poll()
            if moment(watch):
                os.kill(proc.pid, signal.SIGKILL)
                killed = True
                break
            if time.monotonic() > deadline:
                pytest.fail(f"`finweek {' '.join(argv)}` ran for 120 s")
            time.sleep(0.001)
        proc.wait(timeout=60)
    finally:
        # What the command started (the sandboxed parser) goes too; a kill
        # -9 of the command alone would leave it to end by itself.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = (tmp_path / "stderr.txt").read_text("utf-8", "replace")
    killed = killed and proc.returncode == -signal.SIGKILL
    if not killed:
        assert proc.returncode == 0, f"`finweek {' '.join(argv)}` failed uncut: {stderr}"
    trial = Trial(command, name, killed, proc.returncode, time.monotonic() - watch.started, data, stderr)
    TRIALS.append(trial)
    return trial


# -- the commands and what "whole" means for each ------------------------------


def check_add(base: Base, trial: Trial) -> None:
    hits, _ = search_ids(trial.data, "zqxadded")
    assert_check_clean(trial.data)
    state = _read_state(trial.data)
    new = [i for i in state.documents - base.documents if state.titles[i] == ADD_TITLE]
    assert state.documents - base.documents == set(new) and base.documents <= state.documents
    if new:  # committed: the document with every file, searchable
        (doc_id,) = new
        expected = {(p.name, _sha256(p)) for p in base.add_files()}
        assert state.attachments.get(doc_id) == expected
        assert all(_stored(trial.data, sha) for _, sha in expected)
        assert hits == [doc_id]
    else:
        assert hits == []
    trial.notes.append("committed" if new else "not committed")


def check_attach(base: Base, trial: Trial) -> None:
    hits, _ = search_ids(trial.data, "zqxattached")
    assert_check_clean(trial.data)
    state = _read_state(trial.data)
    assert state.documents == base.documents
    before = base.attachments.get(base.target, set())
    now = state.attachments.get(base.target, set())
    expected = before | {(p.name, _sha256(p)) for p in base.attach_files()}
    assert now in (before, expected), f"a partial attach: {sorted(now - before)}"
    assert all(_stored(trial.data, sha) for _, sha in now)
    assert hits == ([base.target] if now == expected else [])
    trial.notes.append("committed" if now == expected else "not committed")


def check_delete(base: Base, trial: Trial) -> None:
    hits, _ = search_ids(trial.data, "zqxdoomed")
    assert_check_clean(trial.data)
    state = _read_state(trial.data)
    gone = base.doomed not in state.documents
    assert state.documents == (base.documents - {base.doomed} if gone else base.documents)
    files = base.attachments[base.doomed]
    if gone:
        if state.trashed is not None:  # moved to the trash, once, with its files
            assert state.trashed.count(base.doomed) == 1
        assert hits == []
    else:
        assert state.attachments[base.doomed] == files
        assert not state.trashed or base.doomed not in state.trashed
        assert hits == [base.doomed]
    if not gone or state.trashed is not None:
        assert all(_stored(trial.data, sha) for _, sha in files)
    trial.notes.append("deleted" if gone else "not deleted")


def check_merge(base: Base, trial: Trial) -> None:
    hits, total = search_ids(trial.data, "tag:omega")
    assert_check_clean(trial.data)
    state = _read_state(trial.data)
    assert state.documents == base.documents
    merged = "alpha" not in state.tags
    if merged:
        assert "beta" not in state.tags
        assert state.tags["omega"] == base.tags["alpha"] | base.tags["beta"]
    else:
        assert (state.tags["alpha"], state.tags["beta"]) == (base.tags["alpha"], base.tags["beta"])
        assert "omega" not in state.tags
    assert set(hits) == state.tags.get("omega", set()) and total == len(hits)
    trial.notes.append("merged" if merged else "not merged")


def check_reindex(base: Base, trial: Trial) -> None:
    hits, _ = search_ids(trial.data, "zqxdoomed")
    assert hits == [base.doomed]
    assert_check_clean(trial.data)
    assert _read_state(trial.data).documents == base.documents


COMMANDS: dict[str, tuple[Callable[[Base], list[str]], Callable[[Base, Trial], None]]] = {
    "add": (lambda b: ["add", "--kind", "report", "--title", ADD_TITLE, *map(str, b.add_files())], check_add),
    "attach": (lambda b: ["attach", str(b.target), *map(str, b.attach_files())], check_attach),
    "delete": (lambda b: ["delete", str(b.doomed)], check_delete),
    "merge": (lambda _b: ["tags", "--merge", "alpha", "beta", "--into", "omega"], check_merge),
    "reindex": (lambda _b: ["reindex"], check_reindex),
}

# Seconds of work after the catalog opened, over which the timed kills spread.
SPANS = {"add": 3.0, "attach": 3.0, "delete": 1.0, "merge": 2.5, "reindex": 3.0}

MOMENTS: dict[str, list[tuple[str, Moment]]] = {
    "add": [("staging", staging), ("db-commit", db_commit), ("index-commit", index_commit)],
    "attach": [("staging", staging), ("db-commit", db_commit), ("index-commit", index_commit)],
    "delete": [("db-commit", db_commit), ("index-commit", index_commit)],
    "merge": [("db-commit", db_commit), ("index-commit", index_commit)],
    "reindex": [("rebuilding", rebuilding), ("swapped", swapped)],
}
TIMED = 1  # timed kills per command, besides the moments

CASES = [
    pytest.param(command, name, moment, id=f"{command}-{name}")
    for command in COMMANDS
    for name, moment in [*MOMENTS[command],
                         *((f"timed-{n}", timed(command, n, SPANS[command])) for n in range(TIMED))]
]


@pytest.mark.parametrize(("command", "name", "moment"), CASES)
def test_kill_during_a_write_leaves_check_clean_after_the_next_command(base, tmp_path, command, name, moment):
    argv, check = COMMANDS[command]
    trial = run_and_kill(base, tmp_path, command, name, argv(base), moment)
    check(base, trial)
    shutil.rmtree(trial.data, ignore_errors=True)


@pytest.mark.parametrize("command", ["add", "attach"])
def test_kill_after_the_files_went_live_before_their_rows_committed(base, tmp_path, command):
    """The store takes the files first, then the rows commit (so a row never
    points at nothing); the next command removes the files a kill in between left."""
    argv, check = COMMANDS[command]
    given = base.add_files() if command == "add" else base.attach_files()
    trial = run_and_kill(base, tmp_path, command, "files-live", argv(base), files_live([_sha256(p) for p in given]))
    if not trial.killed or _committed(base, command, trial.data) == "committed":
        pytest.skip("the kill did not land between the files and the rows")
    check(base, trial)


def _committed(base: Base, command: str, data: Path) -> str:
    state = _read_state(data)
    if command == "add":
        return "committed" if any(t == ADD_TITLE for t in state.titles.values()) else "not committed"
    return "committed" if state.attachments.get(base.target, set()) != base.attachments.get(base.target, set()) \
        else "not committed"


def test_the_kills_landed_during_the_work():
    """Each command was killed before it ended at least once (else the moments above test nothing)."""
    if not TRIALS:
        pytest.skip("no trial ran in this session")
    for trial in TRIALS:
        print(f"{trial.command:8} {trial.moment:13} killed={trial.killed!s:5} {trial.seconds:5.1f} s  "
              f"{' '.join(trial.notes)}")
    by_command: dict[str, list[Trial]] = {}
    for trial in TRIALS:
        by_command.setdefault(trial.command, []).append(trial)
    for command, trials in by_command.items():
        assert any(t.killed for t in trials), f"no `{command}` was killed before it ended"
