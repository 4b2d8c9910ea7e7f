"""Sources of a scheduled refresh: folders, RSS/Atom feeds and lists of web pages.

A refresh reads its sources from a TOML file (see :func:`load_config`); each source is a
table of ``[[sources]]`` with a ``name``, a ``kind`` and ``tags``:

``kind = "folder"``
    Article files under ``path`` (any form :func:`mapper.ingest.articles_from_paths`
    reads). Only files whose size or modification time changed since the last refresh are
    read again.
``kind = "feed"``
    An RSS or Atom feed at ``url`` (parsed with feedparser). Each entry's page is fetched and
    its main text extracted (trafilatura); with ``fetch_pages = false`` the entry's own
    content is the article. An entry is fetched again only when the feed says it was updated.
``kind = "urls"``
    The article pages listed in ``urls`` (and/or a file ``urls_file``, one URL a line).

Every HTTP request has a timeout and is conditional: the ``ETag`` and ``Last-Modified``
a server gave are kept in the store per URL and sent back (``If-None-Match``,
``If-Modified-Since``), so an unchanged page costs a ``304 Not Modified``. A page whose body
is byte for byte the one stored is not read again either. A failure (timeout, an HTTP error,
a malformed feed, a page that is not an article) is recorded per URL with its reason and
retried on the next refresh; it never stops the other URLs or sources.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import html
import logging
import re
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from mapper import ingest, schema, settings
from mapper._errors import ConfigurationError
from mapper.store import FetchState, Store

log = logging.getLogger(__name__)

KINDS = ("folder", "feed", "urls")
MAX_BYTES = 20_000_000
"""Largest response body read; a longer one is a failure."""

_TOP_KEYS = {"store", "lock_timeout", "timeout", "user_agent", "output", "sources"}
_OUTPUT_KEYS = {"folder", "self_contained", "tiles", "map_claims", "tables", "title"}
_SOURCE_KEYS = {
    "name",
    "kind",
    "tags",
    "path",
    "url",
    "urls",
    "urls_file",
    "timeout",
    "assume_date",
    "fetch_pages",
}
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Source:
    """One configured source (see the module docstring for the kinds).

    Attributes
    ----------
    name
        Unique name; articles keep it as their origin, failures are reported under it.
    kind
        ``folder``, ``feed`` or ``urls``.
    tags
        Free labels, kept in the run record.
    path
        The folder (``folder``).
    url
        The feed's address (``feed``).
    urls
        The pages (``urls``).
    timeout
        Seconds to wait for a server; ``None``: ``settings.timeout``.
    assume_date
        Publication date of articles that carry none.
    fetch_pages
        ``feed``: fetch each entry's page (else use the entry's content).
    """

    name: str
    kind: str
    tags: tuple[str, ...] = ()
    path: Path | None = None
    url: str | None = None
    urls: tuple[str, ...] = ()
    timeout: float | None = None
    assume_date: str | None = None
    fetch_pages: bool = True


@dataclass(frozen=True)
class Output:
    """Where and how a refresh writes its outputs.

    Attributes
    ----------
    folder
        Output folder (``map.html``, ``changelog.json``, ``report.json``, and with
        ``tables`` ``timeline.csv``, ``claims.csv`` and ``claims.geojson``).
    self_contained
        Inline every script and stylesheet into ``map.html``.
    tiles
        Background tiles: a folium tile name, ``None`` for none, ``"default"`` for
        ``settings.default_tiles``.
    map_claims
        How many claim markers the map draws, the latest by event date (the status of every
        place is always drawn); bounds the cost of a refresh on a large store.
    tables
        Also write the whole timeline to ``timeline.csv`` and every stored claim to
        ``claims.csv`` and ``claims.geojson``. Off by default: their cost grows with the
        store (about 12 s for 150,000 claims), where the rest of a refresh costs what is new.
    title
        The map legend's title.
    """

    folder: Path
    self_contained: bool = False
    tiles: str | None = "default"
    map_claims: int = 1000
    tables: bool = False
    title: str = "Claims of control"


@dataclass(frozen=True)
class Config:
    """A refresh configuration (see :func:`load_config`).

    Attributes
    ----------
    path
        The file it was read from (relative paths in it are relative to its folder).
    store
        The SQLite store.
    sources
        The sources, in file order.
    output
        Output settings.
    lock_timeout
        Seconds to wait for another refresh of the same store to finish.
    timeout
        Default seconds to wait for a server; ``None``: ``settings.timeout``.
    user_agent
        Sent with every request; ``None``: ``settings.user_agent``.
    """

    path: Path
    store: Path
    sources: tuple[Source, ...]
    output: Output
    lock_timeout: float = 0.0
    timeout: float | None = None
    user_agent: str | None = None


@dataclass
class Fetched:
    """What fetching one source gave: articles to store, and what to remember of each URL.

    Attributes
    ----------
    source
        The source.
    articles, rejected
        The articles read and the inputs that could not be (see :mod:`mapper.ingest`).
    states
        Fetch state to record once the articles are stored.
    failures
        ``{"key": url or file, "error": why}`` for each failure; retried next time.
    not_modified
        URLs or files skipped because they had not changed.
    """

    source: Source
    articles: pd.DataFrame
    rejected: pd.DataFrame
    states: list[FetchState] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    not_modified: int = 0


class FetchError(Exception):
    """One URL could not be fetched (private to a source: recorded, never raised further)."""


def load_config(path: str | Path) -> Config:
    """Read a refresh configuration from a TOML file.

    Relative paths (``store``, ``output.folder``, a folder source's ``path``, ``urls_file``)
    are taken relative to the file's folder.

    Parameters
    ----------
    path
        The TOML file.

    Returns
    -------
    Config

    Raises
    ------
    ConfigurationError
        The file is missing or not TOML, or a key is unknown, missing or of the wrong type;
        the message names the file and the key.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     file = Path(folder) / "mapper.toml"
    ...     _ = file.write_text('sources = [{name = "desk", kind = "folder", path = "in"}]')
    ...     config = load_config(file)
    >>> config.sources[0].kind, config.store.name, config.output.folder.name
    ('folder', 'mapper.sqlite', 'outputs')
    """
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"{file}: no such configuration file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigurationError(f"{file}: cannot read it ({err})") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigurationError(f"{file}: not valid TOML ({err})") from err
    base = file.resolve().parent
    _unknown(data, _TOP_KEYS, file, "")
    output = _table(data, "output", file)
    _unknown(output, _OUTPUT_KEYS, file, "output.")
    raw_sources = data.get("sources", [])
    if not isinstance(raw_sources, list) or not raw_sources:
        raise ConfigurationError(
            f"{file}: no sources; add at least one [[sources]] table with name and kind"
        )
    sources = tuple(_source(raw, i, file, base) for i, raw in enumerate(raw_sources))
    names = [s.name for s in sources]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigurationError(f"{file}: sources.name {repeated} repeat; names must be unique")
    tiles = _get(output, "tiles", str, file, "output.", "default")
    return Config(
        path=file,
        store=base / _get(data, "store", str, file, "", "mapper.sqlite"),
        sources=sources,
        output=Output(
            folder=base / _get(output, "folder", str, file, "output.", "outputs"),
            self_contained=_get(output, "self_contained", bool, file, "output.", False),
            tiles=None if tiles.lower() == "none" else tiles,
            map_claims=_get(output, "map_claims", int, file, "output.", 1000),
            tables=_get(output, "tables", bool, file, "output.", False),
            title=_get(output, "title", str, file, "output.", "Claims of control"),
        ),
        lock_timeout=float(_get(data, "lock_timeout", (int, float), file, "", 0)),
        timeout=_optional_float(data, "timeout", file, ""),
        user_agent=_get(data, "user_agent", str, file, "", "") or None,
    )


def _source(raw: Any, number: int, file: Path, base: Path) -> Source:
    where = f"sources[{number}]."
    if not isinstance(raw, dict):
        raise ConfigurationError(f"{file}: sources[{number}] should be a table ([[sources]])")
    _unknown(raw, _SOURCE_KEYS, file, where)
    name = _get(raw, "name", str, file, where, None)
    kind = _get(raw, "kind", str, file, where, None)
    if kind not in KINDS:
        raise ConfigurationError(f"{file}: {where}kind is {kind!r}; expected one of {KINDS}")
    where = f"sources.{name}."
    tags = _get(raw, "tags", list, file, where, [])
    if not all(isinstance(t, str) for t in tags):
        raise ConfigurationError(f"{file}: {where}tags should be a list of strings")
    common: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "tags": tuple(tags),
        "timeout": _optional_float(raw, "timeout", file, where),
        "assume_date": _get(raw, "assume_date", str, file, where, "") or None,
    }
    if kind == "folder":
        folder = base / _get(raw, "path", str, file, where, None)
        return Source(**common, path=folder)
    if kind == "feed":
        url = _url(_get(raw, "url", str, file, where, None), file, where + "url")
        fetch_pages = _get(raw, "fetch_pages", bool, file, where, True)
        return Source(**common, url=url, fetch_pages=fetch_pages)
    urls = _get(raw, "urls", list, file, where, [])
    if "urls_file" in raw:
        listed = base / _get(raw, "urls_file", str, file, where, None)
        try:
            lines = listed.read_text(encoding="utf-8").splitlines()
        except OSError as err:
            raise ConfigurationError(f"{file}: {where}urls_file: cannot read {listed}") from err
        urls += [u.strip() for u in lines if u.strip() and not u.strip().startswith("#")]
    if not urls:
        raise ConfigurationError(f"{file}: {where}urls is empty; list pages or give urls_file")
    checked = tuple(_url(u, file, where + "urls") for u in dict.fromkeys(urls))
    return Source(**common, urls=checked)


def _unknown(table: dict[str, Any], known: set[str], file: Path, where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigurationError(
            f"{file}: unknown key {where}{unknown[0]}; expected one of {sorted(known)}"
        )


def _table(data: dict[str, Any], key: str, file: Path) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigurationError(f"{file}: {key} should be a table ([{key}])")
    return value


def _get(
    table: dict[str, Any],
    key: str,
    kind: type | tuple[type, ...],
    file: Path,
    where: str,
    default: Any,
) -> Any:
    if key not in table:
        if default is None:
            raise ConfigurationError(f"{file}: {where}{key} is missing")
        return default
    value = table[key]
    names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigurationError(
            f"{file}: {where}{key} should be {names}, got {type(value).__name__} {value!r}"
        )
    return value


def _optional_float(table: dict[str, Any], key: str, file: Path, where: str) -> float | None:
    if key not in table:
        return None
    value = _get(table, key, (int, float), file, where, None)
    if isinstance(value, bool) or value <= 0:
        raise ConfigurationError(f"{file}: {where}{key} should be a positive number of seconds")
    return float(value)


def _url(value: str, file: Path, where: str) -> str:
    if not re.match(r"^https?://[^/\s]+", str(value)):
        raise ConfigurationError(f"{file}: {where}: {value!r} is not an http(s) URL")
    return str(value)


# -- fetching ---------------------------------------------------------------------------


def fetch(
    source: Source,
    store: Store,
    *,
    timeout: float | None = None,
    user_agent: str | None = None,
) -> Fetched:
    """Read what is new or changed in ``source`` since the last refresh.

    Parameters
    ----------
    source
        The source.
    store
        Where the fetch state of every URL and file is kept (read here; record the returned
        :attr:`Fetched.states` once the articles are stored).
    timeout
        Seconds to wait for a server when the source sets none; ``None``:
        ``settings.timeout``.
    user_agent
        Sent with every request; ``None``: ``settings.user_agent``.

    Returns
    -------
    Fetched
        Never raises for a failing URL or file: failures are listed in it.
    """
    client = _Client(
        timeout=source.timeout or timeout or settings.timeout,
        user_agent=user_agent or settings.user_agent,
    )
    if source.kind == "folder":
        return _fetch_folder(source, store)
    if source.kind == "feed":
        return _fetch_feed(source, store, client)
    return _fetch_urls(source, store, client)


@dataclass(frozen=True)
class _Response:
    status: int
    body: bytes
    etag: str | None
    last_modified: str | None


class _Client:
    """The one way the sources talk HTTP: timeouts, conditional requests, clear errors."""

    def __init__(self, *, timeout: float, user_agent: str) -> None:
        self.timeout = timeout
        self.user_agent = user_agent
        # Built per client, so proxy settings are read from the environment of the day.
        self._opener = urllib.request.build_opener()

    def get(self, url: str, state: FetchState | None) -> _Response:
        headers = {"User-Agent": self.user_agent, "Accept-Encoding": "identity"}
        if state is not None and state.etag:
            headers["If-None-Match"] = state.etag
        if state is not None and state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        request = urllib.request.Request(url, headers=headers)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                body = response.read(MAX_BYTES + 1)
                if len(body) > MAX_BYTES:
                    raise FetchError(f"response larger than {MAX_BYTES} bytes")
                return _Response(
                    response.status,
                    body,
                    response.headers.get("ETag"),
                    response.headers.get("Last-Modified"),
                )
        except urllib.error.HTTPError as err:
            if err.code == 304:
                return _Response(304, b"", state.etag if state else None, None)
            raise FetchError(f"HTTP {err.code} {err.reason}") from err
        except urllib.error.URLError as err:
            if isinstance(err.reason, TimeoutError):
                raise FetchError(f"timed out after {self.timeout:g} s") from err
            raise FetchError(f"cannot connect ({err.reason})") from err
        except TimeoutError as err:
            raise FetchError(f"timed out after {self.timeout:g} s") from err
        except (OSError, ValueError) as err:
            raise FetchError(f"{type(err).__name__}: {err}") from err


def _sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def _fetch_folder(source: Source, store: Store) -> Fetched:
    assert source.path is not None
    if not source.path.is_dir():
        empty, _ = ingest.articles_from_pages([])
        failure = {"key": str(source.path), "error": "no such folder"}
        return Fetched(source, empty, _no_rejections(), failures=[failure])
    files = {str(p): p for p in _article_files(source.path)}
    known = store.fetch_states(files)
    stamps = {}
    for key, path in files.items():
        stat = path.stat()
        stamps[key] = f"{stat.st_size}:{stat.st_mtime_ns}"
    todo = [
        key
        for key in files
        if key not in known or known[key].status != "ok" or known[key].stamp != stamps[key]
    ]
    articles, rejected = ingest.articles_from_paths(
        [files[k] for k in todo], assume_date=source.assume_date
    )
    fetched = Fetched(source, articles, rejected, not_modified=len(files) - len(todo))
    read = set(articles["path"])
    for key in todo:
        where = rejected["path"].astype(str)
        problems = rejected.loc[(where == key) | where.str.startswith(key + ":"), "problem"]
        if len(problems) and key not in read:
            # Nothing of the file could be read: retried next time (a table with some bad
            # rows counts as read; its rejected rows are reported with the run).
            error = "; ".join(dict.fromkeys(problems))
            fetched.failures.append({"key": key, "error": error})
            fetched.states.append(FetchState(key, source.name, status="failed", error=error))
        else:
            fetched.states.append(FetchState(key, source.name, stamp=stamps[key]))
    return fetched


def _article_files(folder: Path) -> Iterator[Path]:
    for child in sorted(folder.rglob("*")):
        hidden = any(part.startswith(".") for part in child.relative_to(folder).parts)
        if not hidden and child.suffix.lower() in ingest.SUFFIXES and child.is_file():
            yield child


def _no_rejections() -> pd.DataFrame:
    return pd.DataFrame(columns=list(schema.REJECTED_COLUMNS))


def _fetch_feed(source: Source, store: Store, client: _Client) -> Fetched:
    import feedparser

    assert source.url is not None
    feed_state = store.fetch_states([source.url]).get(source.url)
    retry = [s for s in store.failed_fetches(source.name) if s.key != source.url]
    # Entries to retry need the feed's dates and titles: ask for the whole feed then.
    conditional = None if retry else feed_state
    entries: list[tuple[str, str, dict[str, Any]]] = []
    states: list[FetchState] = []
    failures: list[dict[str, str]] = []
    not_modified = 0
    try:
        response = client.get(source.url, conditional)
        digest = _sha1(response.body)
        if response.status == 304 or (conditional and conditional.content_hash == digest):
            not_modified += 1
            assert conditional is not None
            states.append(_unchanged(conditional, response, conditional.stamp))
        else:
            parsed = feedparser.parse(response.body)
            feed_title = str(parsed.feed.get("title") or source.name)
            entries = [e for e in (_entry(x, feed_title) for x in parsed.entries) if e]
            if parsed.bozo and not entries:
                raise FetchError(f"malformed feed ({parsed.get('bozo_exception')})")
            if parsed.bozo:
                log.warning("%s: feed has errors (%s)", source.url, parsed.get("bozo_exception"))
            states.append(
                FetchState(
                    source.url,
                    source.name,
                    etag=response.etag,
                    last_modified=response.last_modified,
                    content_hash=digest,
                )
            )
    except FetchError as err:
        failures.append({"key": source.url, "error": str(err)})
        states.append(FetchState(source.url, source.name, status="failed", error=str(err)))
    wanted = {url: (stamp, meta) for url, stamp, meta in entries}
    known = store.fetch_states(wanted)
    todo = [
        url
        for url, (stamp, _) in wanted.items()
        if url not in known or known[url].status != "ok" or known[url].stamp != stamp
    ]
    not_modified += len(wanted) - len(todo)
    pages: list[tuple[str, str, dict[str, Any]]] = []
    page_states: dict[str, FetchState] = {}
    for state in retry:
        if state.key not in wanted:
            # A failed entry no longer in the feed (or a 304 feed): retry with what we knew.
            wanted[state.key] = (state.stamp or "", {})
            todo.append(state.key)
    for url in todo:
        stamp, meta = wanted[url]
        if not source.fetch_pages:
            pages.append((url, "", meta))
            page_states[url] = FetchState(url, source.name, stamp=stamp)
            continue
        got = _page(client, url, known.get(url), source, stamp, failures, states)
        if got is not None:
            page, state = got
            pages.append((url, page, meta))
            page_states[url] = state
    return _read_pages(source, pages, page_states, states, failures, not_modified)


def _entry(entry: Any, feed_title: str) -> tuple[str, str, dict[str, Any]] | None:
    url = str(entry.get("link") or "").strip()
    if not url.startswith(("http://", "https://")):
        return None
    # dict.get: feedparser warns when "updated" is read through its own mapping.
    stamp = str(dict.get(entry, "updated") or dict.get(entry, "published") or "")
    when = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    published = (
        dt.datetime.fromtimestamp(calendar.timegm(when), dt.UTC).isoformat() if when else None
    )
    content = entry.get("content") or []
    body = str(content[0].get("value", "")) if content else str(entry.get("summary") or "")
    text = html.unescape(_TAG.sub(" ", body))
    meta = {
        "published": published,
        "title": str(entry.get("title") or ""),
        "source": feed_title,
        "text": re.sub(r"[ \t]+", " ", text).strip(),
    }
    return url, stamp, meta


def _unchanged(state: FetchState, response: _Response, stamp: str | None) -> FetchState:
    return FetchState(
        state.key,
        state.source,
        etag=response.etag or state.etag,
        last_modified=response.last_modified or state.last_modified,
        stamp=stamp,
        content_hash=state.content_hash,
    )


def _page(
    client: _Client,
    url: str,
    known: FetchState | None,
    source: Source,
    stamp: str | None,
    failures: list[dict[str, str]],
    states: list[FetchState],
) -> tuple[str, FetchState] | None:
    """Fetch one page; ``None`` when it failed (recorded) or has not changed."""
    conditional = known if known is not None and known.status == "ok" else None
    try:
        response = client.get(url, conditional)
    except FetchError as err:
        failures.append({"key": url, "error": str(err)})
        states.append(FetchState(url, source.name, status="failed", error=str(err)))
        return None
    digest = _sha1(response.body)
    if response.status == 304 or (conditional and conditional.content_hash == digest):
        assert conditional is not None
        states.append(_unchanged(conditional, response, stamp))
        return None
    state = FetchState(
        url,
        source.name,
        etag=response.etag,
        last_modified=response.last_modified,
        stamp=stamp,
        content_hash=digest,
    )
    return response.body.decode("utf-8", errors="replace"), state


def _fetch_urls(source: Source, store: Store, client: _Client) -> Fetched:
    known = store.fetch_states(source.urls)
    pages: list[tuple[str, str, dict[str, Any]]] = []
    page_states: dict[str, FetchState] = {}
    states: list[FetchState] = []
    failures: list[dict[str, str]] = []
    for url in source.urls:
        got = _page(client, url, known.get(url), source, None, failures, states)
        if got is not None:
            pages.append((url, got[0], {}))
            page_states[url] = got[1]
    not_modified = len(source.urls) - len(pages) - len(failures)
    return _read_pages(source, pages, page_states, states, failures, not_modified)


def _read_pages(
    source: Source,
    pages: Iterable[tuple[str, str, dict[str, Any]]],
    page_states: dict[str, FetchState],
    states: list[FetchState],
    failures: list[dict[str, str]],
    not_modified: int,
) -> Fetched:
    articles, rejected = ingest.articles_from_pages(pages, assume_date=source.assume_date)
    bad = set(rejected["path"])
    for url, state in page_states.items():
        if url in bad:
            problems = rejected.loc[rejected["path"] == url, "problem"]
            error = "; ".join(dict.fromkeys(problems))
            failures.append({"key": url, "error": error})
            states.append(FetchState(url, source.name, status="failed", error=error))
        else:
            states.append(state)
    return Fetched(source, articles, rejected, states, failures, not_modified)
