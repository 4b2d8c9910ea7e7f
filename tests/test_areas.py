from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from pyproj import Geod
from shapely.geometry import Point, box
from shapely.geometry.base import BaseGeometry

from benchmarks.areas_check import compare, load, missing_files
from mapper._errors import ConfigurationError, SchemaError
from mapper.areas import areas_from_statuses, front_line
from tests.conftest import shared_path

UKRAINE = box(34, 51, 35, 52)
RUSSIA = box(35, 51, 36, 52)
PLAIN_VORONOI: dict[str, Any] = {"max_distance_km": math.inf, "smoothing_km": 0}


def countries() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"country": ["UA", "RU"]}, geometry=[UKRAINE, RUSSIA], crs="EPSG:4326")


def settlements(*rows: tuple[float, float, str | None, str]) -> gpd.GeoDataFrame:
    """Build settlements from ``(lon, lat, status, country)`` tuples."""
    return gpd.GeoDataFrame(
        {
            "place_id": [f"p{i}" for i in range(len(rows))],
            "status": pd.Series([r[2] for r in rows], dtype=object),
            "country": [r[3] for r in rows],
        },
        geometry=[Point(r[0], r[1]) for r in rows],
        crs="EPSG:4326",
    )


def held(areas: gpd.GeoDataFrame, status: str) -> BaseGeometry:
    return areas.set_index("status").geometry[status]


def geodesic_km2(geometry: BaseGeometry) -> float:
    """Area on the WGS84 ellipsoid, edges densified so that they follow the parallels."""
    area, _ = Geod(ellps="WGS84").geometry_area_perimeter(shapely.segmentize(geometry, 0.01))
    return abs(area) / 1e6


def same_shape(got: BaseGeometry, expected: BaseGeometry, tolerance: float = 0.005) -> bool:
    """Whether the two differ by less than ``tolerance`` of the expected area."""
    return bool(shapely.symmetric_difference(got, expected).area < tolerance * expected.area)


def halves() -> gpd.GeoDataFrame:
    """A UA-held village in the west of Russia, unknown ones in its east and in Ukraine."""
    return settlements(
        (35.25, 51.5, "UA", "RU"), (35.75, 51.5, None, "RU"), (34.5, 51.5, None, "UA")
    )


def test_area_of_a_known_square_is_right() -> None:
    russia = countries()[lambda f: f["country"] == "RU"]
    areas = areas_from_statuses(settlements((35.5, 51.5, None, "RU")), country_shapes=russia)
    expected = geodesic_km2(RUSSIA)
    assert areas["area_km2"].tolist()[0] == pytest.approx(expected, rel=0.01)
    assert same_shape(held(areas, "RU"), RUSSIA)


def test_statuses_give_the_dissolved_areas() -> None:
    areas = areas_from_statuses(halves(), country_shapes=countries(), **PLAIN_VORONOI)
    assert areas["status"].tolist() == ["RU", "UA", "contested"]
    assert areas.crs == "EPSG:4326"
    assert set(areas.geom_type) == {"MultiPolygon"}
    assert areas.is_valid.all()
    # Two villages symmetric about 35.5°E split Russia along that meridian.
    ua_held, ru_held = box(34, 51, 35.5, 52), box(35.5, 51, 36, 52)
    assert same_shape(held(areas, "UA"), ua_held)
    assert same_shape(held(areas, "RU"), ru_held)
    assert held(areas, "contested").is_empty
    km2 = areas.set_index("status")["area_km2"]
    assert km2["UA"] == pytest.approx(geodesic_km2(ua_held), rel=0.01)
    assert km2["RU"] == pytest.approx(geodesic_km2(ru_held), rel=0.01)
    assert km2["contested"] == 0


def test_a_held_village_claims_its_reach_and_the_rest_keeps_the_default() -> None:
    areas = areas_from_statuses(halves(), country_shapes=countries(), max_distance_km=2)
    ua_in_russia = shapely.intersection(held(areas, "UA"), RUSSIA)
    disc_km2 = math.pi * 2**2
    assert geodesic_km2(ua_in_russia) == pytest.approx(disc_km2, rel=0.02)
    assert shapely.distance(ua_in_russia.centroid, Point(35.25, 51.5)) < 1e-3
    assert same_shape(held(areas, "RU"), shapely.difference(RUSSIA, ua_in_russia))


def test_unknown_settlements_take_their_country_default() -> None:
    default = areas_from_statuses(halves(), country_shapes=countries(), **PLAIN_VORONOI)
    assert same_shape(held(default, "RU"), box(35.5, 51, 36, 52))

    no_default_for_russia = areas_from_statuses(
        halves(), country_shapes=countries(), default_status={"UA": "UA"}, **PLAIN_VORONOI
    )
    assert held(no_default_for_russia, "RU").is_empty
    assert same_shape(held(no_default_for_russia, "UA"), box(34, 51, 35.5, 52))

    told = halves().assign(status=pd.Series(["UA", "RU", None], dtype=object))
    explicit = areas_from_statuses(
        told, country_shapes=countries(), default_status={}, **PLAIN_VORONOI
    )
    assert same_shape(held(explicit, "RU"), box(35.5, 51, 36, 52))
    assert same_shape(held(explicit, "UA"), box(35, 51, 35.5, 52))


