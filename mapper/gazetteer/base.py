"""Gazetteer interface: a backend answers a name with ranked candidate places."""

from __future__ import annotations

import abc
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from mapper._errors import ConfigurationError


@dataclass(frozen=True, slots=True)
class Candidate:
    """One place a name may refer to.

    Attributes
    ----------
    place_id
        Stable id in its gazetteer (``geonames:<id>`` or a curated slug).
    name
        Canonical English name.
    kind
        ``country``, ``oblast``, ``district``, ``capital`` (national), ``city`` or
        ``settlement``.
    country
        ISO 3166-1 alpha-2 code.
    admin1
        Canonical name of the oblast (or first-level region) it lies in; "" for oblasts and
        countries.
    lat, lon
        WGS84 coordinates.
    population
        Inhabitants when known, else 0.
    source
        Where the entry comes from.
    admin2
        Canonical name of the district it lies in, when known.
    """

    place_id: str
    name: str
    kind: str
    country: str
    admin1: str
    lat: float
    lon: float
    population: int
    source: str
    admin2: str = ""


CITY_POPULATION = 50_000
"""A settlement at least this large is a ``city``."""

_GEONAMES_KINDS = {"ADM1": "oblast", "ADM2": "district", "PPLC": "capital", "PPLA": "city"}


def settlement_kind(population: int) -> str:
    """``city`` or ``settlement``, by population."""
    return "city" if population >= CITY_POPULATION else "settlement"


def geonames_kind(feature_code: str, population: int) -> str:
    """The kind of a GeoNames populated place or first/second-level division."""
    return _GEONAMES_KINDS.get(feature_code) or settlement_kind(population)


# Resolution asks for the distances between the same few places again and again (each
# candidate against every other place of the article, twice).
@lru_cache(maxsize=1 << 18)
def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two WGS84 points.

    Examples
    --------
    >>> round(haversine_km(51.19194, 35.27194, 51.05694, 35.21055), 1)
    15.6
    """
    p1, l1, p2, l2 = map(math.radians, (lat1, lon1, lat2, lon2))
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin((l2 - l1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def haversine_km_matrix(a: Sequence[Candidate], b: Sequence[Candidate]) -> npt.NDArray[np.float64]:
    """:func:`haversine_km` from every place of ``a`` (rows) to every place of ``b``.

    Examples
    --------
    >>> sudzha = Candidate("s", "Sudzha", "city", "RU", "", 51.19194, 35.27194, 0, "")
    >>> gornal = Candidate("g", "Gornal", "settlement", "RU", "", 51.05694, 35.21055, 0, "")
    >>> haversine_km_matrix([sudzha], [sudzha, gornal]).round(1).tolist()
    [[0.0, 15.6]]
    """
    lat1 = np.radians([p.lat for p in a])[:, None]
    lon1 = np.radians([p.lon for p in a])[:, None]
    lat2 = np.radians([p.lat for p in b])[None, :]
    lon2 = np.radians([p.lon for p in b])[None, :]
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    km: npt.NDArray[np.float64] = 2 * 6371.0 * np.arcsin(np.sqrt(h))
    return km


class Gazetteer(abc.ABC):
    """A source of candidate places for a name.

    Subclasses implement :meth:`lookup`; :func:`get_gazetteer` picks one by its ``name``.
    """

    name: ClassVar[str]

    @abc.abstractmethod
    def lookup(self, name: str, *, country: str | None = None) -> list[Candidate]:
        """Return the places ``name`` may refer to, most populous first.

        Parameters
        ----------
        name
            A place name as written (any case, spelling variant, Latin or Cyrillic).
        country
            Keep only candidates in this ISO alpha-2 country.

        Returns
        -------
        list of Candidate
        """


_REGISTRY: dict[str, type[Gazetteer]] = {}


def register(cls: type[Gazetteer]) -> type[Gazetteer]:
    """Class decorator adding a backend to the registry under its ``name``."""
    _REGISTRY[cls.name] = cls
    return cls


def get_gazetteer(name: str = "local", **kwargs: Any) -> Gazetteer:
    """Build the gazetteer backend registered as ``name``.

    Parameters
    ----------
    name
        A registered backend name (see :func:`backends`).
    **kwargs
        Passed to the backend's constructor.

    Returns
    -------
    Gazetteer
    """
    try:
        cls = _REGISTRY[name]
    except KeyError:
        raise ConfigurationError(
            f"unknown gazetteer {name!r}; choose one of {backends()}"
        ) from None
    return cls(**kwargs)


def backends() -> list[str]:
    """Names of the registered gazetteer backends."""
    return sorted(_REGISTRY)
