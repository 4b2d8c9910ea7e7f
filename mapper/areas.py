"""Settlement statuses -> the area each side holds, and the lines where the areas meet.

The rule, applied to each country shape on its own, so that no cell crosses an international
border:

1. **Status.** A settlement with no status takes its country's default (``default_status``,
   ``{"RU": "RU", "UA": "UA"}`` unless given): a settlement in Russia is RU-held unless reported
   otherwise. Settlements at the same point with different statuses are ``contested``.
2. **Cells.** The country's settlements split its shape into Voronoi cells
   (:func:`shapely.voronoi_polygons`), each clipped to the shape.
3. **Reach** (``max_distance_km``, default 2 km). A settlement's claim is its cell cut to the
   disc of that radius around it. Holding a village says little about the empty fields 5 km
   away, and the whole cells of settlements on the edge of a held area reach far into the grey
   zone and beyond it.
4. **Smoothing** (``smoothing_km``, default 6 km). The claims of one status are closed
   morphologically (buffered out by that distance, then back in). This fills the gaps between
   neighbouring claims and the middle of a held area far from any settlement, but it never takes
   land that a settlement of another status claims under rule 3. Where the smoothed areas of
   two statuses overlap, the land is ``contested``.
5. **Default.** In a country with a default, the land that no other status holds belongs to
   the default (the rest of Russia is RU-held). In a country without one, that land is left out.

So settlements change the map only where their status differs from their country's default.
With ``max_distance_km=math.inf`` and ``smoothing_km=0`` the rule is plain Voronoi clipped to
the border. ``benchmarks/areas_check.py`` scores the rule on DeepState's map of the Kursk
incursion, using settlement statuses alone. On 15 dates from August 2024 to March 2025, the
Ukrainian-held area it estimates has a median intersection over union of 0.76 with DeepState's
and a median area error of 4 %. Plain Voronoi scores 0.69 and is 20 % too large. The two
distances were picked on a grid of half kilometres. The neighbouring values score within 0.02
of them, and 14 other dates, each a week after one of the first ones, give the same median.

Geometry is computed in a Lambert azimuthal equal-area projection centred on the settlements.
There, areas are exact and distances (the reach, the smoothing) are true to within 0.05 % up to
400 km from the centre. A UTM zone is not equal-area. EPSG:3035 is centred at 10°E, so near
Kursk it stretches distances by almost 1 % in one direction and shrinks them in the other.

areas (GeoDataFrame, EPSG:4326, one row per status in the order ``RU``, ``UA``, ``contested``)
    ==========  =========================================================
    status      ``RU``, ``UA`` or ``contested``
    area_km2    area held, km²
    geometry    MultiPolygon (empty when the status holds nothing)
    ==========  =========================================================

front lines (GeoDataFrame, EPSG:4326, one row per pair of statuses)
    ==========  =========================================================
    between     ``RU|UA`` (the front line), ``RU|contested`` or ``UA|contested``
    length_km   length of the line, km
    geometry    MultiLineString (empty when the two areas do not meet)
    ==========  =========================================================
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry, BaseMultipartGeometry

from mapper._errors import ConfigurationError, SchemaError
from mapper.schema import CONTROLLERS, PLACE_ID

logger = logging.getLogger(__name__)

DEFAULT_STATUS: Mapping[str, str] = MappingProxyType({"RU": "RU", "UA": "UA"})
"""Status of the settlements, and of the land, of each country (ISO2) unless reported."""
MAX_DISTANCE_KM = 2.0
SMOOTHING_KM = 6.0

SETTLEMENT_COLUMNS = (PLACE_ID, "status", "country")
PAIRS = (("RU", "UA"), ("RU", "contested"), ("UA", "contested"))

# Overlays leave slivers nanometres wide, which turn invalid when projected back to lon/lat; a
# centimetre grid drops them.
_GRID_M = 0.01
# Only vertices are projected, and a straight edge in one CRS bends in the other: by about
# 0.5 mm over 100 m, 2.5 cm over a kilometre and 250 m over 100 km near Kursk. So the shapes'
# edges are split to 0.01° (about a kilometre) on the way in, and the results' to 100 m on the
# way out, where a bend wider than the grid could make nearly touching rings cross.
_EDGE_M = 100.0
_EDGE_DEG = 0.01
# Areas meet along edges built from the same vertices, but each has been projected to EPSG:4326
# and back on its own; a metre absorbs that round trip and is far below any mapping precision.
_TOUCH_M = 1.0

Geometries = npt.NDArray[np.object_]


def areas_from_statuses(
    settlements: gpd.GeoDataFrame,
    *,
    country_shapes: gpd.GeoDataFrame,
    default_status: Mapping[str, str] | None = None,
    max_distance_km: float = MAX_DISTANCE_KM,
    smoothing_km: float = SMOOTHING_KM,
) -> gpd.GeoDataFrame:
    """Estimate the area each side holds from the statuses of settlements.

    The rule is described in :mod:`mapper.areas`.

    Parameters
    ----------
    settlements
        Points (EPSG:4326) with columns ``place_id``, ``status`` (``RU``, ``UA``, ``contested``,
        or missing when unknown) and ``country`` (ISO2 code of the country the settlement is in).
        Rows without a point, or whose country has no shape, are left out (and logged).
    country_shapes
        Polygons (EPSG:4326) with an ISO2 ``country`` column. Cells are clipped to the shape of
        their settlement's country, and the land of a country with a default status is that
        status's unless settlements say otherwise, so pass shapes cut to the region of interest.
    default_status
        Status of a country's unknown settlements and unclaimed land, by ISO2 code. ``None``
        means :data:`DEFAULT_STATUS`; pass ``{}`` to assume nothing.
    max_distance_km
        Reach of a settlement's claim; ``math.inf`` keeps whole Voronoi cells.
    smoothing_km
        Radius of the closing that joins the claims of one status; 0 turns smoothing off.

    Returns
    -------
    geopandas.GeoDataFrame
        The areas frame (see :mod:`mapper.areas`): ``status``, ``area_km2``, ``geometry``.

    Raises
    ------
    SchemaError
        If a frame lacks a column, is not in EPSG:4326, or holds the wrong geometry type or an
        unknown status.
    ConfigurationError
        If a distance or a default status is out of range.

    Examples
    --------
    A square degree of "Russia" with a Ukrainian-held village in it: the village holds the land
    within 2 km (a 32-sided polygon); the rest stays RU-held by default.

    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> russia = gpd.GeoDataFrame(
    ...     {"country": ["RU"]}, geometry=[box(35, 51, 36, 52)], crs="EPSG:4326")
    >>> villages = gpd.GeoDataFrame(
    ...     {"place_id": ["a", "b"], "status": ["UA", None], "country": ["RU", "RU"]},
    ...     geometry=[Point(35.3, 51.5), Point(35.7, 51.5)], crs="EPSG:4326")
    >>> areas = areas_from_statuses(villages, country_shapes=russia)
    >>> areas[["status", "area_km2"]].round(1)
          status  area_km2
    0         RU    7713.2
    1         UA      12.5
    2  contested       0.0
    """
    defaults = dict(DEFAULT_STATUS if default_status is None else default_status)
    _check_options(defaults, max_distance_km, smoothing_km)
    _validate_settlements(settlements)
    _validate_country_shapes(country_shapes)
    shapes = _shapes_by_country(country_shapes)
    points = _placeable(settlements, set(shapes))
    bounds = points.total_bounds if len(points) else country_shapes.total_bounds
    crs = _local_crs(bounds)
    status = points["status"].astype(object)
    status = status.where(status.notna(), points["country"].map(defaults))
    projected = _projected(points.geometry, crs)
    reach_m = max_distance_km * 1000
    held: dict[str, list[BaseGeometry]] = {s: [] for s in CONTROLLERS}
    projected_shapes = _projected(gpd.GeoSeries(list(shapes.values())), crs)
    for country, shape in zip(shapes, projected_shapes, strict=True):
        mine = (points["country"] == country).to_numpy()
        parts = _country_areas(
            projected[mine],
            status.to_numpy()[mine],
            shape,
            default=defaults.get(str(country)),
            reach_m=reach_m,
            smoothing_m=smoothing_km * 1000,
        )
        for name, part in parts.items():
            held[name].append(part)
    geometries = [
        _multipolygon(
            shapely.segmentize(shapely.set_precision(shapely.union_all(held[s]), _GRID_M), _EDGE_M)
        )
        for s in CONTROLLERS
    ]
    return gpd.GeoDataFrame(
        {"status": list(CONTROLLERS), "area_km2": [g.area / 1e6 for g in geometries]},
        geometry=_to_lonlat(geometries, crs),
        crs="EPSG:4326",
    )


def front_line(
    areas: gpd.GeoDataFrame, *, country_shapes: gpd.GeoDataFrame | None = None
) -> gpd.GeoDataFrame:
    """The lines where the areas of two statuses meet.

    The ``RU|UA`` row is the front line proper; the ``contested`` rows bound the grey zone.

    Parameters
    ----------
    areas
        The areas frame from :func:`areas_from_statuses`.
    country_shapes
        The shapes the areas were computed with. When given, stretches along their edges (the
        international borders and the edge of the region) are left out: a country's default
        holder meets its neighbour's there, and that is a border, not a front.

    Returns
    -------
    geopandas.GeoDataFrame
        The front lines frame (see :mod:`mapper.areas`): ``between``, ``length_km``,
        ``geometry``.

    Raises
    ------
    SchemaError
        If ``areas`` or ``country_shapes`` is not a valid frame.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> areas = gpd.GeoDataFrame(
    ...     {"status": ["RU", "UA", "contested"], "area_km2": [0.0, 0.0, 0.0]},
    ...     geometry=[box(35, 51, 36, 52), box(34, 51, 35, 52), None], crs="EPSG:4326")
    >>> front_line(areas)[["between", "length_km"]].round()
            between  length_km
    0         RU|UA      111.0
    1  RU|contested        0.0
    2  UA|contested        0.0
    """
    _validate_areas(areas)
    if country_shapes is not None:
        _validate_country_shapes(country_shapes)
    bounds = areas.total_bounds
    # Areas that are all empty have no bounds and meet nowhere: any projection will do.
    crs = _local_crs(bounds if np.isfinite(bounds).all() else np.zeros(4))
    by_status = {
        status: shapely.union_all(_projected(group.geometry, crs))
        for status, group in areas.groupby("status")
    }
    edges = None
    if country_shapes is not None:
        borders = shapely.boundary(_projected(country_shapes.geometry, crs))
        edges = shapely.buffer(shapely.union_all(borders), _TOUCH_M, quad_segs=1)
    lines = []
    for first, second in PAIRS:
        one = by_status.get(first, shapely.Polygon())
        other = by_status.get(second, shapely.Polygon())
        # A metre's tolerance needs no round corners: one segment a quarter circle is enough,
        # and several times faster on areas of thousands of vertices.
        near = shapely.buffer(other, _TOUCH_M, quad_segs=1)
        shared = shapely.intersection(shapely.boundary(one), near)
        if edges is not None:
            shared = shapely.difference(shared, edges)
        lines.append(_multilinestring(shapely.segmentize(shared, _EDGE_M)))
    return gpd.GeoDataFrame(
        {
            "between": [f"{a}|{b}" for a, b in PAIRS],
            "length_km": [line.length / 1000 for line in lines],
        },
        geometry=_to_lonlat(lines, crs),
        crs="EPSG:4326",
    )


def _country_areas(
    points: Geometries,
    status: npt.NDArray[np.object_],
    shape: BaseGeometry,
    *,
    default: str | None,
    reach_m: float,
    smoothing_m: float,
) -> dict[str, BaseGeometry]:
    if len(points) == 0:
        return {} if default is None else {default: shape}
    sites, site_status = _sites(points, status)
    claims = _claims(sites, shape, reach_m)
    held: dict[str, BaseGeometry] = {}
    for name in CONTROLLERS:
        mine = site_status == name
        if name == default or not mine.any():
            continue
        own = shapely.union_all(claims[mine])
        held[name] = shapely.union(own, _fill(own, claims[~mine], shape, smoothing_m))
    held = _overlaps_contested(held)
    if default is not None:
        taken = shapely.union_all(list(held.values()))
        held[default] = shapely.union(
            held.get(default, shapely.Polygon()), shapely.difference(shape, taken)
        )
    return held


def _sites(
    points: Geometries, status: npt.NDArray[np.object_]
) -> tuple[Geometries, npt.NDArray[np.object_]]:
    """One site per distinct point; disagreeing statuses at a point make it contested."""
    coordinates = shapely.get_coordinates(points)
    unique, inverse = np.unique(coordinates, axis=0, return_inverse=True)
    known = pd.DataFrame({"site": inverse.reshape(-1), "status": status}).dropna()
    known = known.drop_duplicates()
    site_status = np.full(len(unique), None, dtype=object)
    site_status[known["site"].to_numpy()] = known["status"].to_numpy()
    repeated = known["site"].value_counts()
    site_status[repeated.index[repeated > 1].to_numpy()] = "contested"
    return shapely.points(unique), site_status


def _claims(sites: Geometries, shape: BaseGeometry, reach_m: float) -> Geometries:
    """Each site's Voronoi cell within ``shape``, cut to ``reach_m`` around the site."""
    if len(sites) == 1:
        cells = np.array([shape], dtype=object)
    else:
        diagram = shapely.get_parts(
            shapely.voronoi_polygons(shapely.multipoints(sites), extend_to=shape)
        )
        # voronoi_polygons returns cells in its own order: match each site to the cell around it
        site_index, cell_index = shapely.STRtree(diagram).query(sites, predicate="within")
        cells = np.empty(len(sites), dtype=object)
        cells[site_index] = diagram[cell_index]
    if math.isfinite(reach_m):
        cells = shapely.intersection(cells, shapely.buffer(sites, reach_m))
    # Clipping to a detailed border is the slow part: only clip the cells that cross it.
    shapely.prepare(shape)
    crossing = ~shapely.contains_properly(shape, cells)
    cells[crossing] = shapely.intersection(cells[crossing], shape)
    return cells


