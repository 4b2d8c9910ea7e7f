"""The whole job: sources -> articles -> mentions -> claims -> located -> timeline -> map."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from mapper import control, datasets, geocode, ingest, io, mentions, overlays, render, timeline
from mapper import extract as claims_stage
from mapper.gazetteer import LocalGazetteer
from mapper.overrides import load_overrides

log = logging.getLogger(__name__)

OUTPUT_FILES = (
    "map.html",
    "claims.csv",
    "claims.geojson",
    "mentions.csv",
    "timeline.csv",
    "unresolved.csv",
    "report.json",
)


@dataclass
class RunResult:
    """What a run produced: every stage's frame, the map and a report.

    Attributes
    ----------
    articles, rejected, mentions, claims, located, timeline
        The frames of each stage (see :mod:`mapper.schema`).
    map
        The interactive map.
    report
        Counts, rejected inputs, stage timings and versions (written as ``report.json``).
    areas, front_lines
        Control areas and front lines over time (see :mod:`mapper.control`); empty when the run
        was told not to estimate them.
    """

    articles: pd.DataFrame
    rejected: pd.DataFrame
    mentions: pd.DataFrame
    claims: pd.DataFrame
    located: gpd.GeoDataFrame
    timeline: gpd.GeoDataFrame
    map: folium.Map
    report: dict[str, Any] = field(default_factory=dict)
    areas: gpd.GeoDataFrame = field(default_factory=gpd.GeoDataFrame)
    front_lines: gpd.GeoDataFrame = field(default_factory=gpd.GeoDataFrame)

    @property
    def unresolved(self) -> pd.DataFrame:
        """Place names left unresolved (see :func:`mapper.mentions.unresolved_names`)."""
        return mentions.unresolved_names(self.mentions)


def run(
    paths: Iterable[str | Path] | None = None,
    *,
    out: str | Path | None = None,
    assume_date: str | dt.date | None = None,
    gazetteer: LocalGazetteer | None = None,
    self_contained: bool = False,
    tiles: str | None = "default",
    overrides: str | Path | None = None,
    areas: bool = True,
    assessed: Sequence[str] | None = None,
    changes: tuple[str, str] | None = None,
) -> RunResult:
    """Run every stage on articles and, when ``out`` is given, write the outputs there.

    Parameters
    ----------
    paths
        Article files or folders; default: the bundled sample articles.
    out
        Folder for ``map.html``, ``claims.csv``, ``claims.geojson``, ``mentions.csv``,
        ``timeline.csv``, ``unresolved.csv`` and ``report.json``.
    assume_date
        Publication date for articles that have none (otherwise they are rejected).
    gazetteer
        Place lookup; default: the offline gazetteer.
    self_contained
        Inline all scripts and styles into ``map.html`` so it works offline.
    tiles
        Background tiles (see :func:`mapper.render.timeline_map`).
    overrides
        Review overrides file; default: :func:`mapper.overrides.load_overrides`.
    areas
        Estimate control areas and front lines over time (:mod:`mapper.control`) and draw them.
    assessed
        Names of the reference overlays (:mod:`mapper.overlays`) drawn on the map; default:
        every installed one.
    changes
        Two days (``YYYY-MM-DD``): the map rings the places that changed hands between them.

    Returns
    -------
    RunResult

    Examples
    --------
    >>> result = run()
    >>> len(result.claims) > 0 and set(result.claims["side"]) <= {"RU", "UA", "observer", "other"}
    True
    """
    sources: list[str | Path] = list(paths) if paths is not None else [datasets.get_path("sample")]
    timings: dict[str, float] = {}

    def timed(stage: str, start: float) -> None:
        timings[stage] = round(time.perf_counter() - start, 3)
        log.info("%-9s done in %.2f s", stage, timings[stage])

    t = time.perf_counter()
    articles, rejected = ingest.articles_from_paths(sources, assume_date=assume_date)
    timed("ingest", t)
    t = time.perf_counter()
    rules = load_overrides(overrides)
    found = mentions.mentions_from_articles(articles, gazetteer=gazetteer, overrides=rules)
    timed("mentions", t)
    t = time.perf_counter()
    claims = claims_stage.claims_from_articles(articles, found)
    timed("claims", t)
    t = time.perf_counter()
    located = geocode.located_from_claims(claims, mentions=found)
    timed("geocode", t)
    t = time.perf_counter()
    status = timeline.timeline_from_located(located)
    timed("timeline", t)
    held = front = None
    if areas:
        t = time.perf_counter()
        held = control.areas_over_time(status, gazetteer=gazetteer)
        front = control.front_lines_over_time(held)
        timed("areas", t)
    t = time.perf_counter()
    names = [o.name for o in overlays.installed_overlays()] if assessed is None else assessed
    fmap = render.timeline_map(
        status,
        claims=located,
        tiles=tiles,
        areas=held,
        front_lines=front,
        overlays={name: overlays.read_overlay(name) for name in names},
        changes=changes,
    )
    timed("render", t)
    result = RunResult(articles, rejected, found, claims, located, status, fmap)
    if held is not None and front is not None:
        result.areas, result.front_lines = held, front
    result.report = _report(result, sources, timings)
    if out is not None:
        write_outputs(result, out, self_contained=self_contained)
    return result


def write_outputs(result: RunResult, out: str | Path, *, self_contained: bool = False) -> Path:
    """Write a run's map and tables into the folder ``out`` (each file atomically)."""
    folder = Path(out)
    io.write_map(result.map, folder / "map.html", self_contained=self_contained)
    io.write_table(result.located, folder / "claims.csv")
    io.write_geojson(result.located, folder / "claims.geojson")
    io.write_table(result.mentions, folder / "mentions.csv")
    io.write_table(result.timeline, folder / "timeline.csv")
    io.write_table(result.unresolved, folder / "unresolved.csv")
    io.write_json(result.report, folder / "report.json")
    return folder


def _report(
    result: RunResult, sources: list[str | Path], timings: dict[str, float]
) -> dict[str, Any]:
    mentions_frame = result.mentions
    claims = result.claims
    return {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "inputs": [str(s) for s in sources],
        "articles": {"read": len(result.articles), "rejected": len(result.rejected)},
        "rejected": result.rejected.to_dict(orient="records"),
        "mentions": {
            "found": len(mentions_frame),
            "resolved": int((mentions_frame["status"] == "resolved").sum()),
            "ambiguous": int((mentions_frame["status"] == "ambiguous").sum()),
            "no_match": int((mentions_frame["status"] == "no_match").sum()),
        },
        "claims": {
            "total": len(claims),
            "mapped": int((result.located["geocode_status"] == "resolved").sum()),
            "negated": int(claims["negated"].sum()),
            "by_side": {k: int(v) for k, v in claims["side"].value_counts().items()},
            "by_action": {k: int(v) for k, v in claims["action"].value_counts().items()},
        },
        "timeline": {
            "places": int(result.timeline.index.get_level_values(0).nunique()),
            "intervals": len(result.timeline),
        },
        "areas": {
            "states": int(result.areas["valid_from"].nunique()) if len(result.areas) else 0,
            "front_line_states": len(result.front_lines),
        },
        "unresolved": result.unresolved["surface"].tolist(),
        "seconds": timings,
        "versions": {
            name: version(name)
            for name in ("frontline-mapper", "pandas", "geopandas", "shapely", "folium", "geopy")
        },
    }
