"""Starts llama.cpp's OpenAI-compatible server on loopback and waits until it answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

MODEL_ALIAS = "qwen2.5-coder-1.5b-instruct"


class ServerError(Exception):
    """llama.cpp's server is not installed or did not come up."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command(model: Path, port: int, threads: int, context: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--model_alias",
        MODEL_ALIAS,
        "--n_ctx",
        str(context),
        "--n_threads",
        str(threads),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]


def wait_until_ready(base_url: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"llama.cpp server exited with code {process.returncode}")
        try:
            if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise ServerError(f"llama.cpp server did not answer within {timeout_s:.0f} s")


@contextmanager
def llama_server(
    model: Path,
    port: int | None = None,
    threads: int | None = None,
    context: int = 4096,
    timeout_s: float = 120,
    log: Path | None = None,
) -> Iterator[str]:
    """Yields the server's base URL (`http://127.0.0.1:N/v1`); stops the server on exit."""
    try:
        import llama_cpp.server  # noqa: F401
    except ImportError as exc:
        raise ServerError(
            "llama-cpp-python[server] is not installed; run `make setup-llm`"
        ) from exc
    port = port or free_port()
    threads = threads or max(1, os.cpu_count() or 1)
    output = log.open("ab") if log else subprocess.DEVNULL
    process = subprocess.Popen(
        server_command(model, port, threads, context), stdout=output, stderr=output
    )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_ready(base_url, process, timeout_s)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log:
            output.close()  # type: ignore[union-attr]
