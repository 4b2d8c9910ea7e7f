"""Incremental refresh: new sources in, maps out, under a lock, safe under kill -9.

A refresh (:func:`refresh`) does, in order:

1. take the store's lock (``<store>.lock``; another refresh of the same store waits up to
   ``lock_timeout`` seconds, then :class:`RefreshLocked` is raised);
2. fetch every source (:mod:`mapper.sources`) and store what is new or changed (articles by
   content hash, so nothing is stored twice); a failing URL or file is recorded in the run
   and retried next time;
3. extract the *pending* articles (new, changed, or left over by a killed refresh) in small
   batches, each saved in one transaction;
4. recompute the timeline of the *dirty* places only (the places of claims added or
   removed, and the places inside a region whose whole-region claims changed) and splice it
   into the stored timeline, in one transaction;
5. write the outputs from the store, each atomically (temporary file, then rename):
   ``map.html`` (with a layer of what changed), ``changelog.json``, ``report.json`` and,
   with ``output.tables = true``, ``timeline.csv``, ``claims.csv`` and ``claims.geojson``;
6. record the run (what each source read, added, rejected and why it failed) and the
   statuses published, which the next changelog compares with.

Killed at any point, the store stays consistent and the next refresh completes the work:
pending articles and dirty places are marks in the store, cleared in the transaction that
does their work.

Test hook: when the environment variable ``MAPPER_TEST_PAUSE_AFTER_SAVE`` holds a number of
seconds, the refresh sleeps that long after saving each batch of extractions, so a test can
kill it mid-way. Nothing else reads it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from types import FrameType
from typing import Any

import geopandas as gpd
import pandas as pd

from mapper import _lexicon, geocode, ingest, io, mentions, render, schema, timeline
from mapper import extract as claims_stage
from mapper._errors import ConfigurationError, MapperError, RefreshLocked
from mapper.gazetteer.imports import installed_layers
from mapper.overrides import load_overrides, overrides_path
from mapper.sources import Config, Fetched, Source, fetch, load_config
from mapper.store import FetchState, Store

__all__ = [
    "RefreshLocked",
    "RefreshResult",
    "extract_pending",
    "located_from_store",
    "parse_duration",
    "rebuild_timeline",
    "refresh",
    "refresh_every",
    "store_run",
    "update_timeline",
]

log = logging.getLogger(__name__)

PAUSE_ENV = "MAPPER_TEST_PAUSE_AFTER_SAVE"
INPUTS_KEY = "extraction_inputs"
"""The store setting that keeps :func:`extraction_inputs` of the last extraction."""
BATCH = 10
"""Articles extracted and saved together (one transaction each batch)."""

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$")
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass
class RefreshResult:
    """What one refresh did.

    Attributes
    ----------
    run_id
        Its run record in the store.
    status
        ``ok``, or ``partial`` when a source failed or inputs were rejected.
    counts
        Articles ``read`` (new or changed inputs seen), ``added``, ``changed``, ``rejected``.
    failures
        ``{"source", "key", "error"}`` for each URL or file that failed (retried next time).
    changelog
        What changed since the last refresh (written as ``changelog.json``).
    outputs
        The files written.
    places
        The places whose timeline was recomputed.
    """

    run_id: int
    status: str
    counts: dict[str, int]
    failures: list[dict[str, str]]
    changelog: dict[str, Any]
    outputs: list[Path] = field(default_factory=list)
    places: set[str] = field(default_factory=set)


def refresh(
    config: Config | str | Path,
    *,
    lock_timeout: float | None = None,
    progress: bool = False,
) -> RefreshResult:
    """Fetch what is new, process only that, and rewrite the outputs.

    Parameters
    ----------
    config
        A configuration, or its TOML file (see :func:`mapper.sources.load_config`).
    lock_timeout
        Seconds to wait for another refresh of the same store; ``None``: the
        configuration's ``lock_timeout``.
    progress
        Show progress bars on stderr (when it is a terminal).

    Returns
    -------
    RefreshResult

    Raises
    ------
    RefreshLocked
        Another refresh held the lock for longer than ``lock_timeout``.
    ConfigurationError
        The configuration or the store is unusable.
    """
    from filelock import FileLock, Timeout

    cfg = config if isinstance(config, Config) else load_config(config)
    wait = cfg.lock_timeout if lock_timeout is None else lock_timeout
    lock = FileLock(str(cfg.store) + ".lock")
    cfg.store.parent.mkdir(parents=True, exist_ok=True)
    try:
        lock.acquire(timeout=max(wait, 0.0))
    except Timeout:
        raise RefreshLocked(
            f"another refresh is running on {cfg.store} (lock {lock.lock_file} held for "
            f"{wait:g} s); try later or raise --lock-timeout"
        ) from None
    try:
        with Store(cfg.store) as store:
            return _refresh(cfg, store, progress)
    finally:
        lock.release()


def _refresh(cfg: Config, store: Store, progress: bool) -> RefreshResult:
    interrupted = store.close_interrupted_runs()
    if interrupted:
        log.warning("runs %s were interrupted; completing their work", interrupted)
    previous = store.last_run()
    run_id = store.begin_run()
    seconds: dict[str, float] = {}
    try:
        start = time.perf_counter()
        counts, failures, per_source, rejected = _fetch_all(cfg, store, progress)
        seconds["fetch"] = _since(start)
        start = time.perf_counter()
        extracted = extract_pending(store, progress=progress)
        seconds["extract"] = _since(start)
        start = time.perf_counter()
        places = update_timeline(store)
        seconds["timeline"] = _since(start)
        start = time.perf_counter()
        stored = store.timeline()
        changelog, published, new_claims = _changelog(store, stored, run_id, previous)
        outputs = _write_outputs(cfg, store, stored, changelog, new_claims)
        seconds["outputs"] = _since(start)
    except BaseException as err:
        store.finish_run(
            run_id,
            status="failed",
            read=0,
            added=0,
            changed=0,
            rejected=0,
            notes={"error": f"{type(err).__name__}: {err}"},
        )
        raise
    status = "partial" if failures or counts["rejected"] else "ok"
    notes = {
        "command": "refresh",
        "sources": per_source,
        "failures": failures,
        "rejected": rejected,
        "extracted": extracted,
        "places_recomputed": len(places),
        "new_claims": len(changelog["new_claims"]),
        "places_changed": len(changelog["places_changed"]),
        "interrupted_runs_completed": interrupted,
        "seconds": seconds,
    }
    store.finish_refresh(run_id, status=status, counts=counts, notes=notes, published=published)
    _write_report(cfg, run_id, status, counts, notes, outputs)
    log.info(
        "refresh %d %s: %d added, %d changed, %d rejected, %d failures, %d places recomputed",
        run_id,
        status,
        counts["added"],
        counts["changed"],
        counts["rejected"],
        len(failures),
        len(places),
    )
    return RefreshResult(run_id, status, counts, failures, changelog, outputs, places)


def _since(start: float) -> float:
    return round(time.perf_counter() - start, 3)


def _bar(progress: bool, **kwargs: Any) -> Any:
    from tqdm import tqdm

    # disable=None: only when stderr is a terminal.
    return tqdm(disable=None if progress else True, leave=False, **kwargs)


def _fetch_all(
    cfg: Config, store: Store, progress: bool
) -> tuple[dict[str, int], list[dict[str, str]], dict[str, Any], list[dict[str, str]]]:
    counts = {"read": 0, "added": 0, "changed": 0, "rejected": 0}
    failures: list[dict[str, str]] = []
    per_source: dict[str, Any] = {}
    rejected: list[dict[str, str]] = []
    with _bar(progress, total=len(cfg.sources), desc="sources", unit="source") as bar:
        for source in cfg.sources:
            bar.set_postfix_str(source.name)
            try:
                fetched = fetch(source, store, timeout=cfg.timeout, user_agent=cfg.user_agent)
            except Exception as err:  # a bug or an OS error in one source stops only that source
                log.exception("%s: could not be read", source.name)
                fetched = _failed(source, err)
            added, changed = store.add_articles(fetched.articles, origin=source.name)
            store.record_fetches(fetched.states)
            counts["read"] += len(fetched.articles)
            counts["added"] += len(added)
            counts["changed"] += len(changed)
            counts["rejected"] += len(fetched.rejected)
            rejected += [
                {"source": source.name, **{str(k): str(v) for k, v in row.items()}}
                for row in fetched.rejected.to_dict(orient="records")
            ]
            failures += [{"source": source.name, **f} for f in fetched.failures]
            for failure in fetched.failures:
                log.warning("%s: %s: %s", source.name, failure["key"], failure["error"])
            per_source[source.name] = {
                "kind": source.kind,
                "tags": list(source.tags),
                "read": len(fetched.articles),
                "added": len(added),
                "changed": len(changed),
                "not_modified": fetched.not_modified,
                "rejected": len(fetched.rejected),
                "failed": len(fetched.failures),
            }
            bar.update()
    return counts, failures, per_source, rejected


def _failed(source: Source, err: Exception) -> Fetched:
    empty, rejected = ingest.articles_from_pages([])
    key = source.url or (str(source.path) if source.path else source.name)
    error = f"{type(err).__name__}: {err}"
    return Fetched(
        source,
        empty,
        rejected,
        states=[FetchState(key, source.name, status="failed", error=error)],
        failures=[{"key": key, "error": error}],
    )


def extract_pending(store: Store, *, progress: bool = False, batch: int = BATCH) -> int:
    """Extract and save the stored articles whose extraction is missing or stale.

    An article's extraction is stale when the article changed, or when what extraction reads
    besides it changed (see :func:`extraction_inputs`): edited review overrides re-extract
    every stored article once. Each batch of ``batch`` articles is saved in one transaction;
    a kill loses at most the batch in progress, which stays pending.

    Parameters
    ----------
    store
        The store.
    progress
        Show a progress bar on stderr (when it is a terminal).
    batch
        Articles per transaction.

    Returns
    -------
    int
        The number of articles extracted.
    """
    inputs = extraction_inputs()
    if store.setting(INPUTS_KEY) != inputs:
        stored = store.reextract_all(INPUTS_KEY, inputs)
        if stored:
            log.info("overrides, lexicon or gazetteer changed: re-extracting %d articles", stored)
    pending = store.pending_articles()
    if pending.empty:
        return 0
    rules = load_overrides(None)
    pause = float(os.environ.get(PAUSE_ENV, "0") or 0)
    with _bar(progress, total=len(pending), desc="extract", unit="article") as bar:
        for first in range(0, len(pending), batch):
            articles = pending.iloc[first : first + batch]
            found = mentions.mentions_from_articles(articles, overrides=rules)
            claims = claims_stage.claims_from_articles(articles, found)
            store.save_extraction(articles.index, found, claims)
            bar.update(len(articles))
            if pause:
                time.sleep(pause)
    log.info("extracted %d articles", len(pending))
    return len(pending)


def extraction_inputs() -> str:
    """A fingerprint of what extraction reads besides the articles.

    The mapper's version, the review overrides file, the user's lexicon files and the
    installed gazetteer layers: when it changes, stored extractions are stale.

    Returns
    -------
    str
        A SHA-1 hex digest.
    """
    parts = [f"mapper {version('frontline-mapper')}"]
    files = [("overrides", overrides_path()), *_lexicon.user_files().items()]
    for name, path in files:
        content = path.read_bytes() if path is not None and path.is_file() else b""
        parts.append(f"{name} {hashlib.sha1(content).hexdigest()}")
    parts += [f"layer {x.name} {x.priority} {x.imported_at}" for x in installed_layers()]
    return hashlib.sha1("\n".join(parts).encode("utf-8")).hexdigest()


def located_from_store(store: Store, claims: pd.DataFrame) -> gpd.GeoDataFrame:
    """The located frame of stored ``claims`` (their mentions read from the store)."""
    ids = claims[schema.MENTION_ID].dropna().unique()
    return geocode.located_from_claims(claims, mentions=store.mentions_by_id(ids))


def _located_for_timeline(
    store: Store, place_ids: Iterable[str] | None, place_names: Iterable[str] = ()
) -> gpd.GeoDataFrame:
    """The located claims about ``place_ids`` with what the timeline reads (a narrow read)."""
    claims, found = store.claims_for_timeline(place_ids, place_names=place_names)
    return geocode.located_from_claims(claims, mentions=found)


def update_timeline(store: Store) -> set[str]:
    """Recompute the timeline of the dirty places only and splice it into the store.

    The dirty places are those whose claims were added or removed since their timeline was
    computed. When the whole-region claims of a dirty oblast changed (compared by a signature
    kept in the store), every place of that oblast with a timeline is recomputed too: they
    borrow those claims (rule 3 of :mod:`mapper.timeline`). The result equals recomputing
    every place (:func:`rebuild_timeline`).

    Returns
    -------
    set[str]
        The places recomputed.
    """
    dirty = store.dirty_places()
    if not dirty:
        return set()
    direct = _located_for_timeline(store, dirty)
    regions = _region_signatures(direct)
    stored = store.region_signatures(dirty)
    for place_id, (name, _) in stored.items():
        regions.setdefault(place_id, (name, _signature(direct.iloc[:0])))
    changed = {name for p, (name, sig) in regions.items() if stored.get(p, ("", ""))[1] != sig}
    affected = dirty | store.timeline_places(changed)
    # The claims the affected places need beyond those already read: the places inside a
    # changed region, and the whole-region claims of the regions of every affected place.
    admin1 = set(direct["admin1"].dropna()) | changed
    loaded = set(direct.loc[direct["place_kind"] == "oblast", "place_name"].dropna())
    extra = _located_for_timeline(store, affected - dirty, admin1 - loaded)
    extra = extra[~extra.index.isin(direct.index)]
    located = direct if extra.empty else pd.concat([direct, extra])
    _splice(store, affected, located, regions)
    log.info(
        "timeline: %d places recomputed (%d dirty, %d regions whose whole-region claims changed)",
        len(affected),
        len(dirty),
        len(changed),
    )
    return affected


def rebuild_timeline(store: Store) -> set[str]:
    """Recompute the timeline of every place from every stored claim.

    Returns
    -------
    set[str]
        The places recomputed (including those that lost their timeline).
    """
    located = _located_for_timeline(store, None)
    places = set(located[schema.PLACE_ID].dropna()) | set(
        store.timeline().index.get_level_values(schema.PLACE_ID)
    )
    _splice(store, places, located, _region_signatures(located))
    return places


def _region_signatures(located: gpd.GeoDataFrame) -> dict[str, tuple[str, str]]:
    """``place_id -> (name, signature)`` of each oblast of ``located``."""
    oblasts = located[located["place_kind"] == "oblast"]
    whole = timeline.whole_region_claims(oblasts) if len(oblasts) else oblasts
    return {
        str(place_id): (
            str(rows["place_name"].iloc[0]),
            _signature(whole.loc[whole[schema.PLACE_ID] == place_id]),
        )
        for place_id, rows in oblasts.groupby(schema.PLACE_ID)
    }


def _signature(claims: pd.DataFrame) -> str:
    """What a region lends, in short: its whole-region claims and what weighs them."""
    fields = ["place_name", "side", "action", "asserted_controller", "event_date", "confidence"]
    rows = sorted(
        (str(claim_id), *(str(v) for v in values))
        for claim_id, values in zip(
            claims.index, claims[fields].itertuples(index=False), strict=True
        )
    )
    return hashlib.sha1(json.dumps(rows).encode()).hexdigest()


def _splice(
    store: Store,
    places: set[str],
    located: gpd.GeoDataFrame,
    regions: dict[str, tuple[str, str]],
) -> None:
    status = timeline.timeline_from_located(located)
    keep = status.index.get_level_values(schema.PLACE_ID).isin(sorted(places))
    info = located.groupby(schema.PLACE_ID)[["place_kind", "admin1"]].first()
    store.splice_timeline(places, status[keep], info, regions=regions)


def _changelog(
    store: Store, stored: gpd.GeoDataFrame, run_id: int, previous: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, tuple[str, str]], pd.DataFrame]:
    now = pd.Timestamp.now(tz="UTC")
    current = timeline.status_on(stored, now)
    before = store.published_status()
    published = {
        str(p): (str(name), str(controller))
        for p, name, controller in zip(
            current.index, current["place_name"], current["controller"], strict=True
        )
    }
    changed = []
    for place_id in sorted(set(published) | set(before)):
        was = before.get(place_id)
        is_now = published[place_id][1] if place_id in published else None
        if was == is_now:
            continue
        point = current.geometry.get(place_id) if place_id in published else None
        changed.append(
            {
                "place_id": place_id,
                "place_name": published[place_id][0] if place_id in published else None,
                "before": was,
                "after": is_now,
                "lat": None if point is None else point.y,
                "lon": None if point is None else point.x,
            }
        )
    since = previous["finished_at"] if previous else None
    claims = store.new_claims_since(since)
    fields = [
        schema.ARTICLE_ID,
        schema.PLACE_ID,
        "place_name",
        "claimant",
        "side",
        "action",
        "asserted_controller",
        "negated",
        "event_date",
        "date_precision",
        "url",
        "evidence",
    ]
    table = claims[fields].copy()
    table["event_date"] = table["event_date"].map(
        lambda d: d.date().isoformat() if pd.notna(d) else None
    )
    table = table.astype(object).where(table.notna(), None)
    changelog = {
        "run_id": run_id,
        "generated_at": now.isoformat(timespec="seconds"),
        "since": since,
        "new_claims": [{"claim_id": i, **row} for i, row in table.iterrows()],
        "places_changed": changed,
    }
    return changelog, published, claims


def _write_outputs(
    cfg: Config,
    store: Store,
    status: gpd.GeoDataFrame,
    changelog: dict[str, Any],
    new_claims: pd.DataFrame,
) -> list[Path]:
    out = cfg.output
    folder = out.folder
    recent = store.recent_claims(out.map_claims) if out.map_claims > 0 else store.claims([])
    located = located_from_store(store, recent)
    fmap = render.timeline_map(status, claims=located, tiles=out.tiles, title=out.title)
    changes = pd.DataFrame(
        changelog["places_changed"],
        columns=["place_id", "place_name", "before", "after", "lat", "lon"],
    )
    fresh = located_from_store(store, new_claims)
    render.changes_layer(changes, new_claims=fresh).add_to(fmap)
    written = [
        io.write_map(fmap, folder / "map.html", self_contained=out.self_contained),
        io.write_json(changelog, folder / "changelog.json"),
    ]
    if out.tables:
        written.append(io.write_table(status, folder / "timeline.csv"))
        every = located_from_store(store, store.claims())
        written.append(io.write_table(every, folder / "claims.csv"))
        written.append(io.write_geojson(every, folder / "claims.geojson"))
    return written


def _write_report(
    cfg: Config,
    run_id: int,
    status: str,
    counts: dict[str, int],
    notes: dict[str, Any],
    outputs: list[Path],
) -> None:
    report = {
        "run_id": run_id,
        "status": status,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "config": str(cfg.path),
        "store": str(cfg.store),
        "articles": counts,
        **notes,
        "outputs": [p.name for p in outputs] + ["report.json"],
    }
    io.write_json(report, cfg.output.folder / "report.json")


def store_run(
    articles: pd.DataFrame,
    found: pd.DataFrame,
    claims: pd.DataFrame,
    path: str | Path,
    *,
    lock_timeout: float = 0.0,
) -> dict[str, int]:
    """Keep what ``mapper run`` read and extracted in a store, under the refresh lock.

    New and changed articles are stored with their extraction; the timeline of the places
    they touch is spliced into the stored one. The run is recorded.

    Parameters
    ----------
    articles, found, claims
        The run's articles, mentions and claims frames.
    path
        The store file.
    lock_timeout
        Seconds to wait for a refresh of the same store.

    Returns
    -------
    dict[str, int]
        ``read``, ``added``, ``changed`` and ``places`` (timelines recomputed).

    Raises
    ------
    RefreshLocked
        A refresh held the store's lock for longer than ``lock_timeout``.
    """
    from filelock import FileLock, Timeout

    store_path = Path(path)
    store_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(store_path) + ".lock")
    try:
        lock.acquire(timeout=max(lock_timeout, 0.0))
    except Timeout:
        raise RefreshLocked(
            f"a refresh is running on {store_path}; try later or raise --lock-timeout"
        ) from None
    try:
        with Store(store_path) as store:
            run_id = store.begin_run()
            added, changed = store.add_articles(articles, origin="mapper run")
            todo = added + changed
            for first in range(0, len(todo), BATCH):
                ids = todo[first : first + BATCH]
                store.save_extraction(
                    ids,
                    found[found[schema.ARTICLE_ID].isin(ids)],
                    claims[claims[schema.ARTICLE_ID].isin(ids)],
                )
            extract_pending(store)  # anything a killed refresh left
            places = update_timeline(store)
            counts = {"read": len(articles), "added": len(added), "changed": len(changed)}
            store.finish_run(run_id, status="ok", rejected=0, notes={"command": "run"}, **counts)
    finally:
        lock.release()
    return {**counts, "places": len(places)}


def parse_duration(text: str) -> float:
    """Seconds in a duration such as ``90``, ``30s``, ``30m`` or ``1.5h``.

    Raises
    ------
    ConfigurationError
        Not a positive duration.

    Examples
    --------
    >>> parse_duration("30m"), parse_duration("1.5h"), parse_duration("45s")
    (1800.0, 5400.0, 45.0)
    """
    match = _DURATION.match(text)
    if not match or float(match.group(1)) <= 0:
        raise ConfigurationError(
            f"--every {text!r} is not a duration; write a positive number with s, m or h (e.g. 30m)"
        )
    return float(match.group(1)) * _UNITS[match.group(2)]


def refresh_every(
    config: Config | str | Path,
    every: float,
    *,
    lock_timeout: float | None = None,
    progress: bool = False,
    stop: threading.Event | None = None,
    on_result: Callable[[RefreshResult], None] | None = None,
) -> int:
    """Refresh every ``every`` seconds until SIGTERM or SIGINT (or ``stop`` is set).

    A signal received during a refresh lets it finish (outputs and run record written),
    then the loop ends; received while waiting, it ends the loop at once. A refresh that
    fails (another one holds the lock, a store or disk error) is logged and the loop goes
    on.

    Parameters
    ----------
    config
        A configuration or its TOML file.
    every
        Seconds from the start of one refresh to the start of the next.
    lock_timeout
        Passed to :func:`refresh`.
    progress
        Passed to :func:`refresh`.
    stop
        Set it to stop the loop (signals set it too).
    on_result
        Called with each refresh's result.

    Returns
    -------
    int
        The number of refreshes that completed.
    """
    cfg = config if isinstance(config, Config) else load_config(config)
    stopping = stop or threading.Event()
    previous: dict[int, Any] = {}

    def handle(signum: int, frame: FrameType | None) -> None:
        log.warning("received %s: stopping after the current refresh", signal.Signals(signum).name)
        stopping.set()

    if threading.current_thread() is threading.main_thread():
        for wanted in (signal.SIGTERM, signal.SIGINT):
            previous[wanted] = signal.signal(wanted, handle)
    done = 0
    try:
        while not stopping.is_set():
            started = time.monotonic()
            try:
                result = refresh(cfg, lock_timeout=lock_timeout, progress=progress)
            except MapperError as err:
                log.error("refresh failed: %s", err)
            except Exception:
                # A loop that serves a published map outlives one bad cycle; the next retries.
                log.exception("refresh failed")
            else:
                done += 1
                if on_result is not None:
                    on_result(result)
            stopping.wait(max(0.0, every - (time.monotonic() - started)))
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    log.info("stopped after %d refreshes", done)
    return done
