"""The PostgreSQL store as a build target: a build writes a new generation of tables and
switches `rag_current` to it in the same transaction, so a killed build leaves nothing
behind and the previous generation serving."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import psycopg
from psycopg.types.json import Jsonb

from indexer import pg_schema
from indexer.build_target import BuiltCorpus
from indexer.database import connect, redacted, unreachable
from indexer.documents import Chunk
from indexer.embedding_cache import EmbeddingCache
from indexer.store import FORMAT_VERSION, StoreError, chunk_to_record
from indexer.swedish import Analyzer, CompoundSplitter, raw_tokens


def lexical_text(chunk: Chunk, splitter: CompoundSplitter) -> str:
    """The passage, then the parts of its compounds, for PostgreSQL's Swedish parser to
    stem: a question about "angrepp" then also matches "cyberangrepp"."""
    parts = [p for token in raw_tokens(chunk.passage_text) for p in splitter.split(token)]
    return chunk.passage_text + ("\n" + " ".join(parts) if parts else "")


@dataclass(frozen=True)
class PostgresEmbeddingCache:
    url: str

    def lookup(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        if not keys:
            return {}
        try:
            with connect(self.url) as connection:
                rows = connection.execute(
                    "SELECT key, vector FROM rag_embedding_cache WHERE key = ANY(%s)",
                    (list(keys),),
                ).fetchall()
        except psycopg.Error as exc:
            raise unreachable(self.url, exc) from exc
        return {bytes(key): np.frombuffer(vector, dtype=np.float32) for key, vector in rows}


@dataclass(frozen=True)
class PostgresTarget:
    url: str

    @property
    def location(self) -> str:
        return redacted(self.url)

    def _prepare(self, connection: psycopg.Connection) -> None:
        try:
            connection.execute(pg_schema.SHARED)
        except psycopg.errors.FeatureNotSupported as exc:
            raise StoreError(
                f"{self.location}: pgvector is not installed on this server ({exc}); "
                "install it (https://github.com/pgvector/pgvector), version 0.8 or later"
            ) from exc

    def current_fingerprint(self) -> str | None:
        try:
            with connect(self.url) as connection:
                self._prepare(connection)
                row = connection.execute(
                    "SELECT g.manifest->>'fingerprint', g.id FROM rag_current c "
                    "JOIN rag_generations g ON g.id = c.generation"
                ).fetchone()
                if row is None:
                    return None
                present = connection.execute(
                    "SELECT to_regclass(%s) IS NOT NULL", (pg_schema.chunks_table(row[1]),)
                ).fetchone()
        except psycopg.Error as exc:
            raise unreachable(self.url, exc) from exc
        return row[0] if present and present[0] else None

    def embedding_cache(self, identity: str) -> EmbeddingCache:
        # Keys already carry the model's identity.
        return PostgresEmbeddingCache(self.url)

    def write(self, built: BuiltCorpus) -> None:
        try:
            with connect(self.url) as connection:
                self._prepare(connection)
                connection.commit()
                self._write_generation(connection, built)
            self._drop_old_generations()
        except psycopg.OperationalError as exc:
            raise unreachable(self.url, exc) from exc

    def _write_generation(self, connection: psycopg.Connection, built: BuiltCorpus) -> None:
        analyzer = Analyzer.for_corpus(c.passage_text for c in built.chunks)
        assert analyzer.splitter is not None
        term_lists = [analyzer.terms(c.passage_text) for c in built.chunks]
        dim = int(built.manifest["embedder"]["dim"])
        with connection.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (pg_schema.BUILD_LOCK,))
            row = connection.execute(
                "SELECT nextval(pg_get_serial_sequence('rag_generations', 'id'))"
            ).fetchone()
            assert row is not None
            generation = int(row[0])
            manifest = {
                **built.manifest,
                "format_version": FORMAT_VERSION,
                "store": "postgres",
                "generation": generation,
                "chunk_count": len(built.chunks),
                "sentence_count": len(built.sentence_vectors),
                "index_type": "hnsw",
                "text_search_config": pg_schema.TEXT_SEARCH_CONFIG,
                "average_terms": float(np.mean([len(t) for t in term_lists]) if term_lists else 0),
            }
            connection.execute(
                "INSERT INTO rag_generations (id, manifest) VALUES (%s, %s)",
                (generation, Jsonb(manifest)),
            )
            connection.execute(pg_schema.create_generation(generation, dim))
            self._copy_chunks(connection, generation, built, analyzer.splitter, term_lists)
            self._copy_terms(connection, generation, term_lists, analyzer.splitter)
            connection.execute(pg_schema.index_generation(generation))
            self._remember_vectors(connection, built)
            connection.execute(
                "UPDATE rag_generations SET state = 'ready' WHERE id = %s", (generation,)
            )
            connection.execute(
                "INSERT INTO rag_current (only_row, generation) VALUES (true, %s) "
                "ON CONFLICT (only_row) DO UPDATE SET generation = EXCLUDED.generation",
                (generation,),
            )

    def _copy_chunks(
        self,
        connection: psycopg.Connection,
        generation: int,
        built: BuiltCorpus,
        splitter: CompoundSplitter,
        term_lists: list[list[str]],
    ) -> None:
        table = pg_schema.chunks_table(generation)
        columns = (
            "position, chunk_id, doc_id, record, lexical_text, term_count, term_frequencies, "
            "embedding, "
        )
        row = 0
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({columns}sentence_vectors) FROM STDIN") as copy,
        ):
            for position, chunk in enumerate(built.chunks):
                count = len(chunk.sentences)
                sentences = built.sentence_vectors[row : row + count]
                row += count
                copy.write_row(
                    (
                        position,
                        chunk.chunk_id,
                        chunk.doc_id,
                        json.dumps(chunk_to_record(chunk), ensure_ascii=False),
                        lexical_text(chunk, splitter),
                        len(term_lists[position]),
                        json.dumps(Counter(term_lists[position]), ensure_ascii=False),
                        pg_schema.vector_literal(built.chunk_vectors[position]),
                        np.ascontiguousarray(sentences, dtype=np.float32).tobytes(),
                    )
                )

    def _copy_terms(
        self,
        connection: psycopg.Connection,
        generation: int,
        term_lists: list[list[str]],
        splitter: CompoundSplitter,
    ) -> None:
        frequencies = Counter(term for terms in term_lists for term in set(terms))
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY {pg_schema.terms_table(generation)} FROM STDIN") as copy:
                for term, df in frequencies.items():
                    copy.write_row((term, df))
            with cursor.copy(f"COPY {pg_schema.words_table(generation)} FROM STDIN") as copy:
                for word in sorted(splitter.vocabulary):
                    copy.write_row((word,))

    def _remember_vectors(self, connection: psycopg.Connection, built: BuiltCorpus) -> None:
        pairs = {
            **dict(zip(built.chunk_keys, built.chunk_vectors, strict=True)),
            **dict(zip(built.sentence_keys, built.sentence_vectors, strict=True)),
        }
        connection.execute("CREATE TEMP TABLE new_vectors (key bytea, vector bytea) ON COMMIT DROP")
        with connection.cursor() as cursor, cursor.copy("COPY new_vectors FROM STDIN") as copy:
            for key, vector in pairs.items():
                copy.write_row((key, np.ascontiguousarray(vector, dtype=np.float32).tobytes()))
        connection.execute(
            "INSERT INTO rag_embedding_cache SELECT key, vector FROM new_vectors "
            "ON CONFLICT (key) DO NOTHING"
        )

    def _drop_old_generations(self) -> None:
        """Tables of generations before the kept ones; a replica still reading one holds
        its lock, and the drop waits for a later build."""
        with connect(self.url) as connection:
            rows = connection.execute(
                "SELECT id FROM rag_generations WHERE id < (SELECT generation FROM rag_current) "
                "ORDER BY id DESC OFFSET %s",
                (pg_schema.KEPT_PREVIOUS,),
            ).fetchall()
            connection.commit()
            for (generation,) in rows:
                try:
                    with connection.transaction():
                        connection.execute("SET LOCAL lock_timeout = '2s'")
                        for table in pg_schema.generation_tables(generation):
                            connection.execute(f"DROP TABLE IF EXISTS {table}")
                        connection.execute(
                            "DELETE FROM rag_generations WHERE id = %s", (generation,)
                        )
                except psycopg.errors.LockNotAvailable:
                    continue
