"""Lexicons the stages read: actors, action verbs and cue phrases, kept as user-extendable CSVs.

The bundled files live in ``data/lexicon/``; :func:`load` reads them once. A user adds
entries by passing their own files (same columns) to the claim extractor.
"""

from __future__ import annotations

import csv
import importlib
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import ahocorasick

from mapper import datasets, settings
from mapper._errors import ConfigurationError

try:  # private, but the only reader of a regex's structure
    _parser: Any = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - a Python that moved it: every regex is scanned whole
    _parser = None


# Compared and hashed by identity, so that helpers taking one can be memoised.
@dataclass(frozen=True, eq=False)
class Lexicon:
    """Word lists used to find places, attributions and actions.

    Attributes
    ----------
    actors
        ``(pattern, side)`` pairs, longest pattern first; a pattern is a lower-case phrase.
    actions
        ``(action, compiled regex)`` pairs over lower-case text; a match counts only where
        :func:`word_start` holds.
    cues
        Cue phrases by kind (``hedge``, ``modal``, ``speech``, ``org_after`` ...), lower case.
    """

    actors: tuple[tuple[str, str], ...]
    actions: tuple[tuple[str, re.Pattern[str]], ...]
    cues: dict[str, tuple[str, ...]]

    def cue_regex(self, kind: str) -> re.Pattern[str]:
        """A regex matching any cue of ``kind`` as whole words (case-insensitive)."""
        return self._cue_regex(kind, ignore_case=True)

    def lower_cue_regex(self, kind: str) -> re.Pattern[str]:
        """Like :meth:`cue_regex`, case-sensitive, for text already in lower case (faster)."""
        return self._cue_regex(kind, ignore_case=False)

    def _cue_regex(self, kind: str, *, ignore_case: bool) -> re.Pattern[str]:
        # Asked for in inner loops: looked up by kind, not by hashing all the phrases each time.
        regex = self._cue_regexes.get((kind, ignore_case))
        if regex is None:
            regex = _cue_regex(self.cues.get(kind, ()), ignore_case=ignore_case)
            self._cue_regexes[kind, ignore_case] = regex
        return regex

    @cached_property
    def _cue_regexes(self) -> dict[tuple[str, bool], re.Pattern[str]]:
        return {}

    def cue_starts(self, text: str, kinds: tuple[str, ...]) -> dict[str, list[int]]:
        """Where the cues of each of ``kinds`` occur in lower-case ``text``, in order.

        A match of :meth:`lower_cue_regex` starts at one of them, so where a kind has none
        there its regex need not run. One Aho-Corasick pass finds them all.
        """
        automaton = self._cue_automata.get(kinds)
        if automaton is None:
            kinds_of: dict[str, set[str]] = defaultdict(set)
            for kind in kinds:
                for phrase in self.cues.get(kind, ()):
                    kinds_of[phrase].add(kind)
            automaton = _automaton({phrase: tuple(found) for phrase, found in kinds_of.items()})
            self._cue_automata[kinds] = automaton
        starts: dict[str, list[int]] = defaultdict(list)
        if automaton.kind == ahocorasick.AHOCORASICK:
            for last, (length, found) in automaton.iter(text):
                for kind in found:
                    starts[kind].append(last - length + 1)
        return {kind: sorted(at) for kind, at in starts.items()}

    @cached_property
    def _cue_automata(self) -> dict[tuple[str, ...], ahocorasick.Automaton]:
        return {}

    def action_matches(self, text: str) -> Iterator[tuple[str, re.Match[str]]]:
        """Every match of every action regex in ``text``, as each one's ``finditer`` finds it.

        The same matches in the same order, found several times faster: a regex is tried only
        where a literal text that its matches start with occurs, and one Aho-Corasick pass (in
        C) finds those texts for all the regexes at once.
        """
        automaton, blind = self._action_heads
        starts: dict[int, set[int]] = defaultdict(set)
        if automaton.kind == ahocorasick.AHOCORASICK:
            for last, (length, regexes) in automaton.iter(text):
                for i in regexes:
                    starts[i].add(last - length + 1)
        for i, (action, regex) in enumerate(self.actions):
            if i in blind:
                found = regex.finditer(text)
            elif i in starts:
                found = matches_at(regex, sorted(starts[i]), text)
            else:
                continue
            for match in found:
                yield action, match

    @cached_property
    def _action_heads(self) -> tuple[ahocorasick.Automaton, frozenset[int]]:
        """An automaton of the action regexes' heads, and the regexes without any."""
        regexes_of: dict[str, list[int]] = defaultdict(list)
        blind = set()
        for i, (_, regex) in enumerate(self.actions):
            heads = _literal_heads(regex)
            if heads is None:
                blind.add(i)
            for head in heads or ():
                regexes_of[head].append(i)
        automaton = _automaton({head: tuple(regexes) for head, regexes in regexes_of.items()})
        return automaton, frozenset(blind)

    @cached_property
    def actor_regex(self) -> re.Pattern[str]:
        """A regex matching any actor pattern as whole words, longest first (lower-case text)."""
        return _cue_regex(tuple(pattern for pattern, _ in self.actors))

    def side_of(self, actor: str) -> str:
        """The side of an actor pattern matched by :attr:`actor_regex`."""
        return _sides(self.actors)[actor.lower()]


