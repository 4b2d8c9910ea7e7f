from __future__ import annotations

import pytest

from mapper._text import normalize_name
from mapper.gazetteer.translit import (
    all_variants,
    cross_language_variants,
    detect_language,
    latin_variants,
)


def _keys(spellings: set[str]) -> set[str]:
    return {normalize_name(s) for s in spellings}


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Казачья Локня", "Kazachya Loknya"),
        ("Казачья Локня", "Kazach'ya Loknya"),
        ("Казачья Локня", "Kazachia Loknia"),
        ("Гуево", "Guevo"),
        ("Гуево", "Guyevo"),
        ("Плехово", "Plekhovo"),
        ("Плехово", "Pliekhovo"),
        ("Глушково", "Glushkovo"),
        ("Глушково", "Hlushkovo"),
        ("Мартыновка", "Martynovka"),
        ("Мартыновка", "Martinovka"),
        ("Басовка", "Basovka"),
        ("Басовка", "Basivka"),
        ("Внезапное", "Vnezapnoye"),
        ("Внезапное", "Vnezapnoe"),
        ("Харьков", "Kharkov"),
        ("Харків", "Kharkiv"),
        ("Суджа", "Sudzha"),
        ("Суджа", "Sudja"),
        ("Сумы", "Sumy"),
        ("Никольский", "Nikolsky"),
        ("Никольский", "Nikolskiy"),
        ("Никольский", "Nikolskii"),
        ("Никольский", "Nikol'skiy"),
        ("Новеньке", "Novenke"),
        ("Юнаківка", "Yunakivka"),
        ("Олексіївка", "Oleksiivka"),
        ("Андріївка", "Andriivka"),
        ("Кіндратівка", "Kindrativka"),
    ],
)
def test_common_spellings_are_indexed(cyrillic: str, latin: str) -> None:
    assert normalize_name(latin) in _keys(all_variants(cyrillic))


@pytest.mark.parametrize(
    ("cyrillic", "language", "latin"),
    [
        ("Никольский", "ru", "Nikol'skiy"),  # BGN/PCGN
        ("Казачья Локня", "ru", "Kazač'ja Loknja"),  # scholarly
        ("Казачья Локня", "ru", "Kazač'â Loknâ"),  # ISO 9
        ("Щёкино", "ru", "Shhyokino"),  # GOST 7.79 system B
        ("Харьков", "ru", "Xar`kov"),
        ("Ёлкино", "ru", "Yolkino"),
        ("Алексеевка", "ru", "Alexeyevka"),
        ("Красный", "ru", "Krasnyy"),
        ("Згурівка", "uk", "Zghurivka"),  # national system of 2010
        ("Олексіївка", "uk", "Oleksiyivka"),  # BGN/PCGN 1965
        ("Гірник", "uk", "Girnik"),  # press: г as g, и as i
        ("Запоріжжя", "uk", "Zaporizhzhia"),
        ("Запоріжжя", "uk", "Zaporizhzhya"),
    ],
)
def test_each_system_is_covered(cyrillic: str, language: str, latin: str) -> None:
    assert normalize_name(latin) in _keys(latin_variants(cyrillic, language=language))


def test_capitalisation_is_kept_per_word() -> None:
    assert "Kazachya Loknya" in latin_variants("Казачья Локня")
    assert "NIKOLSKIY" in latin_variants("НИКОЛЬСКИЙ")
    assert "Rostov-na-Donu" in latin_variants("Ростов-на-Дону")


@pytest.mark.parametrize(
    ("name", "language", "expected"),
    [
        ("Басовка", "ru", "Басівка"),
        ("Внезапное", "ru", "Внезапне"),
        ("Красный Лиман", "ru", "Красний Ліман"),
        ("Никольский", "ru", "Нікольський"),
        ("Сумы", "ru", "Суми"),
        ("Энергодар", "ru", "Енергодар"),
        ("Енакиево", "ru", "Єнакієве"),
        ("Тёткино", "ru", "Тьоткіно"),
        ("Подъезд", "ru", "Под'єзд"),
        ("Курск", "ru", "Курськ"),
        ("Андреевка", "ru", "Андріївка"),
        ("Плехово", "ru", "Плєхово"),
        ("Басівка", "uk", "Басовка"),
        ("Андріївка", "uk", "Андреевка"),
        ("Нове", "uk", "Новое"),
        ("Курахове", "uk", "Курахово"),
        ("Садове", "uk", "Садовое"),
        ("Красний", "uk", "Красный"),
        ("Великий", "uk", "Великий"),
        ("Донецька", "uk", "Донецкая"),
        ("Енергодар", "uk", "Энергодар"),
    ],
)
def test_cross_language_forms(name: str, language: str, expected: str) -> None:
    assert expected in cross_language_variants(name, language=language)


