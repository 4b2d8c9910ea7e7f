"""Date expressions in news text, resolved against an anchor (publication date or dateline).

Resolved dates are never after the anchor: "on Saturday" is the latest Saturday on or before it,
"March 12" without a year is the latest March 12 on or before it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from mapper._text import lower_keeping_offsets

MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTH_ABBREVIATIONS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTHS = {name: number for number, name in enumerate(MONTH_NAMES, start=1)} | MONTH_ABBREVIATIONS
_WEEKDAYS = {name: number for number, name in enumerate(WEEKDAY_NAMES)}
_NUMBERS = {
    "a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip

# "May" is a month only when capitalised; every other month name is matched case-insensitively.
_MONTH = (
    rf"(?:(?i:{'|'.join(m for m in MONTH_NAMES if m != 'may')})"
    rf"|(?i:{'|'.join(MONTH_ABBREVIATIONS)})\.?|May)"
)
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_NUM = r"(?P<n>\d+|a|one|two|three|four|five|six|seven|eight|nine|ten)"
_PATTERNS: list[tuple[str, str]] = [
    ("iso", r"\b(?P<iso>(?:19|20)\d\d-[01]\d-[0-3]\d)\b"),
    ("month_day", rf"\b(?P<month>{_MONTH})\s+{_DAY}(?:\s*[–-]\s*\d{{1,2}})?(?:,?\s+{_YEAR})?\b"),
    ("day_month", rf"\b{_DAY}\s+(?P<month>{_MONTH})(?:,?\s+{_YEAR})?\b"),
    (
        "month",
        rf"(?i:\b(?:(?P<lead>in|since|during|last|early|late|its|their|the)\s+|mid-\s*))"
        rf"(?P<month>{_MONTH})(?:\s+{_YEAR})?\b(?!\s+\d)",
    ),
    ("month_year", rf"\b(?P<month>{_MONTH})\s+{_YEAR}\b"),
    ("year", rf"(?i:\b(?:in|since|during)\s+){_YEAR}\b"),
    (
        "weekday",
        rf"(?i:\b(?P<last>last\s+)?(?P<weekday>{'|'.join(WEEKDAY_NAMES)})"
        r"(?:\s+(?:night|morning|evening|afternoon))?\b)",
    ),
    ("today", r"(?i:\b(?:today|this morning|tonight)\b)"),
    (
        "statement_day",
        r"(?i:\b(?:now|overnight|over the past (?:day|24 hours)"
        r"|over the past (?:two|three|several) days|in the past 24 hours)\b)",
    ),
    ("yesterday", r"(?i:\byesterday\b)"),
    ("days_earlier", rf"(?i:\b{_NUM}\s+days?\s+(?:earlier|before|prior)\b)"),
    ("days_ago", rf"(?i:\b{_NUM}\s+days?\s+ago\b)"),
    ("weeks_ago", rf"(?i:\b{_NUM}\s+weeks?\s+ago\b)"),
    ("last_weekend", r"(?i:\blast\s+weekend\b)"),
    ("last_year", r"(?i:\b(?:(?:late|early|in)\s+)?last\s+year\b)"),
    ("day_before", r"(?i:\b(?:a|the)\s+day\s+(?:earlier|before)\b)"),
    ("day_after", r"(?i:\b(?:the\s+next|the\s+following|a)\s+day(?:\s+later)?\b)"),
    ("last_week", r"(?i:\blast\s+week\b)"),
    ("this_week", r"(?i:\b(?:this|earlier this)\s+week\b)"),
    ("last_month", r"(?i:\blast\s+month\b)"),
    ("this_month", r"(?i:\b(?:this|earlier this)\s+month\b)"),
]
_REGEX = re.compile(
    "|".join(f"(?P<_{kind}>{p})" for kind, p in _PATTERNS)
    .replace("(?P<day>", "(?:")
    .replace("(?P<month>", "(?:")
    .replace("(?P<year>", "(?:")
    .replace("(?P<n>", "(?:")
    .replace("(?P<iso>", "(?:")
    .replace("(?P<lead>", "(?:")
    .replace("(?P<last>", "(?:")
    .replace("(?P<weekday>", "(?:")
)
_PARTS = {kind: re.compile(p) for kind, p in _PATTERNS}
# Every expression above starts with a digit, a month or weekday, a word that is a date on its
# own, or a common word ("in", "the", "a", "two", ...) followed by one of those or by a word
# that makes the common one part of a date ("the past", "a day", "this week"). Checking that
# next word here keeps the full pattern from being tried after every "the" and "in". The hint
# runs over lower-case text: a case-insensitive scan is several times slower, and a look-ahead
# for the possible first letters lets the scan skip most positions at C speed.
_DATE_WORDS = "jan feb mar apr may jun jul aug sep oct nov dec mon tue wed thu fri sat sun".split()
_ALONE = "today tonight overnight yesterday now mid".split()
_LEADS = (
    "this over in since during last early late its their the a an one two three four five six "
    "seven eight nine ten earlier"
).split()
_FOLLOWS = "the\\s+past past days?\\b next following week month morning this last year".split()
_FIRST_LETTERS = "".join(sorted({w[0] for w in _DATE_WORDS + _ALONE + _LEADS}))
_HINT = re.compile(
    rf"\b(?=[0-9{_FIRST_LETTERS}])(?:\d|{'|'.join(_DATE_WORDS + _ALONE)}"
    rf"|(?:{'|'.join(_LEADS)})(?=\s+(?:\d|{'|'.join(_DATE_WORDS + _FOLLOWS)})))"
)


@dataclass(frozen=True, slots=True)
class DateExpr:
    """A date expression found in a text.

    Attributes
    ----------
    start, end
        Character offsets of the expression.
    date
        The resolved day (for week and month precision, the Monday or first day).
    precision
        ``day``, ``week``, ``month`` or ``year``.
    relative
        Whether it counts from the previous date in the sentence ("two days earlier").
    """

    start: int
    end: int
    date: dt.date
    precision: str
    relative: bool = False


def find_dates(
    text: str,
    anchor: dt.date,
    *,
    offset: int = 0,
    within: tuple[int, int] | None = None,
    previous: dt.date | None = None,
) -> list[DateExpr]:
    """Find and resolve the date expressions of ``text``.

    Parameters
    ----------
    text
        A sentence or article.
    anchor
        "Today" for the text: the publication date, or a dateline's date.
    offset
        Added to the reported character offsets.
    within
        Only look at ``text[within[0]:within[1]]`` (a sentence of a longer text); offsets stay
        relative to ``text``.
    previous
        The date a relative expression counts from when none comes before it in ``text``
        (the last date of the sentences before); default: ``anchor``.

    Returns
    -------
    list of DateExpr
        In text order. Relative expressions ("two days earlier") are resolved against the
        date before them in ``text``, else the anchor.

    Examples
    --------
    >>> sat = find_dates("Russia said on Saturday it took Gornal.", dt.date(2025, 4, 27))
    >>> sat[0].date, sat[0].precision
    (datetime.date(2025, 4, 26), 'day')
    >>> [d.date.isoformat() for d in find_dates("in August 2024, then on March 12",
    ...                                          dt.date(2025, 3, 14))]
    ['2024-08-01', '2025-03-12']
    """
    found: list[DateExpr] = []
    lo, hi = within or (0, len(text))
    for match in _matches(text, lo, hi):
        # The kinds' groups are the only ones, and one of them matched.
        kind = str(match.lastgroup)[1:]
        parts = _PARTS[kind].match(match.group())
        if parts is None:
            continue
        if kind == "statement_day" and not found:
            # "said on Sunday that ... over the past day", "... now holds": the statement's
            # date, found before it or (left to the caller) in the attribution after it.
            continue
        before = found[-1].date if found else previous or anchor
        resolved = _resolve(kind, parts, anchor, before)
        if resolved is not None:
            date, precision = resolved
            found.append(
                DateExpr(
                    start=offset + match.start(),
                    end=offset + match.end(),
                    date=min(date, anchor),
                    precision=precision,
                    relative=kind in ("days_earlier", "day_before", "day_after"),
                )
            )
    return found


def _matches(text: str, lo: int, hi: int) -> Iterator[re.Match[str]]:
    """Find the date expressions in ``text[lo:hi]``.

    The full pattern is tried only where an expression can start, which is much faster than
    scanning every position with it.
    """
    end = lo
    for hint in _HINT.finditer(_lower(text), lo, hi):
        if hint.start() < end:
            continue
        match = _REGEX.match(text, hint.start(), hi)
        if match:
            end = match.end()
            yield match


@lru_cache(maxsize=4)
def _lower(text: str) -> str:
    # A sentence at a time asks for the same article: lower it once.
    return lower_keeping_offsets(text)


def _word(matched: str) -> str:
    """A matched word as the tables spell it.

    The case-blind regexes also take "ı" and "İ" for "i" and "ſ" for "s", which ``str.lower``
    leaves as they are.
    """
    return matched.lower().replace("i̇", "i").replace("ı", "i").replace("ſ", "s")


def _resolve(
    kind: str, m: re.Match[str], anchor: dt.date, previous: dt.date
) -> tuple[dt.date, str] | None:
    g = m.groupdict()
    if kind == "iso":
        return dt.date.fromisoformat(g["iso"]), "day"
    if kind in ("month_day", "day_month"):
        month = _MONTHS[_word(g["month"]).rstrip(".")]
        day = int(g["day"])
        try:
            date = _year_for(month, anchor, g.get("year"), day)
        except ValueError:
            return None
        return date, "day"
    if kind in ("month", "month_year"):
        month = _MONTHS[_word(g["month"]).rstrip(".")]
        return _year_for(month, anchor, g.get("year"), 1), "month"
    if kind == "year":
        return dt.date(int(g["year"]), 1, 1), "year"
    if kind == "weekday":
        back = (anchor.weekday() - _WEEKDAYS[_word(g["weekday"])]) % 7
        if g.get("last") and back == 0:
            back = 7
        return anchor - dt.timedelta(days=back), "day"
    if kind == "today":
        return anchor, "day"
    if kind == "statement_day":
        return previous, "day"
    if kind == "yesterday":
        return anchor - dt.timedelta(days=1), "day"
    if kind == "days_earlier":
        n = _word(g["n"])
        return previous - dt.timedelta(days=int(n) if n.isdigit() else _NUMBERS[n]), "day"
    if kind in ("days_ago", "weeks_ago"):
        n = _word(g["n"])
        count = int(n) if n.isdigit() else _NUMBERS[n]
        if kind == "days_ago":
            return anchor - dt.timedelta(days=count), "day"
        then = anchor - dt.timedelta(weeks=count)
        return then - dt.timedelta(days=then.weekday()), "week"
    if kind == "last_year":
        return dt.date(anchor.year - 1, 1, 1), "year"
    if kind == "day_before":
        return previous - dt.timedelta(days=1), "day"
    if kind == "day_after":
        return previous + dt.timedelta(days=1), "day"
    monday = anchor - dt.timedelta(days=anchor.weekday())
    if kind == "last_week":
        return monday - dt.timedelta(days=7), "week"
    if kind == "this_week":
        return monday, "week"
    if kind == "last_weekend":
        return monday - dt.timedelta(days=2), "day"
    first = anchor.replace(day=1)
    if kind == "last_month":
        return (first - dt.timedelta(days=1)).replace(day=1), "month"
    return first, "month"


def _year_for(month: int, anchor: dt.date, year: str | None, day: int) -> dt.date:
    if year:
        return dt.date(int(year), month, day)
    date = dt.date(anchor.year, month, day)
    return date if date <= anchor else dt.date(anchor.year - 1, month, day)
