"""Every occurrence of a set of place names in a text, found in one pass.

Names are indexed under :func:`mapper._text.normalize_name` keys. Rather than folding each
word of a text and asking a dictionary (Python work per word), the whole text is folded at
once the same way (case, diacritics, apostrophes and soft signs; every other character that
is not a letter or digit becomes a space) and an Aho-Corasick automaton (pyahocorasick, in C)
reports every key standing between two spaces. Python then only touches the names found.

The fold keeps a map back to the text's own offsets: a possessive "'s" becomes two spaces, a
run of spaces, hyphens, dashes or line breaks becomes one, and the few characters that fold
to no character or to several are recorded as they are met.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

import ahocorasick

from mapper._text import DROPPED, NAME_JOINERS, normalize_name, spellings

# "Russia's" is the key "russia": the possessive ends the word, like a space would.
# One pattern per apostrophe: a literal first character lets re skip ahead to it.
_POSSESSIVES = {mark: re.compile(mark + r"s(?![^\W_]|['’][^\W_])") for mark in ("'", "’")}
# Characters folded ahead of time: Latin, Cyrillic, combining marks, punctuation; any other
# character is added to the table the first time a text has it.
_PRESET = (
    range(0x0000, 0x0250),
    range(0x0300, 0x0370),
    range(0x0400, 0x0530),
    range(0x2000, 0x2070),
)


def _fold_char(char: str) -> str:
    """One character as :func:`normalize_name` leaves it inside a word; a space between words."""
    if char in DROPPED or unicodedata.combining(char):
        return ""
    return normalize_name(char) if char.isalnum() else " "


class _Fold:
    """The translation table and the characters that change length, grown as texts need.

    ``str.translate`` with a table looks each character up in a dictionary; ``bytes.translate``
    is some thirty times faster, so ASCII is folded as bytes, and a text whose other
    characters are a few kinds that all fold to ASCII (curly quotes, dashes, accented Latin
    letters) has each kind replaced first (one ``str.replace`` each).
    """

    def __init__(self) -> None:
        self.table: dict[int, str] = {}
        self._add(chr(code) for block in _PRESET for code in block)
        ascii_folds = [self.table[code] for code in range(128)]
        # Bytes above 127 never occur: the text is ASCII when it is folded as bytes.
        self._bytes = bytes(ord(f) if len(f) == 1 else 32 for f in ascii_folds) + bytes(128)
        self._bytes_dropped = bytes(code for code in range(128) if not ascii_folds[code])

    def _add(self, chars: Iterable[str]) -> None:
        self.table.update((ord(c), _fold_char(c)) for c in chars)
        self.chars = frozenset(map(chr, self.table))
        self.uneven = frozenset(chr(c) for c, f in self.table.items() if len(f) != 1)
        self.to_ascii = frozenset(chr(c) for c, f in self.table.items() if c > 127 and f.isascii())

    def __call__(self, text: str) -> Folded:
        # The kinds of characters beyond ASCII: a handful in most news (quotes, dashes).
        present = None if text.isascii() else set(_BEYOND_ASCII.findall(text))
        if present is not None and not present <= self.chars:
            self._add(present - self.chars)
        possessive_free = text
        for mark, possessive in _POSSESSIVES.items():
            if mark in text:
                possessive_free = possessive.sub("  ", possessive_free)
        # Where the folded text is shorter or longer than the text: (end, characters lost).
        # Only the kinds of vanishing or widening characters the text has are looked for.
        uneven = {c for c in (*_ASCII_UNEVEN, *(present or ())) if c in self.uneven}
        changes = [
            (m.end(), 1 - len(self.table[ord(m.group())]))
            for m in _char_class(frozenset(c for c in uneven if c in possessive_free)).finditer(
                possessive_free
            )
        ]
        # "Malaya  Loknya", "Kazachya -\nLoknya": a run of spaces, dashes or a line break
        # between two words is one space, as in the keys. The runs are the text's own, so the two
        # spaces of a possessive still keep "Oblast's governor" apart.
        runs = _joiner_runs(text)
        if runs:
            changes = sorted(changes + [(end, end - start - 1) for start, end in runs])
            pieces: list[str] = []
            previous = 0
            for start, end in runs:
                pieces += (possessive_free[previous:start], " ")
                previous = end
            possessive_free = "".join((*pieces, possessive_free[previous:]))
        marks: list[int] = []
        shifts: list[int] = []
        total = 0
        for end, lost in changes:
            total += lost
            marks.append(end - total)
            shifts.append(total)
        return Folded(text, f" {self._folded(possessive_free, present)} ", marks, shifts)

    def _folded(self, text: str, present: set[str] | None) -> str:
        if present is not None:
            if len(present) > _FEW or not present <= self.to_ascii:
                return text.translate(self.table)
            for char in present:
                text = text.replace(char, self.table[ord(char)])
        return text.encode("ascii").translate(self._bytes, self._bytes_dropped).decode("ascii")


@lru_cache(maxsize=1024)
def _char_class(chars: frozenset[str]) -> re.Pattern[str]:
    listed = "".join(re.escape(c) for c in sorted(chars))
    return re.compile(f"[{listed}]" if listed else r"(?!x)x")


_BEYOND_ASCII = re.compile(r"[^\x00-\x7f]")
_JOINER_RUN = re.compile(f"[{re.escape(NAME_JOINERS)}\n]{{2,}}")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
# The joiners as two marks, a line break apart, so that any run but a paragraph break shows
# as two marks together; the joiners beyond ASCII are made a space first.
_ASCII_JOINERS = "".join(c for c in NAME_JOINERS if c.isascii()).encode()
_JOINER_MARKS = bytes.maketrans(_ASCII_JOINERS + b"\n", b"\x01" * len(_ASCII_JOINERS) + b"\x02")
_WIDE_JOINERS = tuple(c.encode() for c in NAME_JOINERS if not c.isascii())


def _joiner_runs(text: str) -> list[tuple[int, int]]:
    """Where two or more spaces, dashes or line breaks stand together, but no blank line."""
    # Most texts have no such run; seeing so on bytes costs a tenth of the regex.
    encoded = text.encode("utf-8", "surrogatepass")
    if not text.isascii():
        for joiner in _WIDE_JOINERS:
            encoded = encoded.replace(joiner, b" ")
    marked = encoded.translate(_JOINER_MARKS)
    if not any(pair in marked for pair in (b"\x01\x01", b"\x01\x02", b"\x02\x01")):
        return []
    return [
        m.span()
        for m in _JOINER_RUN.finditer(text)
        if "\n" not in m.group() or not _BLANK_LINE.search(m.group())
    ]


_ASCII_UNEVEN = tuple(c for c in map(chr, range(128)) if len(_fold_char(c)) != 1)
# Up to this many kinds of other characters, replacing each costs less than a translate.
_FEW = 12


@dataclass(frozen=True, slots=True)
class Folded:
    """A text folded for matching, between two spaces, with the way back to its offsets.

    Attributes
    ----------
    text
        The text as written.
    padded
        The folded text with a space before and after.
    marks, shifts
        From folded offset ``marks[i]`` on, the text's offset is ``shifts[i]`` further.
    """

    text: str
    padded: str
    marks: list[int]
    shifts: list[int]


fold = _Fold()
"""Fold a text: ``fold(text)`` gives its :class:`Folded` form."""
# A name found: its key (None for a word that only begins names), its number of words, and
# the next shorter name found at the same start.
Found = tuple[str | None, int, "Found | None"]


class NameMatcher:
    """An automaton over normalised name keys and the first words of those keys.

    Parameters
    ----------
    keys
        Keys as :func:`mapper._text.normalize_name` gives them.
    not_alone
        Words never reported when they only begin names ("the" of "the hague"): a caller that
        would pass them over anyway saves a find per "the" of a text.

    Examples
    --------
    >>> matcher = NameMatcher(["kazachya loknya", "kursk region", "kursk", "novaya sorochina"])
    >>> found = matcher.scan(fold("Near Kazach'ya Loknya, Kursk Oblast's and Novaya Zemlya."))
    >>> found[5]
    ('kazachya loknya', 2, (None, 1, None))
    >>> found[23], found[42]
    (('kursk region', 2, ('kursk', 1, None)), (None, 1, None))
    """

    def __init__(self, keys: Iterable[str], *, not_alone: Iterable[str] = ()) -> None:
        self._automaton = ahocorasick.Automaton()
        first_words: set[str] = set()
        for key in keys:
            words = key.split(" ")
            first_words.add(words[0])
            for spelling in _spellings(words):
                self._automaton.add_word(f" {spelling} ", (key, len(words), len(spelling) + 2))
        for word in first_words - set(not_alone):
            # A word that only begins longer names: worth a look, but no name of its own.
            if not self._automaton.exists(f" {word} "):
                self._automaton.add_word(f" {word} ", (None, 1, len(word) + 2))
        self.empty = not first_words
        if not self.empty:
            self._automaton.make_automaton()

    def scan(self, text: Folded, first_chars: frozenset[str] | None = None) -> dict[int, Found]:
        """Find the names of a folded text by the offset of their first word.

        Parameters
        ----------
        text
            The text, folded by :data:`fold`.
        first_chars
            When given, only words that begin with one of these characters are reported.

        Returns
        -------
        dict
            ``{start: (key, words, shorter)}``: the longest name beginning at ``start`` of the
            text as written, its number of words and the next shorter name found there (or
            ``None``); ``key`` is ``None`` where the word only begins names that do not
            follow. The fold joins words across any one character that is not a letter or
            digit ("U.S." holds the key "u s"), so a caller that needs the words to be joined
            by a space or hyphen checks and takes a shorter name where they are not.
        """
        if self.empty:
            return {}
        written, marks, shifts = text.text, text.marks, text.shifts
        found: dict[int, Found] = {}
        # The loop runs once per find, tens of thousands of times a megabyte: the offset map
        # is read here rather than through a method.
        for end, (key, words, length) in self._automaton.iter(text.padded):
            # The spelling and its two spaces end at ``end`` of the padded text, so its
            # first letter stands at ``end - length + 1`` of the folded one.
            start = end - length + 1
            if marks:
                passed = bisect_right(marks, start)
                start += shifts[passed - 1] if passed else 0
            if first_chars is not None and (
                written[start] not in first_chars or (start and written[start - 1] in "'’")
            ):
                continue
            # Hits come in order of their end: a longer name from the same start comes later
            # and keeps the shorter one behind it.
            found[start] = (key, words, found.get(start))
        return found


def _spellings(words: list[str]) -> Iterable[str]:
    """The folded spellings of a key: each region or district word in all its synonyms."""
    return (" ".join(choice) for choice in product(*map(spellings, words)))
