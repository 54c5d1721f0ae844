"""Retrieval: dense and lexical search, rank fusion and optional reranking."""
