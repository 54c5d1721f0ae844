"""`python -m app`: checks settings and store, then serves on RAG_HOST:RAG_PORT."""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from app.backends.base import UnknownBackendError
from app.backends.prompts import PromptError
from app.retrieval.rerank import RerankerError
from app.settings import SettingsError, load_settings
from indexer.embedders import EmbedderError
from indexer.store import StoreError


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    parser.add_argument("--host", help="bind address (default RAG_HOST, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default RAG_PORT, 8000)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = load_settings()
        # Load everything before binding the port: the service never starts half-working.
        from app.components import build_question_answering
        from app.main import create_app

        qa = build_question_answering(settings)
    except (
        SettingsError,
        StoreError,
        EmbedderError,
        RerankerError,
        PromptError,
        UnknownBackendError,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    app = create_app(settings, qa=qa)
    uvicorn.run(app, host=args.host or settings.host, port=args.port or settings.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
