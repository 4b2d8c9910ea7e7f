from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from mapper import control, schema
from mapper.gazetteer import LocalGazetteer

SUDZHA = Point(35.27194, 51.19194)
GORNAL = Point(35.21055, 51.05694)


def timeline(*rows: tuple[str, str, str, str | None, Point]) -> gpd.GeoDataFrame:
    """Build a timeline from ``(place_id, valid_from, controller, valid_to, point)`` rows."""
    frame = pd.DataFrame(
        {
            schema.PLACE_ID: [r[0] for r in rows],
            schema.VALID_FROM: pd.to_datetime([r[1] for r in rows], utc=True),
            "place_name": [r[0] for r in rows],
            "controller": [r[2] for r in rows],
            "valid_to": pd.to_datetime([r[3] for r in rows], utc=True),
            "n_claims": 1,
            "claim_ids": "c",
            "sides": "UA",
            "confidence": 0.8,
            "geometry": [r[4] for r in rows],
        }
    ).set_index([schema.PLACE_ID, schema.VALID_FROM])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")


@pytest.fixture(scope="module")
def gazetteer() -> LocalGazetteer:
    return LocalGazetteer(layers=[])


def sudzha() -> gpd.GeoDataFrame:
    return timeline(
        ("ru-kursk-sudzha", "2024-08-15", "UA", "2025-03-13", SUDZHA),
        ("ru-kursk-sudzha", "2025-03-13", "RU", None, SUDZHA),
    )


def active(frame: gpd.GeoDataFrame, day: str) -> gpd.GeoDataFrame:
    stamp = pd.Timestamp(day, tz="UTC")
    ongoing = frame["valid_to"].isna() | (frame["valid_to"] > stamp)
    return frame[(frame["valid_from"] <= stamp) & ongoing]


def test_change_dates_are_the_starts_and_ends() -> None:
    days = control.change_dates(sudzha())
    assert [d.date().isoformat() for d in days] == ["2024-08-15", "2025-03-13"]
    assert str(days.tz) == "UTC"


def test_a_held_village_holds_ground_only_while_its_status_lasts(
    gazetteer: LocalGazetteer,
) -> None:
    held = control.areas_over_time(sudzha(), gazetteer=gazetteer)
    assert list(held.columns) == list(control.AREA_COLUMNS)
    assert held.crs.to_epsg() == 4326
    ua_in_russia = held[(held["country"] == "RU") & (held["status"] == "UA")]
    assert len(ua_in_russia) == 1
    row = ua_in_russia.iloc[0]
    assert row["valid_from"] == pd.Timestamp("2024-08-15", tz="UTC")
    assert row["valid_to"] == pd.Timestamp("2025-03-13", tz="UTC")
    assert not row["default"]
    assert row.geometry.contains(SUDZHA)
    # at most the 2 km disc around the village, less what its neighbours' cells take
    assert 1 < row["area_km2"] <= 12.6
    assert active(held, "2025-04-01").query("country == 'RU'")["status"].tolist() == ["RU"]
    assert active(held, "2024-09-15").query("country == 'RU'")["status"].tolist() == ["RU", "UA"]


def test_a_country_whose_statuses_do_not_change_keeps_one_row(gazetteer: LocalGazetteer) -> None:
    held = control.areas_over_time(sudzha(), gazetteer=gazetteer)
    ukraine = held[held["country"] == "UA"]
    assert ukraine["status"].tolist() == ["UA"]
    assert ukraine["default"].all() and ukraine["valid_to"].isna().all()
    assert ukraine["area_km2"].iloc[0] > 1000


def test_unknown_takes_the_default_and_oblasts_hold_no_ground(gazetteer: LocalGazetteer) -> None:
    frame = timeline(
        ("ru-kursk-sudzha", "2024-08-15", "contested", "2024-09-14", SUDZHA),
        ("ru-kursk-sudzha", "2024-09-14", "unknown", None, SUDZHA),
        ("ru-kursk-oblast", "2024-08-15", "UA", None, Point(36.01667, 51.75)),
    )
    held = control.areas_over_time(frame, gazetteer=gazetteer)
    russia = held[held["country"] == "RU"]
    assert active(russia, "2024-08-20")["status"].tolist() == ["RU", "contested"]
    assert active(russia, "2024-10-01")["status"].tolist() == ["RU"]
    assert not (russia["status"] == "UA").any()


def test_a_place_the_gazetteer_does_not_know_gets_its_country_from_the_shapes(
    gazetteer: LocalGazetteer,
) -> None:
    frame = timeline(("online:123", "2024-08-15", "UA", None, Point(35.3, 51.3)))
    held = control.areas_over_time(frame, gazetteer=gazetteer)
    ua_in_russia = held[(held["country"] == "RU") & (held["status"] == "UA")]
    assert len(ua_in_russia) == 1 and ua_in_russia.geometry.iloc[0].contains(Point(35.3, 51.3))


def test_dates_and_default_status_can_be_chosen(gazetteer: LocalGazetteer) -> None:
    held = control.areas_over_time(
        sudzha(), gazetteer=gazetteer, dates=["2024-09-01"], default_status={"UA": "UA"}
    )
    russia = held[held["country"] == "RU"]
    # Russia has no default: only the village's ground is held, the rest is left out
    assert russia["status"].tolist() == ["UA"]
    assert russia["valid_from"].tolist() == [pd.Timestamp("2024-09-01", tz="UTC")]


def test_no_settlement_gives_an_empty_frame(gazetteer: LocalGazetteer) -> None:
    frame = timeline(("ru-kursk-oblast", "2024-08-15", "UA", None, Point(36.01667, 51.75)))
    held = control.areas_over_time(frame, gazetteer=gazetteer)
    assert held.empty and list(held.columns) == list(control.AREA_COLUMNS)
    lines = control.front_lines_over_time(held)
    assert lines.empty and list(lines.columns) == list(control.LINE_COLUMNS)


def test_front_lines_follow_the_held_ground(gazetteer: LocalGazetteer) -> None:
    frame = timeline(
        ("ru-kursk-sudzha", "2024-08-15", "UA", "2025-03-13", SUDZHA),
        ("ru-kursk-sudzha", "2025-03-13", "RU", None, SUDZHA),
        ("ru-kursk-gornal", "2024-08-20", "contested", None, GORNAL),
    )
    held = control.areas_over_time(frame, gazetteer=gazetteer)
    lines = control.front_lines_over_time(held)
    assert list(lines.columns) == list(control.LINE_COLUMNS)
    september = active(lines, "2024-09-15").set_index("between")
    assert set(september.index) == {"RU|UA", "RU|contested"}
    ua_ground = (
        active(held, "2024-09-15").query("country == 'RU' and status == 'UA'").geometry.iloc[0]
    )
    # the front line runs around the held ground, not along the border
    assert september.loc["RU|UA", "length_km"] > 5
    assert september.loc["RU|UA", "geometry"].distance(ua_ground.boundary) < 1e-3
    assert set(active(lines, "2025-04-01")["between"]) == {"RU|contested"}


def test_front_lines_end_when_the_held_ground_goes(gazetteer: LocalGazetteer) -> None:
    lines = control.front_lines_over_time(control.areas_over_time(sudzha(), gazetteer=gazetteer))
    assert lines["between"].tolist() == ["RU|UA"]
    assert lines["valid_from"].tolist() == [pd.Timestamp("2024-08-15", tz="UTC")]
    assert lines["valid_to"].tolist() == [pd.Timestamp("2025-03-13", tz="UTC")]
