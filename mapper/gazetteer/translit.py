"""Latin and cross-language spellings of Russian and Ukrainian place names.

Reporting spells one place many ways: Казачья Локня is "Kazachya Loknya", "Kazach'ya Loknya" or
"Kazachia Loknia"; Басовка is also written in Ukrainian as Басівка and then "Basivka". The
gazetteer indexes every spelling :func:`all_variants` returns, so a name is found however a
source spelled it.

Systems covered, Russian: BGN/PCGN, ISO 9 (= GOST 7.79 system A), GOST 7.79 system B, the
scholarly system, and English press habits (soft signs dropped, "ye"/"e", "ya"/"ia"/"ja",
"kh"/"h", "shch"/"sch", "dj" for дж, "x" for кс, -iy/-y/-ii/-yi adjective endings, ...).
Ukrainian: the national system of 2010 (since adopted by BGN/PCGN), the BGN/PCGN system of 1965,
ISO 9 and the press habits ("g" for г, "ya" inside words, ...).

Variants that differ only in case, diacritics, apostrophes, soft signs or hyphens share a lookup
key (:func:`mapper._text.normalize_name`), so only one of each is kept; ISO 9 output such as
"Kazač'â" is emitted because its folded key ("kazaca") differs from the others.

Examples
--------
>>> "Kazachia Loknia" in all_variants("Казачья Локня")
True
>>> sorted(cross_language_variants("Басовка"))
['Басовка', 'Басівка']
>>> detect_language("Олексіївка")
'uk'
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter

from mapper._text import normalize_name

_MAX_VARIANTS = 64
_MAX_LATIN_VARIANTS = 16
_LANGUAGES = ("ru", "uk", "latin")

_CYRILLIC_LETTER = re.compile(r"[Ѐ-ԯ]")
# Russian has no apostrophe inside words (it writes ъ), so one marks Ukrainian like і ї є ґ do.
_UKRAINIAN_MARK = re.compile(r"[іїєґІЇЄҐ]|[Ѐ-ԯ]['’ʼ][Ѐ-ԯ]")
_RUSSIAN_MARK = re.compile(r"[ыэъёЫЭЪЁ]")
_LATIN_LETTER = re.compile(r"[A-Za-zÀ-ɏḀ-ỿ]")
# A word is a run of Cyrillic letters; Ukrainian apostrophes sit inside words (П'ятихатки).
_CYRILLIC_WORD = re.compile(r"[Ѐ-ԯ]+(?:['’ʼ][Ѐ-ԯ]+)*")
_APOSTROPHES = "'’ʼ"
_SIGNS = "ьъ" + _APOSTROPHES
_VOWELS = "аеёиоуыэюяіїє"
_HUSHING = "жчшщ"

# Stream items are (cost, text, key): cost orders spellings from most to least standard.
_Spelling = tuple[int, str, str]


@dataclass(frozen=True, slots=True)
class _System:
    """A romanisation: letters in context to Latin alternatives, most standard first.

    Lookups run from the most to the least specific: a word ``ending``, a ``cluster`` of
    letters, the letter at the word's start (``initial``), after a sign or apostrophe
    (``after_sign``), after a vowel (``after_vowel``), and finally ``letters``.
    """

    cost: int
    letters: Mapping[str, tuple[str, ...]]
    initial: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    after_vowel: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    after_sign: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    clusters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    endings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def _single(mapping: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    return {letter: (latin,) for letter, latin in mapping.items()}


_SHARED = {
    "а": "a", "б": "b", "в": "v", "д": "d", "з": "z", "к": "k", "л": "l", "м": "m",
    "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f",
}  # fmt: skip

# Every system also covers the other language's own letters, so a mislabelled name (Russian
# text with one Ukrainian letter) still comes out all Latin.  Prime marks (ʹ ʺ) of ISO 9 and
# BGN are written as ASCII apostrophes: normalize_name folds those away but not the primes.
_RU_PRESS = _System(
    cost=0,
    letters={
        **_single(_SHARED),
        **_single({"г": "g", "и": "i", "е": "e", "ж": "zh", "ц": "ts", "ч": "ch", "ш": "sh"}),
        # BGN writes the signs as primes; the press drops them. Both give one lookup key, and
        # the bare form is the one English text uses.
        **_single({"ъ": "", "ь": "", "э": "e", "і": "i", "ї": "yi", "є": "ye", "ґ": "g"}),
        **dict.fromkeys(_APOSTROPHES, ("",)),
        "ё": ("ë", "yo", "io"),
        "й": ("y", "i", "j"),
        "х": ("kh", "h"),
        "щ": ("shch", "sch"),
        "ы": ("y", "i"),
        "ю": ("yu", "iu", "ju"),
        "я": ("ya", "ia", "ja"),
    },
    initial={
        "е": ("ye", "e"),
        "ё": ("yë", "yo", "e"),
        "й": ("y", "j"),
        "ю": ("yu", "ju"),
        "я": ("ya", "ja"),
    },
    after_vowel={"е": ("ye", "e", "je"), "ё": ("yë", "yo")},
    after_sign={
        "е": ("ye", "e", "ie", "je"),
        "ё": ("yë", "yo", "io"),
        "и": ("i", "yi"),
        "о": ("o", "yo"),
    },
    clusters={
        "дж": ("dzh", "dj"),
        "кс": ("ks", "x"),
        "жё": ("zhë", "zho"),
        "чё": ("chë", "cho"),
        "шё": ("shë", "sho"),
    },
    endings={"ий": ("iy", "y", "ii", "yi", "i"), "ый": ("yy", "y", "yi", "iy", "ii")},
)

_RU_ISO9 = _System(
    cost=1,
    letters={
        **_single(_SHARED),
        **_single({"г": "g", "е": "e", "ё": "ë", "ж": "ž", "и": "i", "й": "j", "х": "h"}),
        **_single({"ц": "c", "ч": "č", "ш": "š", "щ": "ŝ", "ъ": "'", "ы": "y", "ь": "'"}),
        **_single({"э": "è", "ю": "û", "я": "â", "і": "ì", "ї": "ï", "є": "ê", "ґ": "g̀"}),
        **dict.fromkeys(_APOSTROPHES, ("'",)),
    },
)

_GOST_B_LETTERS = {
    **_SHARED,
    **{"г": "g", "е": "e", "ё": "yo", "ж": "zh", "и": "i", "й": "j", "х": "x", "ц": "cz"},
    **{"ч": "ch", "ш": "sh", "щ": "shh", "ъ": "``", "ы": "y'", "ь": "`", "э": "e`"},
    **{"ю": "yu", "я": "ya", "і": "i", "ї": "yi", "є": "ye", "ґ": "g`"},
}
_RU_GOST_B = _System(
    cost=1,
    letters={**_single(_GOST_B_LETTERS), **dict.fromkeys(_APOSTROPHES, ("''",))},
    # System B writes ц as "c" where the next Latin letter is i, e, y or j, else "cz".
    clusters={"ц" + v: ("c" + _GOST_B_LETTERS[v],) for v in "еёиыйэюяіїє"},
)

_RU_SCHOLARLY = _System(
    cost=1,
    letters={
        **_single(_SHARED),
        **_single({"г": "g", "е": "e", "ё": "ë", "ж": "ž", "и": "i", "й": "j", "ц": "c"}),
        **_single({"ч": "č", "ш": "š", "щ": "šč", "ъ": "'", "ы": "y", "ь": "'", "э": "è"}),
        **_single({"ю": "ju", "я": "ja", "і": "i", "ї": "ji", "є": "je", "ґ": "g"}),
        **dict.fromkeys(_APOSTROPHES, ("'",)),
        "х": ("x", "ch"),
    },
)

_UK_PRESS = _System(
    cost=0,
    letters={
        **_single(_SHARED),
        **_single({"е": "e", "і": "i", "ґ": "g", "ж": "zh", "ц": "ts", "ч": "ch", "ш": "sh"}),
        **_single({"ь": "", "ы": "y", "э": "e", "ъ": ""}),
        **dict.fromkeys(_APOSTROPHES, ("",)),
        "г": ("h", "g"),
        "є": ("ie", "ye", "je"),
        "и": ("y", "i"),
        "ї": ("i", "yi", "ji"),
        "й": ("i", "y", "j"),
        "х": ("kh", "h"),
        "щ": ("shch", "sch"),
        "ю": ("iu", "yu", "ju"),
        "я": ("ia", "ya", "ja"),
        "ё": ("io", "yo"),
    },
    initial={
        "є": ("ye", "je"),
        "ї": ("yi", "ji"),
        "й": ("y", "j"),
        "ю": ("yu", "ju"),
        "я": ("ya", "ja"),
        "ё": ("yo",),
    },
    # The national system writes зг as "zgh" so that it is not read as ж.
    clusters={"зг": ("zgh", "zh", "zg"), "дж": ("dzh", "dj"), "кс": ("ks", "x")},
    endings={"ий": ("yi", "y", "iy", "yy")},
)

_UK_BGN_1965 = _System(
    cost=1,
    letters={
        **_single(_SHARED),
        **_single({"г": "h", "ґ": "g", "е": "e", "є": "ye", "ж": "zh", "и": "y", "і": "i"}),
        **_single({"ї": "yi", "й": "y", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh"}),
        **_single({"щ": "shch", "ь": "'", "ю": "yu", "я": "ya", "ё": "yo", "ы": "y"}),
        **_single({"э": "e", "ъ": "'"}),
        **dict.fromkeys(_APOSTROPHES, ("'",)),
    },
)

_UK_ISO9 = _System(
    cost=1,
    letters={
        **_single(_SHARED),
        **_single({"г": "g", "ґ": "g̀", "е": "e", "є": "ê", "ж": "ž", "и": "i", "і": "ì"}),
        **_single({"ї": "ï", "й": "j", "х": "h", "ц": "c", "ч": "č", "ш": "š", "щ": "ŝ"}),
        **_single({"ь": "'", "ю": "û", "я": "â", "ё": "ë", "ы": "y", "э": "è", "ъ": "'"}),
        **dict.fromkeys(_APOSTROPHES, ("'",)),
    },
)

_SYSTEMS: dict[str, tuple[_System, ...]] = {
    "ru": (_RU_PRESS, _RU_ISO9, _RU_GOST_B, _RU_SCHOLARLY),
    "uk": (_UK_PRESS, _UK_BGN_1965, _UK_ISO9),
}


# ---------------------------------------------------------------------------------------------
# Public API


def detect_language(name: str) -> str:
    """Guess whether a name is Russian, Ukrainian or not Cyrillic at all.

    Parameters
    ----------
    name
        A place name as written.

    Returns
    -------
    str
        ``"uk"`` if it has one of і ї є ґ or an apostrophe inside a word, ``"ru"`` if it has
        one of ы э ъ ё or is otherwise Cyrillic, and ``"latin"`` when it has no Cyrillic
        letter (whatever its script).

    Examples
    --------
    >>> detect_language("Мартыновка"), detect_language("Юнаківка"), detect_language("Sudzha")
    ('ru', 'uk', 'latin')
    """
    if not _CYRILLIC_LETTER.search(name):
        return "latin"
    return "uk" if _UKRAINIAN_MARK.search(name) else "ru"


def latin_variants(name: str, *, language: str = "ru") -> set[str]:
    """All common Latin spellings of a Cyrillic place name.

    Each word keeps its capitalisation. Spellings that fold to the same lookup key are emitted
    once, and at most 64 are returned, the most standard ones first to survive the cut.

    Parameters
    ----------
    name
        A Cyrillic place name; several words are fine.
    language
        ``"ru"`` or ``"uk"``: which romanisation systems apply. ``"latin"`` (what
        :func:`detect_language` says of a Latin name) returns the name as it is.

    Returns
    -------
    set of str
        The spellings; empty for an empty name.

    Raises
    ------
    ValueError
        If ``language`` is not one of ``"ru"``, ``"uk"`` or ``"latin"``.

    Examples
    --------
    >>> {"Nikolskiy", "Nikolsky", "Nikolskii"} <= latin_variants("Никольский")
    True
    >>> "Kharkiv" in latin_variants("Харків", language="uk")
    True
    """
    _check_language(language)
    text = " ".join(name.split())
    if not text:
        return set()
    if language == "latin":
        return {text}
    out: list[str] = []
    _collect(_streams(text, language, penalty=0), out, set(), _MAX_VARIANTS)
    return set(out)


def romanize(name: str, *, language: str | None = None) -> str:
    """The single most standard Latin spelling of a Cyrillic name (a name to show).

    Parameters
    ----------
    name
        A place name; a Latin one is returned as it is.
    language
        ``"ru"`` or ``"uk"``; default: :func:`detect_language`.

    Returns
    -------
    str

    Examples
    --------
    >>> romanize("Казачья Локня"), romanize("Харьков"), romanize("Кіндратівка")
    ('Kazachya Loknya', 'Kharkov', 'Kindrativka')
    """
    language = language or detect_language(name)
    text = " ".join(name.split())
    if language == "latin" or not text:
        return text
    _check_language(language)
    out: list[str] = []
    _collect(_streams(text, language, penalty=0), out, set(), 1)
    return out[0] if out else text


def cross_language_variants(name: str, *, language: str = "ru") -> set[str]:
    """Cyrillic forms of a place name in the other language (Russian <-> Ukrainian).

    Only regular correspondences are applied: adjective and -овка/-івка endings, и/і, ы/и, э/е,
    е/є at a word's start or after a vowel, ё/ьо, ъ/'. Irregular pairs (Харьков/Харків,
    Алексеевка/Олексіївка) need a dictionary and are not produced. A Russian name is also
    given as Ukrainian writes a place in Russia (letters changed, -ово/-овка kept), which may
    equal the name itself, and with its first е after a consonant as є (Плехово, Плєхово).

    Parameters
    ----------
    name
        A Cyrillic place name.
    language
        The language ``name`` is in, ``"ru"`` or ``"uk"``; ``"latin"`` gives an empty set.

    Returns
    -------
    set of str
        Forms in the other language.

    Raises
    ------
    ValueError
        If ``language`` is not one of ``"ru"``, ``"uk"`` or ``"latin"``.

    Examples
    --------
    >>> sorted(cross_language_variants("Плехово"))
    ['Плехове', 'Плехово', 'Плєхово']
    >>> sorted(cross_language_variants("Новеньке", language="uk"))
    ['Новенькое']
    """
    _check_language(language)
    text = " ".join(name.split())
    if not text or language == "latin":
        return set()
    return {form for form, _ in _cross_forms(text, language)}


def all_variants(name: str) -> set[str]:
    """Every spelling under which to index a place name.

    For a Cyrillic name: the name, its forms in the other language, and the Latin spellings
    of both (:func:`latin_variants`, :func:`cross_language_variants`), at most 64 in all, the
    most standard first to survive the cut. For a Latin name: the name and up to 15 press
    alternatives of its characteristic endings and letter pairs (-oye/-oe/-e, -iy/-y/-yi,
    -ovka/-ivka, ya/ia, kh/h, g/h). A name in another script is returned as it is.

    Parameters
    ----------
    name
        A place name as written.

    Returns
    -------
    set of str
        The spellings, including ``name`` with its white space tidied; empty for a blank name.

    Examples
    --------
    >>> {"Kazachya Loknya", "Kazachia Loknia"} <= all_variants("Казачья Локня")
    True
    >>> sorted(all_variants("Vnezapnoye"))
    ['Vnezapne', 'Vnezapnoe', 'Vnezapnoye']
    """
    text = " ".join(name.split())
    if not text:
        return set()
    language = detect_language(text)
    if language == "latin":
        return _latin_habits(text) if _LATIN_LETTER.search(text) else {text}
    readings = [(language, 0)]
    if language == "ru" and not _RUSSIAN_MARK.search(text):
        # Without a letter only one language has (Нове, Новеньке) it may as well be Ukrainian.
        readings.append(("uk", 1))
    out = [text]
    seen = {normalize_name(text)}
    streams: list[Iterator[_Spelling]] = []
    for reading, base in readings:
        streams += _streams(text, reading, penalty=base)
        other = "uk" if reading == "ru" else "ru"
        for form, penalty in _cross_forms(text, reading):
            if normalize_name(form) not in seen:
                seen.add(normalize_name(form))
                out.append(form)
            streams += _streams(form, other, penalty=base + penalty)
    _collect(streams, out, seen, _MAX_VARIANTS)
    return set(out)


def _check_language(language: str) -> None:
    if language not in _LANGUAGES:
        raise ValueError(
            f"language must be one of {', '.join(map(repr, _LANGUAGES))}, got {language!r}; "
            "detect_language(name) gives the right one for a name"
        )


# ---------------------------------------------------------------------------------------------
# Romanisation: each word becomes a row of choice points, enumerated cheapest first.


@dataclass(frozen=True, slots=True)
class _Choice:
    """The Latin alternatives for one piece of a name, most standard first.

    ``group`` is the lower-case alternatives: pieces sharing it are the same habit (я after a
    consonant, say), which a writer usually applies throughout a name.
    """

    group: tuple[str, ...]
    texts: tuple[str, ...]
    keys: tuple[str, ...]


@lru_cache(maxsize=4096)
def _fold(text: str) -> str:
    return normalize_name(text)


@lru_cache(maxsize=4096)
def _distinct(alternatives: tuple[str, ...]) -> tuple[str, ...]:
    """Drop alternatives that fold to the key of an earlier one ("'ya" after "ya")."""
    kept: dict[str, str] = {}
    for alt in alternatives:
        kept.setdefault(_fold(alt), alt)
    return tuple(kept.values())


def _choice(alternatives: tuple[str, ...], source: str, all_caps: bool) -> _Choice:
    group = _distinct(alternatives)
    if all_caps:
        texts = tuple(a.upper() for a in group)
    elif source[:1].isupper():
        texts = tuple(a[:1].upper() + a[1:] for a in group)
    else:
        texts = group
    return _Choice(group, texts, tuple(_fold(a) for a in group))


def _fixed(text: str) -> _Choice:
    # White space and hyphens between words all key as one space; other characters as such.
    key = " " if not _fold(text) else text
    return _Choice((text,), (text,), (key,))


def _split(name: str) -> list[tuple[bool, str]]:
    """Cut a name into Cyrillic words (True) and whatever lies between them (False)."""
    pieces: list[tuple[bool, str]] = []
    end = 0
    for match in _CYRILLIC_WORD.finditer(name):
        if match.start() > end:
            pieces.append((False, name[end : match.start()]))
        pieces.append((True, match.group()))
        end = match.end()
    if end < len(name):
        pieces.append((False, name[end:]))
    return pieces


def _word_choices(word: str, system: _System) -> list[_Choice]:
    lower = word.lower()
    all_caps = len(word) > 1 and word.isupper()
    ending_at = len(lower)
    for ending in system.endings:
        stem = len(lower) - len(ending)
        # Adjective endings only: a consonant before them and a stem of two letters or more.
        if stem >= 2 and lower.endswith(ending) and lower[stem - 1] not in _VOWELS:
            ending_at = stem
            break
    choices: list[_Choice] = []
    i = 0
    while i < len(lower):
        if i == ending_at:
            alternatives, size = system.endings[lower[i:]], len(lower) - i
        else:
            alternatives, size = _letter(lower, i, ending_at, system)
        choices.append(_choice(alternatives, word[i : i + size], all_caps))
        i += size
    return choices


def _letter(lower: str, i: int, ending_at: int, system: _System) -> tuple[tuple[str, ...], int]:
    pair = lower[i : i + 2]
    if i + 2 <= ending_at and pair in system.clusters:
        return system.clusters[pair], 2
    letter = lower[i]
    before = lower[i - 1] if i else ""
    if not before and letter in system.initial:
        return system.initial[letter], 1
    if before and before in _SIGNS and letter in system.after_sign:
        return system.after_sign[letter], 1
    if before and before in _VOWELS and letter in system.after_vowel:
        return system.after_vowel[letter], 1
    return system.letters.get(letter, (letter,)), 1


def _name_choices(name: str, system: _System) -> list[_Choice]:
    choices: list[_Choice] = []
    for is_word, piece in _split(name):
        choices += _word_choices(piece, system) if is_word else [_fixed(piece)]
    return choices


def _assignments(sizes: Sequence[int]) -> Iterator[tuple[int, tuple[int, ...]]]:
    """Yield ``(cost, picks)`` for every pick of an index per size, cheapest first.

    The cost of a pick is the sum of its indices, so the most standard spellings, which
    differ from the first alternatives at the fewest points, come out first.
    """
    room = [0] * (len(sizes) + 1)
    for i in range(len(sizes) - 1, -1, -1):
        room[i] = room[i + 1] + sizes[i] - 1

    def exact(i: int, budget: int) -> Iterator[tuple[int, ...]]:
        if i == len(sizes):
            yield ()
            return
        for pick in range(max(0, budget - room[i + 1]), min(sizes[i] - 1, budget) + 1):
            for rest in exact(i + 1, budget - pick):
                yield (pick, *rest)

    for cost in range(room[0] + 1):
        for picks in exact(0, cost):
            yield cost, picks


def _render(choices: Sequence[_Choice], picks: Mapping[int, int]) -> tuple[str, str]:
    texts = [c.texts[picks.get(i, 0)] for i, c in enumerate(choices)]
    keys = [c.keys[picks.get(i, 0)] for i, c in enumerate(choices)]
    return "".join(texts), "".join(keys)


def _spellings(choices: Sequence[_Choice], extra_cost: int) -> Iterator[_Spelling]:
    """Spell a row of choices cheapest first: habits applied name-wide, then mixed ones."""
    points = [i for i, c in enumerate(choices) if len(c.texts) > 1]
    groups: dict[tuple[str, ...], list[int]] = {}
    for i in points:
        groups.setdefault(choices[i].group, []).append(i)
    members = list(groups.values())

    def uniform() -> Iterator[_Spelling]:
        sizes = [len(choices[g[0]].texts) for g in members]
        for cost, picks in _assignments(sizes):
            spread = {i: pick for g, pick in zip(members, picks, strict=True) for i in g}
            yield (extra_cost + cost, *_render(choices, spread))

    def mixed() -> Iterator[_Spelling]:
        for cost, picks in _assignments([len(choices[i].texts) for i in points]):
            yield (extra_cost + cost, *_render(choices, dict(zip(points, picks, strict=True))))

    if len(members) == len(points):
        return uniform()
    return heapq.merge(uniform(), mixed(), key=itemgetter(0))


def _streams(name: str, language: str, *, penalty: int) -> list[Iterator[_Spelling]]:
    return [
        _spellings(_name_choices(name, system), system.cost + penalty)
        for system in _SYSTEMS[language]
    ]


def _collect(
    streams: Sequence[Iterator[_Spelling]], out: list[str], seen: set[str], limit: int
) -> None:
    """Append the cheapest spellings with unseen keys to ``out`` until it holds ``limit``."""
    if len(out) >= limit:
        return
    for _, text, key in heapq.merge(*streams, key=itemgetter(0)):
        if key not in seen:
            seen.add(key)
            out.append(text)
            if len(out) >= limit:
                return


# ---------------------------------------------------------------------------------------------
# Russian <-> Ukrainian


# (Russian ending, Ukrainian ending, only in the Ukrainian-native form), most specific first.
# Ukrainian writes places in Russia with -ово and -овка kept, so those rows are native only.
_RU_UK_ENDINGS = (
    ("ский", "ський", False),
    ("цкий", "цький", False),
    ("ская", "ська", False),
    ("цкая", "цька", False),
    ("ское", "ське", False),
    ("цкое", "цьке", False),
    ("ские", "ські", False),
    ("цкие", "цькі", False),
    ("еевка", "іївка", True),
    ("аевка", "аївка", True),
    ("оевка", "оївка", True),
    ("уевка", "уївка", True),
    ("ьевка", "івка", True),
    ("евка", "івка", True),
    ("овка", "івка", True),
    ("ово", "ове", True),
    ("ево", "еве", True),
    ("ск", "ськ", False),
    ("цк", "цьк", False),
    ("ый", "ий", False),
    ("ий", "ий", False),
    ("ой", "ий", False),
    ("ая", "а", False),
    ("яя", "я", False),
    ("ое", "е", False),
    ("ее", "є", False),
    ("ые", "і", False),
    ("ие", "і", False),
)

# (Ukrainian ending, Russian endings): -ове is -ово (Курахове) or -овое (Садове) in Russian.
_UK_RU_ENDINGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ський", ("ский",)),
    ("цький", ("цкий",)),
    ("ська", ("ская",)),
    ("цька", ("цкая",)),
    ("ське", ("ское",)),
    ("цьке", ("цкое",)),
    ("ські", ("ские",)),
    ("цькі", ("цкие",)),
    ("іївка", ("еевка",)),
    ("аївка", ("аевка",)),
    ("оївка", ("оевка",)),
    ("уївка", ("уевка",)),
    ("івка", ("овка",)),
    ("ове", ("ово", "овое")),
    ("еве", ("ево", "евое")),
    ("єве", ("ево", "евое")),
    ("ськ", ("ск",)),
    ("цьк", ("цк",)),
    ("ій", ("ий",)),
    ("нє", ("нее",)),
)


def _cross_forms(name: str, language: str) -> list[tuple[str, int]]:
    """Forms of ``name`` in the other language, each with the cost its spellings start at."""
    kinds: tuple[tuple[str, int], ...]
    if language == "ru":
        kinds = (("native", 1), ("transcribed", 1), ("soft", 2))
        word_form = _ru_word_to_uk
    else:
        kinds = (("native", 1), ("second", 2))
        word_form = _uk_word_to_ru
    forms: dict[str, int] = {}
    for kind, penalty in kinds:
        form = "".join(word_form(p, kind) if is_word else p for is_word, p in _split(name))
        forms.setdefault(form, penalty)
    return list(forms.items())


def _recase(converted: str, original: str) -> str:
    if len(original) > 1 and original.isupper():
        return converted.upper()
    if original[:1].isupper():
        return converted[:1].upper() + converted[1:]
    return converted


def _ru_word_to_uk(word: str, kind: str) -> str:
    lower = word.lower()
    stem, ending = lower, ""
    for russian, ukrainian, native_only in _RU_UK_ENDINGS:
        if len(lower) - len(russian) >= 2 and lower.endswith(russian):
            if native_only and kind != "native":
                continue
            stem, ending = lower[: -len(russian)], ukrainian
            break
    if ending == "є" and stem[-1] in _HUSHING:
        ending = "е"  # Свежее -> Свіже: no soft е after hushing consonants
    if ending.startswith("е") and stem[-1] in _VOWELS:
        ending = "є" + ending[1:]
    return _recase(_ru_letters_to_uk(stem, soft=kind == "soft") + ending, word)


def _ru_letters_to_uk(stem: str, *, soft: bool) -> str:
    out: list[str] = []
    seen_vowel = False
    for i, letter in enumerate(stem):
        before = stem[i - 1] if i else ""
        after_consonant = bool(before) and before not in _VOWELS + _SIGNS
        if letter == "и":
            out.append("и" if before and before in _HUSHING + "ц" else "і")
        elif letter == "ы":
            out.append("и")
        elif letter == "э":
            out.append("е")
        elif letter == "ъ":
            out.append("'")
        elif letter == "ё":
            if before and before in _HUSHING + "ь":
                out.append("о")
            else:
                out.append("ьо" if after_consonant else "йо")
        elif letter == "е":
            # Ukrainian spellings of Russian names mark a soft first е (Бєлгород, Плєхово).
            marked = soft and not seen_vowel and after_consonant
            out.append("є" if not after_consonant or marked else "е")
        else:
            out.append(letter)
        seen_vowel = seen_vowel or letter in _VOWELS
    return "".join(out)


def _uk_word_to_ru(word: str, kind: str) -> str:
    stem, ending = _uk_ru_ending(word.lower(), second=kind == "second")
    return _recase(_uk_letters_to_ru(stem) + ending, word)


def _uk_ru_ending(lower: str, *, second: bool) -> tuple[str, str]:
    for ukrainian, russian in _UK_RU_ENDINGS:
        if len(lower) - len(ukrainian) >= 2 and lower.endswith(ukrainian):
            return lower[: -len(ukrainian)], russian[-1] if second else russian[0]
    if len(lower) >= 4 and lower.endswith("ий"):
        hard = lower[-3] not in "гкхжчшщ"
        return lower[:-2], "ый" if hard else "ий"
    # A Ukrainian toponym in -е after a consonant is a neuter adjective: Нове, Новеньке, Мирне.
    if len(lower) >= 4 and lower[-1] == "е" and lower[-2] not in _VOWELS + _SIGNS + _HUSHING:
        return lower[:-1], "ое"
    return lower, ""


def _uk_letters_to_ru(stem: str) -> str:
    out: list[str] = []
    for i, letter in enumerate(stem):
        if letter in "ії":
            out.append("и")
        elif letter == "є":
            out.append("е")
        elif letter == "е" and i == 0:
            out.append("э")  # Енергодар: a word-initial Ukrainian е is Russian э
        elif letter == "ґ":
            out.append("г")
        elif letter == "о" and out and out[-1] == "ь":
            out[-1] = "ё"
        elif letter not in _APOSTROPHES:
            out.append(letter)
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Latin input: the press's alternative endings and letter pairs


# (pattern of a word's ending, the endings that are written for it), first match wins.
_LATIN_ENDINGS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"(eevka|eyevka|iivka|iyivka)$"), ("eevka", "eyevka", "iivka", "iyivka")),
    (re.compile(r"(aevka|ayevka|aivka|ayivka)$"), ("aevka", "ayevka", "aivka", "ayivka")),
    (re.compile(r"(?<=[^aeiouy])(ovka|ivka)$"), ("ovka", "ivka")),
    (re.compile(r"(?<=[^aeiouy])evka$"), ("evka", "ivka")),
    (re.compile(r"(?<=[^aeiouy])(oye|oe|oje)$"), ("oye", "oe", "e")),
    (re.compile(r"(ovo|ove)$"), ("ovo", "ove")),
    (re.compile(r"(evo|eve)$"), ("evo", "eve")),
    (re.compile(r"(?<=[nk])e$"), ("e", "oye", "oe")),
    (re.compile(r"(?<=[kn])(iy|yy|yi|ii)$"), ("iy", "y", "yi", "ii")),
    (re.compile(r"(?<=[^aeiouy][kn])y$"), ("y", "iy", "yi", "ii")),
    (re.compile(r"(aya|aia|aja)$"), ("aya", "aia")),
)

# Letter swaps a writer applies throughout a name; g/h first, since kh -> h makes new h's.
_LATIN_SWAPS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<![kszcKSZC])h", re.IGNORECASE), "g"),
    (re.compile(r"g", re.IGNORECASE), "h"),
    (re.compile(r"(?<=\w)y(?=[au])", re.IGNORECASE), "i"),
    (re.compile(r"(?<=[^\W_aeiou])i(?=[au])", re.IGNORECASE), "y"),
    (re.compile(r"shch", re.IGNORECASE), "sch"),
    (re.compile(r"kh", re.IGNORECASE), "h"),
)

_LATIN_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def _same_case(replacement: str, original: str) -> str:
    if len(original) > 1 and original.isupper():
        return replacement.upper()
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def _swap(pattern: re.Pattern[str], replacement: str, text: str) -> str:
    return pattern.sub(lambda m: _same_case(replacement, m.group()), text)


def _latin_habits(name: str) -> set[str]:
    """The name and its press alternatives, at most 16, fewest changes first."""
    words = list(_LATIN_WORD.finditer(name))
    endings: list[tuple[int, int, tuple[str, ...]]] = []
    for match in words:
        lower = match.group().lower()
        for pattern, options in _LATIN_ENDINGS:
            found = pattern.search(lower)
            if found and found.start() >= 3:
                current = found.group()
                start = match.start() + found.start()
                written = name[start : match.end()]
                alternatives = (written,) + tuple(
                    _same_case(o, written) for o in options if o != current
                )
                endings.append((start, match.end(), alternatives))
                break
    swaps = [(p, r) for p, r in _LATIN_SWAPS if p.search(name)]
    sizes = [len(alts) for _, _, alts in endings] + [2] * len(swaps)
    out: dict[str, str] = {}
    for _, picks in _assignments(sizes):
        text = name
        # Replace endings from the last so earlier offsets stay valid.
        chosen = zip(endings, picks[: len(endings)], strict=True)
        for (start, end, alts), pick in reversed(list(chosen)):
            text = text[:start] + alts[pick] + text[end:]
        for (pattern, replacement), pick in zip(swaps, picks[len(endings) :], strict=True):
            if pick:
                text = _swap(pattern, replacement, text)
        out.setdefault(normalize_name(text), text)
        if len(out) >= _MAX_LATIN_VARIANTS:
            break
    return set(out.values())
