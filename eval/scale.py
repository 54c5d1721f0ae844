"""`python -m eval scale`: the stores at 10k, 100k (and, with --sizes, 1M) synthetic chunks.

For FAISS flat, FAISS HNSW (indexer.store.build_index) and pgvector HNSW (written by the
real indexer.pg_target.PostgresTarget, read by the real app.retrieval.postgres.PostgresStore
on a PostgreSQL started from localdb): ingest rate, index size, dense top-30 latency (p50,
p95), HNSW recall@10 against exact search, and for PostgreSQL the lexical (BM25 in SQL) and
hybrid store calls. No model: vectors and texts are generated (eval.scale_data). Writes
eval/reports/<timestamp>-scale/ (report.md, results.json).
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import psycopg

from app.retrieval.fusion import reciprocal_rank_fusion
from app.retrieval.postgres import PostgresStore, open_pool
from eval.arguments import positive
from eval.cli import OneLineParser
from eval.report import REPORTS, md_table, new_report_dir, write_report
from eval.scale_data import (
    DIM,
    SyntheticCorpus,
    VectorSpace,
    make_corpus,
    percentiles_ms,
    query_texts,
    recall_at,
)
from indexer import pg_schema
from indexer.build_target import BuiltCorpus
from indexer.pg_target import PostgresTarget
from indexer.store import build_index
from indexer.swedish import Analyzer
from localdb.server import LocalPostgres, free_port

EMBEDDER = {"engine": "synthetic", "model": "scale-benchmark", "revision": "1", "dim": DIM}
TOP_N = 30
RECALL_K = 10
WARM_UP = 3
# pgvector builds HNSW in memory only when the graph fits in maintenance_work_mem (64 MB by
# default: under 40k vectors of 384 dimensions); set on the benchmark's databases only.
MAINTENANCE_WORK_MEM = "2GB"


def _sizes(raw: str) -> list[int]:
    try:
        sizes = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a list of numbers") from None
    if not sizes or min(sizes) < 100:
        raise argparse.ArgumentTypeError("sizes are chunk counts of at least 100")
    return sizes


def build_parser() -> OneLineParser:
    parser = OneLineParser(prog="python -m eval scale", description=__doc__)
    add = parser.add_argument
    add("--sizes", type=_sizes, default=[10_000, 100_000], help="default 10000,100000")
    add("--queries", type=positive(int), default=200, help="timed queries per engine and size")
    add(
        "--seconds-per-path",
        type=positive(float),
        default=60.0,
        help="stop timing a path (dense, lexical, hybrid) of one engine after this long",
    )
    add(
        "--seed",
        type=positive(int, zero=True),
        default=7,
        help="seed of the generated corpora and queries (0 or more; default 7)",
    )
    add("--reports", type=Path, default=REPORTS)
    return parser


def _timed(calls: Sequence[Callable[[], Any]], budget_s: float) -> tuple[list[float], list[Any]]:
    """Each call's seconds and result, after a warm-up, until the calls or the budget end."""
    for call in calls[:WARM_UP]:
        call()
    seconds: list[float] = []
    results: list[Any] = []
    began = time.perf_counter()
    for call in calls:
        if seconds and time.perf_counter() - began > budget_s:
            break
        start = time.perf_counter()
        results.append(call())
        seconds.append(time.perf_counter() - start)
    return seconds, results


def _latency(seconds: list[float]) -> dict[str, Any]:
    return {**percentiles_ms(seconds), "queries": len(seconds)}


def _log(message: str) -> None:
    print(f"scale: {message}", file=sys.stderr, flush=True)


def _faiss(
    vectors: np.ndarray, queries: np.ndarray, threshold: int, budget_s: float
) -> tuple[dict, list]:
    start = time.perf_counter()
    index = build_index(vectors, threshold)
    ingest = time.perf_counter() - start

    def search(q: np.ndarray) -> list[int]:
        return index.search(q[None, :], TOP_N)[1][0].tolist()

    calls = [partial(search, q) for q in queries]
    engine = "faiss-hnsw" if isinstance(index, faiss.IndexHNSWFlat) else "faiss-flat"
    _log(f"{len(vectors)} {engine}: built in {ingest:.1f} s")
    seconds, found = _timed(calls, budget_s)
    row = {
        "engine": engine,
        "ingest_s": round(ingest, 3),
        "ingest_chunks_per_s": round(len(vectors) / ingest),
        "index_bytes": int(faiss.serialize_index(index).nbytes),
        "dense": _latency(seconds),
    }
    return row, found


