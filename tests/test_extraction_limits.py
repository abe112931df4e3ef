"""The extraction worker sets its own resource limits, first thing: the
parent hands them over on the command line and runs no code between fork
and exec (no ``preexec_fn``, unsafe in a process with threads)."""

from __future__ import annotations

import os
import subprocess
import threading

import pytest

from finweek_desktop.core.attachments import extraction
from finweek_desktop.core.attachments.extraction import Limits, TextStatus, extract_text

posix_only = pytest.mark.skipif(os.name != "posix", reason="resource limits are POSIX")


def report_limits(path, mime):
    import resource

    names = ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_CORE")
    return " ".join(f"{name}={resource.getrlimit(getattr(resource, name))}" for name in names), None


def hog_memory(path, mime):
    hoard = []
    while True:
        hoard.append(bytearray(64 * 1024 * 1024))


@pytest.fixture
def sample(tmp_path):
    path = tmp_path / "sample.txt"
    path.write_text("irrelevant")
    return path


def run(sample, target, **limits):
    return extract_text(sample, "text/plain", target=f"{__name__}:{target}", limits=Limits(**limits))


@posix_only
def test_the_worker_runs_under_the_limits_it_was_given(sample):
    result = run(sample, "report_limits", memory_bytes=768 * 1024 * 1024, cpu_seconds=7)
    assert result.status is TextStatus.OK, result.message
    assert f"RLIMIT_AS={(768 * 1024 * 1024, 768 * 1024 * 1024)}" in result.text
    assert "RLIMIT_CPU=(7, 8)" in result.text
    assert "RLIMIT_CORE=(0, 0)" in result.text


def test_no_code_runs_in_the_child_before_exec(sample, monkeypatch):
    calls = []
    real_popen = subprocess.Popen  # the worker is started with Popen (so a cancel can kill it)

    def recording_popen(*args, **kwargs):
        calls.append(kwargs)
        return real_popen(*args, **kwargs)

    monkeypatch.setattr(extraction.subprocess, "Popen", recording_popen)
    run(sample, "report_limits")  # on Windows it fails to import resource: no matter
    assert calls and all(kwargs.get("preexec_fn") is None for kwargs in calls)


@posix_only
def test_a_worker_started_from_a_thread_is_still_killed_by_its_memory_limit(sample):
    # The app extracts from worker threads: that is where preexec_fn was unsafe.
    results = []
    thread = threading.Thread(target=lambda: results.append(run(sample, "hog_memory", memory_bytes=384 * 1024 * 1024)))
    thread.start()
    thread.join(120)
    assert results and results[0].status is TextStatus.FAILED
    assert "memory" in results[0].message