def _fill(
    own: BaseGeometry, others: Geometries, shape: BaseGeometry, smoothing_m: float
) -> BaseGeometry:
    """Land the closing of ``own`` adds, less what other settlements claim."""
    if smoothing_m == 0 or own.is_empty:
        return shapely.Polygon()
    closed = shapely.buffer(shapely.buffer(own, smoothing_m), -smoothing_m)
    added = shapely.intersection(shapely.difference(closed, own), shape)
    near = shapely.STRtree(others).query(added, predicate="intersects")
    return shapely.difference(added, shapely.union_all(others[near]))


def _overlaps_contested(held: dict[str, BaseGeometry]) -> dict[str, BaseGeometry]:
    names = list(held)
    overlaps = [
        shapely.intersection(held[a], held[b]) for i, a in enumerate(names) for b in names[i + 1 :]
    ]
    overlap = shapely.union_all(overlaps)
    if overlap.is_empty:
        return held
    resolved = {name: shapely.difference(geom, overlap) for name, geom in held.items()}
    resolved["contested"] = shapely.union(resolved.get("contested", shapely.Polygon()), overlap)
    return resolved


def _multipolygon(geometry: BaseGeometry) -> shapely.MultiPolygon:
    polygons = [p for p in _flat_parts(geometry) if isinstance(p, shapely.Polygon)]
    return shapely.MultiPolygon(polygons)