def _automaton(values: dict[str, tuple[Any, ...]]) -> ahocorasick.Automaton:
    """An Aho-Corasick automaton of the keys of ``values``; a key's value goes with its length."""
    automaton = ahocorasick.Automaton()
    for key, value in values.items():
        automaton.add_word(key, (len(key), value))
    automaton.make_automaton()
    return automaton


@cache
def _cue_regex(phrases: tuple[str, ...], *, ignore_case: bool = True) -> re.Pattern[str]:
    if not phrases:
        return re.compile(r"(?!x)x")
    alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    flags = re.IGNORECASE if ignore_case else re.NOFLAG
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", flags)


@cache
def _sides(actors: tuple[tuple[str, str], ...]) -> dict[str, str]:
    sides: dict[str, str] = {}
    for pattern, side in actors:
        sides.setdefault(pattern, side)
    return sides


# Enough to tell the phrases apart: past it a head stops short (a shorter one is still true).
_MAX_HEADS = 32


def _literal_heads(regex: re.Pattern[str]) -> tuple[str, ...] | None:
    """The literal texts one of which every match of ``regex`` starts with.

    Returns ``None`` where that cannot be told (a match may start with any letter, case is
    ignored, ...).

    Examples
    --------
    >>> _literal_heads(re.compile(r"(?:had |have )?left|withdr[ae]w"))
    ('had left', 'have left', 'left', 'withdraw', 'withdrew')
    >>> _literal_heads(re.compile("[a-z]+ back")) is None
    True
    """
    if _parser is None or regex.flags & re.IGNORECASE:
        return None
    heads = {head for head, _ in _sequence_heads(list(_parser.parse(regex.pattern, regex.flags)))}
    if "" in heads:
        return None
    # A head that extends another adds no place to look.
    return tuple(sorted(h for h in heads if not any(h != o and h.startswith(o) for o in heads)))


def _sequence_heads(items: list[tuple[Any, Any]]) -> list[tuple[str, bool]]:
    """The literal heads of a parsed regex, each with whether it may go on past the sequence.

    A head may go on when everything before it in the sequence was literal text, so that what
    follows the sequence extends it.
    """
    heads = [("", True)]
    for op, arg in items:
        if not any(more for _, more in heads):
            break
        tails = _item_heads(op, arg)
        if len(heads) * len(tails) > _MAX_HEADS:
            return [(head, False) for head, _ in heads]
        heads = [(h, False) for h, more in heads if not more] + [
            (h + tail, goes_on) for h, more in heads if more for tail, goes_on in tails
        ]
    return heads


def _item_heads(op: Any, arg: Any) -> list[tuple[str, bool]]:
    """The literal heads of one item of a parsed regex (see :func:`_sequence_heads`)."""
    if op is _parser.LITERAL:
        return [(chr(arg), True)]
    if op is _parser.IN and all(member is _parser.LITERAL for member, _ in arg):
        return [(chr(code), True) for _, code in arg]
    if op is _parser.SUBPATTERN and not arg[1] & re.IGNORECASE:
        return _sequence_heads(list(arg[3]))
    if op is _parser.BRANCH:
        return [head for branch in arg[1] for head in _sequence_heads(list(branch))]
    if op in (_parser.MAX_REPEAT, _parser.MIN_REPEAT, _parser.POSSESSIVE_REPEAT):
        # After an optional part ("(?:had )?left") what follows extends it; after a repeat
        # another round might.
        once = [(head, more and arg[1] == 1) for head, more in _sequence_heads(list(arg[2]))]
        return [("", True), *once] if arg[0] == 0 else once
    if op in (_parser.AT, _parser.ASSERT, _parser.ASSERT_NOT):
        return [("", True)]  # matches no text of its own
    return [("", False)]


