"""Timeline (and claims) -> folium.Map: an interactive map of control over time.

Layers, all driven by one time slider (leaflet.timeline through ``folium.plugins.Timeline``):

- **Control status (from claims)**: one circle per place, coloured by the status the timeline
  gives it on the slider's date.
- **Claims: Russian side / Ukrainian side / observers and others**: one marker per located
  claim, coloured by the controller it asserts, its symbol saying the action; it shows from the
  event date for ``settings.claim_days`` days. Negated claims are drawn hollow.

Every popup names the claimant, side, action, dates, the evidence sentence and a link to the
source. All article text is HTML-escaped before it reaches the page.
"""

from __future__ import annotations

import html
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement
from folium.plugins import Timeline, TimelineSlider
from folium.template import Template
from folium.utilities import JsCode

from mapper import schema, settings

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

_CLAIM_POINT = JsCode(
    """
    function (feature, latlng) {
        var p = feature.properties;
        return L.marker(latlng, {
            title: p.tooltip,
            icon: L.divIcon({
                className: 'fm-claim fm-' + p.colour_key + (p.negated ? ' fm-negated' : ''),
                html: '<span data-claim="' + p.claim_id + '">' + p.symbol + '</span>',
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
            radius: 9, weight: 2, color: '#ffffff', fillColor: p.colour, fillOpacity: 0.85,
            className: 'fm-status fm-status-' + p.controller
        });
    }
    """
)
_BIND_POPUP = JsCode(
    """
    function (feature, layer) {
        layer.bindPopup(feature.properties.popup, {maxWidth: 360});
    }
    """
)


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
          <span>Hollow marker: claim denied in the same article.</span><br>
          <span>Circles: status from reconciled claims. Markers: single claims.</span>
        </div>
        {% endmacro %}
        """
    )

    def __init__(self, title: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Legend"
        self.title = title
        self.colours = COLOURS
        self.symbols = SYMBOLS


def timeline_map(
    timeline: gpd.GeoDataFrame,
    *,
    claims: gpd.GeoDataFrame | None = None,
    tiles: str | None = "default",
    claim_days: int | None = None,
    title: str = "Claims of control",
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
    start_ms = _start_ms(timeline, mapped)
    end_ms = _end_ms(timeline, mapped, days)
    status = _status_features(timeline, mapped, start_ms, end_ms)
    if status["features"]:
        layers.append(_layer(status, "Control status (from claims)", _STATUS_POINT, fmap))
    for name in dict.fromkeys(SIDE_LAYERS.values()):
        sides = [s for s, layer_name in SIDE_LAYERS.items() if layer_name == name]
        subset = mapped[mapped["side"].isin(sides)]
        if len(subset):
            features = _claim_features(subset, days, start_ms)
            layers.append(_layer(features, name, _CLAIM_POINT, fmap))
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
    folium.LayerControl(collapsed=False).add_to(fmap)
    _Legend(title).add_to(fmap)
    bounds = _bounds(timeline, mapped)
    if bounds:
        fmap.fit_bounds(bounds, padding=(30, 30))
    return fmap


PLACES_LAYER = "Places named (for orientation)"


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

_CHANGE_POINT = JsCode(
    """
    function (feature, latlng) {
        var p = feature.properties;
        if (p.kind === 'change') {
            return L.circleMarker(latlng, {
                radius: 15, weight: 3, dashArray: '4 4', color: p.colour, fill: false,
                className: 'fm-change'
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
) -> folium.FeatureGroup:
    """A map layer of what a refresh changed: places that changed status, and new claims.

    The layer is not on the time slider: it shows the latest changes whatever the date. It
    is one GeoJSON layer, so thousands of changes cost little to draw.

    Parameters
    ----------
    changes
        One row per place whose status changed: ``place_name``, ``before``, ``after``
        (``None`` where the place had, or has, no status), ``lat``, ``lon``.
    new_claims
        The located claims new since the last refresh; each gets a small marker.
    name
        The layer's name in the layer control.

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
                    "colour": COLOURS.get(after, COLOURS["none"]),
                    "tooltip": html.escape(f"{row['place_name']}: {before} -> {after}"),
                    "popup": f'<div class="fm-popup"><b>{_text(row["place_name"])}</b>: status '
                    f"changed from {_text(before)} to {_text(after)} since the last refresh</div>",
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


def _layer(data: dict[str, Any], name: str, point: JsCode, fmap: folium.Map) -> Timeline:
    layer = Timeline(data, point_to_layer=point, on_each_feature=_BIND_POPUP)
    layer.layer_name = name
    layer.add_to(fmap)
    return layer


def _claim_features(claims: gpd.GeoDataFrame, days: int, first_ms: int) -> dict[str, Any]:
    features = []
    for claim_id, c in claims.iterrows():
        start = max(_ms(c["event_date"]), first_ms)
        controller = c["asserted_controller"] if isinstance(c["asserted_controller"], str) else None
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [c.geometry.x, c.geometry.y]},
                "properties": {
                    "start": start,
                    "end": start + days * _DAY_MS,
                    "claim_id": str(claim_id),
                    "colour_key": controller or "none",
                    "symbol": SYMBOLS[c["action"]],
                    "negated": bool(c["negated"]),
                    "tooltip": f"{c['place_name']}: {c['action']} ({c['side']})",
                    "popup": claim_popup(c),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _status_features(
    timeline: gpd.GeoDataFrame, claims: gpd.GeoDataFrame, start_ms: int, end_ms: int
) -> dict[str, Any]:
    # Each claim's line in a status popup, built once; statuses list theirs in claims order.
    position = {str(i): n for n, i in enumerate(claims.index)}
    items = [
        f"<li>{_text(claimant)} ({_text(side)}): {_text(action)}, "
        f"{_text(event_date.date().isoformat())} {_link(url)}</li>"
        for claimant, side, action, event_date, url in zip(
            claims["claimant"],
            claims["side"],
            claims["action"],
            claims["event_date"],
            claims["url"],
            strict=True,
        )
    ]
    features = []
    columns = ["valid_to", "claim_ids", "controller", "place_name", "confidence", "geometry"]
    rows = zip(timeline.index, *(timeline[c] for c in columns), strict=True)
    for (place_id, valid_from), valid_to, claim_ids, controller, name, confidence, point in rows:
        until = end_ms if pd.isna(valid_to) else _ms(valid_to)
        if until <= start_ms:
            continue
        ids = {i for i in str(claim_ids).split(";") if i}
        behind = "".join(items[n] for n in sorted(position[i] for i in ids if i in position))
        ends = "ongoing" if pd.isna(valid_to) else valid_to.date().isoformat()
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [point.x, point.y]},
                "properties": {
                    "start": max(_ms(valid_from), start_ms),
                    "end": until,
                    "endExclusive": True,
                    "place_id": str(place_id),
                    "controller": controller,
                    "colour": COLOURS[controller],
                    "popup": f'<div class="fm-popup"><b>{_text(name)}</b>: '
                    f"{_text(controller)} from {valid_from.date().isoformat()} ({ends}), "
                    f"confidence {confidence:.2f}<ul>{behind}</ul></div>",
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
