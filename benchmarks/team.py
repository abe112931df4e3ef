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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a team database to use (default: start a server)")
    sub = parser.add_subparsers(dest="what", required=True)
    files = sub.add_parser("files", help="write/read throughput: database chunks vs a shared folder")
    files.add_argument("--megabytes", type=int, default=32, help="data per file size (default 32)")
    args = parser.parse_args(argv)
    results = run_files(args)
    print(json.dumps(results, indent=2))
    if args.what == "files":
        for row in results["rows"]:
            print(f"{row['store']:58} {row['file_kib']:>6} KiB x {row['files']:>4}: "
                  f"write {row['write_mb_s']:>7} MB/s, read {row['read_mb_s']:>7} MB/s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
