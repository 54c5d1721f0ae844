"""A question asked in parts: one passage list and one question vector from its parts'."""

from __future__ import annotations

import numpy as np

from app.retrieval.merge import combined_vector


def test_the_combined_vector_is_the_unit_length_sum_of_the_parts() -> None:
    first = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    second = np.array([0.0, 1.0, 0.0], dtype=np.float32)
    combined = combined_vector([first, second])
    assert combined.dtype == np.float32
    assert np.allclose(combined, [2**-0.5, 2**-0.5, 0.0])
    # Equally close to each part: neither part's passages are favoured.
    assert np.isclose(combined @ first, combined @ second)


def test_opposite_parts_give_a_zero_vector_not_a_division_by_zero() -> None:
    vector = np.array([0.6, 0.8], dtype=np.float32)
    assert np.allclose(combined_vector([vector, -vector]), [0.0, 0.0])
