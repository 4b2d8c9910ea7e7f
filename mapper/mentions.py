"""Articles -> mentions: find toponyms by gazetteer matching and resolve each to one place.

Finding
    Capitalised word sequences are looked up in the gazetteer, longest first, so "Kazachya
    Loknya" wins over "Loknya". A possessive ("Russia's") is stripped; "X region", "X oblast",
    "X district" take the region or district; in "Kursk and Belgorod regions" every listed name
    takes the plural keyword. A name followed by an organisation word ("Kyiv Independent",
    "Kyiv 24", "the Odesa brigade") is not a place.

Resolving
    Each candidate place is scored by, in order of weight: the kind the text asks for (region,
    district, city); an explicit qualifier in the same sentence ("Popovka in the Belgorod
    region"); the oblasts and countries the article names; the distance to the other places
    resolved in the article; the project's focus regions; and population. A bare oblast-capital
    name ("Kursk") means the oblast unless city cues (the city of, regional capital, mayor,
    strikes) are near. The confidence is the chosen candidate's share of the softmax over
    scores; below ``settings.min_place_confidence`` the mention stays ``ambiguous`` with its
    candidates listed rather than guessed.
"""

from __future__ import annotations

import heapq
import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from itertools import accumulate, repeat
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from mapper import schema, settings
from mapper._dates import MONTH_ABBREVIATIONS, MONTH_NAMES, WEEKDAY_NAMES
from mapper._errors import ConfigurationError, GazetteerUnavailable
from mapper._lexicon import Lexicon, load
from mapper._matching import Folded, Found, NameMatcher, fold
from mapper._text import (
    DASHES,
    FUNCTION_WORDS,
    NAME_JOINERS,
    Token,
    keyword_of,
    normalize_name,
    normalize_word,
    sentence_around,
)
from mapper.gazetteer import Candidate, Gazetteer, LocalGazetteer, get_gazetteer
from mapper.gazetteer.base import haversine_km_matrix
from mapper.overrides import Overrides, Rule, load_overrides, slug

log = logging.getLogger(__name__)

_POSSESSIVE = ("'s", "’s")
_SENTENCE_BREAK = re.compile(r"[.!?][\"”’)]*\s+[A-ZА-Я\"“]|\n\s*\n")
# The word before a position, read backwards from it (matched on the reversed text).
_PREVIOUS_WORD = re.compile(r"\s*\.?([\w'’]+)")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_NEXT_WORD = re.compile(
    rf"(?:[{re.escape(NAME_JOINERS)}]|\n(?![ \t]*\n))+([^\W_]+(?:['’][^\W_]+)*)"
)
# The capital letters a name may begin with, Latin and Cyrillic.
_CAPITAL_CLASS = "A-ZÀ-ÖØ-ÞĀĆČĎĐĒĘĚĞĪŁŃŇŌŐŒŘŚŠŞŤŪŮŰŸŹŻŽА-ЯЁЄІЇҐЎ"
_CAPITALS = frozenset(c for c in map(chr, range(0x500)) if re.match(f"[{_CAPITAL_CLASS}]", c))
_LIST_JOIN = re.compile(r"\s*(?:,|and|or|,\s*and)\s*")
_AFTER_CUE = re.compile(rf"[^\W_]+[\s,]+(?:(?i:the)[\s,]+)?(?=[{_CAPITAL_CLASS}])")
_LISTED = re.compile(rf"{_LIST_JOIN.pattern}(?<![\w'’])(?=[{_CAPITAL_CLASS}])")
# "Guevo and Oleshnya, and that in the Belgorod region ...": a new clause, not a qualifier.
_CLAUSE_WORD = re.compile(r"\b(?:but|that|which|while|whereas|where|who|when)\b")
_SOFTMAX_SCALE = 4.0
_ONLY_BEGINS = (None, 1, None)
# Endings a shortened district or region adjective may have lost ("Korenev" for Korenevo,
# Korenevsky); tried in this order after an unknown stem followed by "district" or "region".
_DISTRICT_ENDINGS = ("o", "e", "a", "sky", "skiy", "skyi", "ski", "ka", "skaya")
_LONE_VILLAGE = 0.5
_TOWARDS = re.compile(r"\s+to\s+[A-ZА-Я]")
_COUNTRY_POSSESSIVE = re.compile(r"(?:russia|ukraine)['’]s\s*$", re.I)
_TOWNS = ("capital", "city", "settlement")
_WANTED = {"region": "oblast", "district": "district"}
# Counts in capitals ("liberated TEN VILLAGES", "Several were hit") never begin a place.
_COUNT_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred hundreds thousand thousands dozen dozens several".split()
)
_FUNCTION_WORDS = FUNCTION_WORDS.union(
    MONTH_NAMES, MONTH_ABBREVIATIONS, WEEKDAY_NAMES, _COUNT_WORDS
)


@dataclass(slots=True)
class _Found:
    """A name found in a text, before resolution."""

    start: int
    end: int
    surface: str
    candidates: list[Candidate]
    want: str | None = None
    scored: list[_Scored] = field(default_factory=list)
    choice: _Choice | None = None
    pinned: bool = False
    dropped: bool = False
    in_captions: bool = False


