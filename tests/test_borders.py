from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Point

import mapper
from mapper import borders
from mapper._errors import ConfigurationError
from tests.conftest import shared_path

# Equal-area and metric over eastern Europe, to measure distances between lines in metres.
METRIC = "EPSG:3035"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(mapper.settings, "cache_folder", tmp_path)
    monkeypatch.setattr(mapper.settings, "use_cache", True)
    return tmp_path


def test_shapes_cover_the_area_of_interest(cache: Path) -> None:
    shapes = borders.country_shapes()
    assert shapes["country"].tolist() == ["RU", "UA", "BY"]
    assert shapes.crs.to_epsg() == 4326
    assert set(shapes.geom_type) == {"MultiPolygon"} and shapes.is_valid.all()
    lon0, lat0, lon1, lat1 = mapper.settings.focus_bbox
    margin = borders.MARGIN_DEG
    assert shapes.total_bounds == pytest.approx(
        [lon0 - margin, lat0 - margin, lon1 + margin, lat1 + margin], abs=0.01
    )
    by_country = shapes.set_index("country").geometry
    assert by_country["RU"].contains(Point(36.19, 51.73))  # Kursk
    assert by_country["RU"].contains(Point(35.27, 51.19))  # Sudzha
    assert by_country["UA"].contains(Point(34.80, 50.91))  # Sumy
    assert by_country["UA"].contains(Point(36.23, 49.99))  # Kharkiv
    assert by_country["BY"].contains(Point(30.98, 52.44))  # Gomel
    assert not by_country["RU"].intersects(by_country["UA"].buffer(-0.001))


def test_shapes_are_cached_and_the_cache_is_used(cache: Path) -> None:
    first = borders.country_shapes(bbox=(34.0, 50.5, 36.5, 52.0), countries=("UA", "RU"))
    files = list((cache / "borders").glob("*.geojson"))
    assert len(files) == 1
    assert first["country"].tolist() == ["UA", "RU"]
    again = borders.country_shapes(bbox=(34.0, 50.5, 36.5, 52.0), countries=("UA", "RU"))
    assert again["country"].tolist() == ["UA", "RU"]
    assert shapely.equals_exact(first.geometry.to_numpy(), again.geometry.to_numpy(), 1e-9).all()
    other = borders.country_shapes(bbox=(34.0, 50.5, 35.0, 52.0), countries=("UA", "RU"))
    assert len(list((cache / "borders").glob("*.geojson"))) == 2
    assert other.total_bounds[2] == pytest.approx(35.0)


def test_a_country_outside_the_box_is_left_out(cache: Path) -> None:
    shapes = borders.country_shapes(bbox=(36.0, 50.0, 37.0, 51.5))
    assert shapes["country"].tolist() == ["RU", "UA"]
    assert borders.country_shapes(bbox=(36.0, 50.5, 37.0, 51.5))["country"].tolist() == ["RU"]


@pytest.mark.parametrize("bbox", [(41, 48, 30, 54), (30, 54, 41, 48), (30, 48, 200, 54)])
def test_a_bad_box_is_refused(bbox: tuple[float, float, float, float], cache: Path) -> None:
    with pytest.raises(ConfigurationError, match="lon_min, lat_min, lon_max, lat_max"):
        borders.country_shapes(bbox=bbox)


def test_the_border_matches_natural_earth_10m(cache: Path) -> None:
    """The Russia-Ukraine border of the shapes follows the reference line within 1 km."""
    reference = gpd.read_file(shared_path("data", "boundaries", "ne10m_ru_ua_border_line.geojson"))
    shapes = borders.country_shapes(bbox=(30, 48, 41, 54)).set_index("country").geometry
    shared = shapely.line_merge(shapely.intersection(shapes["RU"].boundary, shapes["UA"].boundary))
    ours = gpd.GeoSeries([shared], crs="EPSG:4326").to_crs(METRIC).iloc[0]
    theirs = reference.to_crs(METRIC).union_all()
    assert ours.length == pytest.approx(theirs.length, rel=0.01)
    assert shapely.hausdorff_distance(ours, theirs, densify=0.1) < 1000
    samples = shapely.line_interpolate_point(ours, np.linspace(0, ours.length, 500))
    assert float(np.mean(shapely.distance(samples, theirs))) < 100


def test_the_shapes_work_for_areas(cache: Path) -> None:
    shapes = borders.country_shapes(bbox=(34.5, 50.8, 36.0, 51.7), countries=("RU",))
    village = gpd.GeoDataFrame(
        {"place_id": ["sudzha"], "status": ["UA"], "country": ["RU"]},
        geometry=[Point(35.27, 51.19)],
        crs="EPSG:4326",
    )
    areas = mapper.areas_from_statuses(village, country_shapes=shapes)
    held = areas.set_index("status")
    assert held.loc["UA", "area_km2"] == pytest.approx(12.5, rel=0.05)
    lon0, lat0, lon1, lat1 = held.loc["RU", "geometry"].bounds
    assert (lon0, lat0, lon1, lat1) == pytest.approx((34.5, 50.8, 36.0, 51.7), abs=1e-4)
