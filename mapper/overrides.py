"""Review overrides: an analyst's corrections to place resolution, applied on every run.

A CSV file (``settings.overrides_file``, by default ``overrides.csv`` in the data folder) with
one rule per row:

==========  ================================================================================
surface     the name as written (any spelling that folds to the same key matches)
action      ``pin`` (this name is that place) or ``not_place`` (this name is no place here)
place_id    for ``pin``: a gazetteer id (``mapper gazetteer lookup NAME`` shows them) ...
name, lat,  ... or a place of its own: canonical name and WGS84 coordinates (``kind`` and
lon, kind   ``country`` optional)
region      only in articles naming this oblast or district (canonical name), optional
article_id  only in this article, optional
note        free text, ignored
==========  ================================================================================

The most specific rule wins: article, then region, then everywhere. Rules are applied before
automatic resolution, so a pinned name is resolved with confidence 1 and its reason says so.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mapper import settings
from mapper._errors import ConfigurationError
from mapper._matching import NameMatcher
from mapper._text import normalize_name

COLUMNS = ("surface", "action", "place_id", "name", "lat", "lon", "kind", "country", "region",
           "article_id", "note")  # fmt: skip
ACTIONS = ("pin", "not_place")


@dataclass(frozen=True)
class Rule:
    """One override (see the module docstring for the fields)."""

    surface: str
    action: str
    place_id: str = ""
    name: str = ""
    lat: float | None = None
    lon: float | None = None
    kind: str = "settlement"
    country: str = ""
    region: str = ""
    article_id: str = ""

    @property
    def key(self) -> str:
        """The folded surface the rule applies to."""
        return normalize_name(self.surface)

    @property
    def specificity(self) -> int:
        """2 for an article rule, 1 for a region rule, 0 for one that holds everywhere."""
        return 2 if self.article_id else 1 if self.region else 0


class Overrides:
    """A set of review rules, indexed by folded surface.

    Parameters
    ----------
    rules
        The rules.
    """

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        self.rules: dict[str, list[Rule]] = {}
        for rule in rules:
            self.rules.setdefault(rule.key, []).append(rule)
        for kept in self.rules.values():
            kept.sort(key=lambda r: -r.specificity)
        self.keys = frozenset(self.rules)
        # Surfaces no gazetteer knows are found in texts all the same.
        self.matcher = NameMatcher(self.keys)

    def __len__(self) -> int:
        return sum(len(r) for r in self.rules.values())

    def rule_for(self, key: str, *, article_id: str, regions: set[str]) -> Rule | None:
        """The most specific rule for a folded surface in an article naming ``regions``."""
        for rule in self.rules.get(key, ()):
            if rule.article_id and rule.article_id != article_id:
                continue
            if rule.region and rule.region not in regions:
                continue
            return rule
        return None


def read_overrides(path: str | Path) -> Overrides:
    """Read and check an overrides file.

    Raises
    ------
    ConfigurationError
        Listing every bad row, with what is wrong.
    """
    source = Path(path)
    with source.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        unknown = sorted(set(reader.fieldnames or []) - set(COLUMNS))
        if "surface" not in (reader.fieldnames or []) or "action" not in (reader.fieldnames or []):
            raise ConfigurationError(
                f"{source}: an overrides file needs the columns surface and action "
                f"(and place_id or name, lat, lon for pins); it has {reader.fieldnames}"
            )
        if unknown:
            raise ConfigurationError(f"{source}: unknown columns {unknown}; known: {COLUMNS}")
        rules, problems = [], []
        for number, row in enumerate(reader, start=2):
            try:
                rules.append(_rule(row))
            except ValueError as err:
                problems.append(f"line {number}: {err}")
    if problems:
        raise ConfigurationError(f"{source}: " + "; ".join(problems))
    return Overrides(rules)


def load_overrides(path: str | Path | None = None) -> Overrides:
    """Read the overrides in force.

    That is ``path``, else ``settings.overrides_file``, else the data folder's
    ``overrides.csv`` when it exists; else there are none.
    """
    chosen = path or settings.overrides_file
    if chosen is None:
        default = overrides_path()
        return read_overrides(default) if default is not None else Overrides()
    if not Path(chosen).is_file():
        raise ConfigurationError(f"no overrides file at {chosen}")
    return read_overrides(chosen)


def overrides_path() -> Path | None:
    """The overrides file in force: ``settings.overrides_file``, else the data folder's."""
    if settings.overrides_file is not None:
        return Path(settings.overrides_file)
    default = Path(settings.data_folder) / "overrides.csv"
    return default if default.exists() else None


def _rule(row: dict[str, str]) -> Rule:
    value = {k: (v or "").strip() for k, v in row.items() if k}
    if not value.get("surface"):
        raise ValueError("empty surface")
    action = value.get("action", "")
    if action not in ACTIONS:
        raise ValueError(f"action {action!r} is not one of {ACTIONS}")
    lat = lon = None
    if action == "pin" and not value.get("place_id"):
        if not (value.get("name") and value.get("lat") and value.get("lon")):
            raise ValueError("a pin needs a place_id, or a name with lat and lon")
        try:
            lat, lon = float(value["lat"]), float(value["lon"])
        except ValueError:
            raise ValueError(
                f"lat/lon {value['lat']!r}, {value['lon']!r} are not numbers"
            ) from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError(f"lat/lon {lat}, {lon} are out of range")
    return Rule(
        surface=value["surface"],
        action=action,
        place_id=value.get("place_id", ""),
        name=value.get("name", ""),
        lat=lat,
        lon=lon,
        kind=value.get("kind") or "settlement",
        country=value.get("country", "").upper(),
        region=value.get("region", ""),
        article_id=value.get("article_id", ""),
    )


def slug(text: str) -> str:
    """A stable id fragment for a place defined in an override."""
    return re.sub(r"[^a-z0-9]+", "-", normalize_name(text)).strip("-")
