"""The self-contained map in a real browser: what a person opening ``map.html`` sees.

The bundled sample is mapped with ``self_contained=True`` and opened from disk in headless
Chromium through Playwright. Every request that is not for a local file is intercepted: a map
tile gets a blank image, anything else is refused, so nothing reaches a real address. The time
slider is driven the way a person drives it, through its ``<input type="range">``.

Skipped when Chromium (``/usr/bin/chromium``) or Playwright is not installed.
"""

from __future__ import annotations

import base64
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest

import mapper
from mapper import render, settings

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM} to open the map in", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (test extra)")

from playwright.sync_api import (  # noqa: E402
    Browser,
    ConsoleMessage,
    Page,
    Route,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError  # noqa: E402

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TILE_HOSTS = (
    "tile.openstreetmap.org",
    "basemaps.cartocdn.com",
    "server.arcgisonline.com",
    "tile.opentopomap.org",
    "tiles.stadiamaps.com",
)
BLANK_TILE = base64.b64decode(  # a 1x1 transparent PNG
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAAC0lEQVR4nGNgAAIAAAUAAXpeqz8AAAAASUVORK5CYII="
)
DAY_MS = 86_400_000
STEP_MS = 7 * DAY_MS  # shorter than any claim's window, so every claim is seen at some step

# Moves the slider like a drag and release, then reads what the map shows.
_MOVE_SLIDER = """
(time) => {
    const slider = document.querySelector('.leaflet-timeline-control input[type=range]');
    slider.value = String(time);
    slider.dispatchEvent(new Event('input', {bubbles: true}));
    slider.dispatchEvent(new Event('change', {bubbles: true}));
    const pane = document.querySelector('.leaflet-marker-pane');
    return {
        time: Number(slider.value),
        label: document.querySelector('.leaflet-timeline-control output').textContent,
        claims: [...pane.querySelectorAll('.fm-claim [data-claim]')].map(e => e.dataset.claim),
        status: [...document.querySelectorAll('path.fm-status')].map(
            e => [...e.classList].find(c => c.startsWith('fm-status-')).slice('fm-status-'.length)
        ),
        areas: [...document.querySelectorAll('path.fm-area')].map(
            e => [...e.classList].find(c => c.startsWith('fm-area-')).slice('fm-area-'.length)
        ),
        opacity: Object.fromEntries([...pane.querySelectorAll('.fm-claim')].map(
            e => [e.querySelector('[data-claim]').dataset.claim, Number(e.style.opacity || 1)]
        )),
    };
}
"""
# The status circles of one place that are on the page (drawn), read from their classes.
_PLACE_STATUS = """
(placeId) => {
    const shown = [];
    Object.values(window).filter(v => v instanceof L.Timeline).forEach(layer => {
        layer.eachLayer(circle => {
            const drawn = circle._path && document.body.contains(circle._path);
            if (circle.feature.properties.place_id === placeId && drawn) {
                shown.push([...circle._path.classList].find(c => c.startsWith('fm-status-')));
            }
        });
    });
    return shown;
}
"""
# Opens the popup of the first Ukrainian-held area drawn and returns its text.
_AREA_POPUP = """
() => {
    for (const layer of Object.values(window).filter(v => v instanceof L.Timeline)) {
        let found = null;
        layer.eachLayer(piece => {
            if (!found && piece._path && piece._path.classList.contains('fm-area-UA')) {
                found = piece;
            }
        });
        if (found) {
            found.openPopup();
            return found.getPopup().getElement().querySelector('.fm-popup').textContent;
        }
    }
    return null;
}
"""
_SLIDER_RANGE = """
() => {
    const slider = document.querySelector('.leaflet-timeline-control input[type=range]');
    return [Number(slider.min), Number(slider.max)];
}
"""


@dataclass
class OpenedMap:
    """A map page open in the browser, with what it asked the network for and what went wrong.

    Attributes
    ----------
    page
        The Playwright page.
    tiles
        URLs of tile images answered with a blank tile.
    refused
        ``(resource type, URL)`` of every other non-file request, all refused.
    errors
        Console errors and uncaught exceptions, in order.
    """

    page: Page
    tiles: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def route(self, route: Route) -> None:
        """Let local files through, answer tiles with a blank image and refuse the rest."""
        request = route.request
        url = request.url
        if url.startswith("file:"):
            route.continue_()
        elif url.split("?")[0].endswith(".png") or any(host in url for host in TILE_HOSTS):
            self.tiles.append(url)
            route.fulfill(status=200, content_type="image/png", body=BLANK_TILE)
        else:
            self.refused.append((request.resource_type, url))
            route.abort()

    def on_console(self, message: ConsoleMessage) -> None:
        """Record console errors."""
        if message.type == "error":
            self.errors.append(f"console: {message.text} ({message.location})")

    def on_page_error(self, error: PlaywrightError) -> None:
        """Record uncaught exceptions."""
        self.errors.append(f"page error: {error.message}")


@dataclass(frozen=True)
class View:
    """What the map shows at one slider position.

    Attributes
    ----------
    time
        The slider's value, ms since the epoch.
    label
        The date the slider prints beside itself.
    claims
        The ``data-claim`` id of every claim marker on the map.
    status
        The controller of every status circle on the map (``RU``, ``UA`` or ``contested``).
    areas
        The status of every control area drawn (``RU``, ``UA`` or ``contested``).
    opacity
        The opacity of each claim marker, by claim id.
    """

    time: int
    label: str
    claims: list[str]
    status: list[str]
    areas: list[str]
    opacity: dict[str, float]


def _ms(day: str | pd.Timestamp) -> int:
    """Ms since the epoch of a UTC day (``"2024-09-01"``) or of an aware timestamp."""
    stamp = pd.Timestamp(day)
    return int((stamp if stamp.tzinfo else stamp.tz_localize("UTC")).value // 1_000_000)


def _move_slider(page: Page, time: int) -> View:
    seen: dict[str, Any] = page.evaluate(_MOVE_SLIDER, time)
    view = View(
        int(seen["time"]),
        str(seen["label"]),
        list(seen["claims"]),
        list(seen["status"]),
        list(seen["areas"]),
        {str(k): float(v) for k, v in seen["opacity"].items()},
    )
    assert view.time == time, f"the slider did not move to {time} (it is at {view.time})"
    return view


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[mapper.RunResult, Path]:
    """Run the bundled sample and write its map self-contained; give the run and the map."""
    out = tmp_path_factory.mktemp("browser_map")
    return mapper.run(out=out, self_contained=True), out / "map.html"


@pytest.fixture(scope="module")
def mapped(sample: tuple[mapper.RunResult, Path]) -> gpd.GeoDataFrame:
    """Select the claims that should each get a marker: those whose place was resolved."""
    located = sample[0].located
    return located[located["geocode_status"] == "resolved"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Start headless Chromium, with background networking off."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def opened(browser: Browser, sample: tuple[mapper.RunResult, Path]) -> Iterator[OpenedMap]:
    """Open the sample map from disk; give it once its scripts ran and its tiles were fetched."""
    context = browser.new_context(
        timezone_id="UTC", viewport={"width": 1280, "height": 800}, service_workers="block"
    )
    page = context.new_page()
    opened = OpenedMap(page)
    page.on("console", opened.on_console)
    page.on("pageerror", opened.on_page_error)
    page.route("**/*", opened.route)
    page.goto(sample[1].as_uri(), wait_until="load")
    try:
        page.wait_for_function(
            "typeof L !== 'undefined'"
            " && document.querySelector('.leaflet-timeline-control input[type=range]') !== null",
            timeout=10_000,
        )
    except PlaywrightTimeoutError:
        pytest.fail(f"the map did not render; errors: {opened.errors}; refused: {opened.refused}")
    page.wait_for_load_state("networkidle")
    yield opened
    context.close()


@pytest.fixture(scope="module")
def sweep(opened: OpenedMap) -> list[View]:
    """Move the slider a week at a time from its first instant to its last; give each view."""
    first, last = opened.page.evaluate(_SLIDER_RANGE)
    times = list(range(int(first), int(last) + 1, STEP_MS))
    if times[-1] != last:
        times.append(int(last))
    return [_move_slider(opened.page, time) for time in times]


def test_the_page_asks_the_network_for_nothing_but_tiles(
    opened: OpenedMap, sweep: list[View]
) -> None:
    """Scripts and styles are inlined: only tiles are fetched, after loading and sliding."""
    scripts_or_styles = [r for r in opened.refused if r[0] in {"script", "stylesheet", "font"}]
    assert scripts_or_styles == [], "the self-contained page still loads resources from the web"
    assert opened.refused == [], "the page asked the network for more than tiles"


def test_no_console_errors_or_uncaught_exceptions(opened: OpenedMap, sweep: list[View]) -> None:
    """Loading the page and sliding through all of time logs no error."""
    assert opened.errors == []


def test_leaflet_legend_layer_control_and_slider_are_there(opened: OpenedMap) -> None:
    """Leaflet 1.x runs; the legend, the layer control (every layer on) and the slider show."""
    page = opened.page
    assert page.evaluate("typeof L !== 'undefined' && L.version.startsWith('1.')")
    assert page.locator("#fm-legend").is_visible()
    # The slider's box also has the class leaflet-control-layers.
    control = page.locator(".leaflet-control-layers:not(.leaflet-timeline-control)")
    assert control.count() == 1 and control.is_visible()
    overlays = control.locator(".leaflet-control-layers-overlays label")
    names = {text.strip() for text in overlays.all_inner_texts()}
    assert names == {
        "Control status (from claims)",
        *render.SIDE_LAYERS.values(),
        render.PLACES_LAYER,
        render.AREAS_LAYER,
        render.FRONT_LAYER,
    }
    assert all(box.is_checked() for box in overlays.locator("input").all())
    assert page.locator(".leaflet-timeline-control input[type=range]").is_visible()


def test_the_slider_spans_every_claim_window(opened: OpenedMap, mapped: gpd.GeoDataFrame) -> None:
    """The slider reaches from the first claim's date to the end of the last claim's window."""
    first, last = opened.page.evaluate(_SLIDER_RANGE)
    precise = mapped.loc[mapped["date_precision"] == "day", "event_date"]
    assert first <= min(_ms(date) for date in precise)
    assert last >= max(_ms(date) for date in mapped["event_date"]) + settings.claim_days * DAY_MS


def test_one_marker_per_mapped_claim(sweep: list[View], mapped: gpd.GeoDataFrame) -> None:
    """Sliding through all of time shows every mapped claim, and none twice at once."""
    for view in sweep:
        twice = [claim for claim, n in Counter(view.claims).items() if n > 1]
        assert twice == [], f"markers drawn more than once at {view.label}"
    shown = {claim for view in sweep for claim in view.claims}
    assert shown == set(mapped.index)


def test_a_marker_shows_only_within_its_window(
    opened: OpenedMap, sweep: list[View], mapped: gpd.GeoDataFrame
) -> None:
    """At each step exactly the claims dated within ``claim_days`` before it are shown.

    Background dated before the slider's start shows from the start.
    """
    first, _ = opened.page.evaluate(_SLIDER_RANGE)
    starts = {claim: max(_ms(date), first) for claim, date in mapped["event_date"].items()}
    window = settings.claim_days * DAY_MS
    for view in sweep:
        due = {claim for claim, start in starts.items() if start <= view.time <= start + window}
        assert set(view.claims) == due, f"wrong markers at {view.label}"


def test_moving_the_slider_changes_the_claim_markers(opened: OpenedMap) -> None:
    """Autumn 2024 and spring 2025 show different, non-empty sets of claims."""
    autumn = _move_slider(opened.page, _ms("2024-09-01"))
    spring = _move_slider(opened.page, _ms("2025-04-27"))
    assert (autumn.label, spring.label) == ("2024-09-01", "2025-04-27")
    assert autumn.claims and spring.claims
    assert set(autumn.claims) != set(spring.claims)


def test_moving_the_slider_changes_the_status_circles(opened: OpenedMap) -> None:
    """A place is shown held by Ukraine in September 2024; there are more places by mid-2025."""
    autumn = _move_slider(opened.page, _ms("2024-09-15"))
    summer = _move_slider(opened.page, _ms("2025-06-30"))
    assert "UA" in autumn.status
    assert len(autumn.status) < len(summer.status)


def _place_status(page: Page, place_id: str) -> list[str]:
    return [c.removeprefix("fm-status-") for c in page.evaluate(_PLACE_STATUS, place_id)]


def test_a_place_shows_the_status_its_timeline_gives(
    opened: OpenedMap, sample: tuple[mapper.RunResult, Path]
) -> None:
    """Sudzha is shown held as its timeline says on every day of a sweep.

    Ukrainian-held in September 2024, Russian-held after 2025-03-13.
    """
    timeline = sample[0].timeline
    sudzha = timeline.xs("ru-kursk-sudzha", level="place_id")
    assert not sudzha.empty
    _move_slider(opened.page, _ms("2024-09-15"))
    assert _place_status(opened.page, "ru-kursk-sudzha") == ["UA"]
    _move_slider(opened.page, _ms("2025-04-01"))
    assert _place_status(opened.page, "ru-kursk-sudzha") == ["RU"]
    for day in pd.date_range("2024-08-10", "2025-07-01", freq="9D", tz="UTC"):
        _move_slider(opened.page, _ms(day))
        expected = mapper.status_on(timeline, day).loc[["ru-kursk-sudzha"], "controller"].tolist()
        assert _place_status(opened.page, "ru-kursk-sudzha") == expected, day.date()


def test_the_areas_follow_the_slider(
    opened: OpenedMap, sample: tuple[mapper.RunResult, Path]
) -> None:
    """At each date the areas drawn are those of the estimate for that date, and they change."""
    areas = sample[0].areas
    changed = areas[~areas["default"]]
    seen = []
    for day in ("2024-09-15", "2025-03-10", "2025-04-01", "2025-06-03"):
        view = _move_slider(opened.page, _ms(day))
        stamp = pd.Timestamp(day, tz="UTC")
        due = changed[
            (changed["valid_from"] <= stamp)
            & (changed["valid_to"].isna() | (changed["valid_to"] > stamp))
        ]
        # each state is drawn as its pieces: every status held that day, at least once each
        assert set(view.areas) == set(due["status"]), day
        assert len(view.areas) >= len(due), day
        seen.append(tuple(sorted(view.areas)))
    assert "UA" in seen[0], "the ground held around Sudzha in September 2024 is not drawn"
    assert len(set(seen)) > 1, "the areas did not change with the slider"
    _move_slider(opened.page, _ms("2024-09-15"))
    text = opened.page.evaluate(_AREA_POPUP)
    assert re.fullmatch(
        r"Ukrainian-held in Russia, estimated from settlement statuses: [\d.]+ km² here"
        r"from 2024-\d\d-\d\d \((until 20\d\d-\d\d-\d\d|ongoing)\)",
        text,
    ), text


def test_claim_markers_fade_with_age(opened: OpenedMap, mapped: gpd.GeoDataFrame) -> None:
    """A claim is opaque on its day and fades over its window, never below the faintest."""
    first, _ = opened.page.evaluate(_SLIDER_RANGE)
    window = settings.claim_days * DAY_MS
    view = _move_slider(opened.page, _ms("2024-09-01"))
    assert view.opacity
    for claim, opacity in view.opacity.items():
        start = max(_ms(mapped.loc[claim, "event_date"]), first)
        expected = max(render.FAINTEST, 1 - (view.time - start) / window)
        assert opacity == pytest.approx(expected, abs=0.01), claim
    assert min(view.opacity.values()) < max(view.opacity.values())


# Opens the popup of one claim marker and returns what it shows.
_CLAIM_POPUP = """
(claimId) => {
    for (const layer of Object.values(window).filter(v => v instanceof L.Timeline)) {
        let found = null;
        layer.eachLayer(marker => {
            if (marker.feature.properties.claim_id === claimId) { found = marker; }
        });
        if (found) {
            found.openPopup();
            const box = found.getPopup().getElement().querySelector('.fm-popup');
            return {
                text: box.textContent,
                links: [...box.querySelectorAll('a')].map(a => a.getAttribute('href')),
                elements: [...box.querySelectorAll('*')].map(e => e.tagName.toLowerCase()),
            };
        }
    }
    return null;
}
"""


def test_popups_show_article_text_as_text(
    browser: Browser, sample: tuple[mapper.RunResult, Path], tmp_path: Path
) -> None:
    """Markup in an article stays text in the popup, and only http(s) URLs become links."""
    located = sample[0].located
    picked = located[located["geocode_status"] == "resolved"].iloc[:2].copy()
    picked["event_date"] = pd.Timestamp("2025-03-13", tz="UTC")
    picked["evidence"] = 'Sudzha <script>alert("x")</script><b>retaken</b> & held.'
    picked["url"] = ["javascript:alert(1)", "https://example.test/x?a=1&b=2"]
    timeline = mapper.timeline_from_located(picked)
    path = mapper.io.write_map(
        mapper.timeline_map(timeline, claims=picked, tiles=None),
        tmp_path / "map.html",
        self_contained=True,
    )
    context = browser.new_context(timezone_id="UTC", service_workers="block")
    page = context.new_page()
    opened = OpenedMap(page)
    page.on("pageerror", opened.on_page_error)
    page.on("dialog", lambda dialog: opened.errors.append(f"dialog: {dialog.message}"))
    page.route("**/*", opened.route)
    page.goto(path.as_uri(), wait_until="load")
    _move_slider(page, _ms("2025-03-14"))
    first, second = (page.evaluate(_CLAIM_POPUP, str(claim)) for claim in picked.index)
    context.close()
    assert first["links"] == [] and second["links"] == ["https://example.test/x?a=1&b=2"]
    for shown in (first, second):
        assert 'Sudzha <script>alert("x")</script><b>retaken</b> & held.' in shown["text"]
        assert "script" not in shown["elements"]
        assert shown["elements"].count("b") <= 1  # only the "denied" note may be bold
    assert opened.errors == []
