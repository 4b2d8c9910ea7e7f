"""Score extraction against a labelled file in the dev-set format (``spec/claims.md``).

Each line: ``{id, published, text, places: [names], claims: [{side, action, place, event_date,
...}]}``. A claim matches when side, action, place and event date all match; places match by
canonical name (or the name as written, for places the gazetteer does not know).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from mapper import extract, mentions, schema
from mapper._errors import InputError
from mapper.gazetteer import LocalGazetteer

ClaimKey = tuple[str, str, str, str]


@dataclass
class Score:
    """Precision, recall and F1 of one kind of item, with what was missed and added."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[tuple[str, Any]] = field(default_factory=list)
    extras: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        """Share of predicted items that are right."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """Share of labelled items that were found."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, item_id: str, gold: Iterable[Any], predicted: Iterable[Any]) -> None:
        """Count one example's labelled and predicted items (as multisets)."""
        g, p = Counter(gold), Counter(predicted)
        self.tp += sum((g & p).values())
        self.fn += sum((g - p).values())
        self.fp += sum((p - g).values())
        self.misses += [(item_id, x) for x in (g - p).elements()]
        self.extras += [(item_id, x) for x in (p - g).elements()]


@dataclass
class Evaluation:
    """Scores of places, claims and negation over a labelled file."""

    places: Score
    claims: Score
    negated: Score
    examples: int


def load_examples(path: str | Path) -> list[dict[str, Any]]:
    """Read a labelled JSONL file, raising :class:`InputError` on a malformed line."""
    examples = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            example = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(f"{path}:{number}: not valid JSON ({err.msg})") from err
        missing = [k for k in ("id", "published", "text") if k not in example]
        if missing:
            raise InputError(f"{path}:{number}: missing keys {missing}; see spec/claims.md")
        examples.append(example)
    return examples


def evaluate(path: str | Path, *, gazetteer: LocalGazetteer | None = None) -> Evaluation:
    """Run extraction on every text of a labelled file and score it.

    Parameters
    ----------
    path
        JSONL in the dev-set format.
    gazetteer
        Place lookup; default: the offline gazetteer.

    Returns
    -------
    Evaluation
    """
    examples = load_examples(path)
    articles = pd.DataFrame(
        {
            "url": "",
            "source": "",
            "published": pd.to_datetime([e["published"] for e in examples], utc=True),
            "title": "",
            "text": [e["text"] for e in examples],
            "captions": "",
            "path": str(path),
        },
        index=pd.Index([str(e["id"]) for e in examples], name=schema.ARTICLE_ID),
    )
    found = mentions.mentions_from_articles(articles, gazetteer=gazetteer)
    claims = extract.claims_from_articles(articles, found)
    result = Evaluation(Score(), Score(), Score(), len(examples))
    for example in examples:
        key = str(example["id"])
        own_mentions = found[found[schema.ARTICLE_ID] == key]
        names = own_mentions["place_name"].where(
            own_mentions["place_name"].notna(), own_mentions["surface"]
        )
        result.places.add(key, set(example.get("places", [])), set(names))
        own = claims[claims[schema.ARTICLE_ID] == key]
        predicted = [
            _key(c["side"], c["action"], c["place_name"], c["event_date"])
            for _, c in own.iterrows()
        ]
        gold = [
            _key(c["side"], c["action"], c["place"], c["event_date"])
            for c in example.get("claims", [])
        ]
        result.claims.add(key, gold, predicted)
        result.negated.add(
            key,
            [g for g, c in zip(gold, example.get("claims", []), strict=True) if c.get("negated")],
            [p for p, (_, c) in zip(predicted, own.iterrows(), strict=True) if c["negated"]],
        )
    return result


def _key(side: str, action: str, place: str, date: str | pd.Timestamp | None) -> ClaimKey:
    day = "none" if date is None or pd.isna(date) else pd.Timestamp(date).date().isoformat()
    return (str(side), str(action), str(place), day)


def format_report(evaluation: Evaluation) -> str:
    """The evaluation as the text ``mapper eval`` prints."""
    lines = [
        f"{evaluation.examples} examples",
        "",
        f"{'':10}{'P':>7}{'R':>7}{'F1':>7}{'TP':>6}{'FP':>5}{'FN':>5}",
    ]
    for name, s in (
        ("places", evaluation.places),
        ("claims", evaluation.claims),
        ("negated", evaluation.negated),
    ):
        lines.append(
            f"{name:10}{s.precision:7.3f}{s.recall:7.3f}{s.f1:7.3f}{s.tp:6}{s.fp:5}{s.fn:5}"
        )
    for name, s in (("places", evaluation.places), ("claims", evaluation.claims)):
        if s.misses or s.extras:
            lines += ["", f"{name}: missed / extra"]
            lines += [f"  - {i}: {x}" for i, x in s.misses]
            lines += [f"  + {i}: {x}" for i, x in s.extras]
    return "\n".join(lines)
