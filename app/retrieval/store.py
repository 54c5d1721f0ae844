"""What retrieval needs of a store: one small Protocol, so another engine is one new module.

Positions are the store's row numbers in corpus order; fusion breaks ties by them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from indexer.documents import Chunk


class StoreUnavailable(Exception):
    """The store's server cannot be reached now; the request may be retried (503)."""


class PassageStore(Protocol):
    """Dense and lexical candidates, chunks by position or id, and their sentence vectors.

    >>> store = EmbeddedStore(load_store(Path("store")), analyzer)
    >>> [store.chunk_at(i).chunk_id for i, _ in store.dense_search(vector, 3)]
    ['strategi:0052', 'strategi:0053', 'strategi:0010']
    """

    @property
    def manifest(self) -> Mapping[str, Any]:
        """What was built, how and when (the indexer's manifest)."""
        ...

    @property
    def idf(self) -> Mapping[str, float]:
        """Inverse document frequency of each analysed term."""
        ...

    def __len__(self) -> int: ...

    @property
    def searches_on_loop(self) -> bool:
        """Whether a search is short work in this process (no I/O, few passages), which the
        service runs on its event loop rather than hand to a worker thread and back."""
        ...

    def dense_search(
        self, query_vector: np.ndarray, n: int, document: str | None = None
    ) -> list[tuple[int, float]]:
        """The `n` nearest chunks by cosine similarity, best first; with `document`, every
        chunk of that document, ranked (it may be small next to the collection)."""
        ...

    def lexical_candidates(
        self, terms: Sequence[str], n: int, document: str | None = None
    ) -> list[tuple[int, float]]:
        """The `n` best chunks for the analysed query terms, best first; only matches; with
        `document`, every matching chunk of that document."""
        ...

    def chunk_at(self, position: int) -> Chunk: ...

    def position_of(self, chunk_id: str) -> int | None: ...

    def neighbours(self, position: int) -> tuple[Chunk | None, Chunk | None]:
        """The chunks before and after, in the same document only."""
        ...

    def sentence_vectors(self, position: int) -> np.ndarray:
        """One row per sentence of the chunk, in order."""
        ...

    def chunks(self) -> Iterator[Chunk]:
        """Every chunk in corpus order."""
        ...

    def close(self) -> None:
        """Releases connections (a server-backed store); the store is not used after."""
        ...
