"""The attachment store's and the index folder's locks (the filelock
package) keep the semantics the hand-written lock had: re-entrant within a
thread, exclusive against other threads and other processes."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from finweek_desktop.core.attachments.store import AttachmentStore
from finweek_desktop.core.search.index import SearchIndex


@pytest.fixture(params=["store", "index"])
def lock(request, tmp_path):
    if request.param == "store":
        return AttachmentStore(tmp_path / "attachments").lock
    return SearchIndex(tmp_path / "index")._dir_lock


def test_reentrant_in_a_thread_exclusive_against_another(lock):
    got = threading.Event()

    def other():
        with lock:
            got.set()

    with lock:
        with lock:  # the same thread again: no deadlock
            pass
        thread = threading.Thread(target=other)
        thread.start()
        assert not got.wait(0.3)  # still held by the outer level
    assert got.wait(5)
    thread.join()


def test_exclusive_against_another_process(lock):
    code = (
        "import sys, time\n"
        "from filelock import FileLock\n"
        "with FileLock(sys.argv[1]):\n"
        "    print(time.time())\n"
    )
    with lock:
        child = subprocess.Popen([sys.executable, "-c", code, str(lock.lock_file)], stdout=subprocess.PIPE, text=True)
        time.sleep(1.0)
        assert child.poll() is None  # waiting for us
        released = time.time()
    out, _err = child.communicate(timeout=10)
    assert float(out) >= released