@cache
def default_gazetteer() -> LocalGazetteer:
    """The offline gazetteer, loaded once per process."""
    return LocalGazetteer()


def mentions_from_articles(
    articles: pd.DataFrame,
    *,
    gazetteer: LocalGazetteer | None = None,
    lexicon: Lexicon | None = None,
    overrides: Overrides | None = None,
    fallback: Gazetteer | None = None,
) -> pd.DataFrame:
    """Find and resolve the place names of every article.

    Parameters
    ----------
    articles
        The articles frame.
    gazetteer
        Where names are looked up; default: the offline :class:`LocalGazetteer`.
    lexicon
        Cue lists; default: the bundled lexicon.
    overrides
        Review rules applied before automatic resolution; default:
        :func:`mapper.overrides.load_overrides`.
    fallback
        Asked for names the offline gazetteer does not know (an online geocoder); default:
        :func:`default_fallback`, which is ``None`` unless ``settings.geocoder`` is set.

    Returns
    -------
    pandas.DataFrame
        The mentions frame (see :mod:`mapper.schema`), in article and text order.

    Examples
    --------
    >>> import pandas as pd
    >>> articles = pd.DataFrame(
    ...     {"url": [""], "source": [""], "published": [pd.Timestamp("2025-04-27", tz="UTC")],
    ...      "title": [""], "path": [""], "captions": [""],
    ...      "text": ["Fighting goes on in the Kursk and Belgorod regions near Gornal."]},
    ...     index=pd.Index(["a1"], name="article_id"))
    >>> mentions_from_articles(articles)["place_name"].tolist()
    ['Kursk Oblast', 'Belgorod Oblast', 'Gornal']
    """
    schema.validate_articles(articles)
    gazetteer = gazetteer or default_gazetteer()
    lexicon = lexicon or load()
    rules = load_overrides() if overrides is None else overrides
    fallback = fallback or default_fallback()
    rows: list[dict[str, object]] = []
    captions_of = articles["captions"] if "captions" in articles else repeat("")
    for article_id, article_text, article_captions in zip(
        articles.index, articles["text"], captions_of, strict=False
    ):
        # Captions name places worth listing, but are resolved with the text as context.
        text, captions = str(article_text), str(article_captions or "")
        found = find_names(text, gazetteer, lexicon, rules)
        in_captions = find_names(captions, gazetteer, lexicon, rules) if captions else []
        for f in in_captions:
            f.in_captions = True
        if len(rules):
            _apply_overrides(found + in_captions, rules, str(article_id), gazetteer)
            found = [f for f in found if not f.dropped]
            in_captions = [f for f in in_captions if not f.dropped]
        if fallback is not None:
            _ask_fallback(found + in_captions, fallback)
        _resolve(found, text)
        _resolve(in_captions, captions)
        rows.extend(_row(str(article_id), f, "text") for f in found)
        rows.extend(_row(str(article_id), f, "captions") for f in in_captions)
    frame = pd.DataFrame(rows, columns=[schema.MENTION_ID, *schema.MENTION_COLUMNS])
    frame = frame.set_index(schema.MENTION_ID)
    schema.validate_mentions(frame)
    return frame


def unresolved_names(mentions: pd.DataFrame) -> pd.DataFrame:
    """List the place names left unresolved, one row per distinct name and status.

    Parameters
    ----------
    mentions
        The mentions frame.

    Returns
    -------
    pandas.DataFrame
        Columns ``surface``, ``status`` (``ambiguous``: several places fit and none clearly;
        ``no_match``: no known place), ``count`` (mentions) and ``candidates`` (for ambiguous
        names), most frequent first.
    """
    schema.validate_mentions(mentions)
    open_names = mentions[mentions["status"] != "resolved"]
    return (
        open_names.groupby(["surface", "status"], as_index=False)
        .agg(count=(schema.ARTICLE_ID, "size"), candidates=("candidates", "first"))
        .sort_values(["count", "surface"], ascending=[False, True])
        .reset_index(drop=True)
    )