def _create_database(server: LocalPostgres, name: str) -> str:
    with psycopg.connect(server.url(), autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")
        connection.execute(
            f"ALTER DATABASE {name} SET maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'"
        )
    return server.url(name)


def _drop_database(server: LocalPostgres, name: str) -> None:
    with psycopg.connect(server.url(), autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _sizes_in(url: str, generation: int) -> dict[str, int]:
    chunks = pg_schema.chunks_table(generation)
    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT pg_relation_size(%s), pg_relation_size(%s), pg_total_relation_size(%s)",
            (f"{chunks}_embedding", f"{chunks}_lexemes", chunks),
        ).fetchone()
    assert row is not None
    return {"index_bytes": int(row[0]), "gin_bytes": int(row[1]), "table_bytes": int(row[2])}


def _dense_plan(url: str, generation: int, vector: np.ndarray) -> str:
    """How PostgreSQL runs the store's dense query: over the HNSW index or by a scan."""
    chunks = pg_schema.chunks_table(generation)
    with psycopg.connect(url) as connection:
        plan = connection.execute(
            f"EXPLAIN SELECT position FROM {chunks} ORDER BY embedding <=> %(v)s::vector "
            "LIMIT %(n)s",
            {"v": pg_schema.vector_literal(vector), "n": TOP_N},
        ).fetchall()
    text = "\n".join(line for (line,) in plan)
    return "hnsw index" if f"{chunks}_embedding" in text else "sequential scan (exact)"


def _pgvector(
    corpus: SyntheticCorpus, queries: np.ndarray, texts: list[str], url: str, budget_s: float
) -> tuple[dict, list]:
    n = len(corpus.chunks)
    built = BuiltCorpus(
        chunks=corpus.chunks,
        chunk_vectors=corpus.vectors,
        sentence_vectors=corpus.sentence_vectors,
        manifest={
            "embedder": EMBEDDER,
            "documents": sorted({c.doc_id for c in corpus.chunks}),
            "fingerprint": f"synthetic-{n}",
        },
        chunk_keys=tuple(f"c{i}".encode() for i in range(n)),
        sentence_keys=tuple(f"s{i}".encode() for i in range(len(corpus.sentence_vectors))),
    )
    start = time.perf_counter()
    PostgresTarget(url).write(built)
    ingest = time.perf_counter() - start
    _log(f"{n} pgvector-hnsw: written in {ingest:.1f} s")
    store = PostgresStore(open_pool(url, 4), url, EMBEDDER)
    try:
        analyzer = Analyzer(store.splitter)
        terms = [analyzer.terms(text) for text in texts]

        def hybrid(q: np.ndarray, t: list[str]) -> list[tuple[int, float]]:
            dense = store.dense_search(q, TOP_N)
            lexical = store.lexical_candidates(t, TOP_N)
            ranks = {"dense": [i for i, _ in dense], "lexical": [i for i, _ in lexical]}
            return reciprocal_rank_fusion(ranks)

        dense_s, dense = _timed([partial(store.dense_search, q, TOP_N) for q in queries], budget_s)
        lexical_s, _ = _timed(
            [partial(store.lexical_candidates, t, TOP_N) for t in terms], budget_s
        )
        hybrid_s, _ = _timed(
            [partial(hybrid, q, t) for q, t in zip(queries, terms, strict=True)],
            budget_s,
        )
        generation = int(store.manifest["generation"])
    finally:
        store.close()
    row = {
        "engine": "pgvector-hnsw",
        "ingest_s": round(ingest, 3),
        "ingest_chunks_per_s": round(n / ingest),
        **_sizes_in(url, generation),
        "dense_plan": _dense_plan(url, generation, queries[0]),
        "dense": _latency(dense_s),
        "lexical": _latency(lexical_s),
        "hybrid": _latency(hybrid_s),
    }
    return row, [[p for p, _ in hits] for hits in dense]


def measure_size(
    n: int, server: LocalPostgres, queries: int, seed: int, budget_s: float
) -> dict[str, Any]:
    space = VectorSpace.make(n, seed)
    start = time.perf_counter()
    corpus = make_corpus(n, space, seed)
    query_vectors = space.sample(queries, np.random.default_rng(seed + 3))
    texts = query_texts(corpus, queries, seed)
    generated = time.perf_counter() - start
    _log(f"{n} chunks generated in {generated:.1f} s")
    flat, exact = _faiss(corpus.vectors, query_vectors, n + 1, budget_s)
    hnsw, approximate = _faiss(corpus.vectors, query_vectors, 0, budget_s)
    name = f"scale_{n}"
    try:
        pg, pg_found = _pgvector(
            corpus, query_vectors, texts, _create_database(server, name), budget_s
        )
    finally:
        _drop_database(server, name)
    for row, found in ((flat, exact), (hnsw, approximate), (pg, pg_found)):
        both = min(len(found), len(exact))
        row["recall_at_10"] = round(recall_at(found[:both], exact[:both], RECALL_K), 4)
    return {"chunks": n, "generate_s": round(generated, 2), "engines": [flat, hnsw, pg]}


def _ms(cell: dict[str, Any] | None) -> str:
    if not cell:
        return "–"
    return f"{cell['p50_ms']:.2f} / {cell['p95_ms']:.2f} ({cell['queries']})"


def render(results: dict[str, Any]) -> str:
    headers = (
        "chunks",
        "engine",
        "ingest (chunks/s)",
        "index (MB)",
        "dense top-30 p50 / p95 (ms)",
        "recall@10",
        "dense plan",
        "lexical p50 / p95 (ms)",
        "hybrid p50 / p95 (ms)",
    )
    rows = [
        (
            f"{size['chunks']:,}",
            e["engine"],
            f"{e['ingest_chunks_per_s']:,}",
            f"{e['index_bytes'] / 1e6:.1f}",
            _ms(e["dense"]),
            f"{e['recall_at_10']:.3f}",
            e.get("dense_plan", "–"),
            _ms(e.get("lexical")),
            _ms(e.get("hybrid")),
        )
        for size in results["sizes"]
        for e in size["engines"]
    ]
    meta = results["meta"]
    return (
        "# Scale benchmark\n\n"
        f"`{meta['command']}` on {meta['cpus']} CPUs, started {meta['started']}, load average "
        f"{meta['load_average_at_start']} → {meta['load_average_at_end']}; up to "
        f"{meta['queries']} queries per path (timed ones in brackets), each path stopped after "
        f"{meta['seconds_per_path']:g} s. pgvector: maintenance_work_mem "
        f"{MAINTENANCE_WORK_MEM}; index (MB) is the HNSW index alone.\n\n"
        + md_table(headers, rows)
        + "\n"
    )


def run(
    sizes: list[int],
    server: LocalPostgres,
    queries: int,
    seed: int,
    command: str,
    budget_s: float = 60.0,
) -> dict[str, Any]:
    started = datetime.now().isoformat(timespec="seconds")
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    measured = [measure_size(n, server, queries, seed, budget_s) for n in sizes]
    return {
        "meta": {
            "command": command,
            "started": started,
            "cpus": os.cpu_count(),
            "faiss_threads": faiss.omp_get_max_threads(),
            "load_average_at_start": load_at_start,
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "queries": queries,
            "seconds_per_path": budget_s,
            "top_n": TOP_N,
            "embedder": EMBEDDER,
            "pg_maintenance_work_mem": MAINTENANCE_WORK_MEM,
        },
        "sizes": measured,
    }


def save(results: dict[str, Any], root: Path = REPORTS) -> Path:
    folder = new_report_dir("-scale", root=root)
    write_report(folder, results, render(results))
    return folder


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="rag-scale-pg-"))
    server = LocalPostgres(data_dir, free_port())
    try:
        server.start()
        command = shlex.join(["python", "-m", "eval", "scale", *argv])
        results = run(args.sizes, server, args.queries, args.seed, command, args.seconds_per_path)
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    folder = save(results, args.reports)
    print((folder / "report.md").read_text(encoding="utf-8"))
    print(f"report: {folder / 'report.md'}")
    return 0
