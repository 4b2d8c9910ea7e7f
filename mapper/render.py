"""Timeline (and claims) -> folium.Map: an interactive map of control over time.

Layers, all driven by one time slider (leaflet.timeline through ``folium.plugins.Timeline``):

- **Control status (from claims)**: one circle per place, coloured by the status the timeline
  gives it on the slider's date.
- **Claims: Russian side / Ukrainian side / observers and others**: one marker per located
  claim, coloured by the controller it asserts, its symbol saying the action; it shows from the
  event date for ``settings.claim_days`` days. Negated claims are drawn hollow.
- **Control areas (from claims)**: the ground the claims change from each country's default
  (Ukrainian-held in Russia, Russian-held in Ukraine, contested anywhere), estimated from the
  settlement statuses (:func:`mapper.control.areas_over_time`); each state shows from the day
  it starts until the next change.
- **Front line (from claims)**: where Russian-held and Ukrainian-held ground meet
  (:func:`mapper.control.front_lines_over_time`).
- **Assessed by NAME**: the polygons of a reference overlay (:mod:`mapper.overlays`), outlined
  with a dashed edge so they read apart from what the claims give.

Area and line geometry is simplified to about 200 m and rounded to about 100 m before it is
written into the page, so that hundreds of states stay a few megabytes.

Every claim popup names the claimant, side, action, dates, the evidence sentence and a link to
the source (``http(s)`` only). Popups are built in the page when opened, from one table of the
claims, and article text goes into them as text nodes, never as markup.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.geometry
from branca.element import MacroElement
from folium.plugins import Timeline, TimelineSlider
from folium.template import Template
from folium.utilities import JsCode

from mapper import schema, settings
from mapper.timeline import changes_between

COLOURS = {
    "RU": "#c62828",
    "UA": "#1565c0",
    "contested": "#ef8f00",
    "unknown": "#bdbdbd",
    "none": "#616161",
}
SYMBOLS = {
    "captured": "⚑",
    "liberated": "★",
    "withdrew": "↩",
    "advanced": "➤",
    "fighting": "⚔",
    "repelled": "⊘",
    "holds": "■",
    "attacked": "✸",
    "denied": "✗",
}
SIDE_LAYERS = {
    "RU": "Claims: Russian side",
    "UA": "Claims: Ukrainian side",
    "observer": "Claims: observers and others",
    "other": "Claims: observers and others",
}
_DAY_MS = 86_400_000
_FIT_MAX_ZOOM = 11

_CLAIM_POINT = JsCode(
    """
    function (feature, latlng) {
        var id = feature.properties.claim_id, c = fmClaim(id);
        return L.marker(latlng, {
            title: c.p + ': ' + c.a + ' (' + c.s + ')',
            icon: L.divIcon({
                className: 'fm-claim fm-' + (c.k || 'none') + (c.n ? ' fm-negated' : ''),
                html: '<span data-claim="' + id + '">' + fmSymbols[c.a] + '</span>',
                iconSize: [22, 22]
            })
        });
    }
    """
)
_STATUS_POINT = JsCode(
    """
    function (feature, latlng) {
        var p = feature.properties;
        return L.circleMarker(latlng, {
            radius: 9, weight: 2, color: '#ffffff', fillColor: fmColours[p.controller],
            fillOpacity: 0.85, className: 'fm-status fm-status-' + p.controller
        });
    }
    """
)
_AREA_STYLE = JsCode(
    """
    function (feature) {
        var p = feature.properties;
        return {
            color: fmColours[p.status], weight: 1, fillColor: fmColours[p.status],
            fillOpacity: 0.35,
            className: 'fm-area fm-area-' + p.status
        };
    }
    """
)
_OVERLAY_STYLE = JsCode(
    """
    function (feature) {
        var p = feature.properties;
        return {
            color: fmColours[p.status], weight: 2, dashArray: '4 3',
            fillColor: fmColours[p.status], fillOpacity: 0.12,
            className: 'fm-overlay fm-overlay-' + p.status
        };
    }
    """
)
_LINE_STYLE = JsCode(
    """
    function (feature) {
        return {color: '#212121', weight: 3, dashArray: '6 4', className: 'fm-front'};
    }
    """
)
# Claim and status popups are built when opened, from the one table of claims in the page.
_BIND_CLAIM_POPUP = JsCode(
    """
    function (feature, layer) {
        layer.bindPopup(function () { return fmClaimPopup(feature.properties.claim_id); },
                        {maxWidth: 360});
    }
    """
)
# Statuses and pieces hold until the next one starts: their end is exclusive.
_UNTIL_NEXT = JsCode(
    """
    function (feature) {
        var p = feature.properties;
        return {start: p.start, end: p.end, startExclusive: false, endExclusive: true};
    }
    """
)


def _piece_popup(kind: str, by: str = "") -> JsCode:
    """Bind the popups of a layer of pieces: ``area``, ``front`` or ``assessed`` (by ``by``)."""
    return JsCode(
        f"""
        function (feature, layer) {{
            layer.bindPopup(function () {{
                return fmPiecePopup(feature.properties, {_script_json(kind)}, {_script_json(by)});
            }}, {{maxWidth: 360}});
        }}
        """
    )


_BIND_STATUS_POPUP = JsCode(
    """
    function (feature, layer) {
        layer.bindPopup(function () { return fmStatusPopup(feature.properties); },
                        {maxWidth: 360});
    }
    """
)


class _CompactTimeline(Timeline):
    """A ``folium.plugins.Timeline`` whose data is written without spaces.

    Thousands of features and vertices make the separators folium writes (``", "``) a tenth of
    the page.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
          var {{ this.get_name() }}_options = {{ this.options|tojavascript }};
          var {{ this.get_name() }} = L.timeline(
              {{ this.compact_data }}, {{ this.get_name() }}_options
          );
          {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    @property
    def compact_data(self) -> str:
        """The layer's GeoJSON, compact and safe inside ``<script>``."""
        return _script_json(self.data)


class _Claims(MacroElement):
    """The claims on the map, once, and the functions that build their popups.

    Text goes into the popups as text nodes (``textContent``), never as HTML, so nothing an
    article says can run or restyle the page; links are only made of ``http(s)`` URLs.
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <script>
        var fmClaims = {{ this.claims }};
        var fmColours = {{ this.colours }};
        var fmSymbols = {{ this.symbols }};
        var fmHeld = {{ this.held }};
        var fmCountries = {"RU": "Russia", "UA": "Ukraine"};
        function fmNode(tag, text) {
            var node = document.createElement(tag);
            if (text !== undefined && text !== null) { node.textContent = text; }
            return node;
        }
        function fmLink(url) {
            if (!/^https?:\\/\\//i.test(url || '')) { return null; }
            var link = fmNode('a', 'source');
            link.href = url; link.target = '_blank'; link.rel = 'noopener';
            return link;
        }
        function fmClaim(id) {
            var row = fmClaims[id], claim = {};
            if (!row) { return null; }
            {{ this.fields }}.forEach(function (key, i) { claim[key] = row[i]; });
            return claim;
        }
        function fmClaimPopup(id) {
            var c = fmClaim(id), box = fmNode('div'), table = fmNode('table');
            box.className = 'fm-popup';
            [['Place', c.p], ['Claimant', c.c + ' (' + c.s + ')'], ['Action', c.a],
             ['Controller claimed', c.k || 'no control claimed'],
             ['Event date', c.d + ' (' + c.q + ')'], ['Source', c.o]].forEach(function (row) {
                var tr = fmNode('tr');
                tr.appendChild(fmNode('th', row[0]));
                tr.appendChild(fmNode('td', row[1]));
                table.appendChild(tr);
            });
            box.appendChild(table);
            if (c.n) { box.appendChild(fmNode('b', '(denied in the same article)')); }
            box.appendChild(fmNode('blockquote', c.e));
            var link = fmLink(c.u);
            if (link) { box.appendChild(link); }
            return box;
        }
        function fmDay(ms) { return new Date(ms).toISOString().slice(0, 10); }
        function fmPiecePopup(p, kind, by) {
            var box = fmNode('div'), held = fmHeld[p.status] || p.status;
            box.className = 'fm-popup';
            if (kind === 'front') {
                box.appendChild(fmNode('b', 'Front line'));
                box.appendChild(document.createTextNode(', estimated from settlement statuses: ' +
                    p.size.toFixed(1) + ' km here'));
            } else if (kind === 'assessed') {
                box.appendChild(fmNode('b', held));
                box.appendChild(document.createTextNode(', assessed by ' + by + ': ' +
                    p.size.toFixed(1) + ' km\u00b2 here'));
            } else {
                box.appendChild(fmNode('b', held + ' in ' + (fmCountries[p.country] || p.country)));
                box.appendChild(document.createTextNode(', estimated from settlement statuses: ' +
                    p.size.toFixed(1) + ' km\u00b2 here'));
            }
            box.appendChild(fmNode('br'));
            box.appendChild(document.createTextNode('from ' + (p.from || fmDay(p.start)) + ' (' +
                (p.open ? 'ongoing' : 'until ' + fmDay(p.end)) + ')'));
            return box;
        }
        function fmStatusPopup(p) {
            var box = fmNode('div'), list = fmNode('ul');
            box.className = 'fm-popup';
            box.appendChild(fmNode('b', p.name));
            box.appendChild(document.createTextNode(': ' + p.controller + ' from ' + p.from +
                ' (' + (p.until ? 'until ' + p.until : 'ongoing') + '), confidence ' +
                p.confidence.toFixed(2)));
            p.claims.forEach(function (id) {
                var c = fmClaim(id);
                if (!c) { return; }
                var item = fmNode('li', c.c + ' (' + c.s + '): ' + c.a + ', ' + c.d + ' ');
                var link = fmLink(c.u);
                if (link) { item.appendChild(link); }
                list.appendChild(item);
            });
            box.appendChild(list);
            return box;
        }
        </script>
        {% endmacro %}
        """
    )

    def __init__(self, claims: gpd.GeoDataFrame) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Claims"
        self.claims = _script_json({str(i): _claim_record(c) for i, c in claims.iterrows()})
        self.fields = _script_json(_CLAIM_FIELDS)
        self.symbols = _script_json(SYMBOLS)
        self.colours = _script_json(COLOURS)
        self.held = _script_json(_HELD)