def find_names(
    text: str, gazetteer: LocalGazetteer, lexicon: Lexicon, overrides: Overrides | None = None
) -> list[_Found]:
    """Find the place names in ``text`` (unresolved; see :func:`mentions_from_articles`).

    Gazetteer names are found wherever they stand. A capitalised name the gazetteer does not
    know is kept as an unknown place (no candidates) when the words before it say a place
    follows ("near X", "the village of X", "captured X", "including X") or when it is listed
    with a known place. The names of the gazetteer and of review overrides are found in one
    pass over the text (:mod:`mapper._matching`) and the place cues by one regex, so the rules
    below run only where a name or a cue stands.
    """
    extra = overrides or Overrides()
    org_after = set(lexicon.cues.get("org_after", ()))
    titles = set(lexicon.cues.get("title", ()))
    not_names = _not_names(lexicon)
    cues = _place_cues(lexicon)
    folded = fold(text)
    names = _names_in(folded, gazetteer, extra)
    starts = sorted({*names, *_cued_starts(folded, cues)})
    found: list[_Found] = []
    consumed = 0

    def cued(start: int) -> bool:
        if found and _LIST_JOIN.fullmatch(text, found[-1].end, start):
            return True
        before = _words_before(text, start)
        return any(" ".join(before[-n:]) in cues for n in (1, 2, 3, 4) if len(before) >= n)

    def add(name: _Found) -> None:
        found.append(name)
        # The next capitalised word may be listed with it: "Sudzha and Malaya Loknya".
        listed = _LISTED.match(text, name.end)
        if listed is not None:
            heapq.heappush(starts, listed.end())

    last_start = -1
    while starts:
        start = heapq.heappop(starts)
        if start == last_start or start < consumed:
            continue
        last_start = start
        known = names.get(start)
        if known is None:
            if not cued(start):
                continue
        elif known == _ONLY_BEGINS and _bare(_word_at(text, start)) in not_names:
            continue  # "The", "He": words that begin names but never stand for a place
        words = _Words(text, start)
        first = words[0]
        key, length = _joined(known, words)
        if key is None and _bare(first.text) in not_names:
            consumed = first.end
            continue
        previous = _previous_word(text, start)
        if previous in titles or _tail_of_a_name(text, start, consumed, previous, not_names):
            consumed = words[words.capitalised_run() - 1].end
            continue
        if key is not None and not _runs_on(words, length, not_names, names):
            last = words[length - 1]
            if words.lower(length) not in org_after or keyword_of(last.text):
                add(_found(text, first, last, gazetteer.lookup_key(key), _wanted_kind(key)))
            consumed = last.end
            continue
        run = words.capitalised_run()
        last = words[run - 1]
        consumed = last.end
        if any(_bare(words[k].text) in not_names for k in range(1, run)):
            continue  # a person ("Alexander Khinshtein"), not a place
        inflected = _inflected_region(words, run, gazetteer)
        if inflected is not None:
            key, keyword = inflected
            consumed = keyword.end
            add(_found(text, first, keyword, gazetteer.lookup_key(key), _wanted_kind(key)))
        elif words.lower(run) not in org_after and cued(start):
            add(_found(text, first, last, [], None))
    _apply_plural_keywords(found, text, gazetteer)
    _apply_city_cues(found, text, lexicon)
    return found


def _names_in(text: Folded, gazetteer: LocalGazetteer, overrides: Overrides) -> dict[int, Found]:
    """The known names of a text by start: the gazetteer's, and the overrides' surfaces."""
    names = gazetteer.matcher.scan(text, _CAPITALS)
    if not overrides.matcher.empty:
        for start, found in overrides.matcher.scan(text, _CAPITALS).items():
            if found[0] is None:
                names.setdefault(start, found)
            elif found[1] >= names.get(start, (None, 0, None))[1]:
                names[start] = (*found[:2], names.get(start))
    return names


def _joined(known: Found | None, words: _Words) -> tuple[str | None, int]:
    """The longest name found at a word whose words stand joined by spaces or hyphens."""
    if known is None:
        return None, 0
    found: Found | None = known
    while found is not None:
        key, length, shorter = found
        if key is not None and words.available(length - 1):
            return key, length
        found = shorter
    return None, 1


def _cued_starts(text: Folded, cues: frozenset[str]) -> list[int]:
    """Where a capitalised word follows the last word of a place cue (``cued`` then checks)."""
    return [
        after.end()
        for start in _cue_matcher(cues).scan(text)
        if (after := _AFTER_CUE.match(text.text, start)) is not None
    ]


def _place_cues(lexicon: Lexicon) -> frozenset[str]:
    # "north of X", "5 km from X": a reference point is a place too, if not a claim's.
    return frozenset(lexicon.cues.get("place_before", ()) + lexicon.cues.get("reference", ()))


@cache
def _cue_matcher(cues: frozenset[str]) -> NameMatcher:
    return NameMatcher({cue.split()[-1] for cue in cues})


def _word_at(text: str, start: int) -> str:
    word = _WORD.match(text, start)
    return word.group() if word else ""


def _words_before(text: str, start: int) -> list[str]:
    """The last few words before ``start``, lower case, without a final "the" or comma."""
    words = text[max(0, start - 40) : start].lower().replace(",", " ").split()
    if words and words[-1] == "the":
        words.pop()
    return words[-4:]


