"""`python -m eval bench --time-build`: a cold build into a new store, timed and counted."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.bench import speed_summary, time_build
from tests.eval.test_floor import bench_results
from tests.indexer.support import write_tiny_corpus


def test_a_cold_build_is_timed_with_what_it_embedded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAG_CORPUS_DIR", str(write_tiny_corpus(tmp_path / "corpus")))
    build = time_build(tmp_path)
    assert "error" not in build, (tmp_path / "build.log").read_text(encoding="utf-8")
    assert build["chunks"] > 0 and build["texts_embedded"] > 0
    assert build["chunks_per_s"] == pytest.approx(build["chunks"] / build["wall_s"], rel=0.01)
    # Nothing of the repository's own store was read: every text was embedded in this build.
    assert build["texts_embedded"] + build["texts_reused"] >= build["chunks"]


def test_a_failed_cold_build_is_reported_and_not_timed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("RAG_CORPUS_DIR", str(empty))
    build = time_build(tmp_path)
    assert build == {"error": "the cold build exited with 2; see build.log"}
    assert "manifest.toml" in (tmp_path / "build.log").read_text(encoding="utf-8")


def test_the_summary_gives_the_cold_builds_speed_or_its_failure() -> None:
    results = bench_results()
    results["build"] = {
        "chunks": 66,
        "wall_s": 20.6,
        "chunks_per_s": 3.2,
        "texts_embedded": 458,
        "texts_reused": 25,
    }
    assert (
        "cold build: 66 chunks in 20.6 s = 3.2 chunks/s (458 texts embedded, 25 repeated)"
        in speed_summary(results).splitlines()
    )
    results["build"] = {"error": "the cold build exited with 2; see build.log"}
    assert "the cold build exited with 2; see build.log" in speed_summary(results).splitlines()
