"""Online gazetteers: Nominatim, Photon and GeoNames through geopy, an opt-in fallback.

The offline :class:`~mapper.gazetteer.local.LocalGazetteer` answers almost every name in the
reporting; a village it lacks can be looked up online instead::

    from mapper.gazetteer.online import OnlineGazetteer

    mapper.settings.user_agent = "newsroom-frontline-map/1.0 (maps@example.org)"
    gaz = OnlineGazetteer("nominatim", countries=("RU", "UA"))
    gaz.lookup("Oleshnya")

or by name from the registry: ``get_gazetteer("nominatim", countries=("RU", "UA"))`` (also
``"photon"``, ``"geonames"``, and ``"online"`` with a ``service`` argument), once this module is
imported.

How requests are made (sections 4 to 6 of the style guide):

- geopy builds the query and parses the answer; the requests go through geopy's
  :class:`~geopy.extra.rate_limiter.RateLimiter`, at most one per ``min_delay_seconds`` (1 s by
  default: Nominatim's usage policy). Gazetteers for the same service address and delay share one
  limiter, so two objects do not double the rate.
- Every answer is cached on disk, one JSON file per request named by the SHA-1 of the normalised
  query (service address, name, restrictions), as osmnx does. The cache is read before the rate
  limiter is asked for a slot, so a cached name never waits. "No such place" (an empty answer) is
  cached; errors never are. Delete the folder to fetch again.
- Timeouts, HTTP 429, HTTP 5xx and lost connections are retried with exponential backoff, waiting
  at least what a ``Retry-After`` header asks; after ``max_retries`` they raise
  :class:`~mapper.GazetteerRateLimited` (429) or :class:`~mapper.GazetteerUnavailable`. Other
  refusals (403 for an unidentified user agent, 401, 400) raise at once.
- ``settings.offline`` (or ``offline=True``) answers from the cache only; a name not cached has no
  candidates and no request is made.

Results are kept in the service's order (its relevance ranking); results that are not places
(rivers, roads, shops), lie outside ``countries`` or ``bbox``, or repeat a place already listed
(the same name within 10 km, as OpenStreetMap often has a village node and a boundary) are
dropped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from geopy import exc as geopy_exc
from geopy.adapters import AdapterHTTPError, URLLibAdapter, get_retry_after
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import GeoNames, Nominatim, Photon

from mapper import io, settings
from mapper._errors import ConfigurationError, GazetteerRateLimited, GazetteerUnavailable
from mapper.gazetteer.base import Candidate, Gazetteer, geonames_kind, register
from mapper.gazetteer.local import distance_km

log = logging.getLogger(__name__)

__all__ = ["GeoNamesGazetteer", "NominatimGazetteer", "OnlineGazetteer", "PhotonGazetteer"]

_CACHE_VERSION = 1
_PUBLIC_NOMINATIM = "nominatim.openstreetmap.org"
_POLICY_DELAY = 1.0  # seconds between requests: Nominatim's usage policy, polite elsewhere
_SAME_PLACE_KM = 10.0
_USER_AGENT_HINT = (
    "set mapper.settings.user_agent (or user_agent=...) to a name for your application with a "
    'contact, e.g. "newsroom-frontline-map/1.0 (maps@example.org)"'
)

# OpenStreetMap place and boundary levels (Nominatim's addresstype, a place's type) -> kind.
_OSM_KINDS = {
    "country": "country",
    "state": "oblast",
    "region": "oblast",
    "province": "oblast",
    "state_district": "district",
    "county": "district",
    "district": "district",
    "municipality": "district",
    "city": "city",
    "town": "settlement",
    "village": "settlement",
    "hamlet": "settlement",
    "isolated_dwelling": "settlement",
    "locality": "settlement",
    "suburb": "settlement",
    "quarter": "settlement",
    "neighbourhood": "settlement",
}
# Photon's address level of a boundary -> kind.
_PHOTON_KINDS = {"country": "country", "state": "oblast", "county": "district", "city": "city"}


@dataclass(frozen=True, slots=True)
class _Query:
    """One request: the name as sent and the restrictions in force."""

    text: str
    countries: tuple[str, ...] | None
    bbox: tuple[float, float, float, float] | None
    limit: int


class _Service:
    """How one geopy geocoder is built, asked and read; subclasses per service."""

    name: ClassVar[str]
    default_domain: ClassVar[str]

    def geocoder(
        self, *, user_agent: str, domain: str | None, scheme: str | None, username: str
    ) -> Any:
        """Build the geopy geocoder, over urllib, which retries nothing behind our back."""
        kwargs: dict[str, Any] = {"user_agent": user_agent, "adapter_factory": URLLibAdapter}
        if domain is not None:
            kwargs["domain"] = domain
        if scheme is not None:
            kwargs["scheme"] = scheme
        return self._build(kwargs, username)

    def _build(self, kwargs: dict[str, Any], username: str) -> Any:
        raise NotImplementedError

    def geocode_kwargs(self, query: _Query) -> dict[str, Any]:
        raise NotImplementedError

    def candidate(self, raw: Mapping[str, Any]) -> Candidate | None:
        """The candidate a raw result describes, or ``None`` when it is not a place."""
        raise NotImplementedError


class _NominatimService(_Service):
    name = "nominatim"
    default_domain = _PUBLIC_NOMINATIM

    def _build(self, kwargs: dict[str, Any], username: str) -> Any:
        return Nominatim(**kwargs)

    def geocode_kwargs(self, query: _Query) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "exactly_one": False,
            "limit": query.limit,
            "addressdetails": True,
            "extratags": True,
            "language": "en",
        }
        if query.countries:
            kwargs["country_codes"] = [code.lower() for code in query.countries]
        if query.bbox:
            kwargs["viewbox"] = _corners(query.bbox)
            kwargs["bounded"] = True
        return kwargs

    def candidate(self, raw: Mapping[str, Any]) -> Candidate | None:
        address = raw.get("address") or {}
        extratags = raw.get("extratags") or {}
        kind = _OSM_KINDS.get(str(raw.get("addresstype", "")))
        if kind is None and raw.get("class") in ("place", "boundary"):
            kind = _OSM_KINDS.get(str(raw.get("type", "")))
        if kind is None:
            return None
        if kind == "city" and extratags.get("capital") in ("yes", "2"):
            kind = "capital"
        osm_type, osm_id = str(raw.get("osm_type", "")), raw.get("osm_id")
        place_id = f"{osm_type[:1].upper()}{osm_id}" if osm_type and osm_id else raw["place_id"]
        name = raw.get("name") or str(raw.get("display_name", "")).split(",")[0].strip()
        return _candidate(
            place_id=f"nominatim:{place_id}",
            name=name,
            kind=kind,
            country=address.get("country_code", ""),
            admin1=address.get("state", ""),
            admin2=address.get("county") or address.get("district") or "",
            lat=raw["lat"],
            lon=raw["lon"],
            population=extratags.get("population"),
            source=self.name,
        )


class _PhotonService(_Service):
    name = "photon"
    default_domain = "photon.komoot.io"

    def _build(self, kwargs: dict[str, Any], username: str) -> Any:
        return Photon(**kwargs)

    def geocode_kwargs(self, query: _Query) -> dict[str, Any]:
        # Photon has no country filter: countries are applied to the results only.
        kwargs: dict[str, Any] = {"exactly_one": False, "limit": query.limit, "language": "en"}
        if query.bbox:
            kwargs["bbox"] = _corners(query.bbox)
        return kwargs

    def candidate(self, raw: Mapping[str, Any]) -> Candidate | None:
        props = raw["properties"]
        if props.get("osm_key") == "place":
            kind = _OSM_KINDS.get(str(props.get("osm_value", "")))
        elif props.get("osm_key") == "boundary":
            kind = _PHOTON_KINDS.get(str(props.get("type", "")))
        else:
            kind = None
        if kind is None:
            return None
        lon, lat = raw["geometry"]["coordinates"][:2]
        return _candidate(
            place_id=f"photon:{props.get('osm_type', '')}{props.get('osm_id', '')}",
            name=props.get("name", ""),
            kind=kind,
            country=props.get("countrycode", ""),
            admin1=props.get("state", ""),
            admin2=props.get("county", ""),
            lat=lat,
            lon=lon,
            population=(props.get("extra") or {}).get("population"),
            source=self.name,
        )


class _GeoNamesService(_Service):
    name = "geonames"
    default_domain = "api.geonames.org"

    def _build(self, kwargs: dict[str, Any], username: str) -> Any:
        if not username:
            raise ConfigurationError(
                "GeoNames needs an account name, got none; register at "
                "https://www.geonames.org/login, enable the free web services, and set "
                "mapper.settings.geonames_username (or $MAPPER_GEONAMES_USERNAME, or username=...)"
            )
        return GeoNames(username, **kwargs)

    def geocode_kwargs(self, query: _Query) -> dict[str, Any]:
        # geopy passes no bounding box to GeoNames: bbox is applied to the results only.
        kwargs: dict[str, Any] = {"exactly_one": False}
        if query.countries:
            kwargs["country"] = list(query.countries)
        return kwargs

    def candidate(self, raw: Mapping[str, Any]) -> Candidate | None:
        fcl, fcode = raw.get("fcl"), str(raw.get("fcode", ""))
        population = _population(raw.get("population"))
        if fcode.startswith("PCL"):
            kind = "country"
        elif fcl == "P" or fcode in ("ADM1", "ADM2"):
            kind = geonames_kind(fcode, population)
        else:
            return None
        return _candidate(
            place_id=f"geonames:{raw['geonameId']}",
            name=raw.get("name", ""),
            kind=kind,
            country=raw.get("countryCode", ""),
            admin1=raw.get("adminName1", ""),
            admin2=raw.get("adminName2", ""),
            lat=raw["lat"],
            lon=raw["lng"],
            population=population,
            source=self.name,
        )


_SERVICES: dict[str, _Service] = {
    service.name: service for service in (_NominatimService(), _PhotonService(), _GeoNamesService())
}


@register
class OnlineGazetteer(Gazetteer):
    """Look names up in an online geocoding service, politely and with a disk cache.

    Parameters
    ----------
    service
        ``"nominatim"``, ``"photon"`` or ``"geonames"``.
    user_agent
        Identifies the application to the service; default: ``settings.user_agent``. Lookups
        that need the network raise :class:`~mapper.ConfigurationError` while it is empty or
        left at ``settings.DEFAULT_USER_AGENT``.
    domain, scheme
        Where the service is, e.g. ``"nominatim.example.org"`` and ``"https"``; default: the
        public service (geopy's default) over https (http for GeoNames).
    countries
        ISO alpha-2 codes the results must lie in, e.g. ``("RU", "UA")``; passed to the service
        where it can filter (Nominatim, GeoNames) and checked on every result.
    bbox
        ``(lon_min, lat_min, lon_max, lat_max)`` the results must lie in; passed to the service
        where it can bound the search (Nominatim, Photon) and checked on every result.
    offline
        Answer from the cache only, never the network; default: ``settings.offline``.
    cache_folder
        Where answers are cached; default: ``settings.cache_folder / "geocode"``. Nothing is read
        or written while ``settings.use_cache`` is off.
    min_delay_seconds
        Least time between two requests; default 1 s, which is also the least the public
        Nominatim allows.
    timeout
        Seconds to wait for an answer; default: ``settings.timeout``.
    max_retries
        Retries after a timeout, HTTP 429 or 5xx before giving up.
    backoff_seconds
        Wait before the first retry; it doubles on each further retry.
    max_wait_seconds
        Longest wait between retries. When the service asks (``Retry-After``) for longer, the
        lookup gives up at once with :class:`~mapper.GazetteerRateLimited`.
    username
        GeoNames account; default: ``settings.geonames_username``.
    limit
        Most results asked for and returned.

    Raises
    ------
    ConfigurationError
        For an unknown service, an explicitly empty or default user agent, malformed
        ``countries`` or ``bbox``, or a delay below 1 s on the public Nominatim.

    Examples
    --------
    >>> gaz = OnlineGazetteer("nominatim", user_agent="newsroom-map/1.0 (maps@example.org)")
    >>> gaz
    OnlineGazetteer('nominatim', domain='nominatim.openstreetmap.org')
    >>> gaz.lookup("Oleshnya")  # doctest: +SKIP
    [Candidate(place_id='nominatim:N...', name='Oleshnya', kind='settlement', country='RU', ...)]
    """

    name = "online"

    def __init__(
        self,
        service: str,
        *,
        user_agent: str | None = None,
        domain: str | None = None,
        scheme: str | None = None,
        countries: Iterable[str] | str | None = None,
        bbox: Sequence[float] | None = None,
        offline: bool | None = None,
        cache_folder: str | Path | None = None,
        min_delay_seconds: float | None = None,
        timeout: float | None = None,
        max_retries: int = 3,
        backoff_seconds: float = 1.0,
        max_wait_seconds: float = 60.0,
        username: str | None = None,
        limit: int = 10,
    ) -> None:
        try:
            self._service = _SERVICES[service]
        except KeyError:
            raise ConfigurationError(
                f"unknown online service {service!r}; choose one of {sorted(_SERVICES)}"
            ) from None
        if user_agent is not None and _is_default_user_agent(user_agent):
            raise ConfigurationError(
                f"user_agent={user_agent!r} does not identify you; {_USER_AGENT_HINT}"
            )
        self.service = service
        self.domain = (domain or self._service.default_domain).strip("/")
        self.countries = None if countries is None else _country_codes(countries)
        self.bbox = None if bbox is None else _bbox(bbox)
        delay = _POLICY_DELAY if min_delay_seconds is None else float(min_delay_seconds)
        if delay < 0:
            raise ConfigurationError(f"min_delay_seconds must be >= 0, got {delay}")
        if service == "nominatim" and self.domain == _PUBLIC_NOMINATIM and delay < _POLICY_DELAY:
            raise ConfigurationError(
                f"the public Nominatim allows one request per second, got "
                f"min_delay_seconds={delay}; leave it at the default or run your own Nominatim"
            )
        if timeout is not None and timeout <= 0:
            raise ConfigurationError(f"timeout must be > 0 seconds, got {timeout}")
        if max_retries < 0 or backoff_seconds < 0 or max_wait_seconds < 0 or limit < 1:
            raise ConfigurationError(
                "max_retries, backoff_seconds and max_wait_seconds must be >= 0 and limit >= 1, "
                f"got {max_retries}, {backoff_seconds}, {max_wait_seconds} and {limit}"
            )
        self.min_delay_seconds = delay
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.max_wait_seconds = max_wait_seconds
        self.limit = limit
        self._user_agent = user_agent
        self._scheme = scheme
        self._explicit_domain = self.domain if domain else None  # else geopy's default
        self._offline = offline
        self._cache_folder = None if cache_folder is None else Path(cache_folder)
        self._timeout = timeout
        self._username = username
        self._geocoders: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.service!r}, domain={self.domain!r})"

    @property
    def cache_folder(self) -> Path:
        """Folder of the cached answers (``settings.cache_folder / "geocode"`` by default)."""
        if self._cache_folder is not None:
            return self._cache_folder
        return Path(settings.cache_folder) / "geocode"

    def lookup(self, name: str, *, country: str | None = None) -> list[Candidate]:
        """Return the places the service finds for ``name``, in its ranking.

        Parameters
        ----------
        name
            A place name as written.
        country
            Keep only candidates in this ISO alpha-2 country (within ``countries``, if set).

        Returns
        -------
        list of Candidate
            Empty when the service knows no such place, or, offline, when the name is not
            cached.

        Raises
        ------
        ConfigurationError
            When a request is needed but the user agent (or GeoNames account) is not set.
        GazetteerRateLimited
            When the service keeps refusing with HTTP 429 (``retry_after`` says how long to
            wait, when it said) or its quota is used up.
        GazetteerUnavailable
            When the service cannot be reached, keeps failing, or refuses the request.
        """
        text = " ".join(str(name).split())
        if not text:
            return []
        countries = self.countries
        if country is not None:
            (code,) = _country_codes((country,))
            if countries is not None and code not in countries:
                return []
            countries = (code,)
        query = _Query(text, countries, self.bbox, self.limit)
        path = self.cache_folder / f"{self._cache_key(query)}.json"
        use_cache = settings.use_cache
        if use_cache:
            cached = _read_cache(path)
            if cached is not None:
                log.debug("%s: %r answered from the cache (%s)", self.service, text, path.name)
                return self._select(cached, query)
        offline = settings.offline if self._offline is None else self._offline
        if offline:
            log.debug("%s: offline and %r is not cached; no candidates", self.service, text)
            return []
        raws = self._fetch(query)
        if use_cache:
            _write_cache(path, self._cache_record(query, raws))
        return self._select(raws, query)

    def _cache_key(self, query: _Query) -> str:
        key = {
            "version": _CACHE_VERSION,
            "service": self.service,
            "domain": self.domain,
            "q": unicodedata.normalize("NFKC", query.text).casefold(),
            "countries": list(query.countries) if query.countries is not None else None,
            "bbox": list(query.bbox) if query.bbox is not None else None,
            "limit": query.limit,
        }
        text = json.dumps(key, sort_keys=True, ensure_ascii=False)
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def _cache_record(self, query: _Query, raws: list[Any]) -> dict[str, Any]:
        return {
            "service": self.service,
            "domain": self.domain,
            "query": query.text,
            "countries": query.countries,
            "bbox": query.bbox,
            "fetched": datetime.now(UTC).isoformat(timespec="seconds"),
            "results": raws,
        }

    def _geocoder(self) -> Any:
        """The geopy geocoder for the current user agent (and account), built on first use."""
        user_agent = settings.user_agent if self._user_agent is None else self._user_agent
        if _is_default_user_agent(user_agent):
            raise ConfigurationError(
                f"{self.service} needs a user agent that identifies you, got {user_agent!r}; "
                f"{_USER_AGENT_HINT}"
            )
        username = settings.geonames_username if self._username is None else self._username
        with self._lock:
            geocoder = self._geocoders.get((user_agent, username))
            if geocoder is None:
                geocoder = self._service.geocoder(
                    user_agent=user_agent,
                    domain=self._explicit_domain,
                    scheme=self._scheme,
                    username=username,
                )
                self._geocoders[(user_agent, username)] = geocoder
        return geocoder

    def _fetch(self, query: _Query) -> list[Any]:
        """Ask the service, retrying what may pass; the raw results."""
        geocoder = self._geocoder()
        limiter = _rate_limiter(self.service, self.domain, self.min_delay_seconds)
        kwargs = self._service.geocode_kwargs(query)
        timeout = settings.timeout if self._timeout is None else self._timeout
        attempts = self.max_retries + 1
        for attempt in range(1, attempts + 1):
            log.debug(
                "%s: asking %s for %r (attempt %s)", self.service, self.domain, query.text, attempt
            )
            try:
                found = limiter(geocoder.geocode, query.text, timeout=timeout, **kwargs)
            except geopy_exc.GeopyError as err:
                status = _http_status(err)
                retry_after = _retry_after(err)
                rate_limited = isinstance(err, geopy_exc.GeocoderRateLimited)
                if not _is_transient(err, status):
                    raise self._refused(query, err, status) from err
                wait = min(self.backoff_seconds * 2 ** (attempt - 1), self.max_wait_seconds)
                if retry_after is not None:
                    if retry_after > self.max_wait_seconds:
                        raise self._gave_up(query, err, attempt, retry_after) from err
                    wait = max(wait, retry_after)
                if attempt == attempts:
                    raise self._gave_up(query, err, attempt, retry_after) from err
                log.warning(
                    "%s: %s for %r; retry %s of %s in %.2f s",
                    self.service,
                    "rate limited (HTTP 429)" if rate_limited else err,
                    query.text,
                    attempt,
                    self.max_retries,
                    wait,
                )
                time.sleep(wait)
            else:
                return [location.raw for location in found or ()]
        raise AssertionError("unreachable")  # pragma: no cover

    def _refused(
        self, query: _Query, err: geopy_exc.GeopyError, status: int | None
    ) -> GazetteerUnavailable:
        where = f"{self.service} at {self.domain}"
        if isinstance(err, geopy_exc.GeocoderQuotaExceeded):
            return GazetteerRateLimited(
                f"{where} says the quota is used up ({err}) while looking up {query.text!r}; "
                "wait for it to renew, or use another service",
            )
        code = f"HTTP {status}" if status is not None else type(err).__name__
        hint = ""
        if status in (401, 403) or isinstance(
            err, geopy_exc.GeocoderAuthenticationFailure | geopy_exc.GeocoderInsufficientPrivileges
        ):
            hint = (
                f"; the service refuses this client: {_USER_AGENT_HINT}, and for GeoNames "
                "enable the free web services for the account"
            )
        return GazetteerUnavailable(
            f"{where} refused the lookup of {query.text!r} ({code}: {err}){hint}"
        )

    def _gave_up(
        self,
        query: _Query,
        err: geopy_exc.GeopyError,
        attempts: int,
        retry_after: float | None,
    ) -> GazetteerUnavailable:
        where = f"{self.service} at {self.domain}"
        tried = f"after {attempts} attempt{'s' if attempts > 1 else ''}"
        if isinstance(err, geopy_exc.GeocoderRateLimited):
            wait = f"wait {retry_after:g} s" if retry_after is not None else "wait"
            return GazetteerRateLimited(
                f"{where} is rate limiting us (HTTP 429) {tried} looking up {query.text!r}; "
                f"{wait} before trying again, or raise min_delay_seconds",
                retry_after=retry_after,
            )
        return GazetteerUnavailable(
            f"{where} did not answer the lookup of {query.text!r} {tried} ({err}); check the "
            "network and the service, try again later, or set mapper.settings.offline = True to "
            "use cached answers only"
        )

    def _select(self, raws: Iterable[Any], query: _Query) -> list[Candidate]:
        """Candidates from raw results: places only, inside the restrictions, no repeats."""
        kept: list[Candidate] = []
        dropped = 0
        for raw in raws:
            try:
                candidate = self._service.candidate(raw)
            except (KeyError, TypeError, ValueError, IndexError) as err:
                log.debug("%s: unreadable result %r (%s)", self.service, raw, err)
                candidate = None
            if (
                candidate is None
                or (query.countries is not None and candidate.country not in query.countries)
                or (query.bbox is not None and not _inside(candidate, query.bbox))
                or any(_same_place(candidate, other) for other in kept)
            ):
                dropped += 1
                continue
            kept.append(candidate)
        if dropped:
            log.debug(
                "%s: %r: %s results dropped (not places, out of area or repeated)",
                self.service,
                query.text,
                dropped,
            )
        return kept[: query.limit]


@register
class NominatimGazetteer(OnlineGazetteer):
    """:class:`OnlineGazetteer` on Nominatim (OpenStreetMap): ``get_gazetteer("nominatim")``."""

    name = "nominatim"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(self.name, **kwargs)


@register
class PhotonGazetteer(OnlineGazetteer):
    """:class:`OnlineGazetteer` on Komoot's Photon (OpenStreetMap): ``get_gazetteer("photon")``."""

    name = "photon"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(self.name, **kwargs)


@register
class GeoNamesGazetteer(OnlineGazetteer):
    """:class:`OnlineGazetteer` on the GeoNames web service: ``get_gazetteer("geonames")``."""

    name = "geonames"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(self.name, **kwargs)


_LIMITERS: dict[tuple[str, str, float], RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def _call(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


def _rate_limiter(service: str, domain: str, min_delay_seconds: float) -> RateLimiter:
    """The limiter shared by every gazetteer asking this service address at this pace.

    Retries are ours (they must tell 429 and 5xx from 403), so geopy's are turned off.
    """
    key = (service, domain, min_delay_seconds)
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.get(key)
        if limiter is None:
            limiter = RateLimiter(
                _call,
                min_delay_seconds=min_delay_seconds,
                max_retries=0,
                error_wait_seconds=min_delay_seconds,
                swallow_exceptions=False,
            )
            _LIMITERS[key] = limiter
    return limiter


def _http_status(err: BaseException) -> int | None:
    """The HTTP status behind a geopy error, when there was a response."""
    cause = err.__cause__
    return cause.status_code if isinstance(cause, AdapterHTTPError) else None


def _retry_after(err: BaseException) -> float | None:
    """Seconds a ``Retry-After`` header asked for (geopy reads it for 429; 503 may send it)."""
    seconds = getattr(err, "retry_after", None)
    if seconds is None and isinstance(err.__cause__, AdapterHTTPError):
        seconds = get_retry_after(err.__cause__.headers or {})
    return None if seconds is None else float(seconds)


def _is_transient(err: geopy_exc.GeopyError, status: int | None) -> bool:
    """Whether asking again later may succeed: 429, 408, 5xx, timeouts, lost connections."""
    if isinstance(err, geopy_exc.GeocoderRateLimited):
        return True
    if status is not None:
        return status == 408 or status >= 500
    return isinstance(err, geopy_exc.GeocoderTimedOut | geopy_exc.GeocoderUnavailable)


def _is_default_user_agent(user_agent: str) -> bool:
    return not user_agent.strip() or user_agent == settings.DEFAULT_USER_AGENT


def _country_codes(countries: Iterable[str] | str) -> tuple[str, ...]:
    codes = (countries,) if isinstance(countries, str) else tuple(countries)
    bad = [c for c in codes if not (isinstance(c, str) and len(c) == 2 and c.isalpha())]
    if bad or not codes:
        raise ConfigurationError(
            f"countries must be ISO 3166-1 alpha-2 codes such as ('RU', 'UA'), got "
            f"{bad or list(codes)!r}"
        )
    return tuple(sorted({c.upper() for c in codes}))


def _bbox(bbox: Sequence[float]) -> tuple[float, float, float, float]:
    try:
        lon_min, lat_min, lon_max, lat_max = (float(v) for v in bbox)
    except (TypeError, ValueError):
        raise ConfigurationError(
            f"bbox must be four numbers (lon_min, lat_min, lon_max, lat_max), got {bbox!r}"
        ) from None
    ok = (
        all(math.isfinite(v) for v in (lon_min, lat_min, lon_max, lat_max))
        and -180 <= lon_min < lon_max <= 180
        and -90 <= lat_min < lat_max <= 90
    )
    if not ok:
        raise ConfigurationError(
            f"bbox must be (lon_min, lat_min, lon_max, lat_max) in degrees with min < max "
            f"(longitude first; boxes across the antimeridian are not supported), got {bbox!r}"
        )
    return lon_min, lat_min, lon_max, lat_max


def _corners(bbox: tuple[float, float, float, float]) -> list[tuple[float, float]]:
    """The box as geopy wants it: two (lat, lon) corners."""
    lon_min, lat_min, lon_max, lat_max = bbox
    return [(lat_min, lon_min), (lat_max, lon_max)]


def _inside(candidate: Candidate, bbox: tuple[float, float, float, float]) -> bool:
    lon_min, lat_min, lon_max, lat_max = bbox
    return lon_min <= candidate.lon <= lon_max and lat_min <= candidate.lat <= lat_max


def _same_place(a: Candidate, b: Candidate) -> bool:
    return (
        a.name.casefold() == b.name.casefold()
        and a.country == b.country
        and distance_km(a, b) <= _SAME_PLACE_KM
    )


def _population(value: Any) -> int:
    """Inhabitants from a number or an OpenStreetMap tag such as ``"12 345"``; else 0."""
    if isinstance(value, int | float) and math.isfinite(value):
        return max(int(value), 0)
    digits = "".join(ch for ch in str(value or "").split(";")[0] if ch.isdigit())
    return int(digits) if digits else 0


def _candidate(
    *,
    place_id: str,
    name: Any,
    kind: str,
    country: Any,
    admin1: Any,
    admin2: Any,
    lat: Any,
    lon: Any,
    population: Any,
    source: str,
) -> Candidate:
    """A candidate from loosely typed service fields; regions carry no region of their own."""
    regional = kind in ("country", "oblast")
    return Candidate(
        place_id=place_id,
        name=str(name),
        kind=kind,
        country=str(country or "").upper(),
        admin1="" if regional else str(admin1 or ""),
        lat=float(lat),
        lon=float(lon),
        population=_population(population),
        source=source,
        admin2="" if regional or kind == "district" else str(admin2 or ""),
    )


def _read_cache(path: Path) -> list[Any] | None:
    """The cached raw results, or ``None`` when there are none (or the file is unreadable)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as err:
        log.warning("cannot read the geocode cache file %s (%s); asking again", path, err)
        return None
    try:
        results = json.loads(text)["results"]
        if not isinstance(results, list):
            raise TypeError(f"results is a {type(results).__name__}, not a list")
    except (ValueError, KeyError, TypeError) as err:
        log.warning("ignoring the damaged geocode cache file %s (%s)", path, err)
        return None
    return results


def _write_cache(path: Path, record: dict[str, Any]) -> None:
    """Write atomically (temporary file, then rename); a failure only costs the cache."""
    try:
        io.write_text(path, json.dumps(record, ensure_ascii=False))
    except OSError as err:
        log.warning("cannot write the geocode cache file %s (%s)", path, err)
