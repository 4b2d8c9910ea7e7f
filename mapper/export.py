"""Exports for GIS and print: one GeoPackage, GeoJSON per change day, PNG small multiples.

- :func:`write_geopackage` writes the layers ``claims``, ``places``, ``timeline``, ``areas`` and
  ``front_line`` into one GeoPackage (opens in QGIS, reads with geopandas/pyogrio). Times are
  UTC.
- :func:`write_geojson_per_date` writes, for every day a status changes, the areas held and the
  statuses of the places on that day: ``YYYY-MM-DD.geojson``, each feature with a ``layer``
  property (``area`` or ``status``).
- :func:`write_small_multiples` draws the control areas and statuses on chosen days side by side
  into a PNG (needs matplotlib: ``pip install 'frontline-mapper[plot]'``).

Every file is written atomically (:func:`mapper.io.atomic_write`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from mapper import borders, control, io, schema
from mapper._errors import ConfigurationError
from mapper.render import COLOURS
from mapper.timeline import status_on

log = logging.getLogger(__name__)

GPKG_LAYERS = ("claims", "places", "timeline", "areas", "front_line")
PLACE_COLUMNS = (schema.PLACE_ID, "place_name", "place_kind", "admin1", "country", "n_claims")
SMALL_MULTIPLES = 6
"""Panels drawn when no days are chosen: the change days spread evenly over the timeline."""


def write_geopackage(
    path: str | Path,
    *,
    located: gpd.GeoDataFrame,
    timeline: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame | None = None,
    front_lines: gpd.GeoDataFrame | None = None,
) -> Path:
    """Write claims, places, timeline, areas and front lines as layers of one GeoPackage.

    Parameters
    ----------
    path
        The ``.gpkg`` file.
    located
        The located frame: the ``claims`` layer (claims with no point keep an empty geometry),
        and one ``places`` row per place with a point (with its number of claims).
    timeline
        The timeline frame: the ``timeline`` layer, one row per status interval.
    areas, front_lines
        The frames of :mod:`mapper.control`: the ``areas`` and ``front_line`` layers (left out
        when ``None`` or empty).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    schema.validate_located(located)
    schema.validate_timeline(timeline)
    layers = {
        "claims": located.reset_index(),
        "places": places_from_located(located),
        "timeline": timeline.reset_index(),
    }
    if areas is not None and len(areas):
        layers["areas"] = areas
    if front_lines is not None and len(front_lines):
        layers["front_line"] = front_lines

    def write(tmp: Path) -> None:
        tmp.unlink()  # GDAL creates the GeoPackage itself
        for name, frame in layers.items():
            pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG", append=tmp.exists())

    return io.atomic_write(path, write, suffix=".gpkg")


