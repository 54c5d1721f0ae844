"""A minimal HTTP/1.1 client for the floor comparison: one keep-alive connection, each
request written and its response read by hand.

The floor is timed inside its own process; the service is timed from outside, so whatever
the client spends is counted against the service. httpx spends about 1.7 ms of Python per
request after a pause (`/health` after 20 ms of quiet: 2.87 ms through httpx.AsyncClient,
1.15 ms through this; README, "Current figures"), which is the client's cost, not the
service's. This client sends a request with `Content-Length`, reads the status line, the
headers and exactly `Content-Length` bytes of body; anything else is an error.

>>> wire = await WireClient.connect("http://127.0.0.1:8000")
>>> status, body = await wire.request("GET", "/health")
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

MAX_HEAD_BYTES = 64 * 1024


class WireError(Exception):
    """The server's answer was not a plain HTTP/1.1 response with a Content-Length."""


class WireClient:
    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    @classmethod
    async def connect(cls, url: str) -> WireClient:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise WireError(f"the floor comparison needs a plain http:// URL, got {url!r}")
        client = cls(parts.hostname, parts.port or 80)
        await client._open()
        return client

    async def _open(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(
            self._host, self._port, limit=MAX_HEAD_BYTES
        )

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        """(status, body) of one request; reconnects once if the server closed the idle
        connection."""
        head = self._head(method, path, body, headers or {})
        for attempt in (1, 2):
            if self._writer is None:
                await self._open()
            try:
                return await self._exchange(head + body)
            except (ConnectionError, asyncio.IncompleteReadError):
                if attempt == 2:
                    raise
                await self.close()
        raise AssertionError("unreachable")

    def _head(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self._host}:{self._port}"]
        if body or method == "POST":
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def _exchange(self, request: bytes) -> tuple[int, bytes]:
        assert self._reader is not None and self._writer is not None
        self._writer.write(request)
        await self._writer.drain()
        try:
            raw = await self._reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError as exc:
            raise WireError(f"response head over {MAX_HEAD_BYTES} bytes") from exc
        status_line, *header_lines = raw.decode("latin-1").split("\r\n")
        protocol, _, rest = status_line.partition(" ")
        if protocol != "HTTP/1.1" or not rest[:3].isdigit():
            raise WireError(f"not an HTTP/1.1 status line: {status_line!r}")
        fields = {}
        for line in header_lines:
            name, sep, value = line.partition(":")
            if sep:
                fields[name.strip().lower()] = value.strip()
        if "content-length" not in fields:
            raise WireError("the response has no Content-Length (a stream?)")
        payload = await self._reader.readexactly(int(fields["content-length"]))
        if fields.get("connection", "").lower() == "close":
            await self.close()
        return int(rest[:3]), payload

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except ConnectionError:
                pass
        self._reader = self._writer = None
