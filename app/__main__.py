"""`python -m app`: checks settings and store, then serves on RAG_HOST:RAG_PORT."""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from app.api.access_control import AccessConfigError
from app.backends.base import UnknownBackendError
from app.backends.prompts import PromptError
from app.http_protocol import CoalescingHTTPProtocol
from app.logs import configure_logging
from app.retrieval.rerank import RerankerError
from app.settings import SettingsError, load_settings
from indexer.embedders import EmbedderError
from indexer.store import StoreError

logger = logging.getLogger("app")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    parser.add_argument("--host", help="bind address (default RAG_HOST, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default RAG_PORT, 8000)")
    args = parser.parse_args()
    try:
        settings = load_settings()
        configure_logging(settings.log_format, settings.log_level)
        # Load everything before binding the port: the service never starts half-working.
        from app.main import create_app
        from app.wiring import build_question_answering

        qa = build_question_answering(settings)
        app = create_app(settings, qa=qa, reload_on_sighup=True)
    except (
        SettingsError,
        StoreError,
        EmbedderError,
        RerankerError,
        PromptError,
        UnknownBackendError,
        AccessConfigError,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # SIGTERM/SIGINT: uvicorn stops accepting, lets requests in flight finish (at most
    # RAG_GRACEFUL_SHUTDOWN_S), runs the lifespan's shutdown, then exits. Our middleware
    # resolves X-Forwarded-For itself, only from RAG_TRUSTED_PROXIES: uvicorn's is off.
    uvicorn.run(
        app,
        host=args.host or settings.host,
        port=args.port or settings.port,
        timeout_graceful_shutdown=settings.graceful_shutdown_s,
        proxy_headers=False,
        server_header=False,
        access_log=False,
        log_config=None,
        # One write per loop turn: a replica killed mid-response never leaves nginx a head
        # without a body (app/http_protocol.py).
        http=CoalescingHTTPProtocol,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
