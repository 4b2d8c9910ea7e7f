from __future__ import annotations

import pytest

from mapper._text import normalize_name, sentences, tokens


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Kazach'ya Loknya", "Kazachya Loknya"),
        ("Kazach’ya Loknya", "KAZACHYA LOKNYA"),
        ("Tëtkino", "Tetkino"),
        ("Nikolaevo-Darino", "Nikolaevo Darino"),
        ("Kursk oblast", "Kursk Region"),
        ("Sudzhansky raion", "Sudzhansky district"),
        ("Казачья Локня", "казачья локня"),
        ("Курськ", "Курск"),
    ],
)
def test_spelling_variants_share_a_key(a: str, b: str) -> None:
    assert normalize_name(a) == normalize_name(b)


def test_different_names_keep_different_keys() -> None:
    assert normalize_name("Malaya Loknya") != normalize_name("Kazachya Loknya")


def test_tokens_keep_offsets_and_possessives() -> None:
    text = "Russia's army, near Sudzha."
    words = tokens(text)
    assert [w.text for w in words] == ["Russia's", "army", "near", "Sudzha"]
    assert all(text[w.start : w.end] == w.text for w in words)


def test_sentences_skip_abbreviations_and_split_on_blank_lines() -> None:
    text = "Fighting on Dec. 14 near Gen. Ivanov's unit. The U.S. said so\n\nNext paragraph"
    parts = [text[a:b] for a, b in sentences(text)]
    assert parts == [
        "Fighting on Dec. 14 near Gen. Ivanov's unit.",
        "The U.S. said so",
        "Next paragraph",
    ]
