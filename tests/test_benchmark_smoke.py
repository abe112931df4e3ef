"""The benchmark runs end to end on a tiny catalog (no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_generator_is_deterministic():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import corpus
    finally:
        sys.path.remove(str(BENCHMARKS))
    first = corpus.document(123)
    assert first == corpus.document(123)
    assert first != corpus.document(124)
    words = first.content.split()
    assert 1000 < len(words) < 2000
    kinds = {corpus.document(i).document.kind for i in range(60)}
    assert len(kinds) == 5
    assert any("\u4e00" <= ch <= "\u9fff" for i in range(20) for ch in corpus.document(i).content)
    assert 1 <= len(first.document.tags) <= 4


def test_benchmark_runs_on_a_tiny_catalog(tmp_path):
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--docs", "12", "--runs", "1", "--rounds", "1",
         "--data", str(tmp_path / "data"), "--out", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads(out.read_text())
    summary = results["summary"]
    assert summary["docs"] == 12
    for key in ("import_docs_per_s", "search_warm_p50_ms", "search_fresh_ms", "add_one_searchable_ms",
                "peak_rss_mb", "index_mb", "fts5_search_warm_p50_ms"):
        assert summary[key] is not None and summary[key] >= 0, key
    for key in ("meaning_p50_ms", "hybrid_p95_ms", "related_p50_ms", "embed_docs_per_s", "embeddings_db_growth_mb",
                "meaning_peak_rss_mb", "more_embedded_seconds"):  # search by meaning (small scale: measured)
        assert summary[key] is not None and summary[key] >= 0, key
    assert "| measure |" in proc.stdout
