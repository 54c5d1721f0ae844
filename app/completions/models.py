"""Model names: one per configured backend, and the plain name for the default one."""

from __future__ import annotations

from collections.abc import Sequence

MODEL_PREFIX = "cyberstrategi"


def model_names(backends: Sequence[str]) -> list[str]:
    """`cyberstrategi` (the default backend) first, then `cyberstrategi-<backend>` for each."""
    return [MODEL_PREFIX, *(f"{MODEL_PREFIX}-{name}" for name in backends)]


def backend_of(model: str, backends: Sequence[str]) -> str | None:
    """The backend a model name stands for: None for the default one.

    Raises KeyError for a name that is not one of `model_names(backends)`."""
    if model == MODEL_PREFIX:
        return None
    for name in backends:
        if model == f"{MODEL_PREFIX}-{name}":
            return name
    raise KeyError(model)
