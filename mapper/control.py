"""Timeline -> control areas and front lines over time.

On each day a status of the timeline changes (not every day), the statuses of that day
(:func:`mapper.timeline.status_on`) are laid on the settlements of the offline gazetteer and the
areas each side holds are estimated with :func:`mapper.areas.areas_from_statuses`:

- the **settlements** are the gazetteer's settlements and cities (not oblasts, districts or
  capitals) inside the extent, plus the timeline's places that the gazetteer does not know, in
  the country whose shape holds them. Only places inside ``settings.focus_bbox`` count. With
  the bundled gazetteer that is GeoNames' ``cities500`` (places of 500 inhabitants or more)
  and the curated front-line villages;
  imported layers (``mapper gazetteer import``) add every village of a national registry;
- a settlement with no status on the day, or an ``unknown`` one (a contested status gone
  stale), takes its country's default (``default_status``: RU-held in Russia, UA-held in
  Ukraine unless given);
- the **extent** is the box around the timeline's settlements, widened by ``margin_deg``, and
  the country shapes (:func:`mapper.borders.country_shapes`) are cut to it, so the default
  area of each country is the land of that country inside the extent.

Areas are computed per country, and a country's areas are only recomputed on the days the
statuses of its own settlements change: a row holds from the day its country's areas took that
shape until the next change (``valid_to``, ``NaT`` for the last one). The frames thus store the
changes, not a full copy per day.

areas over time (GeoDataFrame, EPSG:4326)
    ==========  =========================================================
    valid_from  first day of the state, tz-aware UTC
    valid_to    the day the next state of that country starts, ``NaT`` while ongoing
    country     ISO2 code of the country the land is in
    status      ``RU``, ``UA`` or ``contested``
    default     whether ``status`` is the country's default (the land no settlement changed)
    area_km2    area, km²
    geometry    MultiPolygon
    ==========  =========================================================

front lines over time (GeoDataFrame, EPSG:4326)
    ==========  =========================================================
    valid_from  first day of the state, tz-aware UTC
    valid_to    the next day the lines change, ``NaT`` while ongoing
    between     ``RU|UA`` (the front line), ``RU|contested`` or ``UA|contested``
    length_km   length, km
    geometry    MultiLineString
    ==========  =========================================================
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mapper import areas, borders, schema, settings
from mapper.gazetteer import LocalGazetteer
from mapper.timeline import status_on

logger = logging.getLogger(__name__)

SETTLEMENT_KINDS = ("settlement", "city")
"""Gazetteer kinds that hold ground; oblasts, districts and capitals far away do not."""
MARGIN_DEG = 0.5
"""Margin around the timeline's settlements that makes the extent, in degrees."""

AREA_COLUMNS = ("valid_from", "valid_to", "country", "status", "default", "area_km2", "geometry")
# Margin around the changed land that the day's areas are cut to before their lines are traced
# (a tenth of a degree is 7-11 km here): the lines lie on the edge of that land.
_WINDOW_DEG = 0.1
# About a metre: far below any mapping precision.
_SIMPLIFY_DEG = 1e-5

LINE_COLUMNS = ("valid_from", "valid_to", "between", "length_km", "geometry")


def change_dates(timeline: gpd.GeoDataFrame) -> pd.DatetimeIndex:
    """The days on which some status of the timeline starts or ends, in order.

    Parameters
    ----------
    timeline
        The timeline frame.

    Returns
    -------
    pandas.DatetimeIndex
        Sorted, unique, tz-aware UTC.
    """
    schema.validate_timeline(timeline)
    starts = timeline.index.get_level_values(schema.VALID_FROM)
    ends = timeline["valid_to"].dropna()
    days = pd.DatetimeIndex(list(starts) + list(ends)).unique().sort_values()
    return pd.DatetimeIndex(days, name="date")


