"""The query path: cached and batched query vectors equal the engine's own, one by one."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence

import numpy as np
import pytest

from app.retrieval.query_embeddings import BatchedQueries, CachedQueries, query_embedder
from indexer.embedders import Embedder, EmbedderInfo

QUESTIONS = [
    "Hur många förtroendeskapande åtgärder har OSSE antagit?",
    "Vad säger strategin om samarbetet inom Nato?",
    "Vilka deltar i Freedom Online Coalition?",
    "Vem ledde den svenska delegationen vid dialogen med USA?",
    "What does the strategy say about cyber diplomacy?",
    "Vad är NB8?",
]


class Recording:
    """The real embedder, recording each call's texts; `gate`, when set, holds the first
    call until it is opened (so that the test knows which requests queue behind it)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.info: EmbedderInfo = inner.info
        self.calls: list[list[str]] = []
        self.threads: set[str] = set()
        self.gate: threading.Event | None = None
        self.fail_with: Exception | None = None

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        self.threads.add(threading.current_thread().name)
        if self.gate is not None and len(self.calls) == 1:
            self.gate.wait(timeout=30)
        if self.fail_with is not None:
            raise self.fail_with
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_passages(texts)


def one_by_one(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    return np.stack([embedder.embed_queries([text])[0] for text in texts])


@pytest.mark.slow
def test_cached_vectors_equal_uncached_ones(embedder: Embedder) -> None:
    recording = Recording(embedder)
    cached = CachedQueries(recording, size=16)
    first = cached.embed_queries(QUESTIONS)
    again = cached.embed_queries(QUESTIONS[::-1])
    np.testing.assert_array_equal(first, embedder.embed_queries(QUESTIONS))
    np.testing.assert_array_equal(again, first[::-1])
    assert recording.calls == [QUESTIONS]  # the second call came from the cache
    assert (cached.hits, cached.misses) == (len(QUESTIONS), len(QUESTIONS))


@pytest.mark.slow
def test_cache_embeds_only_the_misses_and_keeps_its_bound(embedder: Embedder) -> None:
    recording = Recording(embedder)
    cached = CachedQueries(recording, size=2)
    cached.embed_queries(QUESTIONS[:2])
    mixed = cached.embed_queries([QUESTIONS[0], QUESTIONS[2]])  # a hit, then a miss
    assert recording.calls[-1] == [QUESTIONS[2]]
    np.testing.assert_array_equal(mixed, embedder.embed_queries([QUESTIONS[0], QUESTIONS[2]]))
    assert len(cached) == 2
    cached.embed_queries([QUESTIONS[1]])  # least recently used: evicted by QUESTIONS[2]
    assert recording.calls[-1] == [QUESTIONS[1]]


@pytest.mark.slow
def test_cache_key_is_the_exact_text(embedder: Embedder) -> None:
    recording = Recording(embedder)
    cached = CachedQueries(recording, size=8)
    cached.embed_queries(["Vad är NB8?"])
    cached.embed_queries(["vad är NB8?"])
    assert len(recording.calls) == 2


@pytest.mark.slow
def test_cached_vectors_cannot_be_changed_by_a_caller(embedder: Embedder) -> None:
    cached = CachedQueries(embedder, size=8)
    vector = cached.embed_queries([QUESTIONS[0]])
    vector[:] = 0
    np.testing.assert_array_equal(
        cached.embed_queries([QUESTIONS[0]]), embedder.embed_queries([QUESTIONS[0]])
    )


@pytest.mark.slow
def test_one_batch_equals_one_by_one(embedder: Embedder) -> None:
    np.testing.assert_allclose(
        embedder.embed_queries(QUESTIONS), one_by_one(embedder, QUESTIONS), rtol=0, atol=1e-6
    )


def ask_together(
    batched: BatchedQueries, recording: Recording, texts: Sequence[str]
) -> tuple[list[object], list[threading.Thread]]:
    """Each text from its own thread: the first reaches the engine (and holds at the gate),
    then the rest queue behind it; returns once they have, with the gate still shut."""
    results: list[object] = [None] * len(texts)

    def ask(i: int) -> None:
        try:
            results[i] = batched.embed_queries([texts[i]])[0]
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(texts))]
    threads[0].start()
    wait_until(lambda: len(recording.calls) == 1)
    for thread in threads[1:]:
        thread.start()
    wait_until(lambda: batched.queued() == len(texts) - 1)
    return results, threads


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


def finish(recording: Recording, threads: list[threading.Thread]) -> None:
    assert recording.gate is not None
    recording.gate.set()
    for thread in threads:
        thread.join(timeout=30)


@pytest.mark.slow
def test_concurrent_queries_share_one_call_with_the_same_vectors(embedder: Embedder) -> None:
    recording = Recording(embedder)
    recording.gate = threading.Event()
    batched = BatchedQueries(recording, max_batch=8)
    texts = [*QUESTIONS, QUESTIONS[1]]  # one question asked twice at once
    results, threads = ask_together(batched, recording, texts)
    finish(recording, threads)
    # The first call alone; the others, queued behind it, in one call, the repeat once.
    assert len(recording.calls) == 2
    assert recording.calls[0] == [texts[0]]
    assert sorted(recording.calls[1]) == sorted(QUESTIONS[1:])
    assert recording.threads == {"query-embeddings"}  # one thread calls the engine
    np.testing.assert_allclose(np.stack(results), one_by_one(embedder, texts), rtol=0, atol=1e-6)