def _multilinestring(geometry: BaseGeometry) -> shapely.MultiLineString:
    lines = [
        p for p in _flat_parts(geometry) if isinstance(p, shapely.LineString) and not p.is_empty
    ]
    merged = shapely.line_merge(shapely.MultiLineString(lines)) if lines else None
    return shapely.MultiLineString(
        [] if merged is None else [p for p in _flat_parts(merged) if not p.is_empty]
    )


def _flat_parts(geometry: BaseGeometry) -> list[BaseGeometry]:
    parts = []
    for part in shapely.get_parts(geometry):
        if isinstance(part, BaseMultipartGeometry):
            parts.extend(_flat_parts(part))
        else:
            parts.append(part)
    return parts


def _projected(lonlat: gpd.GeoSeries, crs: str) -> Geometries:
    dense = shapely.segmentize(lonlat.to_numpy(), _EDGE_DEG)
    projected: Geometries = gpd.GeoSeries(dense, crs="EPSG:4326").to_crs(crs).to_numpy()
    return projected


def _to_lonlat(geometries: list[BaseGeometry], crs: str) -> Geometries:
    lonlat: Geometries = gpd.GeoSeries(geometries, crs=crs).to_crs("EPSG:4326").to_numpy()
    return lonlat


def _local_crs(bounds: npt.NDArray[np.float64]) -> str:
    """Lambert azimuthal equal-area centred on ``bounds`` (lon/lat), to a hundredth of a degree."""
    lon = round(float(bounds[0] + bounds[2]) / 2, 2)
    lat = round(float(bounds[1] + bounds[3]) / 2, 2)
    return f"+proj=laea +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m +no_defs"