def areas_over_time(
    timeline: gpd.GeoDataFrame,
    *,
    gazetteer: LocalGazetteer | None = None,
    country_shapes: gpd.GeoDataFrame | None = None,
    default_status: Mapping[str, str] | None = None,
    dates: Sequence[str | pd.Timestamp] | None = None,
    margin_deg: float = MARGIN_DEG,
    max_distance_km: float = areas.MAX_DISTANCE_KM,
    smoothing_km: float = areas.SMOOTHING_KM,
) -> gpd.GeoDataFrame:
    """Estimate the areas each side holds on every day a status changes.

    The rule is described in :mod:`mapper.control` and :mod:`mapper.areas`.

    Parameters
    ----------
    timeline
        The timeline frame.
    gazetteer
        Where the settlements come from; default: the offline gazetteer with its installed
        layers.
    country_shapes
        Polygons with an ISO2 ``country`` column (see :mod:`mapper.borders`); default: Russia
        and Ukraine cut to the extent.
    default_status
        Status of a country's settlements with no (or an ``unknown``) status, and of its
        unclaimed land (see :func:`mapper.areas.areas_from_statuses`).
    dates
        Days to estimate the areas on; default: :func:`change_dates`.
    margin_deg
        Margin of the extent around the timeline's settlements, in degrees.
    max_distance_km, smoothing_km
        Passed to :func:`mapper.areas.areas_from_statuses`.

    Returns
    -------
    geopandas.GeoDataFrame
        The areas over time frame (see :mod:`mapper.control`), ordered by ``valid_from``,
        ``country`` and status; empty when no place of the timeline is a settlement.

    Examples
    --------
    >>> import mapper
    >>> result = mapper.run()
    >>> held = areas_over_time(result.timeline)
    >>> ua_in_russia = held[(held["country"] == "RU") & (held["status"] == "UA")]
    >>> first = ua_in_russia.iloc[0]
    >>> first["valid_from"].date().isoformat(), round(float(first["area_km2"]), 1)
    ('2024-08-06', 6.4)
    """
    schema.validate_timeline(timeline)
    gazetteer = gazetteer or LocalGazetteer()
    defaults = dict(areas.DEFAULT_STATUS if default_status is None else default_status)
    places = timeline_settlements(timeline, gazetteer=gazetteer)
    if places.empty:
        return _empty(AREA_COLUMNS, "MultiPolygon")
    if country_shapes is None:
        x0, y0, x1, y1 = places.total_bounds
        extent = (x0 - margin_deg, y0 - margin_deg, x1 + margin_deg, y1 + margin_deg)
        country_shapes = borders.country_shapes(bbox=extent, countries=("RU", "UA"))
    shapes = country_shapes[["country", "geometry"]]
    places = _with_country(places, shapes)
    sites = pd.concat(
        [places, _gazetteer_settlements(gazetteer, shapes, exclude=set(places[schema.PLACE_ID]))],
        ignore_index=True,
    )
    days = change_dates(timeline) if dates is None else pd.DatetimeIndex([_utc(d) for d in dates])
    rows: list[gpd.GeoDataFrame] = []
    for country, shape in shapes.groupby("country"):
        mine = sites[sites["country"] == country]
        previous: tuple[tuple[str, str], ...] | None = None
        for day in days:
            statuses = _statuses_on(timeline, day, mine[schema.PLACE_ID])
            key = tuple(sorted(statuses.items()))
            if key == previous:
                continue
            previous = key
            held = areas.areas_from_statuses(
                mine.assign(status=mine[schema.PLACE_ID].map(statuses)),
                country_shapes=shape,
                default_status=defaults,
                max_distance_km=max_distance_km,
                smoothing_km=smoothing_km,
            )
            held = held[~held.geometry.is_empty]
            rows.append(
                held.assign(
                    valid_from=day,
                    country=country,
                    default=held["status"] == defaults.get(str(country)),
                )
            )
    if not rows:
        return _empty(AREA_COLUMNS, "MultiPolygon")
    frame = pd.concat(rows, ignore_index=True)
    frame["valid_to"] = _next_start(frame, by="country")
    order = frame.sort_values(["valid_from", "country", "status"], kind="stable")
    return gpd.GeoDataFrame(
        order[list(AREA_COLUMNS)].reset_index(drop=True), geometry="geometry", crs="EPSG:4326"
    )