def test_cells_never_cross_the_border() -> None:
    # One Voronoi diagram over both countries would give the village in Ukraine, 0.7 km from
    # the border, most of Russia's square.
    villages = settlements((34.99, 51.5, "RU", "UA"), (35.9, 51.5, "UA", "RU"))
    areas = areas_from_statuses(
        villages, country_shapes=countries(), default_status={}, **PLAIN_VORONOI
    )
    assert same_shape(held(areas, "RU"), UKRAINE)
    assert same_shape(held(areas, "UA"), RUSSIA)

    near = settlements((35.01, 51.5, "UA", "RU"))
    claim = held(areas_from_statuses(near, country_shapes=countries(), default_status={}), "UA")
    assert claim.within(RUSSIA.buffer(1e-6))  # 7 cm
    assert 0.5 < geodesic_km2(claim) / (math.pi * 2**2) < 0.9


def test_disagreeing_statuses_at_one_point_are_contested() -> None:
    villages = settlements((35.3, 51.5, "UA", "RU"), (35.3, 51.5, "RU", "RU"))
    areas = areas_from_statuses(villages, country_shapes=countries())
    assert shapely.intersection(held(areas, "UA"), RUSSIA.buffer(-1e-6)).is_empty
    assert geodesic_km2(held(areas, "contested")) == pytest.approx(math.pi * 2**2, rel=0.02)


def test_front_line_lies_between_ru_and_ua_areas() -> None:
    areas = areas_from_statuses(halves(), country_shapes=countries(), **PLAIN_VORONOI)
    lines = front_line(areas, country_shapes=countries()).set_index("between")
    assert list(lines.index) == ["RU|UA", "RU|contested", "UA|contested"]
    line = lines.geometry["RU|UA"]
    assert line.geom_type == "MultiLineString"
    assert line.within(held(areas, "RU").buffer(1e-4))
    assert line.within(held(areas, "UA").buffer(1e-4))
    assert 35.49 < line.bounds[0] <= line.bounds[2] < 35.51
    assert lines.loc["RU|UA", "length_km"] == pytest.approx(111.2, rel=0.01)
    assert lines.loc["RU|contested", "length_km"] == 0


def test_front_line_leaves_out_the_border() -> None:
    quiet = settlements((35.5, 51.5, None, "RU"), (34.5, 51.5, None, "UA"))
    areas = areas_from_statuses(quiet, country_shapes=countries())
    along_border = front_line(areas).set_index("between").loc["RU|UA", "length_km"]
    assert along_border == pytest.approx(111.2, rel=0.01)
    lines = front_line(areas, country_shapes=countries())
    assert lines["length_km"].tolist() == [0, 0, 0]


def test_nothing_known_gives_empty_areas_and_no_front() -> None:
    unknown = halves().assign(status=None)
    areas = areas_from_statuses(unknown, country_shapes=countries(), default_status={})
    assert areas["area_km2"].tolist() == [0, 0, 0]
    assert areas.geometry.is_empty.all()
    assert front_line(areas)["length_km"].tolist() == [0, 0, 0]


def test_input_is_not_mutated() -> None:
    villages, shapes = halves(), countries()
    areas = areas_from_statuses(villages, country_shapes=shapes)
    front_line(areas, country_shapes=shapes)
    assert_geodataframe_equal(villages, halves())
    assert_geodataframe_equal(shapes, countries())


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (lambda f: f.drop(columns="status"), r"missing columns \['status'\]"),
        (lambda f: f.to_crs("EPSG:3857"), r"EPSG:4326, got EPSG:3857: use \.to_crs"),
        (lambda f: f.set_crs(None, allow_override=True), r"set_crs\('EPSG:4326'\)"),
        (lambda f: f.assign(status=["UA", "Russia", None]), r"status values \['Russia'\]"),
        (lambda f: f.set_geometry([RUSSIA, RUSSIA, UKRAINE]), r"Point, got \['Polygon'\]"),
        (lambda f: pd.DataFrame(f), r"should be a GeoDataFrame, got DataFrame"),
    ],
)
def test_bad_settlements_raise_schema_error(
    broken: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame], message: str
) -> None:
    with pytest.raises(SchemaError, match=message) as error:
        areas_from_statuses(broken(halves()), country_shapes=countries())
    assert "rename 'controller' to 'status'" in str(error.value)


def test_every_problem_is_reported_at_once() -> None:
    broken = halves().drop(columns="country").to_crs("EPSG:3857")
    with pytest.raises(SchemaError, match=r"missing columns \['country'\].*EPSG:3857"):
        areas_from_statuses(broken, country_shapes=countries())


def test_bad_country_shapes_raise_schema_error() -> None:
    iso = countries().rename(columns={"country": "ISO_A2"})
    with pytest.raises(SchemaError, match=r"missing columns \['country'\].*rename e\.g\."):
        areas_from_statuses(halves(), country_shapes=iso)
    with pytest.raises(SchemaError, match="holds no polygons"):
        areas_from_statuses(halves(), country_shapes=countries().iloc[:0])


def test_front_line_wants_an_areas_frame() -> None:
    with pytest.raises(SchemaError, match=r"areas is missing columns \['status'\].*Build it"):
        front_line(countries())


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"max_distance_km": 0}, "max_distance_km should be a positive number"),
        ({"smoothing_km": -1}, "smoothing_km should be 0"),
        ({"default_status": {"RU": "Russia"}}, r"default_status maps to \{'RU': 'Russia'\}"),
    ],
)
def test_bad_options_raise_configuration_error(option: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        areas_from_statuses(halves(), country_shapes=countries(), **option)


def test_deepstate_ua_held_area_in_kursk_is_recovered() -> None:
    data = shared_path("data")
    missing = missing_files(data)
    if missing:
        pytest.skip(f"shared data incomplete, not found: {', '.join(map(str, missing))}")
    inputs = load(data)
    days = ("2024-09-15", "2024-12-15", "2025-02-01")
    ious = [compare(inputs, day)["iou"] for day in days]
    assert statistics.median(ious) >= 0.75
