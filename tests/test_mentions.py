from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

import mapper


@pytest.fixture
def places(make_articles: Callable[..., pd.DataFrame]) -> Callable[[str], pd.DataFrame]:
    def find(text: str) -> pd.DataFrame:
        return mapper.mentions_from_articles(make_articles(("2025-04-27", text)))

    return find


def test_regions_lists_and_possessives(places: Callable[[str], pd.DataFrame]) -> None:
    found = places("Zelensky said Ukraine's army defends areas of the Kursk and Belgorod regions.")
    assert found["place_name"].tolist() == ["Ukraine", "Kursk Oblast", "Belgorod Oblast"]
    assert found["surface"].tolist()[0] == "Ukraine"


def test_bare_kursk_is_the_region_in_war_reporting(places: Callable[[str], pd.DataFrame]) -> None:
    found = places("Ukraine's army was still fighting in Russia's Kursk.")
    assert "Kursk Oblast" in found["place_name"].tolist()


def test_city_cues_pick_the_city(places: Callable[[str], pd.DataFrame]) -> None:
    found = places("Kursk, the regional capital, was hit by a drone attack, the city's mayor said.")
    row = found[found["surface"] == "Kursk"].iloc[0]
    assert (row["place_name"], row["place_kind"]) == ("Kursk", "city")


def test_qualifier_picks_the_namesake(places: Callable[[str], pd.DataFrame]) -> None:
    found = places("Fighting near Demidovka and Popovka in the Belgorod region.")
    popovka = found[found["surface"] == "Popovka"].iloc[0]
    assert popovka["admin1"] == "Belgorod Oblast"
    assert popovka["lat"] == pytest.approx(50.95472, abs=0.01)


def test_region_before_a_clause_qualifies_what_follows_not_what_came_before(
    places: Callable[[str], pd.DataFrame],
) -> None:
    found = places(
        "He wrote that Kyiv held most of Guevo and Oleshnya, and that in the Belgorod region "
        "Ukrainian troops held the village of Popovka."
    )
    by_surface = found.set_index("surface")
    assert by_surface.loc["Belgorod region", "place_name"] == "Belgorod Oblast"
    assert by_surface.loc["Popovka", "admin1"] == "Belgorod Oblast"
    assert by_surface.loc["Guevo", "admin1"] == "Kursk Oblast"
    assert by_surface.loc["Oleshnya", "admin1"] == "Kursk Oblast"


def test_people_organisations_and_adjectives_are_not_places(
    places: Callable[[str], pd.DataFrame],
) -> None:
    found = places(
        "President Vladimir Putin spoke to the Kyiv Independent and Russian troops; "
        "the governor, Alexander Khinshtein, said Kyiv 24 reported it."
    )
    assert found.empty


def test_unknown_names_in_place_position_are_kept_unresolved(
    places: Callable[[str], pd.DataFrame],
) -> None:
    found = places("Ukrainian units advanced towards Ulanok and Cherkasskaya Konopelka.")
    assert found["surface"].tolist() == ["Ulanok", "Cherkasskaya Konopelka"]
    assert set(found["status"]) == {"no_match"}
    assert found["place_id"].isna().all()


def test_far_namesake_is_abstained_not_guessed(places: Callable[[str], pd.DataFrame]) -> None:
    found = places("Russia claimed Novenke and Basivka in Ukraine's Sumy region.")
    novenke = found[found["surface"] == "Novenke"].iloc[0]
    assert novenke["status"] == "ambiguous"
    assert pd.isna(novenke["place_id"])


def test_a_lone_village_outside_the_focus_regions_is_abstained(
    places: Callable[[str], pd.DataFrame],
) -> None:
    found = places("Ukrainian forces withdrew from the village of Loknya, a spokesman said.")
    loknya = found[found["surface"] == "Loknya"].iloc[0]
    assert loknya["status"] == "ambiguous"
    assert "Loknya" in loknya["candidates"]
    near = places("Ukrainian forces withdrew from Loknya near Sudzha, a spokesman said.")
    assert near.set_index("surface").loc["Sudzha", "status"] == "resolved"


def test_a_country_possessive_does_not_cut_the_qualifier_off(
    places: Callable[[str], pd.DataFrame],
) -> None:
    found = places("Russia said it had taken the village of Zhuravka in Ukraine's Sumy region.")
    zhuravka = found[found["surface"] == "Zhuravka"].iloc[0]
    # The built-in gazetteer knows Zhuravkas in Chernihiv and Cherkasy oblasts only.
    assert zhuravka["status"] == "ambiguous"
    assert "not in Sumy Oblast" in zhuravka["reasons"]


def test_an_unknown_reference_point_is_kept_as_a_place(
    places: Callable[[str], pd.DataFrame],
) -> None:
    found = places("Russian forces advanced north of Frobnikovka, analysts said.")
    assert found[["surface", "status"]].values.tolist() == [["Frobnikovka", "no_match"]]


