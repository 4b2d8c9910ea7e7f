from __future__ import annotations

from pathlib import Path

import pytest

import mapper
from mapper.gazetteer import LocalGazetteer, backends, distance_km, get_gazetteer


@pytest.fixture(scope="module")
def gaz() -> LocalGazetteer:
    return LocalGazetteer()


@pytest.mark.parametrize(
    ("name", "expected", "lat", "lon"),
    [
        ("Gornal", "Gornal", 51.05694, 35.21055),
        ("Kazach'ya Loknya", "Kazachya Loknya", 51.24000, 35.25111),
        ("Казачья Локня", "Kazachya Loknya", 51.24000, 35.25111),
        ("Sudzha", "Sudzha", 51.19194, 35.27194),
        ("Tyotkino", "Tetkino", 51.27111, 34.28250),
        ("Guyevo", "Guevo", 51.09472, 35.26388),
        ("Kharkov", "Kharkiv", 49.98, 36.25),
    ],
)
def test_front_line_places_and_spellings(
    gaz: LocalGazetteer, name: str, expected: str, lat: float, lon: float
) -> None:
    found = [c for c in gaz.lookup(name) if c.name == expected]
    assert found, f"{name} should find {expected}"
    assert found[0].lat == pytest.approx(lat, abs=0.05)
    assert found[0].lon == pytest.approx(lon, abs=0.05)


def test_regions_and_districts(gaz: LocalGazetteer) -> None:
    assert [c.name for c in gaz.lookup("Kursk region")] == ["Kursk Oblast"]
    assert [c.name for c in gaz.lookup("Kurskaya oblast")] == ["Kursk Oblast"]
    assert gaz.lookup("Sudzha district")[0].kind == "district"
    kinds = {c.kind for c in gaz.lookup("Kursk")}
    assert kinds == {"oblast", "city"}


def test_countries_and_foreign_capitals(gaz: LocalGazetteer) -> None:
    assert gaz.lookup("Russia")[0].kind == "country"
    assert gaz.lookup("Washington")[0].country == "US"
    assert gaz.lookup("Moscow")[0].country == "RU"


def test_curated_place_replaces_its_geonames_duplicate(gaz: LocalGazetteer) -> None:
    assert len([c for c in gaz.lookup("Sudzha") if c.name == "Sudzha"]) == 1


def test_country_filter(gaz: LocalGazetteer) -> None:
    assert all(c.country == "UA" for c in gaz.lookup("Popivka", country="UA"))
    # The Ukrainian spelling of the Belgorod village is among its variants.
    assert [c.name for c in gaz.lookup("Popivka", country="RU")] == ["Popovka"]
    assert gaz.lookup("Popivka", country="BY") == []


def test_cache_is_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mapper.settings, "cache_folder", tmp_path)
    first = LocalGazetteer()
    cached = list(tmp_path.glob("gazetteer-*.pickle"))
    assert len(cached) == 1
    mtime = cached[0].stat().st_mtime_ns
    second = LocalGazetteer()
    assert cached[0].stat().st_mtime_ns == mtime
    assert len(first) == len(second)


def test_registry() -> None:
    assert "local" in backends()
    assert isinstance(get_gazetteer("local"), LocalGazetteer)
    with pytest.raises(mapper.ConfigurationError, match="unknown gazetteer"):
        get_gazetteer("nope")


def test_distance(gaz: LocalGazetteer) -> None:
    (sudzha,) = [c for c in gaz.lookup("Sudzha") if c.name == "Sudzha"]
    (gornal,) = gaz.lookup("Gornal")
    assert distance_km(sudzha, gornal) == pytest.approx(16.3, abs=1.0)
