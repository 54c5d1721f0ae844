"""Two stateless replicas over one PostgreSQL store, behind Debian's nginx on loopback:
one is killed under load and no request fails; /admin/reload on each picks up a new
generation. The replicas start once for the module: the reload comes first, the kill last.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from indexer.build import build_into
from indexer.chunking import ChunkerSettings
from indexer.embedders import Embedder
from indexer.pg_target import PostgresTarget
from localdb.server import LocalPostgres, free_port
from tests.postgres import build_postgres, fresh_database

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

pytestmark = pytest.mark.skipif(
    not Path(NGINX).exists(), reason="nginx is installed by `make pytest` (setup-nginx)"
)


def _nginx_conf(root: Path, port: int, upstreams: list[int]) -> Path:
    servers = "\n".join(
        f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in upstreams
    )
    conf = root / "nginx.conf"
    conf.write_text(
        f"""
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    upstream replicas {{
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://replicas;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            # A replica that dies or refuses: the request goes to the next one. POST is
            # retried too (non_idempotent): /search and /ask change nothing.
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
            proxy_next_upstream_tries 2;
            proxy_connect_timeout 2s;
        }}
    }}
}}
""",
        encoding="utf-8",
    )
    return conf


def _wait_healthy(url: str, process: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{url} exited with {process.returncode}"
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} never became healthy")


@pytest.fixture(scope="module")
def replicas(
    postgres: LocalPostgres, corpus_dir: Path, store_dir: Path, embedder: Embedder
) -> Iterator[tuple[str, list[str], list[subprocess.Popen[bytes]], str]]:
    url = fresh_database(postgres, "replicas")
    build_postgres(url, corpus_dir, store_dir, embedder)
    root = Path(tempfile.mkdtemp(prefix="rag-nginx-"))
    ports = [free_port(), free_port()]
    processes = []
    for port in ports:
        env = {
            **os.environ,
            "RAG_STORE": "postgres",
            "RAG_DATABASE_URL": url,
            "RAG_PORT": str(port),
            "RAG_DATA_DIR": str(root / f"data-{port}"),
            "RAG_RATE_LIMIT_PER_MINUTE": "0",
            "RAG_LOG_LEVEL": "WARNING",
        }
        processes.append(subprocess.Popen([sys.executable, "-m", "app"], env=env))
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    proxy_port = free_port()
    nginx = subprocess.Popen(
        [NGINX, "-c", str(_nginx_conf(root, proxy_port, ports)), "-p", str(root)],
        stderr=subprocess.PIPE,
    )
    try:
        for base, process in zip(bases, processes, strict=True):
            _wait_healthy(base, process)
        yield f"http://127.0.0.1:{proxy_port}", bases, processes, url
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(root, ignore_errors=True)


def test_reload_on_each_replica_picks_up_a_new_generation(
    replicas: tuple[str, list[str], list[subprocess.Popen[bytes]], str],
    corpus_dir: Path,
    embedder: Embedder,
) -> None:
    _, bases, _, url = replicas
    before = {httpx.get(f"{b}/health").json()["store"]["generation"] for b in bases}
    assert len(before) == 1 and None not in before
    rebuilt = build_into(corpus_dir, PostgresTarget(url), embedder, ChunkerSettings(), force=True)
    assert rebuilt.built and rebuilt.embedded == 0
    # Until reloaded, each replica serves the generation it opened (kept by the build).
    assert httpx.post(f"{bases[0]}/search", json={"query": "Nato"}).status_code == 200
    for base in bases:
        reloaded = httpx.post(f"{base}/admin/reload", timeout=60)
        assert reloaded.status_code == 200, reloaded.text
    after = {httpx.get(f"{b}/health").json()["store"]["generation"] for b in bases}
    assert len(after) == 1 and after.pop() > before.pop()


def test_a_replica_killed_under_load_fails_no_request(
    replicas: tuple[str, list[str], list[subprocess.Popen[bytes]], str],
) -> None:
    proxy, _, processes, _ = replicas
    outcomes: list[int] = []
    failures: list[str] = []
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(timeout=30) as client:
            while not stop.is_set():
                try:
                    answer = client.post(f"{proxy}/search", json={"query": "Nato", "k": 3})
                    outcomes.append(answer.status_code)
                    if answer.status_code != 200:
                        failures.append(f"{answer.status_code} {answer.text[:100]}")
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))

    workers = [threading.Thread(target=load) for _ in range(4)]
    for worker in workers:
        worker.start()
    time.sleep(2)
    served_before_kill = len(outcomes)
    processes[0].send_signal(signal.SIGKILL)
    time.sleep(4)
    stop.set()
    for worker in workers:
        worker.join(timeout=60)
    assert served_before_kill > 0 and len(outcomes) > served_before_kill
    assert failures == [], failures[:5]
    print(f"\nreplica killed under load: {len(outcomes)} requests, {len(failures)} failed")
