from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box, mapping

import mapper
from mapper import overlays, render, schema
from mapper._errors import ConfigurationError, InputError
from mapper.cli import main
from tests.conftest import shared_path
from tests.test_render import timeline_features

SUDZHA = Point(35.27194, 51.19194)
# A square of about 14 x 11 km around Sudzha, and one far to the north-east of it.
AROUND_SUDZHA = box(35.17, 51.14, 35.37, 51.24)
ELSEWHERE = box(35.6, 51.5, 35.7, 51.6)


@pytest.fixture(autouse=True)
def data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setattr(mapper.settings, "data_folder", folder)
    return folder


def feature(geometry: Any, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": mapping(geometry), "properties": properties}


def write_geojson(path: Path, *features: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def write_topojson(
    path: Path, square: tuple[float, float, float, float], **properties: Any
) -> Path:
    """A TopoJSON file of one quantized square (delta-encoded arc), as ISW's files are."""
    x0, y0, x1, y1 = square
    topology = {
        "type": "Topology",
        "transform": {"scale": [(x1 - x0) / 100, (y1 - y0) / 100], "translate": [x0, y0]},
        "arcs": [[[0, 0], [100, 0], [0, 100], [-100, 0], [0, -100]]],
        "objects": {
            "advance": {
                "type": "GeometryCollection",
                "geometries": [
                    {"type": "Polygon", "arcs": [[0]], "properties": properties},
                    {"type": None, "properties": properties},
                ],
            }
        },
    }
    path.write_text(json.dumps(topology))
    return path


def state_on(frame: gpd.GeoDataFrame, day: pd.Timestamp) -> gpd.GeoDataFrame:
    ongoing = frame["valid_to"].isna() | (frame["valid_to"] > day)
    return frame[(frame["valid_from"] <= day) & ongoing]


def sudzha_timeline() -> gpd.GeoDataFrame:
    frame = pd.DataFrame(
        {
            schema.PLACE_ID: ["ru-kursk-sudzha", "ru-kursk-sudzha"],
            schema.VALID_FROM: pd.to_datetime(["2024-08-15", "2025-03-13"], utc=True),
            "place_name": "Sudzha",
            "controller": ["UA", "RU"],
            "valid_to": pd.to_datetime(["2025-03-13", None], utc=True),
            "n_claims": 1,
            "claim_ids": "c",
            "sides": "UA",
            "confidence": 0.8,
            "geometry": [SUDZHA, SUDZHA],
        }
    ).set_index([schema.PLACE_ID, schema.VALID_FROM])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")


def deepstate_like(tmp_path: Path) -> Path:
    return write_geojson(
        tmp_path / "states.geojson",
        feature(AROUND_SUDZHA, date="2024-09-01", status="ua_held_in_russia"),
        feature(ELSEWHERE, date="2024-09-01", status="unknown"),
        feature(AROUND_SUDZHA, date="2024-09-08", status="ua_held_in_russia"),
        feature(ELSEWHERE, date="2024-09-08", status="unknown"),
        feature(ELSEWHERE, date="2025-03-20", status="unknown"),
        feature(box(30, 48, 31, 49), date="2025-03-20", status="liberated"),
    )


def test_a_geojson_overlay_is_installed_with_its_states(tmp_path: Path) -> None:
    installed = overlays.import_overlay(
        deepstate_like(tmp_path), name="ds", date_field="date", status_field="status"
    )
    assert (installed.name, installed.states, installed.first, installed.last) == (
        "ds",
        2,
        "2024-09-01",
        "2025-03-20",
    )
    assert [o.name for o in overlays.installed_overlays()] == ["ds"]
    states = overlays.read_overlay("ds")
    assert list(states.columns) == list(overlays.OVERLAY_COLUMNS)
    # the second snapshot repeats the first and is stored once; liberated is left out
    got = [
        (
            r.valid_from.date().isoformat(),
            None if pd.isna(r.valid_to) else r.valid_to.date().isoformat(),
            r.status,
        )
        for r in states.itertuples()
    ]
    assert got == [
        ("2024-09-01", "2025-03-20", "UA"),
        ("2024-09-01", "2025-03-20", "contested"),
        ("2025-03-20", None, "contested"),
    ]
    assert states.geometry.iloc[0].equals(AROUND_SUDZHA)
    assert states["area_km2"].iloc[0] == pytest.approx(14 * 11.1, rel=0.05)


def test_a_folder_of_topojson_files_dated_by_their_names(tmp_path: Path) -> None:
    folder = tmp_path / "isw"
    folder.mkdir()
    write_topojson(folder / "2024-08-11_advance.topojson", (35.17, 51.14, 35.37, 51.24))
    write_topojson(folder / "2024-08-18_advance.topojson", (35.0, 51.1, 35.4, 51.3))
    installed = overlays.import_overlay(folder, name="isw", date_field="filename", status="UA")
    assert installed.states == 2
    states = overlays.read_overlay("isw")
    assert states["status"].tolist() == ["UA", "UA"]
    assert states.geometry.iloc[1].bounds == pytest.approx((35.0, 51.1, 35.4, 51.3))
    assert states["valid_to"].iloc[0] == pd.Timestamp("2024-08-18", tz="UTC")


def test_features_dated_through_a_snapshot_index(tmp_path: Path) -> None:
    states = write_geojson(
        tmp_path / "states.geojson",
        feature(AROUND_SUDZHA, state_id="a", status="ua_held_in_russia"),
        feature(ELSEWHERE, state_id="b", status="occupied"),
    )
    index = tmp_path / "index.csv"
    index.write_text(
        "snapshot_utc,state_id\n"
        "2024-09-01T08:00:00Z,b\n2024-09-01T20:00:00Z,a\n"  # the day's last snapshot counts
        "2024-09-05T10:00:00Z,a\n2024-09-09T10:00:00Z,b\n2024-09-12T10:00:00Z,a\n"
    )
    overlays.import_overlay(
        states, name="ds", status_field="status", index=index, join_field="state_id"
    )
    got = overlays.read_overlay("ds")
    assert [(r.valid_from.day, r.status) for r in got.itertuples()] == [
        (1, "UA"),
        (9, "RU"),
        (12, "UA"),
    ]


def test_errors_say_how_to_fix_the_input(tmp_path: Path) -> None:
    source = deepstate_like(tmp_path)
    with pytest.raises(ConfigurationError, match="date_field"):
        overlays.import_overlay(source, name="x", status="UA")
    with pytest.raises(ConfigurationError, match="either status_field"):
        overlays.import_overlay(source, name="x", date_field="date")
    with pytest.raises(ConfigurationError, match="letters, digits"):
        overlays.import_overlay(source, name="../x", date_field="date", status="UA")
    with pytest.raises(
        InputError, match=r"date field 'when' not found; the fields are \['date', 'status'\]"
    ):
        overlays.import_overlay(source, name="x", date_field="when", status="UA")
    with pytest.raises(InputError, match="no feature has both a date and a status"):
        overlays.import_overlay(source, name="x", date_field="date", status_field="date")
    with pytest.raises(ConfigurationError, match="should be one of"):
        overlays.import_overlay(
            source, name="x", date_field="date", status_field="status", status_map={"a": "held"}
        )
    with pytest.raises(ConfigurationError, match="no overlay named 'x'"):
        overlays.read_overlay("x")
    assert overlays.installed_overlays() == []


def test_agreement_counts_pairs_of_place_and_date(tmp_path: Path) -> None:
    overlays.import_overlay(
        deepstate_like(tmp_path), name="ds", date_field="date", status_field="status"
    )
    pairs = overlays.agreement(
        sudzha_timeline(), overlays.read_overlay("ds"), dates=["2024-09-15", "2025-04-01"]
    )
    assert list(pairs.columns) == list(overlays.PAIR_COLUMNS)
    got = [
        (r.date.date().isoformat(), r.timeline_status, r.overlay_status) for r in pairs.itertuples()
    ]
    # inside the UA polygon in September; outside every polygon (so Russia's default) in April
    assert got == [("2024-09-15", "UA", "UA"), ("2025-04-01", "RU", "RU")]
    assert pairs["agree"].all()
    before = overlays.agreement(
        sudzha_timeline(), overlays.read_overlay("ds"), dates=["2025-03-25"]
    )
    assert before["agree"].tolist() == [True]
    default = overlays.agreement(sudzha_timeline(), overlays.read_overlay("ds"))
    # every day either changes: 2024-09-01 (overlay), 2025-03-13 (timeline), 2025-03-20 (overlay)
    assert [d.date().isoformat() for d in default["date"]] == [
        "2024-09-01",
        "2025-03-13",
        "2025-03-20",
    ]
    # on 2025-03-13 the claims have Russia back in Sudzha; the overlay only says so a week later
    assert default["agree"].tolist() == [True, False, True]


def test_disagreement_is_counted(tmp_path: Path) -> None:
    source = write_geojson(
        tmp_path / "s.geojson", feature(AROUND_SUDZHA, date="2025-03-15", status="UA")
    )
    overlays.import_overlay(source, name="late", date_field="date", status_field="status")
    pairs = overlays.agreement(
        sudzha_timeline(), overlays.read_overlay("late"), dates=["2025-03-16"]
    )
    assert pairs[["timeline_status", "overlay_status", "agree"]].values.tolist() == [
        ["RU", "UA", False]
    ]


def test_overlays_show_as_assessed_layers(tmp_path: Path, sample_run: mapper.RunResult) -> None:
    overlays.import_overlay(
        deepstate_like(tmp_path), name="ds", date_field="date", status_field="status"
    )
    fmap = render.timeline_map(
        sample_run.timeline,
        claims=sample_run.located,
        tiles=None,
        overlays={"ds": overlays.read_overlay("ds")},
    )
    page = fmap.get_root().render()
    assert "Assessed by ds" in page and "fm-overlay fm-overlay-" in page
    # UA near Sudzha, and the contested square of two consecutive states drawn once
    pieces = [f for f in timeline_features(page) if f["geometry"]["type"] == "Polygon"]
    assert len(pieces) == 2 and page.count('"assessed", "ds"') == 1


def test_overlay_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = deepstate_like(tmp_path)
    assert main(["overlay", "list"]) == 0
    assert "no overlays" in capsys.readouterr().out
    code = main(
        [
            "overlay",
            "add",
            str(source),
            "--name",
            "ds",
            "--date-field",
            "date",
            "--status-field",
            "status",
            "--map",
            "liberated=UA",
        ]
    )
    assert code == 0
    assert "installed overlay ds: 2 states from 2024-09-01 to 2025-03-20" in capsys.readouterr().out
    states = overlays.read_overlay("ds")
    assert "UA" in set(
        states.loc[states["valid_from"] == pd.Timestamp("2025-03-20", tz="UTC"), "status"]
    )
    assert main(["overlay", "list"]) == 0
    assert capsys.readouterr().out.startswith("ds ")
    assert main(["overlay", "agreement", "ds", "-q", "--csv", str(tmp_path / "pairs.csv")]) == 0
    out = capsys.readouterr().out
    assert "(place, date) pairs agree" in out
    assert len(pd.read_csv(tmp_path / "pairs.csv")) > 0
    assert (
        main(
            [
                "overlay",
                "add",
                str(source),
                "--name",
                "x",
                "--status",
                "UA",
                "--date-field",
                "date",
                "--map",
                "oops",
            ]
        )
        == 2
    )
    assert main(["overlay", "remove", "ds"]) == 0
    assert main(["overlay", "remove", "ds"]) == 1
    assert "no overlay named 'ds'" in capsys.readouterr().err


def test_the_shared_deepstate_and_isw_files(tmp_path: Path, sample_run: mapper.RunResult) -> None:
    control = shared_path("data", "control")
    deepstate = overlays.import_overlay(
        control / "deepstate_north_border_states_2024-07-25_2025-05-31.geojson",
        name="deepstate",
        status_field="status",
        index=control / "deepstate_north_border_snapshot_index.csv",
        join_field="state_id",
    )
    assert (deepstate.first, deepstate.last) == ("2024-07-25", "2025-05-31")
    assert 100 < deepstate.states <= 140  # 140 distinct states, some recur
    isw = overlays.import_overlay(
        control / "isw_kursk_ukrainian_advance_weekly_topojson",
        name="isw",
        date_field="filename",
        status="UA",
    )
    assert isw.first == "2024-08-11"
    ua = overlays.read_overlay("isw")
    # SOURCES.md: Sudzha inside through 2025-03-09, outside from 2025-03-16
    assert state_on(ua, pd.Timestamp("2025-03-09", tz="UTC")).geometry.contains(SUDZHA).any()
    assert not state_on(ua, pd.Timestamp("2025-03-16", tz="UTC")).geometry.contains(SUDZHA).any()
    assert state_on(ua, pd.Timestamp("2024-08-25", tz="UTC"))["area_km2"].sum() == pytest.approx(
        1146, rel=0.05
    )
    ds = overlays.read_overlay("deepstate")
    september = state_on(ds, pd.Timestamp("2024-09-01", tz="UTC"))
    assert september.set_index("status").loc["UA", "geometry"].contains(SUDZHA)
    pairs = overlays.agreement(sample_run.timeline, ds)
    assert len(pairs) > 100 and 0 < pairs["agree"].mean() < 1
    sudzha = pairs[(pairs["place_name"] == "Sudzha") & (pairs["date"] == "2024-09-15")]
    assert len(sudzha) <= 1
