"""The PostgreSQL store's tables. Each build writes a generation of its own tables;
`rag_current` names the one that serves, and switching is one committed UPDATE.

Per generation N: `rag_chunks_N` (one row per chunk, its vector under an HNSW index, its
Swedish `tsvector` and its analysed terms under GIN indexes), `rag_terms_N` (document
frequency of each analysed term: BM25's idf), `rag_words_N` (the words compounds are split
into).
"""

from __future__ import annotations

# The search configuration is named everywhere: a new cluster's default is English.
TEXT_SEARCH_CONFIG = "swedish"
# Generations kept besides the current one, so a replica that has not reloaded yet still
# finds the tables it serves from.
KEPT_PREVIOUS = 1

SHARED = """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE IF NOT EXISTS rag_generations (
    id bigserial PRIMARY KEY,
    state text NOT NULL DEFAULT 'building' CHECK (state IN ('building', 'ready')),
    manifest jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS rag_current (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    generation bigint NOT NULL REFERENCES rag_generations (id)
);
CREATE TABLE IF NOT EXISTS rag_embedding_cache (
    key bytea PRIMARY KEY,
    vector bytea NOT NULL
);
"""

# Serialises builds: one generation is written at a time.
BUILD_LOCK = 748_211_093


def chunks_table(generation: int) -> str:
    return f"rag_chunks_{int(generation)}"


def terms_table(generation: int) -> str:
    return f"rag_terms_{int(generation)}"


def words_table(generation: int) -> str:
    return f"rag_words_{int(generation)}"


def generation_tables(generation: int) -> tuple[str, ...]:
    return (chunks_table(generation), terms_table(generation), words_table(generation))


def create_generation(generation: int, dim: int) -> str:
    chunks, terms, words = generation_tables(generation)
    return f"""
CREATE TABLE {chunks} (
    position integer PRIMARY KEY,
    chunk_id text NOT NULL UNIQUE,
    doc_id text NOT NULL,
    record jsonb NOT NULL,
    lexical_text text NOT NULL,
    lexemes tsvector GENERATED ALWAYS AS
        (to_tsvector('{TEXT_SEARCH_CONFIG}'::regconfig, lexical_text)) STORED,
    term_count integer NOT NULL,
    -- The analyzer's terms and their counts: BM25 scores with the same terms as the
    -- embedded store (PostgreSQL's Snowball build stems a few words differently).
    term_frequencies jsonb NOT NULL,
    embedding vector({int(dim)}) NOT NULL,
    sentence_vectors bytea NOT NULL
);
CREATE TABLE {terms} (term text PRIMARY KEY, df integer NOT NULL);
CREATE TABLE {words} (word text PRIMARY KEY);
"""


def index_generation(generation: int) -> str:
    chunks = chunks_table(generation)
    return f"""
CREATE INDEX {chunks}_embedding ON {chunks} USING hnsw (embedding vector_cosine_ops);
CREATE INDEX {chunks}_lexemes ON {chunks} USING gin (lexemes);
CREATE INDEX {chunks}_terms ON {chunks} USING gin (term_frequencies);
CREATE INDEX {chunks}_doc ON {chunks} (doc_id, position);
ANALYZE {chunks};
"""


def vector_literal(vector: object) -> str:
    """pgvector's text form of a vector: `[0.1,0.2,…]`."""
    return "[" + ",".join(f"{float(x):.7g}" for x in vector) + "]"  # type: ignore[attr-defined]
