"""Builds the retrieval store: corpus → cleaned text → chunks → embeddings → FAISS."""

# Before any submodule can import faiss: its libgomp reads the OpenMP wait policy as it loads.
from indexer import openmp as _openmp  # noqa: F401
