"""Lexicons the stages read: actors, action verbs and cue phrases, kept as user-extendable CSVs.

The bundled files live in ``data/lexicon/``; :func:`load` reads them once. A user adds
entries by passing their own files (same columns) to the claim extractor.
"""

from __future__ import annotations

import csv
import re
import re._parser as _parser  # private, but the only reader of a regex's structure
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal

from mapper import datasets, settings
from mapper._errors import ConfigurationError


@dataclass(frozen=True)
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

    def action_matches(self, text: str) -> Iterator[tuple[str, re.Match[str]]]:
        """Every match of every action regex in ``text``, as each one's ``finditer`` finds it.

        The same matches in the same order, found several times faster: a regex is tried only
        where a literal text that its matches start with occurs, and only if the words of
        ``text`` allow that text at all (see :class:`_Head`).
        """
        heads_of, facts_of = self._action_heads
        facts = set().union(*map(facts_of, set(text.split())))
        for (action, regex), heads in zip(self.actions, heads_of, strict=True):
            if heads is None:
                found = regex.finditer(text)
            else:
                possible = [head.text for head in heads if head.needs <= facts]
                if not possible:
                    continue
                found = _matches_at(regex, possible, text)
            for match in found:
                yield action, match

    @cached_property
    def _action_heads(
        self,
    ) -> tuple[tuple[tuple[_Head, ...] | None, ...], Callable[[str], frozenset[_Fact]]]:
        """The heads of each action regex, and the facts about a word that they can need."""
        heads_of = tuple(
            None if heads is None else tuple(_Head(h, _needs(h)) for h in heads)
            for heads in (_literal_heads(regex) for _, regex in self.actions)
        )
        wanted = {need for heads in heads_of for head in heads or () for need in head.needs}

        # Words recur across articles (and a corpus has only so many): each is checked once.
        @lru_cache(maxsize=65_536)
        def facts_of(word: str) -> frozenset[_Fact]:
            return frozenset(fact for fact in wanted if _FACT_TESTS[fact[0]](word, fact[1]))

        return heads_of, facts_of

    @cached_property
    def actor_regex(self) -> re.Pattern[str]:
        """A regex matching any actor pattern as whole words, longest first (lower-case text)."""
        return _cue_regex(tuple(pattern for pattern, _ in self.actors))

    def side_of(self, actor: str) -> str:
        """The side of an actor pattern matched by :attr:`actor_regex`."""
        return _sides(self.actors)[actor.lower()]


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


# Enough to tell most phrases apart; more heads would cost more to look for than they save.
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
    if regex.flags & re.IGNORECASE:
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


# What a word of a text (white space to white space) can be: one that contains a text, ends
# with it, starts with it or is it.
_Fact = tuple[Literal["in", "end", "start", "is"], str]
_FACT_TESTS: dict[str, Callable[[str, str], bool]] = {
    "in": str.__contains__,
    "end": str.endswith,
    "start": str.startswith,
    "is": str.__eq__,
}


@dataclass(frozen=True, slots=True)
class _Head:
    """A literal text that matches of an action regex start with.

    Attributes
    ----------
    text
        The head.
    needs
        What the words of a text must include if ``text`` occurs in it: checking these against
        a set of known facts per word costs much less than looking for the head.
    """

    text: str
    needs: frozenset[_Fact]


def _needs(head: str) -> frozenset[_Fact]:
    """What the words of a text must include where ``head`` occurs (see :class:`_Head`).

    Examples
    --------
    >>> sorted(_needs("was forced out"))
    [('end', 'was'), ('is', 'forced'), ('start', 'out')]
    >>> sorted(_needs("captur"))
    [('in', 'captur')]
    """
    # Up to any white space but a plain space, which splits words the same way in every text.
    cut = next((i for i, c in enumerate(head) if c.isspace() and c != " "), len(head))
    words = head[:cut].split(" ")
    needs: set[_Fact] = {("in", words[0])}
    if len(words) > 1:
        needs = {("end", words[0]), ("start", words[-1])}
        needs.update(("is", word) for word in words[1:-1])
    return frozenset(need for need in needs if need[1])


def _matches_at(regex: re.Pattern[str], heads: list[str], text: str) -> Iterator[re.Match[str]]:
    """What ``regex.finditer(text)`` finds, trying ``regex`` only where one of ``heads`` occurs."""
    starts = set()
    for head in heads:
        at = text.find(head)
        while at >= 0:
            starts.add(at)
            at = text.find(head, at + 1)
    end = 0
    for at in sorted(starts):
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
