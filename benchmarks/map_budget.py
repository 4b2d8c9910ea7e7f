"""Size and first-paint budget of the map: 10,000 claims over 300 days.

Claims are synthesised about the gazetteer's settlements along the Kursk-Sumy-Belgorod border:
each place starts held by its own country and may change hands on any day (a front moving back
and forth), and each claim reports the place's true holder with probability 0.85, another
status otherwise, from a Russian, Ukrainian or observer source. The claims go through the
timeline, the control areas and front lines over time (:mod:`mapper.control`) and the map, which
is written self-contained. Reported: the time of each stage, the HTML size and the first paint in
headless Chromium (Playwright): the browser's first contentful paint and the time until the time
slider is on the page, the median of three loads. Budget: at most 10 MB and under 3 s.

Usage, from the repository root (needs the test extra for Playwright and ``/usr/bin/chromium``)::

    python -m benchmarks.map_budget [--quick] [--claims 10000] [--days 300] [--out outputs/budget]

``python -m benchmarks`` runs it too (smaller with ``--quick``). Figures are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

import mapper
from mapper import schema
from mapper.gazetteer import LocalGazetteer

BUDGET_BYTES = 10_000_000
BUDGET_SECONDS = 3.0
# The border zone the synthetic front runs through (lon/lat).
ZONE = (34.3, 50.6, 36.6, 51.6)
CHROMIUM = Path("/usr/bin/chromium")
_SIDES = ("RU", "UA", "observer")
_OTHER = {"RU": "UA", "UA": "RU"}


def synthetic_claims(
    claims: int = 10_000, days: int = 300, *, places: int = 250, seed: int = 1
) -> gpd.GeoDataFrame:
    """A located frame of ``claims`` claims about ``places`` border settlements over ``days`` days.

    Parameters
    ----------
    claims, days, places
        How many claims, over how many consecutive days from 2024-08-06, about how many of the
        gazetteer's settlements in :data:`ZONE`.
    seed
        Seed of the random choices.

    Returns
    -------
    geopandas.GeoDataFrame
        The located frame (see :mod:`mapper.schema`).
    """
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = ZONE
    pool = [
        c
        for c in LocalGazetteer(layers=[]).places
        if c.kind in ("settlement", "city") and x0 <= c.lon <= x1 and y0 <= c.lat <= y1
    ]
    chosen = [pool[i] for i in rng.choice(len(pool), size=min(places, len(pool)), replace=False)]
    first = pd.Timestamp("2024-08-06", tz="UTC")
    # Each place's holder on each day: its country's, flipping with a small daily probability.
    flips = rng.random((len(chosen), days)) < 0.01
    holder = np.empty((len(chosen), days), dtype=object)
    for i, place in enumerate(chosen):
        current = place.country
        for day in range(days):
            if flips[i, day]:
                current = _OTHER[current]
            holder[i, day] = current
    place_of = rng.integers(0, len(chosen), size=claims)
    day_of = rng.integers(0, days, size=claims)
    truthful = rng.random(claims) < 0.85
    side = rng.choice(_SIDES, size=claims)
    rows = []
    for n in range(claims):
        place = chosen[place_of[n]]
        true = str(holder[place_of[n], day_of[n]])
        asserted = true if truthful[n] else str(rng.choice(["contested", _OTHER[true]]))
        when = first + pd.Timedelta(days=int(day_of[n]))
        rows.append(
            {
                "claim_id": f"c{n}",
                "article_id": f"a{n // 5}",
                "claimant": str(side[n]),
                "side": str(side[n]),
                "action": "holds",
                "place_name": place.name,
                "place_id": place.place_id,
                "mention_id": f"a{n // 5}:{n}",
                "event_date": when,
                "date_precision": "day",
                "asserted_controller": asserted,
                "negated": False,
                "negated_by": None,
                "confidence": 0.8,
                "evidence": f"{place.name} is held by {asserted} (synthetic claim {n}).",
                "url": f"https://example.test/{n // 5}",
                "source": "example.test",
                "published": when,
                "lat": place.lat,
                "lon": place.lon,
                "place_kind": place.kind,
                "admin1": place.admin1,
                "country": place.country,
                "geocode_status": "resolved",
                "geometry": shapely.Point(place.lon, place.lat),
            }
        )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326").set_index(schema.CLAIM_ID)
    schema.validate_located(frame)
    return frame


def first_paint(page: Path, *, loads: int = 3) -> dict[str, float]:
    """Open ``page`` in headless Chromium ``loads`` times; median paint and slider times (s).

    Every request that is not for the local file is refused (tiles included), so only the page
    itself is measured.
    """
    from playwright.sync_api import sync_playwright

    paints, sliders = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            for _ in range(loads):
                context = browser.new_context(viewport={"width": 1280, "height": 800})
                tab = context.new_page()
                tab.route(
                    "**/*",
                    lambda route: (
                        route.continue_()
                        if route.request.url.startswith("file:")
                        else route.abort()
                    ),
                )
                tab.goto(page.resolve().as_uri(), wait_until="load", timeout=120_000)
                tab.wait_for_function(
                    "document.querySelector('.leaflet-timeline-control input') !== null",
                    timeout=120_000,
                )
                timing: dict[str, float] = tab.evaluate(
                    """() => {
                        const paint = performance.getEntriesByName('first-contentful-paint')[0];
                        return {paint: paint ? paint.startTime : NaN, now: performance.now()};
                    }"""
                )
                paints.append(timing["paint"] / 1000)
                sliders.append(timing["now"] / 1000)
                context.close()
        finally:
            browser.close()
    return {
        "first_contentful_paint_s": round(statistics.median(paints), 3),
        "slider_ready_s": round(statistics.median(sliders), 3),
    }


def run(
    *,
    quick: bool = False,
    out: Path | None = None,
    claims: int | None = None,
    days: int | None = None,
) -> dict[str, Any]:
    """Build the map of the synthetic claims, print and return its size and paint figures."""
    claims = claims or (2_000 if quick else 10_000)
    days = days or (60 if quick else 300)
    folder = out or Path("outputs") / "budget"
    figures: dict[str, Any] = {"claims": claims, "days": days}
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    located = synthetic_claims(claims, days)
    seconds["synthesise"] = time.perf_counter() - start
    start = time.perf_counter()
    timeline = mapper.timeline_from_located(located)
    seconds["timeline"] = time.perf_counter() - start
    start = time.perf_counter()
    areas = mapper.areas_over_time(timeline)
    seconds["areas"] = time.perf_counter() - start
    start = time.perf_counter()
    lines = mapper.front_lines_over_time(areas)
    seconds["front_lines"] = time.perf_counter() - start
    start = time.perf_counter()
    fmap = mapper.timeline_map(timeline, claims=located, areas=areas, front_lines=lines)
    path = mapper.io.write_map(fmap, folder / "map.html", self_contained=True)
    seconds["render_and_write"] = time.perf_counter() - start
    figures["seconds"] = {k: round(v, 2) for k, v in seconds.items()}
    figures["timeline_intervals"] = len(timeline)
    figures["change_days"] = len(mapper.control.change_dates(timeline))
    figures["area_rows"] = len(areas)
    figures["front_line_rows"] = len(lines)
    figures["html_bytes"] = path.stat().st_size
    figures["html_within_budget"] = figures["html_bytes"] <= BUDGET_BYTES
    if not CHROMIUM.exists():
        figures["first_paint"] = f"not measured: no Chromium at {CHROMIUM}"
    elif importlib.util.find_spec("playwright") is None:
        figures["first_paint"] = "not measured: Playwright is not installed (the test extra)"
    else:
        figures.update(first_paint(path))
        figures["paint_within_budget"] = figures["slider_ready_s"] < BUDGET_SECONDS
    print(
        f"map budget: {claims} claims over {days} days -> {figures['timeline_intervals']} "
        f"intervals, {figures['change_days']} change days, {figures['area_rows']} area rows\n"
        f"  stages (s): {figures['seconds']}\n"
        f"  HTML: {figures['html_bytes'] / 1e6:.2f} MB (budget {BUDGET_BYTES / 1e6:.0f} MB)\n"
        f"  first contentful paint: {figures.get('first_contentful_paint_s')} s, slider ready: "
        f"{figures.get('slider_ready_s')} s (budget {BUDGET_SECONDS} s)"
    )
    return figures


def main() -> None:
    """Command line: ``python -m benchmarks.map_budget``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.map_budget", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2,000 claims over 60 days")
    parser.add_argument("--claims", type=int, help="claims to synthesise (default 10,000)")
    parser.add_argument("--days", type=int, help="days they span (default 300)")
    parser.add_argument("--out", type=Path, default=Path("outputs") / "budget")
    args = parser.parse_args()
    run(quick=args.quick, out=args.out, claims=args.claims, days=args.days)


if __name__ == "__main__":
    main()