def places_from_located(located: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per located place: ``place_id``, name, kind, oblast, country, claims, point."""
    mapped = located[(located["geocode_status"] == "resolved") & ~located.geometry.is_empty]
    counts = mapped.groupby(schema.PLACE_ID).size()
    places = mapped.drop_duplicates(schema.PLACE_ID).set_index(schema.PLACE_ID, drop=False)
    places = places.assign(n_claims=counts.reindex(places.index).to_numpy())
    return gpd.GeoDataFrame(
        places[[*PLACE_COLUMNS, "geometry"]].reset_index(drop=True),
        geometry="geometry",
        crs="EPSG:4326",
    )


def write_geojson_per_date(
    folder: str | Path,
    *,
    timeline: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    dates: Sequence[str | pd.Timestamp] | None = None,
) -> list[Path]:
    """Write the areas and statuses of each change day to ``folder/YYYY-MM-DD.geojson``.

    Parameters
    ----------
    folder
        Where the files go (created when missing).
    timeline
        The timeline frame.
    areas
        The areas over time frame (:func:`mapper.control.areas_over_time`).
    dates
        Days to write; default: every day a status changes (:func:`mapper.control.change_dates`).

    Returns
    -------
    list of pathlib.Path
        The files written, in date order.
    """
    days = control.change_dates(timeline) if dates is None else _days(dates)
    written = []
    for day in days:
        held = _active(areas, day).assign(layer="area")
        statuses = status_on(timeline, day).reset_index().assign(layer="status")
        statuses = statuses[
            ["layer", schema.PLACE_ID, "place_name", "controller", "valid_from", "geometry"]
        ]
        frame = pd.concat([held.drop(columns=["valid_to"]), statuses], ignore_index=True)
        collection = gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")
        path = Path(folder) / f"{day.date().isoformat()}.geojson"
        written.append(io.write_geojson(collection, path))
    return written


def write_small_multiples(
    path: str | Path,
    *,
    timeline: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    dates: Sequence[str | pd.Timestamp] | None = None,
    columns: int = 3,
    dpi: int = 110,
) -> Path:
    """Draw control on several days side by side, one panel per day, into a PNG.

    Each panel shows Russia and Ukraine, the areas that differ from a country's default, and
    the places with a status, all in the map's colours and on the same extent.

    Parameters
    ----------
    path
        The ``.png`` file.
    timeline
        The timeline frame.
    areas
        The areas over time frame (:func:`mapper.control.areas_over_time`).
    dates
        The days; default: :data:`SMALL_MULTIPLES` change days spread over the timeline.
    columns
        Panels per row.
    dpi
        Resolution.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ConfigurationError
        If matplotlib is not installed or no day is given.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ConfigurationError(
            "PNG small multiples need matplotlib: pip install 'frontline-mapper[plot]'"
        ) from err
    days = default_small_multiple_dates(timeline) if dates is None else _days(dates)
    if not len(days):
        raise ConfigurationError("no day to draw: give dates, or a timeline with statuses")
    changed = areas[~areas["default"]] if len(areas) else areas
    points = control.timeline_settlements(timeline)
    extent = pd.concat([changed.geometry, points.geometry]).total_bounds
    x0, y0, x1, y1 = extent + [-0.2, -0.2, 0.2, 0.2]
    shapes = borders.country_shapes(bbox=(x0, y0, x1, y1), countries=("RU", "UA"))
    rows = math.ceil(len(days) / columns)
    width = min(columns, len(days))
    figure, axes = plt.subplots(rows, width, figsize=(4 * width, 3.6 * rows), squeeze=False)
    for ax, day in zip(axes.flat, days, strict=False):
        shapes.plot(ax=ax, color="#f5f5f5", edgecolor="#9e9e9e", linewidth=0.6)
        held = _active(changed, day)
        if len(held):
            held.plot(ax=ax, color=[COLOURS[s] for s in held["status"]], alpha=0.55, linewidth=0)
        statuses = status_on(timeline, day)
        statuses = statuses[statuses.index.isin(points[schema.PLACE_ID])]
        if len(statuses):
            colours = [COLOURS[s] for s in statuses["controller"]]
            statuses.plot(ax=ax, color=colours, markersize=14, edgecolor="white", linewidth=0.5)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect(1 / math.cos(math.radians((y0 + y1) / 2)))
        ax.set_title(day.date().isoformat(), fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("")
        ax.set_ylabel("")
    for ax in list(axes.flat)[len(days) :]:
        ax.set_axis_off()
    figure.suptitle(
        "Control estimated from claims (red: Russian-held, blue: Ukrainian-held, "
        "orange: contested)",
        fontsize=10,
    )
    figure.tight_layout()
    try:
        return io.atomic_write(path, lambda tmp: figure.savefig(tmp, dpi=dpi, format="png"))
    finally:
        plt.close(figure)


def default_small_multiple_dates(timeline: gpd.GeoDataFrame) -> pd.DatetimeIndex:
    """:data:`SMALL_MULTIPLES` change days spread evenly from the first to the last."""
    days = control.change_dates(timeline)
    if len(days) <= SMALL_MULTIPLES:
        return days
    picks = sorted(
        {round(i * (len(days) - 1) / (SMALL_MULTIPLES - 1)) for i in range(SMALL_MULTIPLES)}
    )
    return days[picks]


def _active(frame: gpd.GeoDataFrame, day: pd.Timestamp) -> gpd.GeoDataFrame:
    ongoing = frame["valid_to"].isna() | (frame["valid_to"] > day)
    return frame[(frame["valid_from"] <= day) & ongoing]


def _days(dates: Sequence[str | pd.Timestamp]) -> pd.DatetimeIndex:
    stamps = [pd.Timestamp(d) for d in dates]
    return pd.DatetimeIndex([s.tz_localize("UTC") if s.tzinfo is None else s for s in stamps])