class _Words:
    """The words of ``text`` from a position on, read lazily as a name is extended."""

    __slots__ = ("done", "text", "words")

    def __init__(self, text: str, start: int) -> None:
        self.text = text
        first = _WORD.match(text, start)
        assert first is not None
        self.words = [Token(first.group(), first.start(), first.end())]
        self.done = False

    def __getitem__(self, k: int) -> Token:
        while len(self.words) <= k and not self.done:
            self._read_next()
        return self.words[k]

    def available(self, k: int) -> bool:
        """Whether word ``k`` exists and follows word ``k - 1`` across spaces or a hyphen only."""
        while len(self.words) <= k and not self.done:
            self._read_next()
        return k < len(self.words)

    def _read_next(self) -> None:
        word = _NEXT_WORD.match(self.text, self.words[-1].end)
        if word is None:
            self.done = True
            return
        self.words.append(Token(word.group(1), word.start(1), word.end(1)))

    def lower(self, k: int) -> str:
        """Word ``k`` in lower case, or "" past the end."""
        return self[k].text.lower() if self.available(k) else ""

    def is_keyword(self, k: int) -> bool:
        return self.available(k) and keyword_of(self[k].text) is not None

    def continues(self, k: int) -> bool:
        """Whether word ``k`` carries on a capitalised name ("Vladimir Putin", "Novaya ...")."""
        return (
            self.available(k)
            and self[k].is_capitalized
            and self[k].text.lower() not in _FUNCTION_WORDS
            and not self[k - 1].text.endswith(_POSSESSIVE)
            and not _in_capitals(self[k].text)
        )

    def capitalised_run(self) -> int:
        """How many capitalised words run on, up to four."""
        k = 1
        while k < 4 and self.continues(k):
            k += 1
        return k


def _runs_on(
    words: _Words, length: int, not_names: frozenset[str], names: dict[int, Found]
) -> bool:
    """Whether the capitalised words after a matched name make it part of a longer one.

    "Kursk Oblast Duma" runs on; "in the Belgorod region Ukrainian troops" does not: a name
    ending in "region" or "district" is followed there by the start of the next clause. Nor
    does a name joined by a dash to another known name (``names``, by start): "the
    Sudzha-Korenevo road", "the Kupiansk-Lyman direction" name a route between two places.
    """
    if not words.continues(length) or words.is_keyword(length):
        return False
    after = words[length]
    known = names.get(after.start)
    joint = words.text[words[length - 1].end : after.start]
    if known is not None and known[0] is not None and any(d in joint for d in DASHES):
        return False
    return not (words.is_keyword(length - 1) and _bare(after.text) in not_names)


def _in_capitals(word: str) -> bool:
    """A word of more than one letter in capitals: shouted, or an acronym; in no name."""
    return len(word) > 1 and word.isupper()


def _tail_of_a_name(
    text: str, start: int, consumed: int, previous: str, not_names: frozenset[str]
) -> bool:
    """Whether the word at ``start`` ends a capitalised name begun by an unknown word.

    "Alexei Smirnov" is a person even though some place is called "Smirnov". A word in
    capitals begins no name, as it continues none: "TROOPS RETOOK GORNAL" is a shouted line.
    """
    before = start - len(previous) - 1
    word = text[before : start - 1]
    return (
        before >= consumed
        and word[:1].isupper()
        and not _in_capitals(word)
        and text[start - 1] == " "
        and previous not in not_names
        and not previous.endswith(_POSSESSIVE)
    )


def _previous_word(text: str, start: int) -> str:
    # Read backwards: an anchored match costs less than searching for a match at the end.
    before = _PREVIOUS_WORD.match(text[max(0, start - 30) : start][::-1])
    return before.group(1)[::-1].lower() if before else ""


@cache
def _not_names_for(actors: tuple[tuple[str, str], ...], titles: tuple[str, ...]) -> frozenset[str]:
    return frozenset({p for p, _ in actors if " " not in p} | set(titles) | _FUNCTION_WORDS)


def _not_names(lexicon: Lexicon) -> frozenset[str]:
    """Capitalised words that never start a place name: actors, titles, months, function words."""
    return _not_names_for(lexicon.actors, lexicon.cues.get("title", ()))


@lru_cache(maxsize=65_536)
def _bare(word: str) -> str:
    """Lower case, without a possessive ending."""
    return (word[:-2] if word.endswith(_POSSESSIVE) else word).lower()


def _found(
    text: str,
    first: Token,
    last: Token,
    candidates: list[Candidate],
    want: str | None,
) -> _Found:
    end = last.end - 2 if last.text.endswith(("'s", "’s")) else last.end
    return _Found(first.start, end, text[first.start : end], candidates, want)


def _inflected_region(
    words: _Words, run: int, gazetteer: LocalGazetteer
) -> tuple[str, Token] | None:
    """The district or region an unknown stem before "district" or "region" names, if any.

    Reporting shortens and inflects the adjective of a district: "the Korenev district" is
    the Korenevo (Korenevsky) district.
    """
    if not words.is_keyword(run):
        return None
    stem = " ".join(normalize_word(words[k].text) for k in range(run))
    keyword = normalize_word(words[run].text)
    for ending in _DISTRICT_ENDINGS:
        key = f"{stem}{ending} {keyword}"
        if key in gazetteer:
            return key, words[run]
    return None


def _wanted_kind(key: str) -> str | None:
    return _WANTED.get(key.rsplit(" ", 1)[-1])


def _apply_plural_keywords(found: list[_Found], text: str, gazetteer: LocalGazetteer) -> None:
    """In "Kursk and Belgorod regions" the keyword of the last name applies to all of them."""
    for k in range(len(found) - 1, 0, -1):
        head = found[k]
        if head.want is None:
            continue
        keyword = "region" if head.want == "oblast" else "district"
        j = k - 1
        while j >= 0 and _LIST_JOIN.fullmatch(text[found[j].end : found[j + 1].start]):
            listed = found[j]
            if listed.want is None:
                key = normalize_name(f"{listed.surface} {keyword}")
                candidates = gazetteer.lookup_key(key)
                if candidates:
                    listed.candidates = candidates
                    listed.want = head.want
            j -= 1