@pytest.mark.slow
def test_a_batch_holds_at_most_max_batch_texts(embedder: Embedder) -> None:
    recording = Recording(embedder)
    recording.gate = threading.Event()
    batched = BatchedQueries(recording, max_batch=2)
    results, threads = ask_together(batched, recording, QUESTIONS[:5])
    finish(recording, threads)
    assert [len(call) for call in recording.calls] == [1, 2, 2]
    np.testing.assert_allclose(
        np.stack(results), one_by_one(embedder, QUESTIONS[:5]), rtol=0, atol=1e-6
    )


@pytest.mark.slow
def test_batch_size_one_embeds_each_request_alone_and_close_stops_the_thread(
    embedder: Embedder,
) -> None:
    recording = Recording(embedder)
    recording.gate = threading.Event()
    batched = BatchedQueries(recording, max_batch=1)
    results, threads = ask_together(batched, recording, QUESTIONS[:3])
    finish(recording, threads)
    assert sorted(call[0] for call in recording.calls) == sorted(QUESTIONS[:3])
    assert [len(call) for call in recording.calls] == [1, 1, 1]
    batched.close()
    with pytest.raises(RuntimeError, match="closed"):
        batched.embed_queries([QUESTIONS[0]])


@pytest.mark.slow
def test_a_failed_call_fails_every_query_in_its_batch(embedder: Embedder) -> None:
    recording = Recording(embedder)
    recording.gate = threading.Event()
    recording.fail_with = RuntimeError("engine failed")
    batched = BatchedQueries(recording, max_batch=8)
    results, threads = ask_together(batched, recording, QUESTIONS[:3])
    finish(recording, threads)
    assert all(isinstance(result, RuntimeError) for result in results)
    assert len(recording.calls) == 2
    recording.fail_with = None  # the batcher serves again after a failure
    np.testing.assert_array_equal(
        batched.embed_queries([QUESTIONS[0]]), embedder.embed_queries([QUESTIONS[0]])
    )


@pytest.mark.slow
def test_query_path_settings_and_reload(embedder: Embedder) -> None:
    path = query_embedder(embedder, cache_size=4, batch_size=8)
    assert isinstance(path, CachedQueries)
    assert path.info == embedder.info
    assert query_embedder(path, cache_size=4, batch_size=8) is path  # a reload keeps it
    assert isinstance(query_embedder(embedder, cache_size=0, batch_size=1), BatchedQueries)
    np.testing.assert_array_equal(
        path.embed_passages(["Sverige och USA"]), embedder.embed_passages(["Sverige och USA"])
    )


def test_sizes_below_one_are_refused(embedder: Embedder) -> None:
    with pytest.raises(ValueError, match="cache size"):
        CachedQueries(embedder, size=0)
    with pytest.raises(ValueError, match="batch size"):
        BatchedQueries(embedder, max_batch=0)


@pytest.mark.slow
def test_an_awaited_query_is_embedded_on_the_embedding_thread_and_wakes_the_loop(
    embedder: Embedder,
) -> None:
    recording = Recording(embedder)
    batched = BatchedQueries(recording, max_batch=8)

    async def ask_all() -> list[np.ndarray]:
        return list(await asyncio.gather(*(batched.embed_query(q) for q in QUESTIONS)))

    vectors = asyncio.run(ask_all())
    assert recording.threads == {"query-embeddings"}
    assert sum(len(call) for call in recording.calls) == len(QUESTIONS)
    np.testing.assert_allclose(np.stack(vectors), one_by_one(embedder, QUESTIONS), atol=1e-6)


@pytest.mark.slow
def test_an_awaited_query_cancelled_while_it_waits_is_not_embedded(embedder: Embedder) -> None:
    recording = Recording(embedder)
    recording.gate = threading.Event()
    batched = BatchedQueries(recording, max_batch=8)

    async def cancel_the_second() -> np.ndarray:
        first = asyncio.ensure_future(batched.embed_query(QUESTIONS[0]))
        await asyncio.to_thread(wait_until, lambda: len(recording.calls) == 1)
        second = asyncio.ensure_future(batched.embed_query(QUESTIONS[1]))
        await asyncio.to_thread(wait_until, lambda: batched.queued() == 1)
        second.cancel()
        await asyncio.sleep(0)
        assert recording.gate is not None
        recording.gate.set()
        vector = await first
        with pytest.raises(asyncio.CancelledError):
            await second
        return vector

    vector = asyncio.run(cancel_the_second())
    # The engine's thread goes on: the next query is served, the cancelled one never was.
    batched.embed_queries([QUESTIONS[2]])
    assert recording.calls == [[QUESTIONS[0]], [QUESTIONS[2]]]
    np.testing.assert_array_equal(vector, embedder.embed_queries([QUESTIONS[0]])[0])


@pytest.mark.slow
def test_an_awaited_query_the_cache_holds_never_reaches_the_engine(embedder: Embedder) -> None:
    recording = Recording(embedder)
    cached = query_embedder(recording, cache_size=8, batch_size=8)
    assert isinstance(cached, CachedQueries)
    first = asyncio.run(cached.embed_query(QUESTIONS[0]))
    again = asyncio.run(cached.embed_query(QUESTIONS[0]))
    assert recording.calls == [[QUESTIONS[0]]]
    assert (cached.hits, cached.misses) == (1, 1)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first, embedder.embed_queries([QUESTIONS[0]])[0])
    assert not again.flags.writeable
