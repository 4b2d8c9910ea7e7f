"""Score extraction against labelled files, in either of two formats (one JSON object a line).

Claims (the dev-set format of ``spec/claims.md``)
    ``{id, published, text, places: [names], claims: [{side, action, place, event_date, ...}]}``.
    A claim matches when side, action, place and event date all match; places match by
    canonical name (or the name as written, for places the gazetteer does not know).

Place mentions (``tests/data/places_eval.jsonl``)
    ``{id, published, text, mentions: [{surface, place, lat, lon, kind}]}`` listing every
    toponym in text order; ``place: null`` where the right answer is to abstain. Toponyms match
    by overlapping character spans; a resolved place is right within 5 km of the truth.
    Abstentions are counted apart from errors.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from mapper import extract, mentions, schema
from mapper._errors import InputError
from mapper.gazetteer import LocalGazetteer
from mapper.gazetteer.base import haversine_km

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
        # Sorted: sets of names iterate in an order that changes from one process to the next.
        self.misses += [(item_id, x) for x in sorted((g - p).elements(), key=repr)]
        self.extras += [(item_id, x) for x in sorted((p - g).elements(), key=repr)]


@dataclass
class Evaluation:
    """Scores of places, claims and negation over a labelled file.

    Attributes
    ----------
    places, claims, negated
        Place names; whole claims (side, action, place, event date); negated claims.
    fields
        Per field, claims compared on (place, that field): ``place``, ``side``, ``action``,
        ``event_date``, ``asserted_controller``, ``negated``.
    actions
        Confusion counts ``(labelled action, extracted action)`` for claims about the same
        place on the same day (``-`` where one side has none).
    examples
        Texts scored.
    """

    places: Score
    claims: Score
    negated: Score
    examples: int
    fields: dict[str, Score] = field(default_factory=dict)
    actions: Counter[tuple[str, str]] = field(default_factory=Counter)


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
    articles = _articles(examples, path)
    found = mentions.mentions_from_articles(articles, gazetteer=gazetteer)
    claims = extract.claims_from_articles(articles, found)
    result = Evaluation(Score(), Score(), Score(), len(examples))
    result.fields = {name: Score() for name in _FIELDS}
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
        labelled = [_fields(c, c["place"]) for c in example.get("claims", [])]
        extracted = [_fields(c, c["place_name"]) for _, c in own.iterrows()]
        for name, score in result.fields.items():
            score.add(
                key,
                [(f["place"], f[name]) for f in labelled],
                [(f["place"], f[name]) for f in extracted],
            )
        result.actions.update(_action_pairs(labelled, extracted))
    return result


_FIELDS = ("place", "side", "action", "event_date", "asserted_controller", "negated")


def _fields(claim: Any, place: str) -> dict[str, str]:
    date = claim.get("event_date")
    controller = claim.get("asserted_controller")
    return {
        "place": str(place),
        "side": str(claim["side"]),
        "action": str(claim["action"]),
        "event_date": "none" if date is None or pd.isna(date) else str(pd.Timestamp(date).date()),
        "asserted_controller": controller if isinstance(controller, str) else "none",
        "negated": str(bool(claim.get("negated"))),
    }


def _action_pairs(
    labelled: list[dict[str, str]], extracted: list[dict[str, str]]
) -> Counter[tuple[str, str]]:
    """Pair claims about the same place and day, labelled first; count their actions."""
    pairs: Counter[tuple[str, str]] = Counter()
    left = list(extracted)
    for gold in labelled:
        same = [
            e for e in left if (e["place"], e["event_date"]) == (gold["place"], gold["event_date"])
        ]
        match = next((e for e in same if e["action"] == gold["action"]), same[0] if same else None)
        if match is None:
            pairs[(gold["action"], "-")] += 1
        else:
            left.remove(match)
            pairs[(gold["action"], match["action"])] += 1
    pairs.update(("-", e["action"]) for e in left)
    return pairs


@dataclass
class PlacesEvaluation:
    """Toponym finding and resolution scores over a place-mention file.

    Attributes
    ----------
    found
        Toponym detection (span overlap).
    located
        Labelled places (``place`` not null) that were found: right (within ``km`` of the
        truth), wrong (resolved farther away) and abstained.
    abstain_right, abstain_wrong
        Labelled abstentions (``place`` null) left unresolved / resolved anyway.
    km
        Distance within which a resolved place counts as right.
    examples
        Texts scored.
    errors
        ``(id, surface, what went wrong)`` for every wrong resolution.
    """

    found: Score
    right: int = 0
    wrong: int = 0
    abstained: int = 0
    abstain_right: int = 0
    abstain_wrong: int = 0
    km: float = 5.0
    examples: int = 0
    errors: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def within_km(self) -> float:
        """Share of found, labelled places resolved within ``km`` of the truth."""
        total = self.right + self.wrong + self.abstained
        return self.right / total if total else 1.0

    @property
    def accuracy_when_resolved(self) -> float:
        """Share of the places the tool did resolve that are within ``km``."""
        total = self.right + self.wrong
        return self.right / total if total else 1.0


def evaluate_places(
    path: str | Path, *, gazetteer: LocalGazetteer | None = None, km: float = 5.0
) -> PlacesEvaluation:
    """Score toponym finding and resolution on a place-mention file (see the module doc)."""
    examples = load_examples(path)
    found = mentions.mentions_from_articles(_articles(examples, path), gazetteer=gazetteer)
    result = PlacesEvaluation(found=Score(), km=km, examples=len(examples))
    for example in examples:
        key = str(example["id"])
        predicted = found[found[schema.ARTICLE_ID] == key]
        gold = _gold_spans(example)
        matched: set[str] = set()
        for (start, end), label in gold:
            hits = predicted[(predicted["start"] < end) & (predicted["end"] > start)]
            if hits.empty:
                result.found.fn += 1
                result.found.misses.append((key, label["surface"]))
                continue
            result.found.tp += 1
            hit = hits.iloc[0]
            matched.add(str(hits.index[0]))
            _judge(result, key, label, hit)
        extra = predicted[~predicted.index.isin(matched)]
        result.found.fp += len(extra)
        result.found.extras += [(key, s) for s in extra["surface"]]
    return result


def _judge(result: PlacesEvaluation, key: str, label: dict[str, Any], hit: pd.Series) -> None:
    resolved = hit["status"] == "resolved"
    if label.get("place") is None:
        if resolved:
            result.abstain_wrong += 1
            result.errors.append(
                (key, label["surface"], f"should abstain, got {hit['place_name']}")
            )
        else:
            result.abstain_right += 1
        return
    if not resolved:
        result.abstained += 1
        return
    km = haversine_km(label["lat"], label["lon"], hit["lat"], hit["lon"])
    if km <= result.km:
        result.right += 1
    else:
        result.wrong += 1
        result.errors.append(
            (key, label["surface"], f"{hit['place_name']} is {km:.0f} km from {label['place']}")
        )


def _gold_spans(example: dict[str, Any]) -> list[tuple[tuple[int, int], dict[str, Any]]]:
    text, position, spans = example["text"], 0, []
    for label in example.get("mentions", []):
        match = re.compile(rf"(?<!\w){re.escape(label['surface'])}(?!\w)").search(text, position)
        if match is None:
            raise InputError(
                f"{example['id']}: {label['surface']!r} not found in order in the text"
            )
        spans.append(((match.start(), match.end()), label))
        position = match.end()
    return spans


def format_places_report(evaluation: PlacesEvaluation) -> str:
    """The place-mention evaluation as the text ``mapper eval`` prints."""
    s = evaluation.found
    lines = [
        f"{evaluation.examples} texts, {s.tp + s.fn} labelled toponyms",
        "",
        f"toponyms found     P {s.precision:.3f}  R {s.recall:.3f}  F1 {s.f1:.3f}"
        f"  (TP {s.tp}, FP {s.fp}, FN {s.fn})",
        f"resolved within {evaluation.km:g} km: {evaluation.within_km:.3f} of found places "
        f"({evaluation.right} right, {evaluation.wrong} wrong, {evaluation.abstained} abstained);"
        f" {evaluation.accuracy_when_resolved:.3f} of those resolved",
        f"abstentions expected: {evaluation.abstain_right} kept open, "
        f"{evaluation.abstain_wrong} resolved anyway",
    ]
    if s.misses or s.extras or evaluation.errors:
        lines += ["", "missed / extra toponyms, wrong places:"]
        lines += [f"  - {i}: {x}" for i, x in s.misses]
        lines += [f"  + {i}: {x}" for i, x in s.extras]
        lines += [f"  ! {i}: {surface}: {why}" for i, surface, why in evaluation.errors]
    return "\n".join(lines)


def is_places_file(path: str | Path) -> bool:
    """Whether a labelled file is in the place-mention format (its texts list ``mentions``)."""
    examples = load_examples(path)
    return bool(examples) and "mentions" in examples[0]


def _articles(examples: list[dict[str, Any]], path: str | Path) -> pd.DataFrame:
    return pd.DataFrame(
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
    if evaluation.fields:
        lines += ["", "per field, on (place, field):"]
        for name, s in evaluation.fields.items():
            lines.append(f"  {name:20}{s.precision:7.3f}{s.recall:7.3f}{s.f1:7.3f}")
    if evaluation.actions:
        names = sorted({a for pair in evaluation.actions for a in pair})
        lines += [
            "",
            "actions (rows labelled, columns extracted):",
            " " * 10 + "".join(f"{n[:8]:>9}" for n in names),
        ]
        for gold in names:
            counts = "".join(f"{evaluation.actions.get((gold, n), 0) or '.':>9}" for n in names)
            lines.append(f"{gold[:10]:10}{counts}")
    for name, s in (("places", evaluation.places), ("claims", evaluation.claims)):
        if s.misses or s.extras:
            lines += ["", f"{name}: missed / extra"]
            lines += [f"  - {i}: {x}" for i, x in s.misses]
            lines += [f"  + {i}: {x}" for i, x in s.extras]
    return "\n".join(lines)