def test_cross_language_keeps_the_letter_g() -> None:
    assert cross_language_variants("Глушково") == {"Глушково", "Глушкове"}


@pytest.mark.parametrize(
    ("name", "language"),
    [
        ("Мартыновка", "ru"),
        ("Сёла", "ru"),
        ("Глушково", "ru"),
        ("Юнаківка", "uk"),
        ("Ґалаґан", "uk"),
        ("П'ятихатки", "uk"),
        ("Sudzha", "latin"),
        ("北京", "latin"),
    ],
)
def test_detect_language(name: str, language: str) -> None:
    assert detect_language(name) == language


@pytest.mark.parametrize(
    "name",
    [
        "Новоалександровка Вторая",
        "Зелёный Гай Большой Солдатский",
        "Новоекатериновка-Юзовская Щучья",
        "ЯЮЙЁХЩЫЪЬ яюйёхщыъь",
    ],
)
def test_variants_are_bounded(name: str) -> None:
    assert len(all_variants(name)) <= 64
    assert len(latin_variants(name)) <= 64


def test_the_most_standard_spellings_survive_the_cut() -> None:
    name = "Зелёный Гай Большой Солдатский"
    keys = _keys(all_variants(name))
    assert normalize_name("Zelyonyy Gay Bolshoy Soldatskiy") in keys  # BGN/PCGN
    assert normalize_name("Zelënyj Gaj Bol'šoj Soldatskij") in keys  # ISO 9


def test_output_is_deterministic() -> None:
    name = "Новоалександровка Вторая"
    assert all_variants(name) == all_variants(name)
    assert latin_variants(name) == latin_variants(name)


def test_variants_have_distinct_keys() -> None:
    spellings = all_variants("Казачья Локня")
    assert len(_keys(spellings)) == len(spellings)


@pytest.mark.parametrize(
    ("latin", "expected"),
    [
        ("Vnezapnoye", {"Vnezapnoe", "Vnezapne"}),
        ("Nikolsky", {"Nikolskiy", "Nikolskii", "Nikolskyi"}),
        ("Kazachya Loknya", {"Kazachia Loknia"}),
        ("Kharkiv", {"Harkiv"}),
        ("Basovka", {"Basivka"}),
        ("Horlivka", {"Gorlovka"}),
        ("Andreevka", {"Andriivka", "Andreyevka"}),
        ("Avdiivka", {"Avdeyevka"}),
        ("Novenke", {"Novenkoye"}),
        ("Shchastia", {"Schastia", "Shchastya"}),
    ],
)
def test_latin_input_gets_press_habits(latin: str, expected: set[str]) -> None:
    variants = all_variants(latin)
    assert latin in variants
    assert expected <= variants
    assert len(variants) <= 16


def test_latin_input_without_habits_stays_alone() -> None:
    assert all_variants("Sudzha") == {"Sudzha"}
    assert all_variants("Kursk") == {"Kursk"}


def test_long_latin_names_stay_small() -> None:
    name = "Velyka Novosilka Krasnyi Liman Shchastia Horlivka Vnezapnoye Kharkiv"
    assert len(all_variants(name)) <= 16


@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_blank_names_give_nothing(blank: str) -> None:
    assert all_variants(blank) == set()
    assert latin_variants(blank) == set()
    assert cross_language_variants(blank) == set()


@pytest.mark.parametrize("name", ["北京", "123", "თბილისი", "Αθήνα"])
def test_other_scripts_are_returned_unchanged(name: str) -> None:
    assert all_variants(name) == {name}


def test_white_space_is_tidied() -> None:
    assert "Sudzha" in all_variants("  Суджа ")
    assert "Суджа" in all_variants("  Суджа ")


def test_latin_language_passes_names_through() -> None:
    assert latin_variants("Sudzha", language="latin") == {"Sudzha"}
    assert cross_language_variants("Sudzha", language="latin") == set()


def test_unknown_language_is_refused_with_a_hint() -> None:
    with pytest.raises(ValueError, match="detect_language"):
        latin_variants("Суджа", language="be")
    with pytest.raises(ValueError, match="'ru', 'uk'"):
        cross_language_variants("Суджа", language="Russian")
