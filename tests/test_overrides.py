from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import mapper
from mapper.overrides import Overrides, Rule, read_overrides


def find(make_articles: Callable[..., pd.DataFrame], text: str, rules: Overrides) -> pd.DataFrame:
    return mapper.mentions_from_articles(make_articles(("2025-03-01", text)), overrides=rules)


def test_pin_to_coordinates_makes_an_unknown_name_a_place(make_articles) -> None:  # type: ignore[no-untyped-def]
    rules = Overrides([Rule("Berdin", "pin", name="Berdin", lat=51.4, lon=35.4, country="RU")])
    found = find(make_articles, "Ukrainian units advanced towards Berdin.", rules)
    row = found.iloc[0]
    assert (row["status"], row["place_name"], row["lat"], row["reasons"]) == (
        "resolved",
        "Berdin",
        51.4,
        "review override",
    )
    assert row["confidence"] == 1.0


def test_pin_to_a_gazetteer_id_and_not_a_place(make_articles) -> None:  # type: ignore[no-untyped-def]
    rules = Overrides(
        [
            Rule("Popovka", "pin", place_id="ru-belgorod-popovka"),
            Rule("Kursk", "not_place", region="Belgorod Oblast"),
        ]
    )
    found = find(make_articles, "Fighting near Popovka, Kursk and the Belgorod region.", rules)
    assert found["place_name"].tolist() == ["Popovka", "Belgorod Oblast"]
    elsewhere = find(make_articles, "Fighting near Kursk.", rules)
    assert elsewhere["surface"].tolist() == ["Kursk"]


def test_article_rules_beat_region_rules() -> None:
    rules = Overrides(
        [
            Rule("Loknya", "not_place"),
            Rule("Loknya", "pin", name="Malaya Loknya", lat=51.3325, lon=35.22722, article_id="a0"),
        ]
    )
    assert rules.rule_for("loknya", article_id="a0", regions=set()).action == "pin"
    assert rules.rule_for("loknya", article_id="b", regions=set()).action == "not_place"


def test_reading_a_file_reports_every_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "overrides.csv"
    path.write_text(
        "surface,action,place_id,name,lat,lon\n"
        "Berdin,pin,,Berdin,51.4,35.4\n"
        "Ulanok,pin,,Ulanok,,\n"
        "Kyiv 24,ignore,,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(mapper.ConfigurationError) as err:
        read_overrides(path)
    assert "line 3" in str(err.value) and "line 4" in str(err.value)
    path.write_text("surface,action,name,lat,lon\nBerdin,pin,Berdin,51.4,35.4\n", encoding="utf-8")
    assert len(read_overrides(path)) == 1


def test_unknown_place_id_is_a_configuration_error(make_articles) -> None:  # type: ignore[no-untyped-def]
    rules = Overrides([Rule("Sudzha", "pin", place_id="nowhere:1")])
    with pytest.raises(mapper.ConfigurationError, match="unknown place id"):
        find(make_articles, "Fighting near Sudzha.", rules)


def test_run_applies_the_overrides_file(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("surface,action,name,lat,lon\nSnagost,pin,Snagost,51.31,34.90\n", "utf-8")
    result = mapper.run(tiles=None, overrides=path)
    snagost = result.mentions[result.mentions["surface"] == "Snagost"]
    assert len(snagost) and set(snagost["status"]) == {"resolved"}
    assert (result.located["place_name"] == "Snagost").any()