def front_lines_over_time(areas_frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The lines where the areas of two statuses meet, on every day the areas change.

    International borders and the edge of the extent are not front lines: the country shapes
    are the union of each country's areas of the day.

    Parameters
    ----------
    areas_frame
        The areas over time frame from :func:`areas_over_time`.

    Returns
    -------
    geopandas.GeoDataFrame
        The front lines over time frame (see :mod:`mapper.control`); rows with no line are left
        out.
    """
    rows = []
    days = pd.DatetimeIndex(areas_frame["valid_from"].unique()).sort_values()
    for day in days:
        current = areas_frame[
            (areas_frame["valid_from"] <= day)
            & (areas_frame["valid_to"].isna() | (areas_frame["valid_to"] > day))
        ]
        changed = current[~current["default"]]
        if changed.empty:
            continue
        # Lines only run along land some settlement changed: cutting the day's areas to the
        # surroundings of that land keeps the long borders of the default areas out of the
        # overlays, which are slow on polygons of thousands of vertices.
        window = shapely.buffer(changed.union_all(), _WINDOW_DEG, quad_segs=2)
        current = current.clip(window)
        # The areas come with an extra vertex every 100 m; within a metre of their edges, most go.
        current = current.set_geometry(current.simplify(_SIMPLIFY_DEG))
        shapes = current.dissolve(by="country").reset_index()[["country", "geometry"]]
        dissolved = current.dissolve(by="status").reset_index()[["status", "geometry"]]
        lines = areas.front_line(dissolved, country_shapes=shapes)
        rows.append(lines[~lines.geometry.is_empty].assign(valid_from=day))
    if not rows:
        return _empty(LINE_COLUMNS, "MultiLineString")
    frame = pd.concat(rows, ignore_index=True)
    # A day whose areas have no line ends the lines of the day before.
    following = dict(zip(days[:-1], days[1:], strict=True))
    frame["valid_to"] = pd.to_datetime(frame["valid_from"].map(following), utc=True)
    return gpd.GeoDataFrame(
        frame[list(LINE_COLUMNS)].reset_index(drop=True), geometry="geometry", crs="EPSG:4326"
    )


def _next_start(frame: pd.DataFrame, *, by: str) -> pd.Series:
    """Each row's ``valid_to``: the next ``valid_from`` of its group (``NaT`` for the last)."""
    starts = frame[["valid_from"]].assign(_g=frame[by])
    distinct = starts.drop_duplicates().sort_values("valid_from")
    distinct["next"] = distinct.groupby("_g")["valid_from"].shift(-1)
    merged = starts.merge(distinct, on=["valid_from", "_g"], how="left")
    return pd.Series(merged["next"].to_numpy(), index=frame.index, dtype=frame["valid_from"].dtype)


def _statuses_on(
    timeline: gpd.GeoDataFrame, day: pd.Timestamp, place_ids: pd.Series
) -> dict[str, str]:
    """The known statuses (``unknown`` left out) of these places on ``day``."""
    current = status_on(timeline, day)["controller"]
    current = current[current.index.isin(place_ids) & current.isin(schema.CONTROLLERS)]
    return {str(k): str(v) for k, v in current.items()}


def timeline_settlements(
    timeline: gpd.GeoDataFrame, *, gazetteer: LocalGazetteer | None = None
) -> gpd.GeoDataFrame:
    """The places of the timeline that hold ground: settlements and cities.

    Oblasts, districts and capitals (by the gazetteer's kind) are left out, and so are places
    outside ``settings.focus_bbox``; a place the gazetteer does not know is kept.

    Parameters
    ----------
    timeline
        The timeline frame.
    gazetteer
        Knows the places' kinds and countries; default: the offline gazetteer.

    Returns
    -------
    geopandas.GeoDataFrame
        ``place_id``, ``country`` (``None`` where the gazetteer does not know the place) and
        the place's point.
    """
    gazetteer = gazetteer or LocalGazetteer()
    places = timeline.reset_index().drop_duplicates(schema.PLACE_ID)
    places = places[~places.geometry.is_empty & places.geometry.notna()]
    known = [gazetteer.by_id(str(p)) for p in places[schema.PLACE_ID]]
    keep = np.array([c is None or c.kind in SETTLEMENT_KINDS for c in known], dtype=bool)
    countries = [None if c is None else c.country for c in known]
    frame = gpd.GeoDataFrame(
        {schema.PLACE_ID: places[schema.PLACE_ID].astype(str).to_numpy(), "country": countries},
        geometry=places.geometry.to_numpy(),
        crs="EPSG:4326",
    )
    inside = frame.geometry.within(shapely.box(*settings.focus_bbox)).to_numpy()
    return frame[keep & inside].reset_index(drop=True)


def _with_country(places: gpd.GeoDataFrame, shapes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Fill in the country of places the gazetteer does not know from the shape holding them."""
    unknown = places["country"].isna()
    if unknown.any():
        joined = gpd.sjoin(places[unknown], shapes, how="left", predicate="within")
        places.loc[unknown, "country"] = joined.groupby(level=0)["country_right"].first()
    return places[places["country"].isin(set(shapes["country"]))]


def _gazetteer_settlements(
    gazetteer: LocalGazetteer, shapes: gpd.GeoDataFrame, *, exclude: set[str]
) -> gpd.GeoDataFrame:
    """The gazetteer's settlements inside the extent of ``shapes``."""
    lon0, lat0, lon1, lat1 = shapes.total_bounds
    chosen = [
        c
        for c in gazetteer.places
        if c.kind in SETTLEMENT_KINDS
        and c.place_id not in exclude
        and lon0 <= c.lon <= lon1
        and lat0 <= c.lat <= lat1
    ]
    return gpd.GeoDataFrame(
        {
            schema.PLACE_ID: [c.place_id for c in chosen],
            "country": [c.country for c in chosen],
        },
        geometry=shapely.points([(c.lon, c.lat) for c in chosen]) if chosen else [],
        crs="EPSG:4326",
    )


def _empty(columns: Sequence[str], geometry_type: str) -> gpd.GeoDataFrame:
    frame = pd.DataFrame({c: [] for c in columns if c != "geometry"})
    for column in ("valid_from", "valid_to"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    logger.info("no settlement in the timeline: no %s over time", geometry_type.lower())
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")


def _utc(date: str | pd.Timestamp) -> pd.Timestamp:
    day = pd.Timestamp(date)
    return day.tz_localize("UTC") if day.tzinfo is None else day.tz_convert("UTC")
