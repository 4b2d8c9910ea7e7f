"""Lexicons the stages read: actors, action verbs and cue phrases, kept as user-extendable CSVs.

The bundled files live in ``data/lexicon/``; :func:`load` reads them once. A user adds
entries by passing their own files (same columns) to the claim extractor.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

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
        return _cue_regex(self.cues.get(kind, ()))

    def lower_cue_regex(self, kind: str) -> re.Pattern[str]:
        """Like :meth:`cue_regex`, case-sensitive, for text already in lower case (faster)."""
        return _cue_regex(self.cues.get(kind, ()), ignore_case=False)

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