def _script_json(value: object) -> str:
    """JSON safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` as such."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_CLAIM_FIELDS = ("p", "c", "s", "a", "k", "d", "q", "o", "e", "u", "n")
"""Order of a claim's values in the page's table of claims (see :func:`_claim_record`)."""


def _claim_record(claim: pd.Series) -> list[Any]:
    """What a claim's marker and popup say, in the order of :data:`_CLAIM_FIELDS`.

    Place, claimant, side, action, controller claimed (``None`` for none), event day,
    date precision, source, evidence, URL, negated. A list, not a mapping: the page holds
    thousands of them.
    """
    controller = claim["asserted_controller"]
    event = claim["event_date"]
    return [
        _plain(claim["place_name"]),
        _plain(claim["claimant"]),
        _plain(claim["side"]),
        _plain(claim["action"]),
        controller if isinstance(controller, str) else None,
        event.date().isoformat() if pd.notna(event) else "undated",
        _plain(claim["date_precision"]),
        _plain(claim["source"]),
        _plain(claim["evidence"]),
        _plain(claim["url"]),
        bool(claim["negated"]),
    ]


def _plain(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


class _Legend(MacroElement):
    """A fixed legend of colours and action symbols."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
          .fm-claim span { display:flex; align-items:center; justify-content:center;
            width:22px; height:22px; border-radius:50%; color:#fff; font:bold 13px/1 sans-serif;
            border:2px solid #fff; box-shadow:0 0 2px #000; }
          {% for key, colour in this.colours.items() %}
          .fm-{{ key }} span { background: {{ colour }}; }
          .fm-legend i.fm-{{ key }} { background: {{ colour }}; }
          {% endfor %}
          .fm-negated span { background:#fff !important; color:#333; border:2px dashed #333; }
          .fm-legend { position:absolute; top:10px; left:50px; z-index:1000; background:#fff;
            padding:8px 10px; border-radius:4px; box-shadow:0 1px 4px rgba(0,0,0,.4);
            font:12px/1.4 sans-serif; max-width:260px; }
          .fm-legend i { display:inline-block; width:12px; height:12px; border-radius:50%;
            margin-right:4px; vertical-align:middle; }
          .fm-popup th { text-align:left; padding-right:6px; vertical-align:top; }
          .fm-popup blockquote { margin:4px 0; padding-left:6px; border-left:3px solid #999; }
          .fm-label { background: transparent; border: 0; box-shadow: none; color: #333;
            font: 11px/1 sans-serif; text-shadow: 0 0 2px #fff, 0 0 2px #fff; }
          .fm-label:before { display: none; }
        </style>
        {% endmacro %}
        {% macro html(this, kwargs) %}
        <div class="fm-legend" id="fm-legend">
          <b>{{ this.title }}</b><br>
          <span>Claimed controller (a claim is not a fact):</span><br>
          <i class="fm-RU"></i>Russia &nbsp;<i class="fm-UA"></i>Ukraine<br>
          <i class="fm-contested"></i>contested &nbsp;<i class="fm-none"></i>no control claimed<br>
          <i class="fm-unknown"></i>unknown (no claim for a while)<br>
          <span>Actions:</span>
          {% for action, symbol in this.symbols.items() %}{{ symbol }}&nbsp;{{ action }}
          {% endfor %}<br>
          <span>Hollow marker: claim denied in the same article; markers fade as the claim
          ages.</span><br>
          <b>From the claims</b> (this map's estimate): circles (status from reconciled claims),
          markers (single claims), shaded areas and the dashed black front line (estimated from
          the settlements' statuses){% if this.changes %}, rings ({{ this.changes }}){% endif %}.
          {% if this.assessed %}<br><b>Assessed by others</b> (dashed outlines, light fill):
          {{ this.assessed }}.{% endif %}
        </div>
        {% endmacro %}
        """
    )

    def __init__(self, title: str, *, assessed: Sequence[str] = (), changes: str = "") -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Legend"
        self.title = title
        self.assessed = html.escape(", ".join(assessed))
        self.changes = html.escape(changes)
        self.colours = COLOURS
        self.symbols = SYMBOLS


class _FadingClaims(MacroElement):
    """Fade each claim marker with its age on the slider's date.

    A marker is opaque on its day and fades to :data:`FAINTEST` at the end of its window.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        [{% for layer in this.layers %}{{ layer.get_name() }}, {% endfor %}].forEach(
            function (layer) {
                function fade() {
                    layer.eachLayer(function (marker) {
                        var start = marker.feature.properties.start;
                        var age = (layer.time - start) / {{ this.window }};
                        marker.setOpacity(Math.max({{ this.faintest }}, 1 - age));
                    });
                }
                layer.on('change', fade);
                fade();
            }
        );
        {% endmacro %}
        """
    )

    def __init__(self, layers: Sequence[Timeline], window_ms: int) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "FadingClaims"
        self.layers = list(layers)
        self.window = max(window_ms, 1)
        self.faintest = FAINTEST


def timeline_map(
    timeline: gpd.GeoDataFrame,
    *,
    claims: gpd.GeoDataFrame | None = None,
    tiles: str | None = "default",
    claim_days: int | None = None,
    title: str = "Claims of control",
    areas: gpd.GeoDataFrame | None = None,
    front_lines: gpd.GeoDataFrame | None = None,
    overlays: Mapping[str, gpd.GeoDataFrame] | None = None,
    changes: tuple[str | pd.Timestamp, str | pd.Timestamp] | None = None,
) -> folium.Map:
    """Draw the timeline, and optionally the claims behind it, on one time slider.

    Parameters
    ----------
    timeline
        The timeline frame.
    claims
        The located frame; each located claim gets a marker.
    tiles
        Background tiles: a folium tile name, ``None`` for none, or ``"default"`` for
        ``settings.default_tiles``.
    claim_days
        Days a claim marker stays visible after its event date; ``None``:
        ``settings.claim_days``.
    title
        Shown in the legend.
    areas
        The areas over time frame (:func:`mapper.control.areas_over_time`); the rows that are
        not their country's default are drawn.
    front_lines
        The front lines over time frame (:func:`mapper.control.front_lines_over_time`); the
        ``RU|UA`` rows are drawn.
    overlays
        Reference overlays by name (:func:`mapper.overlays.read_overlay`), each drawn as an
        "Assessed by NAME" layer.
    changes
        Two days: a layer rings every place whose status differs between them
        (:func:`mapper.timeline.changes_between`), its popup saying from what to what.

    Returns
    -------
    folium.Map
        Shows inline in Jupyter; save it with :func:`mapper.io.write_map`.
    """
    schema.validate_timeline(timeline)
    days = settings.claim_days if claim_days is None else claim_days
    chosen_tiles = settings.default_tiles if tiles == "default" else tiles
    fmap = folium.Map(tiles=chosen_tiles, control_scale=True, prefer_canvas=False)
    layers: list[Timeline] = []
    mapped = _mappable(claims)
    _Claims(mapped).add_to(fmap)
    start_ms = _start_ms(timeline, mapped)
    end_ms = _end_ms(timeline, mapped, days)
    if areas is not None and len(areas):
        shown = areas[~areas["default"]]
        features = _interval_features(shown, ("country", "status"), start_ms, end_ms)
        if features["features"]:
            layers.append(
                _layer(
                    features, AREAS_LAYER, None, fmap, style=_AREA_STYLE, popup=_piece_popup("area")
                )
            )
    if front_lines is not None and len(front_lines):
        front = front_lines[front_lines["between"] == "RU|UA"]
        features = _interval_features(front, ("between",), start_ms, end_ms)
        if features["features"]:
            layers.append(
                _layer(
                    features,
                    FRONT_LAYER,
                    None,
                    fmap,
                    style=_LINE_STYLE,
                    popup=_piece_popup("front"),
                )
            )
    for name, overlay in (overlays or {}).items():
        features = _interval_features(overlay, ("status",), start_ms, end_ms)
        if features["features"]:
            layers.append(
                _layer(
                    features,
                    assessed_layer(name),
                    None,
                    fmap,
                    style=_OVERLAY_STYLE,
                    popup=_piece_popup("assessed", name),
                )
            )
    status = _status_features(timeline, mapped, start_ms, end_ms)
    if status["features"]:
        layers.append(
            _layer(
                status,
                "Control status (from claims)",
                _STATUS_POINT,
                fmap,
                popup=_BIND_STATUS_POPUP,
            )
        )
    claim_layers = []
    for name in dict.fromkeys(SIDE_LAYERS.values()):
        sides = [s for s, layer_name in SIDE_LAYERS.items() if layer_name == name]
        subset = mapped[mapped["side"].isin(sides)]
        if len(subset):
            features = _claim_features(subset, days, start_ms)
            claim_layers.append(
                _layer(features, name, _CLAIM_POINT, fmap, popup=_BIND_CLAIM_POPUP, interval=None)
            )
    layers.extend(claim_layers)
    if claim_layers:
        _FadingClaims(claim_layers, days * _DAY_MS).add_to(fmap)
    if layers:
        TimelineSlider(  # type: ignore[no-untyped-call]
            auto_play=False,
            date_options="YYYY-MM-DD",
            show_ticks=True,
            enable_keyboard_controls=True,
            start=start_ms,
            end=end_ms,
            steps=max(2, (end_ms - start_ms) // _DAY_MS),
        ).add_timelines(*layers).add_to(fmap)
    _places_layer(timeline, mapped).add_to(fmap)
    changed = ""
    if changes is not None:
        layer = _changes_layer(timeline, *changes)
        layer.add_to(fmap)
        changed = layer.layer_name
    folium.LayerControl(collapsed=False).add_to(fmap)
    _Legend(title, assessed=list(overlays or {}), changes=changed).add_to(fmap)
    bounds = _bounds(timeline, mapped)
    if bounds:
        # A cap on the zoom: bounds of a single place would otherwise zoom without end.
        fmap.fit_bounds(bounds, padding=(30, 30), max_zoom=_FIT_MAX_ZOOM)
    return fmap


PLACES_LAYER = "Places named (for orientation)"
AREAS_LAYER = "Control areas (from claims)"
FRONT_LAYER = "Front line (from claims)"
SIMPLIFY_DEG = 0.002
"""Tolerance areas and lines are simplified with before they are drawn (about 150-200 m)."""
_GRID_DEG = 0.001
FAINTEST = 0.3
"""Opacity of a claim marker at the end of its window (it is opaque on its day)."""
_HELD = {"RU": "Russian-held", "UA": "Ukrainian-held", "contested": "Contested"}


def changes_layer_name(start: str | pd.Timestamp, end: str | pd.Timestamp) -> str:
    """The name of the layer of places that changed hands between two days."""
    return f"Changed hands {pd.Timestamp(start).date()} to {pd.Timestamp(end).date()}"


def _changes_layer(
    timeline: gpd.GeoDataFrame, start: str | pd.Timestamp, end: str | pd.Timestamp
) -> folium.FeatureGroup:
    """Ring every place whose status on ``end`` differs from its status on ``start``."""
    changed = changes_between(timeline, start, end)
    frame = pd.DataFrame(
        {
            "place_name": changed["place_name"],
            "before": changed["before"],
            "after": changed["after"],
            "lat": changed.geometry.y,
            "lon": changed.geometry.x,
        }
    )
    when = f"between {pd.Timestamp(start).date()} and {pd.Timestamp(end).date()}"
    return changes_layer(frame, name=changes_layer_name(start, end), when=when)


def _places_layer(timeline: gpd.GeoDataFrame, claims: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """Draw every mapped place as a small dot, labelled where it has a status.

    The map stays readable with no background tiles (offline).
    """
    layer = folium.FeatureGroup(name=PLACES_LAYER, show=True)
    labelled = set(timeline["place_name"])
    seen: set[str] = set()
    for _, claim in claims.iterrows():
        name = str(claim["place_name"])
        if name in seen or claim.geometry is None or claim.geometry.is_empty:
            continue
        seen.add(name)
        folium.CircleMarker(
            location=[claim.geometry.y, claim.geometry.x],
            radius=2,
            color="#555555",
            weight=1,
            fill=True,
            fill_opacity=0.8,
            class_name="fm-place",
            tooltip=folium.Tooltip(
                html.escape(name),
                permanent=name in labelled,
                direction="right",
                class_name="fm-label",
            ),
        ).add_to(layer)
    return layer


CHANGES_LAYER = "Changes since the last refresh"
# Popups of the changes layer are made here, as escaped HTML: its claims may not be among
# the page's table of claims (a refreshed map draws only the latest ones).
_BIND_POPUP = JsCode(
    """
    function (feature, layer) {
        layer.bindPopup(feature.properties.popup, {maxWidth: 360});
    }
    """
)

_CHANGE_POINT = JsCode(
    """
    function (feature, latlng) {
        var p = feature.properties;
        if (p.kind === 'change') {
            return L.circleMarker(latlng, {
                radius: 15, weight: 3, dashArray: '4 4', color: p.colour, fill: false,
                className: 'fm-change fm-change-' + p.after.replace(' ', '-')
            }).bindTooltip(p.tooltip);
        }
        return L.circleMarker(latlng, {
            radius: 5, weight: 1, color: '#000000', fillColor: p.colour, fillOpacity: 0.9,
            className: 'fm-new-claim'
        }).bindTooltip(p.tooltip);
    }
    """
)


def changes_layer(
    changes: pd.DataFrame,
    *,
    new_claims: gpd.GeoDataFrame | None = None,
    name: str = CHANGES_LAYER,
    when: str = "since the last refresh",
) -> folium.FeatureGroup:
    """A map layer of places that changed status (ringed) and of new claims (dots).

    Used for what a refresh changed, and for what changed hands between two chosen days
    (``timeline_map(..., changes=(start, end))``). The layer is not on the time slider. It is
    one GeoJSON layer, so thousands of changes cost little to draw.

    Parameters
    ----------
    changes
        One row per place whose status changed: ``place_name``, ``before``, ``after``
        (``None`` where the place had, or has, no status), ``lat``, ``lon``.
    new_claims
        The located claims new since the last refresh; each gets a small marker.
    name
        The layer's name in the layer control.
    when
        When the changes happened, for the popups ("between 2024-09-01 and 2025-04-01").

    Returns
    -------
    folium.FeatureGroup
        Add it to the map (``layer.add_to(fmap)``).
    """
    features: list[dict[str, Any]] = []
    for row in changes.to_dict(orient="records"):
        lat, lon = row.get("lat"), row.get("lon")
        if not isinstance(lat, int | float) or not isinstance(lon, int | float) or pd.isna(lat):
            continue
        before = row["before"] if isinstance(row["before"], str) else "no status"
        after = row["after"] if isinstance(row["after"], str) else "no status"
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
                "properties": {
                    "kind": "change",
                    "after": after,
                    "colour": COLOURS.get(after, COLOURS["none"]),
                    "tooltip": html.escape(f"{row['place_name']}: {before} -> {after}"),
                    "popup": f'<div class="fm-popup"><b>{_text(row["place_name"])}</b> changed '
                    f"hands {_text(when)}: {_text(before)} to {_text(after)}</div>",
                },
            }
        )
    for _, claim in _mappable(new_claims).iterrows():
        controller = claim["asserted_controller"]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [claim.geometry.x, claim.geometry.y]},
                "properties": {
                    "kind": "claim",
                    "colour": COLOURS[controller if isinstance(controller, str) else "none"],
                    "tooltip": html.escape(
                        f"new: {claim['place_name']}: {claim['action']} ({claim['side']})"
                    ),
                    "popup": claim_popup(claim),
                },
            }
        )
    layer = folium.FeatureGroup(name=name, show=True)
    if features:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            point_to_layer=_CHANGE_POINT,
            on_each_feature=_BIND_POPUP,
        ).add_to(layer)
    return layer


def _mappable(claims: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    if claims is None:
        return gpd.GeoDataFrame(
            columns=[*schema.CLAIM_COLUMNS, *schema.LOCATED_EXTRA], geometry="geometry"
        )
    schema.validate_located(claims)
    return claims[(claims["geocode_status"] == "resolved") & claims["event_date"].notna()]


def _ms(stamp: pd.Timestamp) -> int:
    return int(stamp.value // 1_000_000)


def _start_ms(timeline: gpd.GeoDataFrame, claims: gpd.GeoDataFrame) -> int:
    """The slider's first instant: a day before the first claim dated to the day.

    Background dated only to a month or year ("since 2022") would otherwise stretch the slider
    over years with nothing happening; such claims show from the slider's start instead.
    """
    precise = claims.loc[claims["date_precision"] == "day", "event_date"]
    stamps = [_ms(s) for s in (precise if len(precise) else claims["event_date"])]
    stamps = stamps or [_ms(s) for s in timeline.index.get_level_values(schema.VALID_FROM)]
    return (min(stamps) if stamps else 0) - _DAY_MS


def _end_ms(timeline: gpd.GeoDataFrame, claims: gpd.GeoDataFrame, days: int) -> int:
    """The slider's last instant: a day after the last change or claim window."""
    stamps = [_ms(s) for s in timeline.index.get_level_values(schema.VALID_FROM)]
    stamps += [_ms(s) + days * _DAY_MS for s in claims["event_date"]]
    return (max(stamps) if stamps else 0) + _DAY_MS


def _layer(
    data: dict[str, Any],
    name: str,
    point: JsCode | None,
    fmap: folium.Map,
    *,
    popup: JsCode,
    style: JsCode | None = None,
    interval: JsCode | None = _UNTIL_NEXT,
) -> Timeline:
    layer = _CompactTimeline(
        data, get_interval=interval, point_to_layer=point, on_each_feature=popup, style=style
    )
    layer.layer_name = name
    layer.add_to(fmap)
    return layer


def _claim_features(claims: gpd.GeoDataFrame, days: int, first_ms: int) -> dict[str, Any]:
    features = []
    for claim_id, c in claims.iterrows():
        start = max(_ms(c["event_date"]), first_ms)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [c.geometry.x, c.geometry.y]},
                "properties": {
                    "start": start,
                    "end": start + days * _DAY_MS,
                    "claim_id": str(claim_id),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _interval_features(
    frame: gpd.GeoDataFrame,
    keys: Sequence[str],
    start_ms: int,
    end_ms: int,
) -> dict[str, Any]:
    """Features of the pieces of rows valid from ``valid_from`` to ``valid_to``.

    Each row's geometry is simplified and cut into its parts (polygons or lines); a part that
    stays the same from one row to the next of the same ``keys`` (a village's pocket while
    the front moves elsewhere) is one feature spanning both, so the page stores what changes
    rather than a copy of every state.
    """
    features = []
    for _, row in _pieces(frame, keys).iterrows():
        until = end_ms if pd.isna(row["valid_to"]) else _ms(row["valid_to"])
        if until <= start_ms or _ms(row["valid_from"]) >= end_ms:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(row.geometry),
                "properties": {
                    "start": max(_ms(row["valid_from"]), start_ms),
                    "end": until,
                    **_piece_properties(row, start_ms),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _pieces(frame: gpd.GeoDataFrame, keys: Sequence[str]) -> gpd.GeoDataFrame:
    """Simplified parts of each row, consecutive identical ones merged; with ``size``.

    ``size`` is the area of a polygon in km² or the length of a line in km.
    """
    simplified = shapely.normalize(
        shapely.set_precision(
            shapely.simplify(frame.geometry.to_numpy(), SIMPLIFY_DEG, preserve_topology=True),
            _GRID_DEG,
        )
    )
    parts = (
        gpd.GeoDataFrame(
            frame[[*keys, "valid_from", "valid_to"]], geometry=simplified, crs="EPSG:4326"
        )
        .explode(index_parts=False)
        .reset_index(drop=True)
    )
    parts = parts[~parts.geometry.is_empty]
    if parts.empty:
        return parts.assign(size=pd.Series(dtype=float))
    parts["_wkb"] = shapely.to_wkb(parts.geometry.to_numpy())
    merged = []
    for _, group in parts.sort_values("valid_from").groupby([*keys, "_wkb"], sort=False):
        rows = group.to_dict("records")
        current = rows[0]
        for row in rows[1:]:
            if current["valid_to"] == row["valid_from"]:
                current["valid_to"] = row["valid_to"]
            else:
                merged.append(current)
                current = row
        merged.append(current)
    pieces = gpd.GeoDataFrame(merged, geometry="geometry", crs="EPSG:4326").drop(columns="_wkb")
    x0, y0, x1, y1 = pieces.total_bounds
    local = f"+proj=laea +lat_0={(y0 + y1) / 2:.2f} +lon_0={(x0 + x1) / 2:.2f} +datum=WGS84"
    projected = pieces.geometry.to_crs(local)
    polygonal = pieces.geom_type.isin(("Polygon", "MultiPolygon")).to_numpy()
    pieces["size"] = np.where(polygonal, projected.area / 1e6, projected.length / 1e3)
    return pieces.sort_values("valid_from", kind="stable")


def assessed_layer(name: str) -> str:
    """The layer name of a reference overlay."""
    return f"Assessed by {name}"


def _piece_properties(row: pd.Series, start_ms: int) -> dict[str, Any]:
    """What the popup of a piece of area or front line says (built in the page).

    Its dates are the feature's ``start`` and ``end``; ``from`` is only given when the piece
    began before the slider does, and ``open`` when it is ongoing.
    """
    properties: dict[str, Any] = {"size": round(float(row["size"]), 2)}
    if _ms(row["valid_from"]) < start_ms:
        properties["from"] = row["valid_from"].date().isoformat()
    if pd.isna(row["valid_to"]):
        properties["open"] = 1
    for column in ("status", "country"):
        if column in row.index:
            properties[column] = str(row[column])
    return properties


def _status_features(
    timeline: gpd.GeoDataFrame, claims: gpd.GeoDataFrame, start_ms: int, end_ms: int
) -> dict[str, Any]:
    features = []
    mapped = set(claims.index)
    columns = ["valid_to", "claim_ids", "controller", "place_name", "confidence", "geometry"]
    # Columns zipped, not iterrows: a refreshed store draws tens of thousands of statuses.
    rows = zip(timeline.index, *(timeline[c] for c in columns), strict=True)
    for (place_id, valid_from), valid_to, claim_ids, controller, name, confidence, point in rows:
        until = end_ms if pd.isna(valid_to) else _ms(valid_to)
        if until <= start_ms:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [point.x, point.y]},
                "properties": {
                    "start": max(_ms(valid_from), start_ms),
                    "end": until,
                    "place_id": str(place_id),
                    "controller": controller,
                    "name": _plain(name),
                    "from": valid_from.date().isoformat(),
                    "until": "" if pd.isna(valid_to) else valid_to.date().isoformat(),
                    "confidence": float(confidence),
                    "claims": [i for i in str(claim_ids).split(";") if i in mapped],
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _text(value: object) -> str:
    return html.escape(
        "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    )


def _link(url: object) -> str:
    if isinstance(url, str) and url.lower().startswith(("http://", "https://")):
        return f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener">source</a>'
    return ""


def claim_popup(claim: pd.Series) -> str:
    """The escaped HTML popup of one claim: who claims what, when, and the sentence behind it."""
    controller = (
        claim["asserted_controller"]
        if isinstance(claim["asserted_controller"], str)
        else "no control claimed"
    )
    negated = " <b>(denied in the same article)</b>" if claim["negated"] else ""
    event = claim["event_date"].date().isoformat() if pd.notna(claim["event_date"]) else "undated"
    rows = [
        ("Place", claim["place_name"]),
        ("Claimant", f"{claim['claimant']} ({claim['side']})"),
        ("Action", claim["action"]),
        ("Controller claimed", controller),
        ("Event date", f"{event} ({claim['date_precision']})"),
        ("Source", claim["source"]),
    ]
    table = "".join(f"<tr><th>{_text(k)}</th><td>{_text(v)}</td></tr>" for k, v in rows)
    return (
        f'<div class="fm-popup"><table>{table}</table>{negated}'
        f"<blockquote>{_text(claim['evidence'])}</blockquote>{_link(claim['url'])}</div>"
    )


def _bounds(timeline: gpd.GeoDataFrame, claims: gpd.GeoDataFrame) -> list[list[float]] | None:
    points = list(timeline.geometry) + list(claims.geometry)
    points = [p for p in points if p is not None and not p.is_empty]
    if not points:
        return None
    lats = [p.y for p in points]
    lons = [p.x for p in points]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]
