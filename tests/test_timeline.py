from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

import mapper
from mapper import schema


def located(*claims: tuple[str, str, str, str, bool]) -> gpd.GeoDataFrame:
    """Build a located frame from (place, date, controller, side, negated) tuples."""
    rows = []
    for i, (place, date, controller, side, negated) in enumerate(claims):
        rows.append(
            {
                "claim_id": f"c{i}",
                "article_id": "a",
                "claimant": side,
                "side": side,
                "action": "captured",
                "place_name": place,
                "place_id": f"id-{place}",
                "mention_id": f"a:{i}",
                "event_date": pd.Timestamp(date, tz="UTC"),
                "date_precision": "day",
                "asserted_controller": controller,
                "negated": negated,
                "negated_by": None,
                "confidence": 0.8,
                "evidence": "",
                "url": "",
                "source": "",
                "published": pd.Timestamp(date, tz="UTC"),
                "lat": 51.19,
                "lon": 35.27,
                "place_kind": "settlement",
                "admin1": "Kursk Oblast",
                "country": "RU",
                "geocode_status": "resolved",
                "geometry": Point(35.27, 51.19),
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326").set_index("claim_id")


def test_latest_claim_wins_and_disagreement_is_contested() -> None:
    frame = located(
        ("Sudzha", "2024-08-15", "UA", "UA", False),
        ("Sudzha", "2024-08-20", "UA", "observer", False),
        ("Sudzha", "2025-03-12", "RU", "RU", False),
        ("Sudzha", "2025-03-12", "contested", "UA", False),
        ("Sudzha", "2025-03-13", "RU", "RU", False),
    )
    timeline = mapper.timeline_from_located(frame)
    got = [
        (
            vf.date().isoformat(),
            r["controller"],
            None if pd.isna(r["valid_to"]) else r["valid_to"].date().isoformat(),
            r["n_claims"],
        )
        for (_, vf), r in timeline.iterrows()
    ]
    assert got == [
        ("2024-08-15", "UA", "2025-03-12", 2),
        ("2025-03-12", "contested", "2025-03-13", 2),
        ("2025-03-13", "RU", None, 1),
    ]
    assert timeline.index.names == [schema.PLACE_ID, schema.VALID_FROM]


def test_negated_and_strike_claims_do_not_set_status() -> None:
    frame = located(
        ("Gornal", "2025-04-20", "UA", "UA", False),
        ("Gornal", "2025-04-26", "RU", "RU", True),
    )
    frame.loc["c2"] = frame.loc["c0"]
    frame.loc["c2", "asserted_controller"] = None
    timeline = mapper.timeline_from_located(frame)
    assert timeline["controller"].tolist() == ["UA"]


def test_status_on_a_date() -> None:
    frame = located(
        ("Sudzha", "2024-08-15", "UA", "UA", False),
        ("Sudzha", "2025-03-13", "RU", "RU", False),
        ("Gornal", "2025-04-26", "RU", "RU", False),
    )
    timeline = mapper.timeline_from_located(frame)
    september = mapper.status_on(timeline, "2024-09-15")
    assert september["controller"].to_dict() == {"id-Sudzha": "UA"}
    april = mapper.status_on(timeline, "2025-04-27")
    assert april["controller"].to_dict() == {"id-Gornal": "RU", "id-Sudzha": "RU"}


def test_bad_frame_raises() -> None:
    with pytest.raises(mapper.SchemaError, match="CRS"):
        mapper.timeline_from_located(
            located(("Sudzha", "2024-08-15", "UA", "UA", False)).to_crs("EPSG:3857")
        )


def test_contested_status_fades_to_unknown() -> None:
    frame = located(("Sudzha", "2025-03-01", "contested", "UA", False))
    timeline = mapper.timeline_from_located(frame, rules=mapper.timeline.Rules(fade_days=10))
    assert timeline["controller"].tolist() == ["contested", "unknown"]
    assert timeline["valid_to"].iloc[0] == pd.Timestamp("2025-03-11", tz="UTC")
    never = mapper.timeline_from_located(frame, rules=mapper.timeline.Rules(fade_days=None))
    assert never["controller"].tolist() == ["contested"]


def test_admissions_outweigh_self_reported_gains() -> None:
    # Russia claims Sudzha; Ukraine concedes it the same day: RU, not contested.
    frame = located(
        ("Sudzha", "2025-03-13", "RU", "RU", False),
        ("Sudzha", "2025-03-13", "RU", "UA", False),
        ("Sudzha", "2025-03-14", "UA", "UA", False),
        ("Sudzha", "2025-03-14", "RU", "RU", False),
    )
    assert mapper.timeline_from_located(frame)["controller"].tolist()[:2] == ["RU", "contested"]


def test_whole_region_claims_reach_the_places_inside() -> None:
    frame = located(
        ("Gornal", "2025-04-01", "UA", "UA", False),
        ("Kursk Oblast", "2025-04-26", "RU", "RU", False),
    )
    frame.loc["c1", ["place_kind", "admin1"]] = ["oblast", ""]
    timeline = mapper.timeline_from_located(frame)
    gornal = timeline.loc["id-Gornal"]
    assert gornal["controller"].tolist() == ["UA", "RU"]
    assert "c1" in gornal["claim_ids"].iloc[-1]


def test_changes_between_two_dates() -> None:
    frame = located(
        ("Sudzha", "2024-08-15", "UA", "UA", False),
        ("Sudzha", "2025-03-13", "RU", "RU", False),
        ("Gornal", "2024-08-20", "UA", "UA", False),
    )
    changes = mapper.changes_between(
        mapper.timeline_from_located(frame), "2024-09-01", "2025-04-01"
    )
    assert changes[["place_name", "before", "after"]].values.tolist() == [["Sudzha", "UA", "RU"]]
    first = mapper.changes_between(mapper.timeline_from_located(frame), "2024-08-01", "2024-09-01")
    assert set(first["before"].isna()) == {True}
