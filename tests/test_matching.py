"""The one-pass name matcher: the fold, its offsets, and the names it reports."""

from __future__ import annotations

import pytest

from mapper._matching import NameMatcher, fold
from mapper._text import normalize_name

NAMES = ["Kazach'ya Loknya", "Tëtkino", "Kursk Oblast", "Sudzha", "Novaya Sorochina", "Гуево"]


@pytest.fixture(scope="module")
def matcher() -> NameMatcher:
    return NameMatcher(normalize_name(n) for n in NAMES)


@pytest.mark.parametrize(
    "text",
    [
        "Kazach'ya Loknya and Tetkino",
        "KAZACHYA LOKNYA, TËTKINO",
        "Kazachʼya Loknya (Tětkino)",
        "Kazach’ya  Loknya",
        "Sudzha\n\nKazachya -\nLoknya, Kursk Oblast",
        "🇷🇺Sudzha and Гуево — Tetkino",
        "Te\u0308tkino, de\u0301ja\u0300 vu, Sudzha",
        "Ukraine's Sudzha; Russia’s Tetkino",
    ],
)
def test_starts_point_into_the_text_as_written(matcher: NameMatcher, text: str) -> None:
    found = matcher.scan(fold(text))
    assert found, text
    for start, (key, _, _) in found.items():
        assert start == 0 or not text[start - 1].isalnum()
        if key is not None:
            assert normalize_name(text[start:]).startswith(key)


def test_a_word_that_only_begins_names_is_known_without_a_key(matcher: NameMatcher) -> None:
    found = matcher.scan(fold("Novaya Zemlya and Novaya Sorochina"))
    assert found[0] == (None, 1, None)
    assert found[18][:2] == ("novaya sorochina", 2)


def test_region_words_match_in_every_spelling(matcher: NameMatcher) -> None:
    for text in ("Kursk Oblast", "Kursk region", "Kursk Province", "the Kursk regions"):
        keys = {key for key, _, _ in matcher.scan(fold(text)).values()}
        assert keys == {"kursk region"}, text


def test_names_inside_words_are_not_found(matcher: NameMatcher) -> None:
    assert matcher.scan(fold("Sudzhansky Tetkinovo Kazachyanka-Loknya")) == {}


def test_possessive_ends_the_name(matcher: NameMatcher) -> None:
    found = matcher.scan(fold("Sudzha's mayor"))
    assert found == {0: ("sudzha", 1, None)}


def test_only_capitalised_words_when_asked(matcher: NameMatcher) -> None:
    text = "sudzha, then Sudzha, then 'Sudzha"
    found = matcher.scan(fold(text), frozenset("S"))
    assert sorted(found) == [text.index("Sudzha")]


def test_offsets_hold_after_characters_that_vanish_or_widen() -> None:
    text = "Kazach'ya Loknya, ﬁeld, Ѣ, Гуевь, Sudzha"
    folded = fold(text)
    assert folded.padded[1:].startswith("kazachya loknya")
    found = NameMatcher(["kazachya loknya", "гуев", "sudzha"]).scan(folded)
    assert sorted(found) == [0, text.index("Гуевь"), text.index("Sudzha")]


def test_an_empty_matcher_finds_nothing() -> None:
    assert NameMatcher([]).scan(fold("Sudzha")) == {}


@pytest.mark.parametrize(
    "text",
    [
        "Kazach'ya  \t Loknya -- Kursk\u00a0 Oblast’s  Sudzha",
        "Kazach'ya  Loknya - Kursk – Oblast’s  Sudzha",  # not ASCII: the other way to the runs
    ],
)
def test_runs_of_spaces_dashes_and_line_breaks_join_words_as_one_space(text: str) -> None:
    found = NameMatcher(["kazachya loknya", "kursk region", "sudzha"]).scan(fold(text))
    assert {start: name[:2] for start, name in found.items()} == {
        0: ("kazachya loknya", 2),
        text.index("Kursk"): ("kursk region", 2),
        text.index("Sudzha"): ("sudzha", 1),
    }


def test_a_possessive_still_ends_a_name_before_a_run_of_spaces() -> None:
    found = NameMatcher(["kursk region governor", "kursk region"]).scan(
        fold("Kursk Oblast's  governor")
    )
    assert {start: name[:2] for start, name in found.items()} == {0: ("kursk region", 2)}


def test_a_blank_line_parts_words() -> None:
    found = NameMatcher(["kazachya loknya"]).scan(fold("Kazachya\n \nLoknya"))
    assert {start: name[0] for start, name in found.items()} == {0: None}
