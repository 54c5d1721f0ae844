"""`python -m indexer build|inspect`: build the store, or look inside it."""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from indexer.build import build_into
from indexer.build_target import BuildTarget
from indexer.corpus import CorpusError
from indexer.directory_target import DirectoryTarget
from indexer.embedders import EmbedderError, create_embedder
from indexer.settings import IndexerSettings, SettingsError, load_indexer_settings
from indexer.store import StoreError, load_store


def _progress_bar(total: int) -> Callable[[int], None]:
    from tqdm import tqdm

    bar = tqdm(total=total, desc="Bäddar in", unit="text", file=sys.stderr, leave=False)
    return bar.update


def _cmd_build(args: argparse.Namespace, settings: IndexerSettings) -> int:
    corpus_dir = args.corpus or settings.corpus_dir
    target: BuildTarget
    if settings.store == "postgres" and not args.store:
        from indexer.pg_target import PostgresTarget

        target = PostgresTarget(settings.database)
    else:
        target = DirectoryTarget(args.store or settings.store_dir, settings.hnsw_threshold)
    embedder = create_embedder(
        settings.embedder, settings.embedding_model, settings.embedding_kernel
    )
    result = build_into(
        corpus_dir,
        target,
        embedder,
        settings.chunker,
        force=args.force,
        progress_factory=None if args.quiet else _progress_bar,
    )
    state = "built" if result.built else "up to date (use --force to rebuild)"
    print(
        f"store {result.location}: {state}; documents: {result.documents}, "
        f"chunks: {result.chunks}, sentences: {result.sentences}, "
        f"seconds: {result.seconds:.1f}"
        + (f"; texts embedded: {result.embedded}, reused: {result.reused}" if result.built else "")
    )
    return 0


def _cmd_inspect(args: argparse.Namespace, settings: IndexerSettings) -> int:
    store = load_store(args.store or settings.store_dir)
    if args.chunk:
        by_id = {chunk.chunk_id: chunk for chunk in store.chunks}
        chunk = by_id.get(args.chunk)
        if chunk is None:
            sample = ", ".join(list(by_id)[:3])
            print(f"error: no chunk '{args.chunk}'; ids look like {sample}", file=sys.stderr)
            return 2
        pages = f"{chunk.page_start}–{chunk.page_end}" if chunk.page_start else "–"
        print(
            f"{chunk.chunk_id}  {chunk.title}\n{chunk.section}\nsidor: {pages}  "
            f"tecken {chunk.start}–{chunk.end}  ord: {chunk.word_count}\n\n{chunk.text}"
        )
        return 0
    manifest = store.manifest
    words = [chunk.word_count for chunk in store.chunks]
    index_bytes = sum(f["bytes"] for f in manifest["files"].values())
    print(f"store: {store.path}  built: {manifest['built_at']}  ({manifest['build_seconds']} s)")
    embedder = manifest["embedder"]
    print(f"embedder: {embedder['engine']} / {embedder['model']} ({embedder['dim']} dims)")
    print(f"index: {manifest['index_type']}, files {index_bytes / 1024:.0f} KiB")
    print(f"chunks: {len(words)}  sentences: {manifest['sentence_count']}")
    print(
        f"words per chunk: min {min(words)}, median {statistics.median(words):g}, max {max(words)}"
    )
    for doc in manifest["documents"]:
        print(f"  {doc['id']}: {doc['chunk_count']} chunks  {doc['title']}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m indexer", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build the store if the corpus or settings changed")
    build.add_argument("--force", action="store_true", help="rebuild even if up to date")
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    build.add_argument("--corpus", type=Path, help="corpus folder (default RAG_CORPUS_DIR)")
    build.add_argument("--store", type=Path, help="store folder (default RAG_STORE_DIR)")
    inspect = commands.add_parser("inspect", help="chunk statistics, or one chunk by id")
    inspect.add_argument("--chunk", help="show this chunk, e.g. strategi:0042")
    inspect.add_argument("--store", type=Path, help="store folder (default RAG_STORE_DIR)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_indexer_settings()
        command = _cmd_build if args.command == "build" else _cmd_inspect
        return command(args, settings)
    except (CorpusError, StoreError, EmbedderError, SettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; the previous store is unchanged", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
