"""Child-process entry point: ``python -m ... TARGET PATH MIME RESULT_JSON``."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    target, path, mime, result = argv
    from .extraction import run_target

    extracted = run_target(target, Path(path), mime)
    data = {"status": extracted.status.value, "text": extracted.text, "title": extracted.title, "message": extracted.message}
    temp = Path(result + ".part")
    temp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(temp, result)  # the parent sees a whole result or none
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