def _shapes_by_country(country_shapes: gpd.GeoDataFrame) -> dict[str, BaseGeometry]:
    usable = country_shapes[country_shapes["country"].notna() & _present(country_shapes.geometry)]
    return {
        str(country): shapely.union_all(group.geometry.to_numpy())
        for country, group in usable.groupby("country")
    }


def _present(geometries: gpd.GeoSeries) -> npt.NDArray[np.bool_]:
    values = geometries.to_numpy()
    present: npt.NDArray[np.bool_] = ~shapely.is_missing(values) & ~shapely.is_empty(values)
    return present


def _placeable(settlements: gpd.GeoDataFrame, countries: set[str]) -> gpd.GeoDataFrame:
    has_point = _present(settlements.geometry)
    has_shape = settlements["country"].isin(countries)
    left_out = settlements[~(has_point & has_shape)]
    if len(left_out):
        logger.warning(
            "%s settlements left out (no point, or no shape for their country), e.g. %s",
            len(left_out),
            ", ".join(map(str, left_out[PLACE_ID].head(5))),
        )
    return settlements[has_point & has_shape]


def _check_options(defaults: dict[str, str], max_distance_km: float, smoothing_km: float) -> None:
    problems = []
    bad = {k: v for k, v in defaults.items() if v not in CONTROLLERS}
    if bad:
        problems.append(f"default_status maps to {bad}, expected values among {CONTROLLERS}")
    if not max_distance_km > 0:
        problems.append(
            f"max_distance_km should be a positive number of km (math.inf for whole cells), "
            f"got {max_distance_km}"
        )
    if not (smoothing_km >= 0 and math.isfinite(smoothing_km)):
        problems.append(
            f"smoothing_km should be 0 (off) or a positive number of km, got {smoothing_km}"
        )
    if problems:
        raise ConfigurationError("; ".join(problems) + ".")