def test_a_shortened_district_adjective_is_the_district(
    places: Callable[[str], pd.DataFrame],
) -> None:
    found = places("Fighting continued in the Korenev district, Russian bloggers said.")
    assert found[["surface", "place_name"]].values.tolist() == [
        ["Korenev district", "Korenevsky District"]
    ]


def test_offsets_point_at_the_surface(places: Callable[[str], pd.DataFrame]) -> None:
    text = "Russia's defence ministry said its troops had captured Gornal."
    found = places(text)
    for _, m in found.iterrows():
        assert text[m["start"] : m["end"]] == m["surface"]


def test_input_not_mutated(make_articles: Callable[..., pd.DataFrame]) -> None:
    articles = make_articles(("2025-04-27", "Fighting near Sudzha."))
    before = articles.copy()
    mapper.mentions_from_articles(articles)
    pd.testing.assert_frame_equal(articles, before)


def test_bad_frame_raises_schema_error() -> None:
    with pytest.raises(mapper.SchemaError, match="missing columns"):
        mapper.mentions_from_articles(pd.DataFrame({"text": ["x"]}).rename_axis("article_id"))


def test_namesakes_at_equal_distance_support_without_error() -> None:
    # Two namesakes exactly as far from the place: the first listed is the one reported.
    def village(place_id: str, lat: float) -> mapper.gazetteer.Candidate:
        return mapper.gazetteer.Candidate(
            place_id=place_id, name="Popovka", kind="settlement", country="RU", admin1="",
            lat=lat, lon=35.0, population=0, source="test",
        )  # fmt: skip

    here = village("here", 51.0)
    nearby = mapper.mentions._Nearby(
        {"popovka": [village("north", 51.1), village("south", 50.9)]}, [], [here]
    )
    why, support = nearby.support(here, own="")
    assert 0 < support < 1
    assert why == "11 km from Popovka (one of 2)"


def test_names_next_to_any_character(places: Callable[[str], pd.DataFrame]) -> None:
    found = places("🇷🇺Sudzha, «Gornal» and Kazach’ya Loknya in the Kursk Province; U.S. officials.")
    assert found["place_name"].tolist() == ["Sudzha", "Gornal", "Kazachya Loknya", "Kursk Oblast"]
    text = "🇷🇺Sudzha, «Gornal» and Kazach’ya Loknya in the Kursk Province; U.S. officials."
    assert [text[s:e] for s, e in zip(found["start"], found["end"], strict=True)] == [
        "Sudzha",
        "Gornal",
        "Kazach’ya Loknya",
        "Kursk Province",
    ]


def test_words_of_a_name_are_joined_by_a_space_or_hyphen(
    places: Callable[[str], pd.DataFrame],
) -> None:
    assert places("Kazachya-Loknya was shelled.")["place_name"].tolist() == ["Kazachya Loknya"]
    assert "Kazachya Loknya" not in places("Kazachya. Loknya was shelled.")["place_name"].tolist()
    # Scraped and wrapped text: several spaces, a line break, a spaced dash.
    for text in (
        "Kazachya  Loknya was shelled.",
        "Kazachya\nLoknya was shelled.",
        "Kazachya - Loknya was shelled.",
    ):
        assert places(text)["place_name"].tolist() == ["Kazachya Loknya"], text
    assert places("Sudzha.\n\nLoknya was shelled.")["surface"].tolist() == ["Sudzha", "Loknya"]


def test_a_count_in_capitals_is_no_place(places: Callable[[str], pd.DataFrame]) -> None:
    found = places("Moscow said its forces liberated TEN VILLAGES IN THE Kursk region.")
    assert found["surface"].tolist() == ["Moscow", "Kursk region"]


def test_two_places_joined_by_a_dash_are_two_places(
    places: Callable[[str], pd.DataFrame],
) -> None:
    found = places("Fighting went on along the Sudzha-Korenevo road and the Kursk – Sumy highway.")
    assert found["surface"].tolist() == ["Sudzha", "Korenevo", "Kursk", "Sumy"]
    assert found["admin1"].iloc[1] == "Kursk Oblast"  # the Korenevo beside Sudzha
    # A name that runs on into a word no place has is still one name, or none.
    assert places("The Kursk-based Sever group said so.")["surface"].tolist() == ["Kursk"]


def test_names_in_a_line_in_capitals(places: Callable[[str], pd.DataFrame]) -> None:
    found = places("RUSSIA SAYS TROOPS RETOOK GORNAL NEAR SUDZHA")
    assert found["place_name"].tolist() == ["Russia", "Gornal", "Sudzha"]
    assert places("Alexei Smirnov said so.").empty  # a person, even where a place is Smirnov
