"""Online gazetteers against a local fake of Nominatim, Photon and GeoNames (no real network)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

import pytest
from geopy import exc as geopy_exc

from mapper import settings
from mapper._errors import ConfigurationError, GazetteerRateLimited, GazetteerUnavailable
from mapper.gazetteer import Candidate, backends, get_gazetteer
from mapper.gazetteer.online import OnlineGazetteer

USER_AGENT = "frontline-mapper-tests/1.0 (tests@example.org)"
HANG_SECONDS = 5.0  # a "hanging" answer waits this long, or until the server stops


class Place(NamedTuple):
    """One OpenStreetMap object the fake knows, rendered per service below."""

    osm_type: str
    osm_id: int
    name: str
    lat: float
    lon: float
    cls: str
    type: str
    addresstype: str
    country: str
    state: str
    county: str = ""
    population: str | None = None


PLACES = [
    Place("node", 111, "Sudzha", 51.1920, 35.2716, "place", "town", "town", "ru", "Kursk Oblast",
          "Sudzhansky District"),
    Place("way", 222, "Sudzha", 51.30, 35.10, "waterway", "river", "river", "ru", "Kursk Oblast"),
    Place("relation", 555, "Sudzha", 51.19, 35.28, "boundary", "administrative", "town", "ru",
          "Kursk Oblast", "Sudzhansky District"),
    Place("relation", 333, "Kursk Oblast", 51.6, 36.1, "boundary", "administrative", "state",
          "ru", "Kursk Oblast"),
    Place("node", 444, "Kursk", 51.7304, 36.1926, "place", "city", "city", "ru", "Kursk Oblast",
          population="440052"),
    Place("node", 601, "Ivanovka", 51.55, 35.85, "place", "village", "village", "ru",
          "Kursk Oblast"),
    Place("node", 602, "Ivanovka", 49.65, 36.55, "place", "village", "village", "ua",
          "Kharkiv Oblast"),
    Place("node", 603, "Ivanovka", 43.25, 76.95, "place", "village", "village", "kz",
          "Almaty Region"),
    Place("node", 604, "Ivanovka", 50.30, 127.50, "place", "village", "village", "ru",
          "Amur Oblast"),
]  # fmt: skip


def nominatim_result(p: Place) -> dict[str, Any]:
    address = {p.addresstype: p.name, "state": p.state, "country_code": p.country}
    if p.county:
        address["county"] = p.county
    return {
        "place_id": 1000 + p.osm_id,
        "osm_type": p.osm_type,
        "osm_id": p.osm_id,
        "lat": str(p.lat),
        "lon": str(p.lon),
        "display_name": f"{p.name}, {p.state}",
        "class": p.cls,
        "type": p.type,
        "addresstype": p.addresstype,
        "name": p.name,
        "address": address,
        "extratags": {"population": p.population} if p.population else {},
    }


def photon_feature(p: Place) -> dict[str, Any]:
    level = {"state": "state", "city": "city", "town": "city", "village": "city"}
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
        "properties": {
            "osm_type": p.osm_type[0].upper(),
            "osm_id": p.osm_id,
            "osm_key": p.cls,
            "osm_value": p.type,
            "type": level.get(p.addresstype, "other"),
            "name": p.name,
            "countrycode": p.country.upper(),
            "state": p.state,
            "county": p.county,
            **({"extra": {"population": p.population}} if p.population else {}),
        },
    }


def geonames_row(p: Place) -> dict[str, Any]:
    fcl, fcode = {
        "town": ("P", "PPL"),
        "village": ("P", "PPL"),
        "city": ("P", "PPLA"),
        "state": ("A", "ADM1"),
        "river": ("H", "STM"),
    }[p.addresstype]
    if p.cls == "boundary" and p.addresstype == "town":
        fcl, fcode = "A", "ADM3"  # a municipality: not a place kind the mapper knows
    return {
        "geonameId": 900_000 + p.osm_id,
        "name": p.name,
        "lat": str(p.lat),
        "lng": str(p.lon),
        "countryCode": p.country.upper(),
        "adminName1": p.state,
        "fcl": fcl,
        "fcode": fcode,
        "population": int(p.population or 0),
    }


@dataclass
class Seen:
    """One request the fake received."""

    at: float
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class FakeGeocoder:
    """Nominatim (``/search``), Photon (``/api``) and GeoNames (``/searchJSON``) on 127.0.0.1."""

    requests: list[Seen] = field(default_factory=list)
    faults: list[tuple[int | str, int | None]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, fault: int | str, times: int = 1, retry_after: int | None = None) -> None:
        """Answer the next ``times`` requests with an HTTP status, or ``"hang"``."""
        with self.lock:
            self.faults.extend([(fault, retry_after)] * times)

    def answer(self, path: str, query: dict[str, str]) -> Any:
        """The service's JSON for a request, ``None`` for an unknown path."""
        q = query.get("q", "").casefold()
        found = [p for p in PLACES if p.name.casefold() == q]  # restrictions are the client's job
        if path == "/search":
            return [nominatim_result(p) for p in found][: int(query.get("limit", 10))]
        if path == "/api":
            return {"type": "FeatureCollection", "features": [photon_feature(p) for p in found]}
        if path == "/searchJSON":
            return {"totalResultsCount": len(found), "geonames": [geonames_row(p) for p in found]}
        return None


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        fake = self.server.fake
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        with fake.lock:
            fake.requests.append(Seen(time.monotonic(), url.path, query, dict(self.headers)))
            fault, retry_after = fake.faults.pop(0) if fake.faults else (None, None)
        if fault == "hang":
            fake.release.wait(HANG_SECONDS)
            return  # no answer at all; the client has given up by now
        if isinstance(fault, int):
            self._send(fault, {"error": f"fault {fault}"}, retry_after)
            return
        body = fake.answer(url.path, query)
        self._send(200 if body is not None else 404, body)

    def _send(self, status: int, payload: Any, retry_after: int | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if retry_after is not None:
            self.send_header("Retry-After", str(retry_after))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the request threads
    fake: FakeGeocoder


@pytest.fixture
def server() -> Iterator[tuple[FakeGeocoder, str]]:
    """The fake and its ``host:port``; stopped, with every thread joined, afterwards."""
    fake = FakeGeocoder()
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.fake = fake
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield fake, f"127.0.0.1:{httpd.server_address[1]}"
    finally:
        fake.release.set()
        httpd.shutdown()
        thread.join()
        httpd.server_close()


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Refuse connections anywhere but 127.0.0.1, and start from neutral settings."""
    refused: list[object] = []
    real = socket.create_connection

    def guarded(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        if address[0] != "127.0.0.1":
            refused.append(address)
            raise OSError(f"tests may only connect to 127.0.0.1, not {address}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)
    for var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(settings, "user_agent", settings.DEFAULT_USER_AGENT)
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "settings-cache")
    monkeypatch.setattr(settings, "use_cache", True)
    monkeypatch.setattr(settings, "offline", False)
    monkeypatch.setattr(settings, "geonames_username", "")
    yield
    assert not refused


@pytest.fixture
def make(server: tuple[FakeGeocoder, str], tmp_path: Path) -> Callable[..., OnlineGazetteer]:
    """Build a gazetteer on the fake: no delay, short backoff, its own cache folder."""
    _, domain = server

    def build(service: str = "nominatim", **kwargs: Any) -> OnlineGazetteer:
        options: dict[str, Any] = {
            "user_agent": USER_AGENT,
            "domain": domain,
            "scheme": "http",
            "cache_folder": tmp_path / "geocode",
            "min_delay_seconds": 0.0,
            "timeout": 2.0,
            "backoff_seconds": 0.01,
            "username": "tester",
        }
        options.update(kwargs)
        return OnlineGazetteer(service, **options)

    return build


def cache_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "geocode").glob("*.json"))


def test_lookup_returns_candidates_and_sends_the_user_agent(
    server: tuple[FakeGeocoder, str], make: Callable[..., OnlineGazetteer]
) -> None:
    fake, _ = server
    found = make().lookup("Sudzha")
    # the river is not a place; the boundary repeats the town (same name, 1 km away)
    assert found == [
        Candidate(
            place_id="nominatim:N111",
            name="Sudzha",
            kind="settlement",
            country="RU",
            admin1="Kursk Oblast",
            lat=51.1920,
            lon=35.2716,
            population=0,
            source="nominatim",
            admin2="Sudzhansky District",
        )
    ]
    (seen,) = fake.requests
    assert seen.path == "/search"
    assert seen.headers["User-Agent"] == USER_AGENT
    assert seen.query["q"] == "Sudzha"
    assert seen.query["format"] == "json"
    assert seen.query["addressdetails"] == "1"


@pytest.mark.parametrize(
    ("name", "kind", "admin1", "population"),
    [("Kursk", "city", "Kursk Oblast", 440052), ("Kursk Oblast", "oblast", "", 0)],
)
def test_kinds(
    make: Callable[..., OnlineGazetteer], name: str, kind: str, admin1: str, population: int
) -> None:
    (found,) = make().lookup(name)
    assert (found.kind, found.country, found.admin1, found.population) == (
        kind,
        "RU",
        admin1,
        population,
    )


@pytest.mark.parametrize(
    ("service", "place_id", "path"),
    [
        ("nominatim", "nominatim:N111", "/search"),
        ("photon", "photon:N111", "/api"),
        ("geonames", "geonames:900111", "/searchJSON"),
    ],
)
def test_each_service_through_the_registry(
    server: tuple[FakeGeocoder, str], tmp_path: Path, service: str, place_id: str, path: str
) -> None:
    fake, domain = server
    assert {"nominatim", "photon", "geonames"} <= set(backends())
    gaz = get_gazetteer(
        service,
        user_agent=USER_AGENT,
        domain=domain,
        scheme="http",
        cache_folder=tmp_path,
        min_delay_seconds=0,
        username="tester",
    )
    (found,) = gaz.lookup("Sudzha")
    assert (found.place_id, found.kind, found.country, found.source) == (
        place_id,
        "settlement",
        "RU",
        service,
    )
    assert (found.lat, found.lon) == pytest.approx((51.1920, 35.2716))
    assert [seen.path for seen in fake.requests] == [path]
    (city,) = gaz.lookup("Kursk")
    assert (city.kind, city.population) == ("city", 440052)


def test_default_user_agent_is_refused_before_any_request(
    server: tuple[FakeGeocoder, str], make: Callable[..., OnlineGazetteer]
) -> None:
    fake, _ = server
    gaz = make(user_agent=None)  # settings.user_agent is at its default
    with pytest.raises(ConfigurationError, match="mapper.settings.user_agent"):
        gaz.lookup("Sudzha")
    with pytest.raises(ConfigurationError, match="does not identify"):
        make(user_agent=" ")
    with pytest.raises(ConfigurationError, match="geonames_username"):
        make("geonames", username=None).lookup("Sudzha")
    assert fake.requests == []


def test_public_nominatim_keeps_one_request_per_second() -> None:
    with pytest.raises(ConfigurationError, match="one request per second"):
        OnlineGazetteer("nominatim", user_agent=USER_AGENT, min_delay_seconds=0.2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"bbox": (40, 49, 33, 53)}, "min < max"),
        ({"bbox": (33, 49, 40)}, "four numbers"),
        ({"countries": ("RUS",)}, "alpha-2"),
        ({"max_retries": -1}, "max_retries"),
    ],
)
def test_bad_options(make: Callable[..., OnlineGazetteer], kwargs: Any, match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        make(**kwargs)
    with pytest.raises(ConfigurationError, match="unknown online service"):
        make("bing")


def test_second_lookup_comes_from_the_cache_without_waiting(
    server: tuple[FakeGeocoder, str], make: Callable[..., OnlineGazetteer], tmp_path: Path
) -> None:
    fake, _ = server
    gaz = make(min_delay_seconds=0.5)
    first = gaz.lookup("Sudzha")
    start = time.perf_counter()
    again = gaz.lookup("  sudzha ")  # the same query, normalised
    elapsed = time.perf_counter() - start
    assert again == first
    assert len(fake.requests) == 1
    assert elapsed < 0.1  # the rate limiter would have waited 0.5 s
    (path,) = cache_files(tmp_path)
    assert len(path.stem) == 40  # SHA-1
    assert json.loads(path.read_text())["results"][0]["osm_id"] == 111
    assert not list((tmp_path / "geocode").glob("*.tmp"))


def test_empty_answers_are_cached(
    server: tuple[FakeGeocoder, str], make: Callable[..., OnlineGazetteer], tmp_path: Path
) -> None:
    fake, _ = server
    gaz = make()
    assert gaz.lookup("Atlantis") == []
    assert gaz.lookup("Atlantis") == []
    assert len(fake.requests) == 1
    assert len(cache_files(tmp_path)) == 1


def test_no_cache_when_use_cache_is_off(
    server: tuple[FakeGeocoder, str],
    make: Callable[..., OnlineGazetteer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake, _ = server
    monkeypatch.setattr(settings, "use_cache", False)
    gaz = make()
    gaz.lookup("Sudzha")
    gaz.lookup("Sudzha")
    assert len(fake.requests) == 2
    assert cache_files(tmp_path) == []


def test_requests_are_at_least_min_delay_apart(
    server: tuple[FakeGeocoder, str], make: Callable[..., OnlineGazetteer]
) -> None:
    fake, _ = server
    gaz = make(min_delay_seconds=0.3)
    gaz.lookup("Sudzha")
    gaz.lookup("Kursk")
    first, second = fake.requests
    # the limiter spaces request starts; allow a few ms for connection set-up jitter
    assert second.at - first.at >= 0.3 - 0.01


def test_server_errors_are_retried_with_backoff_and_never_cached(
    server: tuple[FakeGeocoder, str], make: Callable[..., OnlineGazetteer], tmp_path: Path
) -> None:
    fake, _ = server
    gaz = make(max_retries=3, backoff_seconds=0.05)
    fake.fail_next(503, times=2)
    assert [c.place_id for c in gaz.lookup("Sudzha")] == ["nominatim:N111"]
    times = [seen.at for seen in fake.requests]
    assert len(times) == 3
    assert times[1] - times[0] >= 0.05 - 0.01
    assert times[2] - times[1] >= 0.10 - 0.01  # doubled

    fake.fail_next(503, times=4)
    with pytest.raises(GazetteerUnavailable, match="after 4 attempts") as info:
        gaz.lookup("Kursk")
    assert not isinstance(info.value, GazetteerRateLimited)
    assert isinstance(info.value.__cause__, geopy_exc.GeopyError)
    assert len(fake.requests) == 7
    assert len(cache_files(tmp_path)) == 1  # only Sudzha's answer
    assert gaz.lookup("Kursk")[0].kind == "city"  # asked again, not an error from the cache
    assert len(fake.requests) == 8


def test_rate_limited_past_max_retries(
    server: tuple[FakeGeocoder, str], make: Callable[..., OnlineGazetteer], tmp_path: Path
) -> None:
    fake, _ = server
    fake.fail_next(429, times=5, retry_after=1)
    start = time.perf_counter()
    with pytest.raises(GazetteerRateLimited, match="HTTP 429") as info:
        make(max_retries=1).lookup("Sudzha")
    assert time.perf_counter() - start >= 1.0  # Retry-After respected, not the 0.01 s backoff
    assert info.value.retry_after == 1
    assert isinstance(info.value.__cause__, geopy_exc.GeocoderRateLimited)
    assert len(fake.requests) == 2
    assert cache_files(tmp_path) == []


def test_retry_after_longer_than_max_wait_gives_up_at_once(
    server: tuple[FakeGeocoder, str], make: Callable[..., OnlineGazetteer]
) -> None:
    fake, _ = server
    fake.fail_next(429, times=5, retry_after=3600)
    with pytest.raises(GazetteerRateLimited) as info:
        make(max_retries=3, max_wait_seconds=60).lookup("Sudzha")
    assert info.value.retry_after == 3600
    assert len(fake.requests) == 1


def test_forbidden_is_not_retried(
    server: tuple[FakeGeocoder, str], make: Callable[..., OnlineGazetteer], tmp_path: Path
) -> None:
    fake, _ = server
    fake.fail_next(403, times=5)
    with pytest.raises(GazetteerUnavailable, match="HTTP 403.*user_agent") as info:
        make(max_retries=3).lookup("Sudzha")
    assert not isinstance(info.value, GazetteerRateLimited)
    assert isinstance(info.value.__cause__, geopy_exc.GeocoderInsufficientPrivileges)
    assert len(fake.requests) == 1
    assert cache_files(tmp_path) == []


def test_timeouts_are_retried_then_raise(
    server: tuple[FakeGeocoder, str], make: Callable[..., OnlineGazetteer], tmp_path: Path
) -> None:
    fake, _ = server
    fake.fail_next("hang", times=2)
    start = time.perf_counter()
    with pytest.raises(GazetteerUnavailable, match="after 2 attempts") as info:
        make(timeout=0.2, max_retries=1).lookup("Sudzha")
    assert time.perf_counter() - start < HANG_SECONDS / 2
    assert isinstance(info.value.__cause__, geopy_exc.GeocoderTimedOut)
    assert len(fake.requests) == 2
    assert cache_files(tmp_path) == []


def test_offline_answers_from_the_cache_only(
    server: tuple[FakeGeocoder, str],
    make: Callable[..., OnlineGazetteer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake, _ = server
    online = make().lookup("Sudzha")
    assert len(fake.requests) == 1
    # offline needs no user agent: it never asks the service
    offline = make(offline=True, user_agent=None)
    assert offline.lookup("Sudzha") == online
    assert offline.lookup("Kursk") == []
    monkeypatch.setattr(settings, "offline", True)
    assert make().lookup("Kursk") == []
    assert make(offline=False).lookup("Kursk")[0].name == "Kursk"  # the argument wins
    assert len(fake.requests) == 2


def test_countries_and_bbox_are_sent_and_enforced(
    server: tuple[FakeGeocoder, str], make: Callable[..., OnlineGazetteer]
) -> None:
    fake, _ = server
    assert len(make().lookup("Ivanovka")) == 4
    gaz = make(countries=("UA", "ru"), bbox=(33.0, 49.0, 40.0, 53.0))
    found = gaz.lookup("Ivanovka")
    assert [(c.country, c.admin1) for c in found] == [
        ("RU", "Kursk Oblast"),
        ("UA", "Kharkiv Oblast"),
    ]
    query = fake.requests[-1].query
    assert query["countrycodes"] == "ru,ua"
    assert query["viewbox"] == "33.0,49.0,40.0,53.0"
    assert query["bounded"] == "1"

    assert [c.country for c in gaz.lookup("Ivanovka", country="UA")] == ["UA"]
    assert fake.requests[-1].query["countrycodes"] == "ua"
    asked = len(fake.requests)
    assert gaz.lookup("Ivanovka", country="KZ") == []  # outside countries: nothing to ask
    assert len(fake.requests) == asked
