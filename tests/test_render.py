from __future__ import annotations

import re

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
    assert page.count('"claim_id": "') == len(mapped)


def test_article_text_is_escaped(make_articles) -> None:  # type: ignore[no-untyped-def]
    articles = make_articles(
        ("2025-03-13", 'Moscow said it had retaken Sudzha <script>alert("x")</script> today.')
    )
    found = mapper.mentions_from_articles(articles)
    claims = mapper.claims_from_articles(articles, found)
    located = mapper.located_from_claims(claims, mentions=found)
    fmap = mapper.timeline_map(mapper.timeline_from_located(located), claims=located, tiles=None)
    page = fmap.get_root().render()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page or "\\u0026lt;script\\u0026gt;" in page


def test_popup_links_only_http_sources(sample_run: mapper.RunResult) -> None:
    claim = sample_run.located.iloc[0].copy()
    claim["url"] = "javascript:alert(1)"
    assert "href" not in mapper.render.claim_popup(claim)
    claim["url"] = "https://example.test/x?a=1&b=2"
    assert 'href="https://example.test/x?a=1&amp;b=2"' in mapper.render.claim_popup(claim)


def test_self_contained_page_loads_nothing_from_the_network(sample_run: mapper.RunResult) -> None:
    page = inline_resources(sample_run.map.get_root().render())
    assert not re.search(r'<script[^>]+src="https?://', page)
    assert not re.search(r'<link[^>]+rel="stylesheet"[^>]+href="https?://', page)
    assert "L.version" in page or "Leaflet" in page


def test_places_are_drawn_for_orientation(sample_run: mapper.RunResult) -> None:
    page = page_of(sample_run)
    assert mapper.render.PLACES_LAYER in page
    assert "fm-label" in page and "Sudzha" in page


def test_areas_and_front_line_are_drawn_on_the_slider(sample_run: mapper.RunResult) -> None:
    page = page_of(sample_run)
    for name in (mapper.render.AREAS_LAYER, mapper.render.FRONT_LAYER):
        assert name in page
    assert "fm-area fm-area-" in page and "fm-front" in page
    areas, lines = sample_run.areas, sample_run.front_lines
    # states that ended before the slider starts (background from 2022) are not drawn
    slider_start = sample_run.located["event_date"][lambda d: d.dt.year >= 2024].min()
    areas = areas[areas["valid_to"].isna() | (areas["valid_to"] > slider_start)]
    drawn = areas[~areas["default"]]
    assert len(drawn) > 0
    # one feature per state that is not a country's default, each with its area in the popup
    front = (lines["between"] == "RU|UA") & (
        lines["valid_to"].isna() | (lines["valid_to"] > slider_start)
    )
    assert page.count("estimated from settlement statuses: ") == len(drawn) + front.sum()
    assert f"statuses: {drawn['area_km2'].iloc[0]:.1f} km" in page


def test_areas_can_be_left_out(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = mapper.run(areas=False)
    assert result.areas.empty and result.front_lines.empty
    assert mapper.render.AREAS_LAYER not in page_of(result)
