from __future__ import annotations

import datetime as dt

import pytest

from mapper._dates import find_dates

SUNDAY = dt.date(2025, 4, 27)


@pytest.mark.parametrize(
    ("text", "anchor", "expected", "precision"),
    [
        ("on Saturday", SUNDAY, "2025-04-26", "day"),
        ("on Sunday", SUNDAY, "2025-04-27", "day"),
        ("last Sunday", SUNDAY, "2025-04-20", "day"),
        ("on Monday night", dt.date(2025, 1, 20), "2025-01-20", "day"),
        ("yesterday", SUNDAY, "2025-04-26", "day"),
        ("last week", dt.date(2024, 8, 20), "2024-08-12", "week"),
        ("last month", SUNDAY, "2025-03-01", "month"),
        ("in August 2024", SUNDAY, "2024-08-01", "month"),
        ("during its August offensive", dt.date(2025, 3, 13), "2024-08-01", "month"),
        ("since August", dt.date(2024, 12, 1), "2024-08-01", "month"),
        ("On February 6", dt.date(2025, 2, 7), "2025-02-06", "day"),
        ("on March 12", dt.date(2025, 3, 14), "2025-03-12", "day"),
        ("Dec. 14–15", dt.date(2025, 1, 3), "2024-12-14", "day"),
        ("14 March 2025", SUNDAY, "2025-03-14", "day"),
        ("2025-03-12", SUNDAY, "2025-03-12", "day"),
        ("in 2022", SUNDAY, "2022-01-01", "year"),
    ],
)
def test_expressions_resolve_against_the_anchor(
    text: str, anchor: dt.date, expected: str, precision: str
) -> None:
    found = find_dates(text, anchor)
    assert len(found) == 1
    assert found[0].date.isoformat() == expected
    assert found[0].precision == precision


def test_relative_days_count_from_the_previous_date() -> None:
    found = find_dates("claimed on Sunday, while Kyiv said two days earlier", dt.date(2025, 3, 16))
    assert [d.date.isoformat() for d in found] == ["2025-03-16", "2025-03-14"]
    assert found[1].relative


def test_never_after_the_anchor() -> None:
    (found,) = find_dates("on December 20", dt.date(2025, 1, 5))
    assert found.date == dt.date(2024, 12, 20)


def test_may_the_verb_is_not_a_month() -> None:
    assert find_dates("Russia may attack again", SUNDAY) == []
    assert find_dates("in May", SUNDAY)[0].date == dt.date(2024, 5, 1)


def test_now_and_the_past_day_count_from_the_statement_only() -> None:
    monday = dt.date(2024, 8, 26)
    stated = find_dates("said on Sunday that it had advanced over the past day", monday)
    assert [d.date.isoformat() for d in stated] == ["2024-08-25", "2024-08-25"]
    # Alone it has nothing to count from: the claim takes the statement's or the article's date.
    alone = find_dates("Troops advanced over the past day", monday, previous=dt.date(2024, 8, 20))
    assert alone == []


@pytest.mark.parametrize(
    ("text", "expected", "precision"),
    [
        ("three days ago", "2025-03-11", "day"),
        ("two weeks ago", "2025-02-24", "week"),
        ("a week ago", "2025-03-03", "week"),
        ("last weekend", "2025-03-08", "day"),
        ("late last year", "2024-01-01", "year"),
    ],
)
def test_ago_weekends_and_last_year(text: str, expected: str, precision: str) -> None:
    (found,) = find_dates(text, dt.date(2025, 3, 14), previous=dt.date(2025, 3, 1))
    assert (found.date.isoformat(), found.precision) == (expected, precision)


def test_letters_the_case_blind_regexes_fold_differently_do_not_break_dates() -> None:
    # re takes "ı" for "i" where str.lower does not: the month is still "april".
    found = find_dates("Fighting on aprıl 5 near Sudzha.", dt.date(2025, 4, 27))
    assert [(d.date, d.precision) for d in found] == [(dt.date(2025, 4, 5), "day")]
