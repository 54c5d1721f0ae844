"""Fixtures for the indexer tests: a tiny corpus and a tiny store built with the real model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexer.build import build_store
from indexer.chunking import ChunkerSettings
from indexer.embedders import Embedder
from tests.indexer.support import write_tiny_corpus

TINY_HNSW_THRESHOLD = 50_000


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    """A private two-document corpus that a test may change."""
    return write_tiny_corpus(tmp_path / "corpus")


@pytest.fixture(scope="session")
def tiny_store_template(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """A store of the tiny corpus, built once with the real model; copy it, never change it."""
    root = tmp_path_factory.mktemp("tiny")
    corpus = write_tiny_corpus(root / "corpus")
    store = root / "store"
    build_store(corpus, store, embedder, ChunkerSettings(), hnsw_threshold=TINY_HNSW_THRESHOLD)
    return store


@pytest.fixture
def tiny_store(tmp_path: Path, tiny_store_template: Path) -> Path:
    """A private copy of the tiny store, free to corrupt."""
    target = tmp_path / "stores" / "store"
    shutil.copytree(tiny_store_template, target)
    return target
