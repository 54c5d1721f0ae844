"""Builds the retrieval store: corpus → cleaned text → chunks → embeddings → FAISS."""
