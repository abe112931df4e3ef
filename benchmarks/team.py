"""Team catalog benchmarks (issue 12), on a real PostgreSQL server.

    python benchmarks/team.py files [--megabytes 32]          # where the files live: database or shared folder
    python benchmarks/team.py load [--docs 50] [--desktops 4] # 4 desktops writing at once, kill -9, server restart

Without --url each starts its own server (tests/postgres.py, fsync on, as a
real server runs) in a temporary folder. Figures: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE.parent / "tests"))


def _server(url: str | None):
    if url:
        return None, url
    from postgres import PostgresServer, _bindir  # the tests' helper

    bindir = _bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL is not installed; pass --url")
    server = PostgresServer(bindir)
    server.start(fsync=True)
    return server, server.new_database()


# -- files: the database or a shared folder ------------------------------------------------


def _payloads(total_bytes: int, size: int) -> list[bytes]:
    count = max(1, total_bytes // size)
    return [os.urandom(size) for _ in range(count)]


def _folder_write(folder: Path, payloads: list[bytes]) -> None:
    """What a shared-folder store does: copy to a temporary name, fsync, rename by hash."""
    for data in payloads:
        sha = hashlib.sha256(data).hexdigest()
        target = folder / sha[:2] / sha
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = folder / f"{sha}.part"
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)


def _folder_read(folder: Path, payloads: list[bytes], cache: Path) -> None:
    for data in payloads:
        sha = hashlib.sha256(data).hexdigest()
        shutil.copyfile(folder / sha[:2] / sha, cache / sha)


def run_files(args) -> dict:
    from finweek_desktop.core.database import make_engine
    from finweek_desktop.core.team.files import TeamAttachmentStore
    from finweek_desktop.core.team.setup import setting_up

    server, url = _server(args.url)
    results: dict = {"megabytes": args.megabytes, "rows": []}
    try:
        engine = make_engine(url)
        with setting_up(engine):
            pass
        work = Path(tempfile.mkdtemp(prefix="finweek-team-files-"))
        for size in (64 * 1024, 1024 * 1024, 8 * 1024 * 1024):
            payloads = _payloads(args.megabytes * 1024 * 1024, size)
            megabytes = sum(map(len, payloads)) / 1e6
            for chunk in (256 * 1024, 1024 * 1024, 4 * 1024 * 1024):
                writer = TeamAttachmentStore(work / f"w-{size}-{chunk}", engine, chunk_bytes=chunk)
                sources = []
                for data in payloads:
                    path = work / "src" / hashlib.sha256(data).hexdigest()
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
                    sources.append((path, hashlib.sha256(data).hexdigest()))
                start = time.perf_counter()
                for path, sha in sources:
                    writer.publish(path, sha)
                wrote = time.perf_counter() - start
                reader = TeamAttachmentStore(work / f"r-{size}-{chunk}", engine, chunk_bytes=chunk)
                start = time.perf_counter()
                for _, sha in sources:
                    reader.fetch(sha)
                read = time.perf_counter() - start
                with engine.begin() as connection:  # the next round publishes the same content anew
                    connection.exec_driver_sql("DELETE FROM file_blobs")
                results["rows"].append(
                    {
                        "store": f"database, chunks of {chunk // 1024} KiB",
                        "file_kib": size // 1024,
                        "files": len(payloads),
                        "write_mb_s": round(megabytes / wrote, 1),
                        "read_mb_s": round(megabytes / read, 1),
                    }
                )
                shutil.rmtree(work / "src", ignore_errors=True)
            folder, cache = work / f"shared-{size}", work / f"cache-{size}"
            cache.mkdir()
            start = time.perf_counter()
            _folder_write(folder, payloads)
            wrote = time.perf_counter() - start
            start = time.perf_counter()
            _folder_read(folder, payloads, cache)
            read = time.perf_counter() - start
            results["rows"].append(
                {
                    "store": "shared folder (local disk standing in for the share)",
                    "file_kib": size // 1024,
                    "files": len(payloads),
                    "write_mb_s": round(megabytes / wrote, 1),
                    "read_mb_s": round(megabytes / read, 1),
                }
            )
        shutil.rmtree(work, ignore_errors=True)
        engine.dispose()
    finally:
        if server is not None:
            server.stop()
    return results


# -- load: desktops writing at once ---------------------------------------------------------


def writer(args) -> int:
    """One desktop: adds --docs documents with a file each, logging every commit."""
    from finweek_desktop.core.errors import CatalogUnavailable
    from finweek_desktop.core.records import NewDocument
    from finweek_desktop.core.startup import open_catalog

    work = Path(args.work)
    catalog = None
    while catalog is None:  # the server may be restarting as this desktop starts
        try:
            catalog = open_catalog(work / args.name, database_url=args.url, seed=False)
        except Exception:
            time.sleep(0.5)
    from sqlalchemy import event

    committed = [0.0]  # when this desktop's last write committed (the writer's listeners hear it after the index)
    event.listen(catalog.service.writer.sessions, "after_commit", lambda _s: committed.__setitem__(0, time.time()))
    log = open(work / f"{args.name}.jsonl", "a", buffering=1)
    files = work / f"{args.name}-files"
    files.mkdir(exist_ok=True)
    for i in range(args.docs):
        title = f"{args.name} report {i}"
        source = files / f"{i}.txt"
        source.write_text(f"Load test note {i} of desktop {args.name}: cross-border settlement {os.urandom(8).hex()}")
        while True:
            try:
                if _exists(catalog, title):  # committed before the server went away: not again
                    log.write(json.dumps({"title": title, "committed": None}) + "\n")
                    break
                catalog.service.attachments.create_document_with_files(
                    NewDocument(kind="report", title=title), [source], sandbox=False
                )
                log.write(json.dumps({"title": title, "committed": committed[0]}) + "\n")
                break
            except CatalogUnavailable:
                time.sleep(0.3)  # the server restarts: try again once it is back (never twice: see _exists)
            except Exception as exc:
                if "cannot be reached" not in str(exc) and "connection" not in str(exc).lower():
                    raise
                time.sleep(0.3)
    catalog.close()
    return 0


def _exists(catalog, title: str) -> bool:
    """Whether a write whose commit was cut by the server's restart did commit."""
    from sqlalchemy import select

    from finweek_desktop.core.models import Document

    with catalog.engine.connect() as connection:
        return connection.scalar(select(Document.id).where(Document.title == title).limit(1)) is not None


