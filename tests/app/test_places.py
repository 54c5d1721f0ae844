"""The gazetteer: GeoNames' names read in a child process, looked up by digest."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from app.backends.place_names import digests, name_digest, place_names
from app.backends.places import Gazetteer, GazetteerError, load_digests


def test_names_are_casefolded_and_a_country_is_never_a_city() -> None:
    cities = [
        {"name": "Kinna", "population": 16_000, "alternatenames": ["Kina"]},
        {"name": "Bruxelles", "population": 1_000_000, "alternatenames": ["Bryssel", ""]},
        {"name": "Chile", "population": 20_000, "alternatenames": []},
    ]
    countries = [{"name": "Chile", "capital": "Santiago"}, {"name": "Sweden", "capital": ""}]
    city_names, country_names = place_names(cities, countries)
    # A small town's exonym is left out; a large city's is kept; capitals are cities.
    assert city_names == {"kinna", "bruxelles", "bryssel", "santiago"}
    assert country_names == {"chile", "sweden"}


def test_digests_are_sorted_distinct_and_case_blind() -> None:
    found = digests(["Stockholm", "STOCKHOLM", "Oslo"])
    assert found.dtype == np.uint64 and len(found) == 2
    assert list(found) == sorted(found)
    assert name_digest("Köpenhamn") == name_digest("KÖPENHAMN") != name_digest("Köpenham")


def test_the_child_process_hands_back_the_geonames_names() -> None:
    cities, countries = load_digests()
    assert len(cities) > 100_000 and 200 < len(countries) < 300
    gazetteer = Gazetteer()
    assert gazetteer.is_city("Washington") and gazetteer.is_city("bryssel")
    assert gazetteer.is_country("Sweden") and gazetteer.is_country("chile")
    # A country is not a city; a small town's exonym is neither; an acronym is no place.
    assert not gazetteer.is_city("Chile")
    assert not gazetteer.is_city("Kina") and not gazetteer.is_country("Kina")
    assert not gazetteer.is_country("NB8") and not gazetteer.is_city("NB8")


def test_a_child_that_fails_is_named_with_its_last_error_line() -> None:
    with pytest.raises(GazetteerError, match=r"\(exit 1\): .*No module named .*no_such_module"):
        load_digests("app.backends.no_such_module")


def test_a_child_that_writes_something_else_is_an_error_too() -> None:
    # `python -m this` exits 0 after printing the Zen of Python, not two .npy arrays.
    with pytest.raises(GazetteerError, match=r"`python -m this` wrote no name digests"):
        load_digests("this")


def test_a_gazetteer_whose_child_fails_knows_no_place_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = Gazetteer("app.backends.no_such_place_module")
    with caplog.at_level(logging.ERROR, logger="app.backends.places"):
        assert not broken.is_city("Washington")
        assert not broken.is_country("Sweden")
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "did not load (exit 1)" in errors[0] and "answering without place names" in errors[0]