@dataclass(frozen=True)
class _CityCues:
    """The lexicon's cues that tell the city from the oblast of the same name."""

    before: re.Pattern[str]
    after: re.Pattern[str]
    context: re.Pattern[str]
    region_after: re.Pattern[str]
    reference: re.Pattern[str]


@cache
def _city_cues_of(
    before: re.Pattern[str],
    after: re.Pattern[str],
    context: re.Pattern[str],
    region_after: re.Pattern[str],
    reference: re.Pattern[str],
) -> _CityCues:
    return _CityCues(
        before=before,
        after=re.compile(r"[\s,]*" + after.pattern, re.I),
        context=context,
        region_after=re.compile(r"\s*" + region_after.pattern, re.I),
        reference=re.compile(reference.pattern + r"\s*$", re.I),
    )


def _apply_city_cues(found: list[_Found], text: str, lexicon: Lexicon) -> None:
    kinds = ("city_before", "city_after", "city_context", "region_after", "reference")
    cues = _city_cues_of(*map(lexicon.cue_regex, kinds))
    for f in found:
        if f.want is not None or not any(c.kind == "oblast" for c in f.candidates):
            continue
        if not any(c.kind in _TOWNS for c in f.candidates):
            continue
        left = text[max(0, f.start - 20) : f.start].lower()
        right = text[f.end : f.end + 30].lower()
        if (
            cues.before.search(left[-14:])
            or cues.after.match(right)
            or cues.reference.search(left)
            or _TOWARDS.match(text, f.end, f.end + 8)
        ):
            # "the city of Kursk", "Kursk, the regional capital", "east of Bryansk",
            # "from Sumy to Sudzha": a point, the city.
            f.want = "city"
        elif cues.region_after.match(right) or _COUNTRY_POSSESSIVE.search(left):
            f.want = "oblast"
        else:
            lo, hi = (0, len(text)) if f.in_captions else sentence_around(text, f.start)
            f.want = "city" if cues.context.search(text[lo:hi]) else "oblast"


class _Nearby:
    """The places a text names, as groups of candidates, and every candidate's distance to them.

    Each distinct name is one group (a village named five times supports its neighbours
    once); the oblasts the text names are anchors too, but support no one. Distances, and
    each group's nearest member, are computed for all the text's candidates at once.
    """

    def __init__(
        self,
        groups: dict[str, list[Candidate]],
        regions: list[Candidate],
        candidates: Iterable[Candidate],
    ) -> None:
        self.names = list(groups)
        self.members = [c for group in groups.values() for c in group] + regions
        self.regions = regions
        sizes = [len(group) for group in groups.values()]
        self._sizes = sizes
        self._starts = list(accumulate(sizes, initial=0))[:-1]
        distinct = list({c.place_id: c for c in candidates}.values())
        self._row = {c.place_id: i for i, c in enumerate(distinct)}
        self._km: list[list[float]] = [[] for _ in distinct]
        # Per candidate, the best two groups by support and by nearness (the best but one
        # stands in when the best is the candidate's own name), and the nearest oblast.
        self._support: list[list[float]] = [[] for _ in distinct]
        self._by_support: list[tuple[int, int]] = []
        self._group_km: list[list[float]] = [[] for _ in distinct]
        self._by_nearness: list[tuple[int, int]] = []
        self._region_km = [math.inf] * len(distinct)
        if not (self.members and distinct):
            return
        km = haversine_km_matrix(distinct, self.members)
        self._km = km.tolist()
        # A place is no anchor for itself, even when named under another name.
        ids = np.array([c.place_id for c in distinct], dtype=object)
        same = ids[:, None] == np.array([m.place_id for m in self.members], dtype=object)
        others = np.where(same, np.inf, km)
        if regions:
            self._region_km = others[:, len(self.members) - len(regions) :].min(axis=1).tolist()
        if not sizes:
            return
        named = len(self.members) - len(regions)
        support = np.exp(-np.minimum.reduceat(km[:, :named], self._starts, axis=1) / 40.0)
        support /= np.sqrt(sizes)
        self._support = support.tolist()
        self._by_support = _best_two(support)
        group_km = np.minimum.reduceat(others[:, :named], self._starts, axis=1)
        self._group_km = group_km.tolist()
        self._by_nearness = _best_two(-group_km)

    def supports(self, own: str) -> bool:
        """Whether any name but ``own`` has candidates."""
        # The names are distinct: another one is there if there are two, or one not ``own``.
        return len(self.names) > 1 or (bool(self.names) and self.names[0] != own)

    def anchored(self, own: str) -> bool:
        """Whether any place but the candidates of ``own`` says where the text is."""
        return bool(self.regions) or self.supports(own)

    def support(self, candidate: Candidate, own: str) -> tuple[str, float]:
        """The best support from one other name: close, and not too ambiguous; and why."""
        row = self._row[candidate.place_id]
        chosen = next((g for g in self._by_support[row] if self.names[g] != own), None)
        best = 0.0 if chosen is None else self._support[row][chosen]
        if chosen is None or not best > 0:
            return "", 0.0
        start, size = self._starts[chosen], self._sizes[chosen]
        distances = self._km[row][start : start + size]
        km = min(distances)
        nearest = self.members[start + distances.index(km)]
        of = f" (one of {size})" if size > 1 else ""
        return f"{km:.0f} km from {nearest.name}{of}", best

    def nearest_km(self, candidate: Candidate, own: str) -> float | None:
        """How far the nearest other place named is (not ``own``'s candidates, nor itself)."""
        row = self._row[candidate.place_id]
        best = self._region_km[row]
        if self._by_nearness:
            group = next((g for g in self._by_nearness[row] if self.names[g] != own), None)
            if group is not None:
                best = min(best, self._group_km[row][group])
        return None if best == math.inf else best