def matches_at(regex: re.Pattern[str], starts: list[int], text: str) -> Iterator[re.Match[str]]:
    """What ``regex.finditer(text)`` finds, trying ``regex`` only at ``starts``.

    ``starts`` must hold, in order, every place where a match can start (such as the places
    :meth:`Lexicon.cue_starts` finds); trying only those is much faster than a scan.
    """
    end = 0
    for at in starts:
        if at < end:
            continue  # finditer goes on after the last match
        match = regex.match(text, at)
        if match:
            end = match.end()
            yield match


def word_start(text: str, position: int) -> bool:
    """Whether a match at ``position`` starts a word (no letter, digit or hyphen before it)."""
    return position == 0 or not (text[position - 1].isalnum() or text[position - 1] in "_-")


def _rows(path: Path) -> list[dict[str, str]]:
    """The rows of a lexicon file, each with exactly the header's fields."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    fields = list(reader.fieldnames or ())
    for number, row in enumerate(rows, start=2):
        extra = len(row.get(None) or ())
        missing = sum(row.get(name) is None for name in fields)
        if extra or missing:
            raise ConfigurationError(
                f"{path}, line {number}: expected {len(fields)} fields ({','.join(fields)}), "
                f"got {len(fields) + extra - missing}; put a value that contains a comma in "
                'double quotes ("(?:\\w+ ){1,2}back")'
            )
    return rows


def _action(row: dict[str, str]) -> tuple[str, re.Pattern[str]]:
    try:
        # No leading look-behind: it would stop re from skipping ahead to the phrase's first
        # letters; callers check the word start (see word_start).
        return row["action"], re.compile(rf"(?:{row['pattern']})(?![\w-])")
    except re.error as err:
        raise ConfigurationError(
            f"action pattern {row['pattern']!r} is not a valid regular expression: {err}"
        ) from err


def load(
    actors: Path | None = None, actions: Path | None = None, cues: Path | None = None
) -> Lexicon:
    """Read the lexicons, adding the rows of any user files to the bundled ones.

    Parameters
    ----------
    actors, actions, cues
        Extra CSV files with the bundled files' columns (``pattern,side``; ``action,pattern``;
        ``kind,cue``). Default: ``actors.csv``, ``actions.csv`` and ``cues.csv`` in
        ``settings.data_folder / "lexicon"``, where they exist.

    Returns
    -------
    Lexicon
    """
    found = user_files()

    def user(given: Path | None, name: str) -> Path | None:
        return Path(given) if given is not None else found.get(name)

    return _load(user(actors, "actors.csv"), user(actions, "actions.csv"), user(cues, "cues.csv"))


def user_files() -> dict[str, Path]:
    """The user's lexicon files in ``settings.data_folder / "lexicon"``, by file name."""
    folder = Path(settings.data_folder) / "lexicon"
    names = ("actors.csv", "actions.csv", "cues.csv")
    return {name: folder / name for name in names if (folder / name).is_file()}


@cache
def _load(actors: Path | None, actions: Path | None, cues: Path | None) -> Lexicon:
    actor_rows = _rows(datasets.get_path("actors")) + (_rows(actors) if actors else [])
    action_rows = _rows(datasets.get_path("actions")) + (_rows(actions) if actions else [])
    cue_rows = _rows(datasets.get_path("cues")) + (_rows(cues) if cues else [])
    cue_map: dict[str, list[str]] = defaultdict(list)
    for row in cue_rows:
        cue_map[row["kind"]].append(row["cue"].lower())
    return Lexicon(
        actors=tuple(
            sorted(
                ((r["pattern"].lower(), r["side"]) for r in actor_rows),
                key=lambda pair: -len(pair[0]),
            )
        ),
        actions=tuple(_action(r) for r in action_rows),
        cues={kind: tuple(values) for kind, values in cue_map.items()},
    )