def _frame_problems(
    frame: object, name: str, columns: tuple[str, ...], geometry_types: tuple[str, ...]
) -> list[str]:
    """Every way ``frame`` misses the columns, the CRS or the geometry type it needs."""
    if not isinstance(frame, gpd.GeoDataFrame):
        return [f"{name} should be a GeoDataFrame, got {type(frame).__name__}"]
    problems = []
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        problems.append(f"{name} is missing columns {missing} (has {list(frame.columns)})")
    if frame.active_geometry_name is None:
        return [*problems, f"{name} has no active geometry column: use .set_geometry()"]
    if frame.crs is None:
        problems.append(f"{name} has no CRS: if it is lon/lat, use .set_crs('EPSG:4326')")
    elif frame.crs.to_epsg() != 4326:
        problems.append(
            f"{name} CRS should be EPSG:4326, got {frame.crs.to_string()}: use .to_crs('EPSG:4326')"
        )
    geometries = frame.geometry[_present(frame.geometry)]
    wrong = sorted(set(geometries.geom_type) - set(geometry_types))
    if wrong:
        problems.append(f"{name} should hold {' or '.join(geometry_types)}, got {wrong}")
    return problems


def _validate_settlements(settlements: gpd.GeoDataFrame) -> None:
    problems = _frame_problems(settlements, "settlements", SETTLEMENT_COLUMNS, ("Point",))
    if "status" in getattr(settlements, "columns", ()):
        bad = sorted({str(v) for v in settlements["status"].dropna()} - set(CONTROLLERS))
        if bad:
            problems.append(
                f"settlements has status values {bad[:5]}, expected one of {CONTROLLERS} or "
                "missing (unknown)"
            )
    if problems:
        raise SchemaError(
            "; ".join(problems) + ". From mapper.status_on(timeline, day), rename 'controller' "
            "to 'status' and add each place's ISO2 'country'; use the places' points."
        )


def _validate_country_shapes(country_shapes: gpd.GeoDataFrame) -> None:
    problems = _frame_problems(
        country_shapes, "country_shapes", ("country",), ("Polygon", "MultiPolygon")
    )
    if not problems and not _present(country_shapes.geometry).any():
        problems.append("country_shapes holds no polygons")
    if problems:
        raise SchemaError(
            "; ".join(problems) + ". Pass country polygons in EPSG:4326 with each one's ISO2 "
            "code in a 'country' column (rename e.g. Natural Earth's 'ISO_A2')."
        )


def _validate_areas(areas: gpd.GeoDataFrame) -> None:
    problems = _frame_problems(areas, "areas", ("status",), ("Polygon", "MultiPolygon"))
    if problems:
        raise SchemaError(
            "; ".join(problems) + ". Build it with mapper.areas.areas_from_statuses()."
        )
