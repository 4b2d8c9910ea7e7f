"""Text plumbing shared by the stages: name normalisation, tokens and sentences."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

# Apostrophes and soft/hard signs are spelled, transliterated or dropped at will in reporting
# (Kazach'ya, Kazachya, Казачья); folding them away makes all those spellings one key.
DROPPED = frozenset("'’ʼ`´‘ʹʺьъЬЪ")
_DROP = dict.fromkeys(map(ord, DROPPED), None)
_SPACE = str.maketrans({"-": " ", "‐": " ", "–": " ", "—": " ", ".": " ", ",": " "})
_KEYWORDS = {
    "region": "region",
    "regions": "region",
    "oblast": "region",
    "oblasts": "region",
    "province": "region",
    "provinces": "region",
    "district": "district",
    "districts": "district",
    "raion": "district",
    "raions": "district",
    "rayon": "district",
    "rayons": "district",
    "область": "region",
    "район": "district",
}

# Words that start a sentence capitalised but never a place name on their own.
FUNCTION_WORDS = frozenset(
    "the a an on in at but and yet he she it they we his her its their our this that these those "
    "after before while when if as by for with from since".split()
)

WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)

# What the words of one name may stand joined by, any number of them: spaces, hyphens and
# dashes, and a line break that is no blank line.
DASHES = "-\u2010\u2013"
NAME_JOINERS = " \t\u00a0" + DASHES


def lower_keeping_offsets(text: str) -> str:
    """Lower-case ``text`` so that every offset into the result is an offset into ``text``.

    ``str.lower`` turns a few letters into two characters ("İ" becomes "i̇"); those are kept
    as they are. Scanning lower-case text with case-sensitive patterns is several times faster
    than a case-insensitive scan, and the matches' offsets still point into the original.

    Examples
    --------
    >>> lower_keeping_offsets("İzmir and KURSK")
    'İzmir and kursk'
    """
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(low if len(low := c.lower()) == 1 else c for c in text)


def normalize_name(name: str) -> str:
    """Fold a place name to the key the gazetteer indexes it under.

    Case, diacritics, apostrophes, soft signs, hyphens and ё/е differences are folded away, and
    the words for region and district are reduced to one form each.

    Parameters
    ----------
    name
        A name as written.

    Returns
    -------
    str
        The lookup key.

    Examples
    --------
    >>> normalize_name("Kazach'ya Loknya")
    'kazachya loknya'
    >>> normalize_name("Tëtkino") == normalize_name("Tetkino")
    True
    >>> normalize_name("Kursk Oblast")
    'kursk region'
    """
    folded = unicodedata.normalize("NFKD", name.casefold().replace("ё", "е"))
    stripped = "".join(ch for ch in folded if not unicodedata.combining(ch))
    words = stripped.translate(_DROP).translate(_SPACE).split()
    return " ".join(_KEYWORDS.get(w, w) for w in words)


@lru_cache(maxsize=262_144)
def normalize_word(word: str) -> str:
    """:func:`normalize_name` of one word, memoised: names repeat across a corpus."""
    return normalize_name(word)


@lru_cache(maxsize=1024)
def spellings(word: str) -> tuple[str, ...]:
    """The words of a text that :func:`normalize_name` folds to this key word.

    Examples
    --------
    >>> spellings("district")
    ('district', 'districts', 'raion', 'raions', 'rayon', 'rayons')
    >>> spellings("sudzha")
    ('sudzha',)
    """
    if word not in _KEYWORDS.values():
        return (word,)
    return tuple(w for w in _KEYWORDS if normalize_name(w) == word)


def keyword_of(word: str) -> str | None:
    """Return ``"region"`` or ``"district"`` when ``word`` is one of their synonyms."""
    return _KEYWORDS.get(word.casefold())


class Token(NamedTuple):
    """A word of a text with its character offsets (a tuple: made by the thousand)."""

    text: str
    start: int
    end: int

    @property
    def is_capitalized(self) -> bool:
        """Whether the word starts with an upper-case letter (names do, in both scripts)."""
        return self.text[:1].isupper()


def tokens(text: str) -> list[Token]:
    """Split ``text`` into word tokens with offsets; possessive ``'s`` stays on the word."""
    return [Token(m.group(), m.start(), m.end()) for m in WORD_RE.finditer(text)]


_ABBREVIATIONS = (
    "Mr.|Mrs.|Ms.|Dr.|Gen.|Lt.|Col.|Maj.|Sgt.|Capt.|Pres.|Gov.|Sen.|Rep.|St.|No.|Jan.|Feb.|"
    "Mar.|Apr.|Jun.|Jul.|Aug.|Sep.|Sept.|Oct.|Nov.|Dec.|U.S.|U.K.|U.N.|E.U.|vs.|approx.|km."
)
_ABBREV_SET = frozenset(_ABBREVIATIONS.split("|"))
# Written to start with a character class, which lets ``re`` skip to the next candidate at C
# speed; as an alternation it would try the pattern at every position.
_SENTENCE_END = re.compile(r"[.!?\n](?:(?<=[.!?])[.!?]*[\"”’')\]]*(?=\s|$)|(?<=\n)\s*\n)")
_INITIAL = re.compile(r"[A-Z]\.")


def sentences(text: str) -> Iterator[tuple[int, int]]:
    """Yield ``(start, end)`` offsets of the sentences of ``text``.

    A sentence ends at ``.``, ``!`` or ``?`` (with any closing quote) followed by white space,
    or at a blank line; common abbreviations ("Dec.", "U.S.") and initials do not end one.

    Examples
    --------
    >>> t = 'Kyiv said so. "We hold Sudzha," he said on Dec. 14. Fighting goes on.'
    >>> [t[a:b] for a, b in sentences(t)]
    ['Kyiv said so.', '"We hold Sudzha," he said on Dec. 14.', 'Fighting goes on.']
    """
    start = 0
    for end in _ends(text, 0, len(text)):
        if text[start:end].strip():
            yield _trimmed(text, start, end)
        start = end
    if text[start:].strip():
        yield _trimmed(text, start, len(text))


def sentence_around(text: str, pos: int, reach: int = 600) -> tuple[int, int]:
    """The ``(start, end)`` of the sentence of :func:`sentences` that holds ``pos``.

    Looks at most ``reach`` characters either way, so it costs the same in any length of text.

    Examples
    --------
    >>> t = "Fighting on Dec. 14 near Sudzha. Kyiv denied it."
    >>> t[slice(*sentence_around(t, 25))]
    'Fighting on Dec. 14 near Sudzha.'
    """
    lo = max(0, pos - reach)
    start = max((e for e in _ends(text, lo, pos) if e <= pos), default=lo)
    end = next(_ends(text, pos, min(len(text), pos + reach)), min(len(text), pos + reach))
    return _trimmed(text, start, end)


def _ends(text: str, lo: int, hi: int) -> Iterator[int]:
    """Sentence ends in ``text[lo:hi]``, skipping abbreviations ("Dec.", "U.S.") and initials."""
    for match in _SENTENCE_END.finditer(text, lo, hi):
        end = match.end()
        before = text[max(0, end - 16) : end].split()
        last_word = before[-1] if before else ""
        if last_word in _ABBREV_SET or _INITIAL.fullmatch(last_word):
            continue
        yield end


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
