"""Load generation and the service process for `python -m eval bench`.

`LoadLevel` runs a fixed number of requests (or for a fixed time) with `concurrency`
workers on one httpx.AsyncClient; `ServiceProcess` starts `python -m app` on loopback and
reads its resident memory from /proc.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from eval.ranking import latency_summary

Body = dict[str, Any]


def parse_vmrss_kb(status: str) -> int | None:
    """VmRSS in kB from the text of /proc/<pid>/status (None when absent)."""
    match = re.search(r"^VmRSS:\s+(\d+)\s+kB", status, re.MULTILINE)
    return int(match.group(1)) if match else None


def rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return None
    kb = parse_vmrss_kb(status)
    return None if kb is None else kb / 1024


def parse_levels(raw: str) -> list[int]:
    """ "1,8,32" → [1, 8, 32]; raises ValueError on anything else."""
    try:
        levels = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"expected comma-separated integers, got {raw!r}") from None
    if not levels or any(level < 1 or level > 256 for level in levels):
        raise ValueError(f"concurrency levels must be within 1-256, got {raw!r}")
    return levels


def level_summary(
    endpoint: str,
    concurrency: int,
    latencies_ms: Sequence[float],
    errors: Mapping[str, int],
    elapsed_s: float,
) -> dict[str, Any]:
    """Throughput counts successful requests only; failures are counted by status beside it
    ("429", "503", or "transport" when no response came)."""
    failed = sum(errors.values())
    return {
        "endpoint": endpoint,
        "concurrency": concurrency,
        "requests": len(latencies_ms) + failed,
        "errors": failed,
        "errors_by_status": dict(sorted(errors.items())),
        "elapsed_s": round(elapsed_s, 3),
        "throughput_rps": len(latencies_ms) / elapsed_s if elapsed_s > 0 else 0.0,
        "latency_ms": latency_summary(latencies_ms),
    }


@dataclass
class LoadLevel:
    client: httpx.AsyncClient
    path: str
    bodies: Sequence[Body]
    concurrency: int
    requests: int | None = None  # a fixed count, or
    seconds: float | None = None  # a fixed duration
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    _issued: int = 0

    def _next(self, deadline: float | None) -> Body | None:
        if self.requests is not None and self._issued >= self.requests:
            return None
        if deadline is not None and time.perf_counter() >= deadline:
            return None
        body = self.bodies[self._issued % len(self.bodies)]
        self._issued += 1
        return body

    async def _worker(self, deadline: float | None) -> None:
        while (body := self._next(deadline)) is not None:
            started = time.perf_counter()
            try:
                status = str((await self.client.post(self.path, json=body)).status_code)
            except httpx.HTTPError:
                status = "transport"
            if status == "200":
                self.latencies_ms.append((time.perf_counter() - started) * 1000)
            else:
                self.errors[status] += 1

    async def run(self) -> float:
        """Runs the level; returns the elapsed wall time in seconds."""
        started = time.perf_counter()
        deadline = None if self.seconds is None else started + self.seconds
        await asyncio.gather(*(self._worker(deadline) for _ in range(self.concurrency)))
        return time.perf_counter() - started


async def sample_rss(pid: int | None, samples: list[float], stop: asyncio.Event) -> None:
    """Appends the service's RSS (MB) every 100 ms until `stop` is set."""
    while not stop.is_set():
        value = rss_mb(pid)
        if value is not None:
            samples.append(value)
        try:
            await asyncio.wait_for(stop.wait(), timeout=0.1)
        except TimeoutError:
            pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServiceProcess:
    """`python -m app` on 127.0.0.1:<free port>, its output in `log`."""

    def __init__(self, log: Path, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log.open("w", encoding="utf-8")
        command = [sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(
            command, stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
        self.pid = self.process.pid

    async def wait_ready(self, timeout_s: float) -> None:
        deadline = time.perf_counter() + timeout_s
        async with httpx.AsyncClient(base_url=self.url, timeout=2.0) as client:
            while time.perf_counter() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the service exited with status {self.process.returncode}")
                try:
                    if (await client.get("/health")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.05)  # the start-up time is reported from this
        raise RuntimeError(f"the service did not answer /health within {timeout_s:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
