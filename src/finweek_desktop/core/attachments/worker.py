"""Child-process entry point:
``python -m ... MEMORY_BYTES CPU_SECONDS TARGET PATH MIME RESULT_JSON``.

The worker limits itself before anything else: its address space to
MEMORY_BYTES and its processor time to CPU_SECONDS (then SIGXCPU), and no
core dumps. Setting them here rather than through ``subprocess``'s
``preexec_fn`` keeps the parent free of code run between fork and exec, which
is unsafe in a process with threads (the app extracts from a worker thread).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def limit(memory_bytes: int, cpu_seconds: int) -> None:
    """Apply the limits to this process (POSIX; elsewhere the parent's
    wall-clock timeout is the only limit)."""
    try:
        import resource
    except ImportError:  # Windows
        return

    def lower(which: int, soft: int, hard: int) -> None:
        # A limit the parent already set lower stays (an unprivileged
        # process cannot raise its hard limit).
        _soft, current = resource.getrlimit(which)
        if current != resource.RLIM_INFINITY:
            soft, hard = min(soft, current), min(hard, current)
        resource.setrlimit(which, (soft, hard))

    lower(resource.RLIMIT_AS, memory_bytes, memory_bytes)
    lower(resource.RLIMIT_CPU, cpu_seconds, cpu_seconds + 1)
    lower(resource.RLIMIT_CORE, 0, 0)  # no core dumps of crashed parsers


def main(argv: list[str]) -> int:
    memory_bytes, cpu_seconds, target, path, mime, result = argv
    limit(int(memory_bytes), int(cpu_seconds))
    from .extraction import run_target

    extracted = run_target(target, Path(path), mime)
    data = extracted.to_json()
    temp = Path(result + ".part")
    temp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(temp, result)  # the parent sees a whole result or none
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
