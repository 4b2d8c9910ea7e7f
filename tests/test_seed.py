"""The article the project started from (read from ../shared/seeds; skipped when absent)."""

from __future__ import annotations

import pytest

import mapper
from tests.conftest import shared_path

EXPECTED = {
    "Gornal": (51.05694, 35.21055),
    "Kazachya Loknya": (51.24000, 35.25111),
    "Kursk Oblast": None,
    "Belgorod Oblast": None,
}


@pytest.fixture(scope="module")
def seed() -> mapper.RunResult:
    return mapper.run([shared_path("seeds", "000_1ad48c351d7d77ef.txt")], tiles=None)


def test_seed_is_read_as_one_dated_article(seed: mapper.RunResult) -> None:
    assert seed.rejected.empty
    (article,) = seed.articles.itertuples()
    assert article.published.date().isoformat() == "2025-04-27"
    assert article.url.startswith("https://www.themoscowtimes.com/2025/04/27/")
    assert "Tatyana Makeyeva" not in article.text
    assert "Related article" not in article.text


def test_seed_places_resolve_to_the_right_coordinates(seed: mapper.RunResult) -> None:
    resolved = seed.mentions[seed.mentions["status"] == "resolved"]
    names = set(resolved["place_name"])
    assert set(EXPECTED) <= names
    assert names & {"Sudzha", "Sudzhansky District"}
    for name, point in EXPECTED.items():
        if point:
            row = resolved[resolved["place_name"] == name].iloc[0]
            assert (row["lat"], row["lon"]) == pytest.approx(point, abs=0.001)
    oblast = resolved[resolved["place_name"] == "Kursk Oblast"].iloc[0]
    assert oblast["place_kind"] == "oblast"


def test_russian_capture_of_gornal_is_dated_and_negated(seed: mapper.RunResult) -> None:
    claims = seed.claims
    capture = claims[(claims["place_name"] == "Gornal") & (claims["action"] == "captured")]
    assert len(capture) == 1
    row = capture.iloc[0]
    assert row["side"] == "RU"
    assert row["event_date"].date().isoformat() == "2025-04-26"
    assert bool(row["negated"])
    denial = claims.loc[row["negated_by"]]
    assert (denial["side"], denial["action"]) == ("UA", "denied")