def _best_two(values: npt.NDArray[np.float64]) -> list[tuple[int, int]]:
    """Per row, the column of the largest value and of the largest of the rest (first on ties)."""
    first = values.argmax(axis=1)
    rest = values.copy()
    rest[np.arange(len(rest)), first] = -np.inf
    return list(zip(first.tolist(), rest.argmax(axis=1).tolist(), strict=True))


@dataclass
class _Context:
    """What an article says about where its places are, for scoring candidates."""

    nearby: _Nearby
    own: str = ""  # the name scored: its own candidates neither support nor anchor it
    oblasts: set[str] = field(default_factory=set)
    qualifiers: set[str] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)


class _Scored(NamedTuple):
    """A candidate's score, its plausibility (a factor on confidence) and the reasons."""

    score: float
    plausible: float
    reasons: list[tuple[str, float]]
    note: str

    def explained(self) -> str:
        """The reasons as shown to a user, with their points."""
        shown = [f"{why} {points:+.2f}" for why, points in self.reasons if points >= 0.005]
        return "; ".join([*shown, self.note] if self.note else shown)


def default_fallback() -> Gazetteer | None:
    """The online geocoder of ``settings.geocoder``, restricted to the focus area, or ``None``."""
    if not settings.geocoder:
        return None
    return get_gazetteer(
        settings.geocoder,
        user_agent=settings.user_agent,
        domain=settings.geocoder_domain,
        countries=("RU", "UA"),
        bbox=settings.focus_bbox,
    )


def _ask_fallback(found: list[_Found], fallback: Gazetteer) -> None:
    """Look up names no offline source knows; an unreachable service leaves them unknown."""
    for f in found:
        if f.candidates or f.pinned:
            continue
        try:
            f.candidates = fallback.lookup(f.surface)
        except GazetteerUnavailable as err:
            log.warning("online lookup of %r failed (%s); left unresolved", f.surface, err)


def _apply_overrides(
    found: list[_Found], rules: Overrides, article_id: str, gazetteer: LocalGazetteer
) -> None:
    """Pin or drop the names review rules speak of, before automatic resolution."""
    regions = {c.name for f in found if f.want in ("oblast", "district") for c in f.candidates}
    for f in found:
        rule = rules.rule_for(normalize_name(f.surface), article_id=article_id, regions=regions)
        if rule is None:
            continue
        if rule.action == "not_place":
            f.dropped = True
            continue
        place = gazetteer.by_id(rule.place_id) if rule.place_id else _rule_place(rule)
        if place is None:
            raise ConfigurationError(
                f"override for {rule.surface!r} pins unknown place id {rule.place_id!r}; "
                "find ids with 'mapper gazetteer lookup NAME'"
            )
        f.candidates, f.pinned = [place], True


def _rule_place(rule: Rule) -> Candidate:
    assert rule.lat is not None and rule.lon is not None
    return Candidate(
        place_id=f"override:{slug(rule.name)}",
        name=rule.name,
        kind=rule.kind,
        country=rule.country,
        admin1=rule.region if rule.region.endswith("Oblast") else "",
        lat=rule.lat,
        lon=rule.lon,
        population=0,
        source="review override",
    )


def _qualifiers(f: _Found, following: list[_Found], text: str) -> set[str]:
    """Find the regions that say where ``f`` lies, among the names that follow it.

    "Popovka in the Belgorod region", "Novenke and Basivka in Ukraine's Sumy region",
    "Demidovka, a border village in the Belgorod region": the region follows the name (or the
    list it ends) closely, joined by "in" or "of".
    """
    previous = f
    for g in following:
        if (
            text.startswith(_POSSESSIVE, g.end)
            and g.candidates[:1]
            and all(c.kind == "country" for c in g.candidates)
        ):
            continue  # "in Ukraine's Sumy region": the country belongs to the qualifier
        gap = text[previous.end : g.start]
        if _SENTENCE_BREAK.search(gap):
            return set()
        if g.want in ("oblast", "district"):
            attached = (
                len(gap.split()) <= 8
                and re.search(r"\b(?:in|of)\b", gap)
                and not _CLAUSE_WORD.search(gap)
            )
            return {c.name for c in g.candidates} if attached else set()
        if not _LIST_JOIN.fullmatch(gap):
            return set()
        previous = g
    return set()


