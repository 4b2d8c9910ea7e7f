from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd
import pytest
import shapely

import mapper
from mapper.io import inline_resources


def page_of(result: mapper.RunResult) -> str:
    return " ".join(result.map.get_root().render().split())


def test_map_has_layers_slider_legend_and_popups(sample_run: mapper.RunResult) -> None:
    page = page_of(sample_run)
    assert "L.timelineSliderControl" in page
    for name in ("Control status (from claims)", "Claims: Russian side", "Claims: Ukrainian side"):
        assert name in page
    assert 'id="fm-legend"' in page
    assert "a claim is not a fact" in page
    mapped = sample_run.located[sample_run.located["geocode_status"] == "resolved"]
    assert page.count('"claim_id":"') == len(mapped)


def test_article_text_is_escaped(make_articles) -> None:  # type: ignore[no-untyped-def]
    """Claim text is page data, with no ``<`` or ``&`` as such (the browser test opens it)."""
    articles = make_articles(
        ("2025-03-13", 'Moscow said it had retaken Sudzha <script>alert("x")</script> today.')
    )
    found = mapper.mentions_from_articles(articles)
    claims = mapper.claims_from_articles(articles, found)
    located = mapper.located_from_claims(claims, mentions=found)
    fmap = mapper.timeline_map(mapper.timeline_from_located(located), claims=located, tiles=None)
    page = fmap.get_root().render()
    assert "<script>alert" not in page
    assert '\\u003cscript\\u003ealert(\\"x\\")\\u003c/script\\u003e' in page


def test_self_contained_page_loads_nothing_from_the_network(sample_run: mapper.RunResult) -> None:
    page = inline_resources(sample_run.map.get_root().render())
    assert not re.search(r'<script[^>]+src="https?://', page)
    assert not re.search(r'<link[^>]+rel="stylesheet"[^>]+href="https?://', page)
    assert "L.version" in page or "Leaflet" in page


def test_places_are_drawn_for_orientation(sample_run: mapper.RunResult) -> None:
    page = page_of(sample_run)
    assert mapper.render.PLACES_LAYER in page
    assert "fm-label" in page and "Sudzha" in page


def timeline_features(page: str) -> list[dict[str, Any]]:
    """Every feature of every time-slider layer of a rendered page."""
    blocks = re.findall(r"L\.timeline\(\s*(\{.*?\}),\s*timeline_\w+_options", page, re.S)
    return [f for block in blocks for f in json.loads(block)["features"]]


def test_areas_and_front_line_are_drawn_on_the_slider(sample_run: mapper.RunResult) -> None:
    page = sample_run.map.get_root().render()
    for name in (mapper.render.AREAS_LAYER, mapper.render.FRONT_LAYER):
        assert name in page
    features = timeline_features(page)
    pieces = [f for f in features if "country" in f["properties"]]
    assert {f["properties"]["status"] for f in pieces} <= {"RU", "UA", "contested"}
    fronts = [f for f in features if f["geometry"]["type"] in ("LineString", "MultiLineString")]
    assert fronts and all("size" in f["properties"] for f in fronts)
    areas = sample_run.areas
    for day in ("2024-09-15", "2025-03-10", "2025-06-03"):
        stamp = pd.Timestamp(day, tz="UTC")
        due = areas[
            ~areas["default"]
            & (areas["valid_from"] <= stamp)
            & (areas["valid_to"].isna() | (areas["valid_to"] > stamp))
        ]
        ms = stamp.value // 1_000_000
        shown = [p for p in pieces if p["properties"]["start"] <= ms < p["properties"]["end"]]
        # the pieces shown that day add up to the estimate's areas (simplified to ~100 m)
        total = sum(p["properties"]["size"] for p in shown)
        assert total == pytest.approx(due["area_km2"].sum(), rel=0.05), day
    # a piece that outlives a change elsewhere is stored once, not once per state
    parts = sum(len(shapely.get_parts(g)) for g in areas[~areas["default"]].geometry)
    assert len(pieces) < parts


def test_areas_can_be_left_out(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = mapper.run(areas=False)
    assert result.areas.empty and result.front_lines.empty
    assert mapper.render.AREAS_LAYER not in page_of(result)


def test_changes_layer_rings_what_changed_hands(sample_run: mapper.RunResult) -> None:
    changed = mapper.changes_between(sample_run.timeline, "2024-09-01", "2025-04-01")
    assert "Sudzha" in set(changed["place_name"])
    fmap = mapper.timeline_map(
        sample_run.timeline,
        claims=sample_run.located,
        tiles=None,
        changes=("2024-09-01", "2025-04-01"),
    )
    page = " ".join(fmap.get_root().render().split())
    assert mapper.render.changes_layer_name("2024-09-01", "2025-04-01") in page
    assert page.count('"kind": "change"') == len(changed)
    # The popups are in the page's GeoJSON, where "<" is written \u003c.
    assert (
        "Sudzha\\u003c/b\\u003e changed hands between 2024-09-01 and 2025-04-01: UA to RU" in page
    )


def test_no_front_line_draws_no_front_layer(sample_run: mapper.RunResult) -> None:
    """Areas and lines that simplify to nothing, or are not RU|UA, leave their layers out."""
    lines = sample_run.front_lines[sample_run.front_lines["between"] != "RU|UA"]
    tiny = sample_run.areas.assign(geometry=shapely.Point(35, 51).buffer(1e-5))
    fmap = mapper.timeline_map(
        sample_run.timeline, claims=sample_run.located, tiles=None, areas=tiny, front_lines=lines
    )
    page = fmap.get_root().render()
    assert mapper.render.FRONT_LAYER not in page and mapper.render.AREAS_LAYER not in page
