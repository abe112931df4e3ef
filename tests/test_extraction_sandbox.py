"""A parser that hangs, eats memory or crashes costs one file, not the app.

The misbehaving "parsers" below stand in for a real one through the
``target`` hook; the child process imports them from this module.
"""

from __future__ import annotations

import os
import sys
import time

import pytest

from finweek_desktop.core.attachments.extraction import Limits, TextStatus, extract_text

posix_only = pytest.mark.skipif(os.name != "posix", reason="resource limits are POSIX")


def spin(path, mime):
    while True:
        pass


def sleep_forever(path, mime):
    time.sleep(3600)


def hog_memory(path, mime):
    hoard = []
    while True:
        hoard.append(bytearray(64 * 1024 * 1024))


def crash(path, mime):
    os.abort()


def chatty(path, mime):
    print("noise on stdout from a library")
    print("and on stderr", file=sys.stderr)
    return "the real text", "A title"


@pytest.fixture
def sample(tmp_path):
    path = tmp_path / "sample.txt"
    path.write_text("irrelevant")
    return path


def run(sample, target, **limits):
    return extract_text(sample, "text/plain", target=f"{__name__}:{target}", limits=Limits(**limits))


@posix_only
def test_a_parser_stuck_computing_hits_the_cpu_limit(sample):
    result = run(sample, "spin", cpu_seconds=1, seconds=120)
    assert result.status is TextStatus.FAILED
    assert result.message.startswith("text could not be extracted: the parser ")
    assert "processor time" in result.message


def test_a_parser_stuck_waiting_hits_the_wall_clock_limit(sample):
    result = run(sample, "sleep_forever", seconds=1)
    assert result.status is TextStatus.FAILED
    assert result.message == "text could not be extracted: the parser did not finish within 1 seconds"


@posix_only
def test_a_parser_eating_memory_hits_the_memory_limit(sample):
    result = run(sample, "hog_memory", memory_bytes=512 * 1024 * 1024)
    assert result.status is TextStatus.FAILED
    assert "memory" in result.message


@posix_only
def test_a_crashing_parser_costs_only_its_file(sample):
    result = run(sample, "crash")
    assert result.status is TextStatus.FAILED
    assert result.message == "text could not be extracted: the parser crashed (SIGABRT)"
    # This process is fine and the next file extracts normally.
    assert run(sample, "chatty").text == "the real text"


def test_output_of_the_parser_does_not_corrupt_the_result(sample):
    result = run(sample, "chatty")
    assert result.status is TextStatus.OK
    assert (result.text, result.title) == ("the real text", "A title")