def observer(args) -> int:
    """Another desktop, listening: when does each document become visible (searchable) here?"""
    from finweek_desktop.core.startup import open_catalog

    work = Path(args.work)
    catalog = open_catalog(work / "observer", database_url=args.url, seed=False)
    seen: dict[int, float] = {}

    def heard(changes) -> None:
        now = time.time()
        if changes.searchable:
            for doc_id in changes.created:
                seen.setdefault(doc_id, now)

    catalog.service.writer.listeners.append(heard)
    catalog.service.team.listen(poll=5.0)
    (work / "observer.ready").write_text("")
    stop = work / "observer.stop"
    while not stop.exists():
        time.sleep(0.2)
    time.sleep(float(stop.read_text() or 0))
    catalog.service.team.stop()
    catalog.service.writer.catch_up(wait=True)
    from sqlalchemy import select

    from finweek_desktop.core.models import Document

    with catalog.engine.connect() as connection:
        titles = dict(connection.execute(select(Document.id, Document.title)).all())
    indexed = catalog.index.doc_count()
    (work / "observer.json").write_text(
        json.dumps({"seen": {titles.get(i, str(i)): t for i, t in seen.items()}, "indexed": indexed})
    )
    catalog.close()
    return 0


def run_load(args) -> dict:
    import subprocess

    from sqlalchemy import func, select

    from finweek_desktop.core.database import make_engine
    from finweek_desktop.core.models import Document
    from finweek_desktop.core.startup import open_catalog

    server, url = _server(args.url)
    work = Path(tempfile.mkdtemp(prefix="finweek-team-load-"))
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}
    me = [sys.executable, str(Path(__file__).resolve()), "--url", url]
    result: dict = {"desktops": args.desktops, "docs_per_desktop": args.docs}
    try:
        open_catalog(work / "setup", database_url=url, seed=False).close()  # the schema, once
        watcher = subprocess.Popen([*me, "observe", "--work", str(work)], env=env)
        while not (work / "observer.ready").exists():
            time.sleep(0.1)
        names = [f"d{n + 1}" for n in range(args.desktops)]
        started = time.time()
        procs = {
            name: subprocess.Popen([*me, "write", "--work", str(work), "--name", name, "--docs", str(args.docs)], env=env)
            for name in names
        }

        def progress(name: str) -> int:
            path = work / f"{name}.jsonl"
            return sum(1 for _ in open(path)) if path.exists() else 0

        victim = names[-1]
        while progress(victim) < args.docs // 2:
            time.sleep(0.05)
        procs[victim].kill()  # kill -9, mid-write
        procs[victim].wait()
        result["killed"] = {"desktop": victim, "logged_commits": progress(victim)}
        while sum(progress(n) for n in names[:-1]) < (args.desktops - 1) * args.docs // 2:
            time.sleep(0.05)
        if server is not None:
            server.kill()  # the server goes away mid-run ...
            time.sleep(2.0)
            server.restart()  # ... and comes back
            result["server_restarted"] = True
        for name in names[:-1]:
            if procs[name].wait() != 0:
                raise SystemExit(f"desktop {name} failed")
        last_commit = max(
            json.loads(line)["committed"] or 0 for n in names for line in open(work / f"{n}.jsonl")
        )
        (work / "observer.stop").write_text("10")  # converge within 10 s of the last commit
        watcher.wait()
        observed = json.loads((work / "observer.json").read_text())
        engine = make_engine(url)
        with engine.connect() as connection:
            titles = connection.scalars(select(Document.title)).all()
            total = connection.scalar(select(func.count()).select_from(Document))
        engine.dispose()
        logged = {json.loads(line)["title"]: json.loads(line)["committed"]
                  for n in names for line in open(work / f"{n}.jsonl")}
        expected = (args.desktops - 1) * args.docs
        result["rows"] = total
        result["duplicates"] = len(titles) - len(set(titles))
        result["lost"] = sorted(set(logged) - set(titles))  # committed (logged) but missing
        result["completed_desktops_complete"] = sum(1 for t in titles if not t.startswith(victim)) == expected
        result["killed_desktop_rows"] = sum(1 for t in titles if t.startswith(victim))
        latencies = sorted(observed["seen"][t] - c for t, c in logged.items() if c and t in observed["seen"])
        result["visible_elsewhere"] = {
            "measured": len(latencies),
            "p50_s": round(statistics.median(latencies), 3) if latencies else None,
            "p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 3) if latencies else None,
            "max_s": round(latencies[-1], 3) if latencies else None,
        }
        seen_all = all(t in observed["seen"] for t in titles)
        result["observer_saw_every_row"] = seen_all
        result["observer_converged_after_last_commit_s"] = (
            round(max(observed["seen"].values()) - last_commit, 3) if observed["seen"] else None
        )
        # Every desktop's own index converges to the same rows (each reopened: catch-up at open).
        counts = {}
        for name in [*names, "observer"]:
            catalog = open_catalog(work / name, database_url=url, seed=False)
            counts[name] = catalog.service.search("cross-border settlement", limit=1).total
            catalog.close()
        result["index_hits_per_desktop"] = counts
        result["indexes_agree"] = len(set(counts.values())) == 1 and counts[names[0]] == total
        result["wall_s"] = round(time.time() - started, 1)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if server is not None:
            server.stop()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a team database to use (default: start a server)")
    sub = parser.add_subparsers(dest="what", required=True)
    files = sub.add_parser("files", help="write/read throughput: database chunks vs a shared folder")
    files.add_argument("--megabytes", type=int, default=32, help="data per file size (default 32)")
    load = sub.add_parser("load", help="desktops writing at once; kill -9 one; restart the server")
    load.add_argument("--desktops", type=int, default=4)
    load.add_argument("--docs", type=int, default=50, help="documents (each with a file) per desktop")
    w = sub.add_parser("write", help=argparse.SUPPRESS)
    w.add_argument("--work", required=True)
    w.add_argument("--name", required=True)
    w.add_argument("--docs", type=int, required=True)
    o = sub.add_parser("observe", help=argparse.SUPPRESS)
    o.add_argument("--work", required=True)
    args = parser.parse_args(argv)
    if args.what == "write":
        return writer(args)
    if args.what == "observe":
        return observer(args)
    results = run_files(args) if args.what == "files" else run_load(args)
    print(json.dumps(results, indent=2))
    if args.what == "files":
        for row in results["rows"]:
            print(f"{row['store']:58} {row['file_kib']:>6} KiB x {row['files']:>4}: "
                  f"write {row['write_mb_s']:>7} MB/s, read {row['read_mb_s']:>7} MB/s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