def _resolve(found: list[_Found], text: str) -> None:
    """Choose a candidate for every found name (in text order), using the article as context."""
    if not found:
        return
    for f in found:
        if not f.pinned:
            f.candidates = _kind_filter(f.candidates, f.want)
    named = [c for f in found if f.want in ("oblast", "district") for c in f.candidates]
    oblasts = {c.name for c in named if c.kind == "oblast"}
    local = settings.focus_regions + tuple(oblasts)
    # Every other place named nearby supports the candidates close to one of its own
    # candidates: two namesake-laden villages named together are likely the pair that lie
    # side by side.
    keys = [normalize_word(f.surface) for f in found]
    groups: dict[str, list[Candidate]] = {}
    for f, key in zip(found, keys, strict=True):
        group = [
            c
            for c in f.candidates
            if c.kind in ("settlement", "city", "district") and c.admin1 in local
        ]
        if group:
            groups.setdefault(key, group)
    regions = [c for c in named if c.kind == "oblast"]
    nearby = _Nearby(groups, regions, (c for f in found for c in f.candidates))
    countries = {g.candidates[0].country for g in found if len(g.candidates) == 1}
    chosen: dict[tuple[str, str, tuple[str, ...]], tuple[list[_Scored], _Choice | None]] = {}
    # Only a region or district named after a name can qualify it.
    last_region = max(
        (i for i, f in enumerate(found) if f.want in ("oblast", "district")), default=-1
    )
    for position, (f, key) in enumerate(zip(found, keys, strict=True)):
        qualifiers = _qualifiers(f, found[position + 1 : last_region + 1], text)
        # The same name with the same qualifiers scores the same wherever it stands.
        memo = (key, f.want or "", tuple(sorted(qualifiers)))
        if memo not in chosen or f.pinned:
            context = _Context(nearby, key, oblasts, qualifiers, countries)
            f.scored = [_score(c, context) for c in f.candidates]
            chosen[memo] = f.scored, _choose(f) if f.candidates else None
        f.scored, f.choice = chosen[memo]


def _kind_filter(candidates: list[Candidate], want: str | None) -> list[Candidate]:
    if want == "city":
        kept = [c for c in candidates if c.kind in _TOWNS]
    elif want in ("oblast", "district"):
        kept = [c for c in candidates if c.kind == want]
    else:
        kept = [c for c in candidates if c.kind not in ("oblast", "district")]
    return kept or candidates


def _score(candidate: Candidate, context: _Context) -> _Scored:
    """Score a candidate in context."""
    reasons: list[tuple[str, float]] = []
    if candidate.admin1 in context.qualifiers or candidate.admin2 in context.qualifiers:
        reasons.append((f"qualified by {candidate.admin2 or candidate.admin1}", 1.5))
    if candidate.admin1 in context.oblasts or candidate.name in context.oblasts:
        reasons.append((f"article names {candidate.admin1 or candidate.name}", 0.8))
    if candidate.admin1 in settings.focus_regions or candidate.name in settings.focus_regions:
        reasons.append(("in a focus region", 0.6))
    if candidate.country in context.countries:
        reasons.append((f"article names a place in {candidate.country}", 0.2))
    if candidate.kind in _TOWNS and context.nearby.supports(context.own):
        reasons.append(context.nearby.support(candidate, context.own))
    if not candidate.place_id.startswith("geonames:"):
        reasons.append(("curated or imported entry", 0.2))
    reasons.append(
        (f"population {candidate.population}", min(math.log10(candidate.population + 1) / 7, 1) / 2)
    )
    score = sum(points for _, points in reasons)
    in_named_region = any(candidate.admin1 == r.name for r in context.nearby.regions)
    plausible = 1.0 if in_named_region else _plausibility(candidate, context)
    note = ""
    outside = context.qualifiers - {candidate.admin1, candidate.admin2, candidate.name}
    village = candidate.kind in ("settlement", "city", "district")
    if village and context.qualifiers and outside == context.qualifiers:
        # "Andriivka in the Sumy region" cannot be an Andriivka elsewhere.
        plausible = min(plausible, 0.3)
        note = f"not in {', '.join(sorted(context.qualifiers))}: confidence x0.30"
    elif plausible < 1:
        where = (
            "far from the article's other places"
            if context.nearby.anchored(context.own)
            else "outside the focus regions"
        )
        note = f"{where}: confidence x{plausible:.2f}"
    return _Scored(score, plausible, reasons, note)


