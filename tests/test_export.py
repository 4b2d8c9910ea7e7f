from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest

import mapper
from mapper import export
from mapper.cli import main


def test_one_geopackage_holds_every_layer(sample_run: mapper.RunResult, tmp_path: Path) -> None:
    path = export.write_geopackage(
        tmp_path / "mapper.gpkg",
        located=sample_run.located,
        timeline=sample_run.timeline,
        areas=sample_run.areas,
        front_lines=sample_run.front_lines,
    )
    layers = {name: kind for name, kind in pyogrio.list_layers(path)}
    assert layers == {
        "claims": "Point",
        "places": "Point",
        "timeline": "Point",
        "areas": "MultiPolygon",
        "front_line": "MultiLineString",
    }
    claims = gpd.read_file(path, layer="claims")
    assert len(claims) == len(sample_run.located) and claims.crs.to_epsg() == 4326
    assert set(claims["claim_id"]) == set(sample_run.located.index)
    timeline = gpd.read_file(path, layer="timeline")
    assert len(timeline) == len(sample_run.timeline)
    sudzha = timeline[timeline["place_name"] == "Sudzha"]
    assert "UA" in set(sudzha["controller"]) and "RU" in set(sudzha["controller"])
    areas = gpd.read_file(path, layer="areas")
    assert areas["area_km2"].sum() == pytest.approx(sample_run.areas["area_km2"].sum())
    places = gpd.read_file(path, layer="places")
    assert places["place_id"].is_unique
    assert places["n_claims"].sum() == (sample_run.located["geocode_status"] == "resolved").sum()


def test_geojson_per_change_day(sample_run: mapper.RunResult, tmp_path: Path) -> None:
    files = export.write_geojson_per_date(
        tmp_path / "by_date", timeline=sample_run.timeline, areas=sample_run.areas
    )
    days = mapper.control.change_dates(sample_run.timeline)
    assert [f.name for f in files] == [f"{d.date().isoformat()}.geojson" for d in days]
    for path in files:
        collection = json.loads(path.read_text())
        layers = {f["properties"]["layer"] for f in collection["features"]}
        assert layers == {"area", "status"}, path.name

    # Sudzha: UA-held in the autumn of 2024, RU-held after Russia's claims of 2025-03-13
    def sudzha(path: Path) -> str:
        features = json.loads(path.read_text())["features"]
        return next(
            f["properties"]["controller"]
            for f in features
            if f["properties"]["layer"] == "status" and f["properties"]["place_name"] == "Sudzha"
        )

    assert sudzha([f for f in files if f.name < "2024-10-01.geojson"][-1]) == "UA"
    assert sudzha([f for f in files if f.name >= "2025-03-14.geojson"][0]) == "RU"


def test_small_multiples_png(sample_run: mapper.RunResult, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the plot extra is not installed")
    from matplotlib.image import imread

    path = export.write_small_multiples(
        tmp_path / "control.png",
        timeline=sample_run.timeline,
        areas=sample_run.areas,
        dates=["2024-09-15", "2025-04-01"],
        dpi=50,
    )
    image = imread(path)
    # two panels side by side: 8 x 3.6 inches at 50 dpi
    assert image.shape[:2] == (180, 400)
    assert len(export.default_small_multiple_dates(sample_run.timeline)) == export.SMALL_MULTIPLES


def test_run_flags_write_the_exports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib", reason="the plot extra is not installed")
    code = main(
        [
            "run",
            "--out",
            str(tmp_path),
            "--tiles",
            "none",
            "--gpkg",
            "--geojson-per-date",
            "--png",
            "2024-09-15",
        ]
    )
    assert code == 0
    assert (tmp_path / "mapper.gpkg").is_file() and (tmp_path / "control.png").is_file()
    assert len(list((tmp_path / "by_date").glob("*.geojson"))) > 10
    out = capsys.readouterr().out
    assert f"export:   {tmp_path / 'mapper.gpkg'}" in out
    assert main(["run", "--out", str(tmp_path), "--no-areas", "--png", "-q"]) == 1
    assert "drop --no-areas" in capsys.readouterr().err
