"""A real HTTP server on loopback that speaks the OpenAI Chat Completions protocol and
misbehaves on purpose. Each request is answered by the next scripted behaviour (the last one
repeats), and every request is recorded, so tests see what the client really sent."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float


Behaviour = Callable[["Handler", dict[str, Any]], None]


@dataclass
class FakeLLM:
    url: str
    script: list[Behaviour]
    requests: list[Recorded] = field(default_factory=list)
    disconnected: threading.Event = field(default_factory=threading.Event)

    def behaviour(self) -> Behaviour:
        return self.script.pop(0) if len(self.script) > 1 else self.script[0]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection: nothing pooled across tests
    fake: FakeLLM

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            body = {}
        self.fake.requests.append(
            Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time())
        )
        self.fake.behaviour()(self, body)

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def start_sse(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()

    def send_event(self, payload: str) -> None:
        self.wfile.write(f"data: {payload}\n\n".encode())
        self.wfile.flush()


def completion(text: str, usage: tuple[int, int] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}}],
    }
    if usage is not None:
        body["usage"] = _usage(usage)
    return body


def _usage(usage: tuple[int, int]) -> dict[str, int]:
    prompt, completion = usage
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": sum(usage)}


def chunk(text: str | None, finish: str | None = None) -> str:
    delta = {} if text is None else {"content": text}
    return json.dumps({"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})


def first_passage_sentence(body: dict[str, Any], ref: int = 1) -> str:
    """What a well-behaved model would write: passage `ref`'s first sentence, cited."""
    prompt = body["messages"][-1]["content"]
    match = re.search(rf'<passage nr="{ref}"[^>]*>\n(.*?)\n</passage>', prompt, re.S)
    assert match, "the prompt carries numbered passages"
    first = re.split(r"(?<=[.!?])\s+", match.group(1).strip())[0].rstrip(".")
    return f"{first} [{ref}]."


def leak_canary(body: dict[str, Any]) -> str:
    """What an injected model would write: the system prompt's secret, with a citation."""
    match = re.search(r"Intern kod: (\S+)", body["messages"][0]["content"])
    assert match, "the system prompt carries a canary"
    return f"{first_passage_sentence(body).rstrip('.')} och koden är {match.group(1)} [1]."


def is_rewrite(body: dict[str, Any]) -> bool:
    return "Följdfråga:" in body["messages"][-1]["content"]


# Behaviours ---------------------------------------------------------------------------


def answer(
    text: str | Callable[[dict[str, Any]], str], usage: tuple[int, int] | None = None
) -> Behaviour:
    """`usage` (prompt, completion tokens) is reported as servers do: in the response, and
    in a last chunk with no choices when streaming."""

    def run(handler: Handler, body: dict[str, Any]) -> None:
        content = text(body) if callable(text) else text
        if body.get("stream"):
            handler.start_sse()
            for word in re.findall(r"\S+\s*", content):
                handler.send_event(chunk(word))
            handler.send_event(chunk(None, "stop"))
            if usage is not None:
                handler.send_event(json.dumps({"choices": [], "usage": _usage(usage)}))
            handler.send_event("[DONE]")
        else:
            handler.send_json(200, completion(content, usage))

    return run


def grounded() -> Behaviour:
    return answer(first_passage_sentence)


def status(code: int, headers: dict[str, str] | None = None) -> Behaviour:
    def run(handler: Handler, body: dict[str, Any]) -> None:
        handler.send_json(code, {"error": {"message": f"status {code}"}}, headers)

    return run


def slow(seconds: float, then: Behaviour) -> Behaviour:
    def run(handler: Handler, body: dict[str, Any]) -> None:
        time.sleep(seconds)
        try:
            then(handler, body)
        except OSError:
            pass  # the client gave up first, as it should

    return run


def malformed() -> Behaviour:
    def run(handler: Handler, body: dict[str, Any]) -> None:
        handler.send_json(200, b'{"choices": [{"message": ')

    return run


def broken_stream(words: int = 3) -> Behaviour:
    """Sends a few deltas, then drops the connection without finishing the answer."""

    def run(handler: Handler, body: dict[str, Any]) -> None:
        handler.start_sse()
        for index in range(words):
            handler.send_event(chunk(f"ord{index} "))
        handler.send_event("{this is not json")
        handler.wfile.flush()
        handler.connection.shutdown(socket.SHUT_RDWR)

    return run


def endless_stream(interval_s: float = 0.05, limit_s: float = 20.0) -> Behaviour:
    """Streams until the client hangs up; records the hang-up in `fake.disconnected`."""

    def run(handler: Handler, body: dict[str, Any]) -> None:
        handler.start_sse()
        deadline = time.monotonic() + limit_s
        try:
            while time.monotonic() < deadline:
                handler.send_event(chunk("mer "))
                time.sleep(interval_s)
        except OSError:
            handler.fake.disconnected.set()

    return run


def rewrite_then(rewritten: str, then: Behaviour) -> Behaviour:
    def run(handler: Handler, body: dict[str, Any]) -> None:
        if is_rewrite(body):
            handler.send_json(200, completion(rewritten))
        else:
            then(handler, body)

    return run


@contextmanager
def fake_llm(*script: Behaviour) -> Iterator[FakeLLM]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake = FakeLLM(f"http://127.0.0.1:{server.server_address[1]}/v1", list(script))
    server.RequestHandlerClass = type("BoundHandler", (Handler,), {"fake": fake})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def closed_port_url() -> str:
    """A loopback URL where nothing listens: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