def rank_candidates(
    name: str,
    *,
    near: str | None = None,
    region: str | None = None,
    gazetteer: LocalGazetteer | None = None,
) -> pd.DataFrame:
    """Rank the places a name may refer to, as the resolver would, and say why.

    Parameters
    ----------
    name
        A place name in any spelling.
    near
        Another place named alongside (its most likely candidate anchors the distance).
    region
        An oblast or district qualifying the name ("Belgorod region").
    gazetteer
        Default: the offline gazetteer.

    Returns
    -------
    pandas.DataFrame
        One row per candidate, best first: ``place_id``, ``place_name``, ``place_kind``,
        ``admin1``, ``admin2``, ``country``, ``lat``, ``lon``, ``population``, ``score``,
        ``confidence``, ``reasons``.

    Examples
    --------
    >>> rank_candidates("Popovka", region="Belgorod region").iloc[0]["admin1"]
    'Belgorod Oblast'
    """
    gazetteer = gazetteer or default_gazetteer()
    candidates = _kind_filter(gazetteer.lookup(name), None)
    qualifying: list[Candidate] = []
    if region:
        qualifying = [c for c in gazetteer.lookup(region) if c.kind in ("oblast", "district")]
        if not qualifying:
            qualifying = [c for c in gazetteer.lookup(f"{region} region") if c.kind == "oblast"]
    groups = {"near": _kind_filter(gazetteer.lookup(near), None)} if near else {}
    nearby = _Nearby(groups, [c for c in qualifying if c.kind == "oblast"], candidates)
    context = _Context(nearby, qualifiers={c.name for c in qualifying})
    scored = [_score(c, context) for c in candidates]
    confidences = _confidence([s.score for s in scored]) if scored else []
    rows = [
        {
            schema.PLACE_ID: c.place_id,
            "place_name": c.name,
            "place_kind": c.kind,
            "admin1": c.admin1,
            "admin2": c.admin2,
            "country": c.country,
            "lat": c.lat,
            "lon": c.lon,
            "population": c.population,
            "score": round(s.score, 3),
            "confidence": round(conf * s.plausible, 3),
            "reasons": s.explained(),
        }
        for c, s, conf in zip(candidates, scored, confidences, strict=True)
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            schema.PLACE_ID,
            "place_name",
            "place_kind",
            "admin1",
            "admin2",
            "country",
            "lat",
            "lon",
            "population",
            "score",
            "confidence",
            "reasons",
        ],
    )
    return frame.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)


def _plausibility(candidate: Candidate, context: _Context) -> float:
    """Discount a village far from every other place of the article: likely a namesake."""
    if candidate.kind != "settlement":
        return 1.0
    nearest = context.nearby.nearest_km(candidate, context.own)
    if nearest is None:
        # Nothing else in the article says where it is: a village far from the reporting's
        # focus (Pskov's Loknya for a Loknya on the Sumy border) is a guess, not a finding.
        return 1.0 if candidate.admin1 in settings.focus_regions else _LONE_VILLAGE
    return 1.0 if nearest <= 60 else max(0.3, 1.0 - (nearest - 60) / 200)


def _confidence(scores: list[float]) -> list[float]:
    top = max(scores)
    weights = [math.exp(_SOFTMAX_SCALE * (s - top)) for s in scores]
    total = sum(weights)
    return [w / total for w in weights]


class _Choice(NamedTuple):
    """What resolution made of a name: the place (``None`` when it abstained) and why."""

    place: Candidate | None
    confidence: float
    candidates: str
    reasons: str


def _choose(f: _Found) -> _Choice:
    """Pick the best-scored candidate, or abstain below ``settings.min_place_confidence``."""
    labels = [f"{c.name} ({c.admin1 or c.country})" for c in f.candidates]
    if f.pinned:
        best, confidence, reasons = 0, 1.0, "review override"
    else:
        scores = [s.score for s in f.scored]
        best = max(range(len(scores)), key=lambda i: (scores[i], -i))
        confidence = _confidence(scores)[best] * f.scored[best].plausible
        reasons = f.scored[best].explained()
    others = "; ".join(label for i, label in enumerate(labels) if i != best)
    if confidence < settings.min_place_confidence:
        # Nothing was chosen: every candidate stays on the list, the likeliest first.
        listed = "; ".join([labels[best], others] if others else [labels[best]])
        return _Choice(None, round(confidence, 3), listed, reasons)
    return _Choice(f.candidates[best], round(confidence, 3), others, reasons)


def _row(article_id: str, f: _Found, field: str) -> dict[str, object]:
    prefix = "" if field == "text" else "c"
    base: dict[str, object] = {
        schema.MENTION_ID: f"{article_id}:{prefix}{f.start}",
        schema.ARTICLE_ID: article_id,
        "surface": f.surface,
        "field": field,
        "start": f.start,
        "end": f.end,
    }
    choice = f.choice
    if choice is None:
        return {**base, "status": "no_match", "confidence": 0.0, "candidates": "", "reasons": ""}
    place = choice.place
    if place is None:
        return {
            **base,
            "status": "ambiguous",
            "confidence": choice.confidence,
            "candidates": choice.candidates,
            "reasons": choice.reasons,
        }
    return {
        **base,
        schema.PLACE_ID: place.place_id,
        "place_name": place.name,
        "place_kind": place.kind,
        "admin1": place.admin1,
        "country": place.country,
        "lat": place.lat,
        "lon": place.lon,
        "confidence": choice.confidence,
        "status": "resolved",
        "candidates": choice.candidates,
        "reasons": choice.reasons,
    }
