"""Token counts for `usage` when no language model reported them: an estimate.

The local model's tokenizer (Qwen2.5) splits the two documents at 3.18 characters per token
(61,964 characters → 19,480 tokens for the strategy; 2,392 → 752 for the press release), so
an extractive answer, which quotes them, is counted at that rate. English runs at about 5
characters per token, so an English question is over-counted: the estimate errs high."""

from __future__ import annotations

import math
from collections.abc import Iterable

CHARACTERS_PER_TOKEN = 3.18


def estimate_tokens(texts: Iterable[str]) -> int:
    return sum(math.ceil(len(text) / CHARACTERS_PER_TOKEN) for text in texts if text)
