"""Articles + mentions -> claims: who says what happened where, and when.

Rules over sentences, following ``spec/claims.md``:

1. **Triggers.** Action phrases from the actions lexicon (``data/lexicon/actions.csv``) are
   found in each sentence. A trigger right after a modal cue ("aims to capture", "tried to
   break through", "if") is not a claim. A ``repelled`` trigger absorbs the assault it
   repelled ("repelled a Russian assault on X"), and a ``denied`` trigger absorbs what it
   denies ("denied its forces had been forced out of X").
2. **Places.** Each place mention of the sentence goes to the trigger it is closest to, counting
   words and, heavily, the clause boundaries in between. Countries, places inside the
   claimant ("Russia's defence ministry", "Kyiv said"), reference points ("north-east of
   Sudzha") and oblasts qualifying a settlement ("Popovka in the Belgorod region") are not
   claim places. A trigger left without a place takes the antecedent of an anaphor ("the
   village", "the area", "the attacks"); a background clause (", where Kyiv launched ...") takes
   the place it hangs on; a denial takes the place of the claim it denies.
3. **Claimant and side.** Reported speech ("X said", ", X said", "according to X", "shared by
   X", "it added") gives the claimant of the clause, else of the sentence; the outlet's own
   narrative is ``the outlet``. The actors lexicon maps claimants to sides; local officials
   (governor, mayor) take the side of the place's country.
4. **Controller.** From the action and the acting side (the subject of the trigger, "by ..." in
   the passive, else the claimant): see :func:`_controller`. A claim about an oblast says who
   holds all of it only with a "full" cue ("fully liberated"); otherwise it is ``contested``.
5. **Dates.** The date expression of the trigger's clause (one not attached to the speech verb
   first), else of the sentence, else the publication date; a dateline ("KYIV, June 26")
   replaces the publication date as "today".
6. **Negation and confidence.** A denial by one side negates the latest claim of the other side
   on the same place (or any place, when the denial names none) earlier in the article.
   Hedges ("reportedly", "could not be independently verified") lower confidence, as do
   negation and the outlet's background; admissions against interest raise it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any, TypeVar, cast

import pandas as pd

from mapper import schema
from mapper._dates import MONTH_NAMES, WEEKDAY_NAMES, DateExpr, find_dates
from mapper._lexicon import Lexicon, load, matches_at, word_start
from mapper._text import lower_keeping_offsets, sentences, tokens

log = logging.getLogger(__name__)

OUTLET = "the outlet"
_T = TypeVar("_T")


def _initial(words: str) -> str:
    """A look-ahead for the first letters of ``words`` ("a|b|..."), to put before them.

    Case-blind, a regex tries every alternative at every word; the look-ahead lets it pass
    over most words at once (same matches, two to three times faster).
    """
    return "(?=[" + "".join(sorted({re.escape(word[0]) for word in words.split("|")})) + "])"


# A mention as a plain dict: the fields below of a row of the mentions frame, the ones
# reading claims looks at.
_Place = dict[str, Any]
_PLACE_FIELDS = (
    schema.MENTION_ID,
    schema.ARTICLE_ID,
    schema.PLACE_ID,
    "surface",
    "start",
    "end",
    "place_name",
    "place_kind",
    "admin1",
    "country",
    "status",
)
# These two and the cue regexes run over lower-case text (see lower_keeping_offsets).
_ACCORDING_TO = re.compile(r"\baccording to\s+(?P<np>[^,;.]+)")
_SHARED_BY = re.compile(
    r"\b(?:shared|posted|published|cited|reported|released|geolocated|verified|filmed|claims?"
    r"|statements?|reports?)"
    r"\s+by\s+"
    r"(?P<np>[^,;.]+?)(?=\s+(?:that|appeared|appears|showed|shows|suggested)\b|[,;.]|$)"
)
# Words after which a clause that ended with a speaker or its verb goes on with when and
# where it was said ("said on Thursday", "Ivan Ivanov told ...").
_WHEN_SAID = "on|in|at|during|late|early|last|this|yesterday|today|overnight"
_SPEAKER_AFTER = re.compile(
    r"\s+((?:the\s+)?[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,4})"
    rf"(?=\s*(?:[,;:.!?\"”(]|$)|\s+(?:{_WHEN_SAID}|told|adding|who|while)\b)"
)
# "Kyiv has not confirmed it", "declined to say": no statement, so nobody to attribute to.
_NOT_SAID = re.compile(  # the look-ahead for the first letters makes it twice as fast
    r"(?=[ndr])(?:\bnot|n['’]t|\bnever|\bdeclined to|\brefused to)\s+(?:yet\s+)?$", re.I
)
_APPOSITION_WORDS = 6
_CIRCUMSTANCE = re.compile(r"(?:[a-z]+ing|in|at|on|after|during|when|while)\b")
_DENIAL_REACH = 400  # characters, about two sentences
_SAID_LAST = re.compile(rf"\s*(?:[,.;:!?\"”)]|$|(?:{_WHEN_SAID})\b)")
_DESCRIBED = re.compile(r"\s+(?:under|held|controlled|of|it)\b")
_TIME_REFERENCE = re.compile(r"\s+(?:started|began|begun|broke out)\b")
_RELATIVE_WORDS = "which|who|where|whose"
_RELATIVE = re.compile(rf"\s*(?:{_RELATIVE_WORDS})\b\s*", re.IGNORECASE)
_RELATIVE_OR_THAT = re.compile(rf"\b(?:{_RELATIVE_WORDS}|that)\b", re.IGNORECASE)
_SIDE_NAMES = ("ukrain", "russia", "kyiv", "moscow")
_PASSIVE_STARTS = ("was ", "were ", "been ", "being ")
_CLAUSE_BOUNDARY = re.compile(r";|\b(?:(?:and|but)\s+that|but|while|whereas)\b")
# Every boundary holds one of these: most clauses have none, and need no scan.
_CLAUSE_BOUNDARY_WORDS = (";", "that", "but", "while", "whereas")
# A quote closes just before the speaker: "...," the ministry said.
_QUOTE_END = re.compile(r"[\"”],?\s*$")
_QUOTE_COMMA_END = re.compile(r"[\"”]\s*,\s*$")
_AND_END = re.compile(r"\band$")
_AND = re.compile(r"\s+and\s+")
_DEFINITE = re.compile(r"the\s+([a-z][a-z ]*)")
_PASSIVE_BEFORE = re.compile(r"(?:\b(?:was|were|been|being|is|are|be|got)\s+(?:\w+ly\s+)?)$")
_SIDE_WORDS = (
    r"ukrainian|ukraine['’]s|ukraine|kyiv['’]s|kyiv|russian|russia['’]s|russia|"
    r"moscow['’]s|moscow|north korean|enemy|its|his|their|our"
)
_SIDE_WORD = re.compile(
    rf"\b{_initial(_SIDE_WORDS)}(?P<who>{_SIDE_WORDS})\b"
    r"(?P<noun>(?:\s+[\w-]+){0,2}?\s+(?:forces|troops|units|army|soldiers|military|fighters|"
    r"servicemen|brigades?|columns|assault groups?|marines|paratroopers|defenders|"
    r"sabotage groups?|group|formations|men))?",
    re.IGNORECASE,
)
_SETTLEMENTS = ("settlements", "villages", "towns", "localities", "hamlets")
_COUNT = re.compile(
    r"\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|several|dozens of|"
    rf"a dozen|more than \d+)\s+(?:\w+\s+)?(?:{'|'.join(_SETTLEMENTS)})\s+in\s+"
    r"(?:the\s+|russia['’]s\s+|ukraine['’]s\s+)?$",
    re.IGNORECASE,
)
_QUALIFIER_BEFORE = re.compile(
    r"\b(?:in|of)\s+(?:the\s+|its\s+|their\s+|russia['’]s\s+|"
    r"ukraine['’]s\s+)?(?:\w+\s+)?$",
    re.IGNORECASE,
)
# One look-ahead after a space, not one per kind of clause: twice as fast.
_SPLIT = re.compile(
    r"[;:\"“”]|,(?!\d)|\s(?=(?:while|whereas|but)\s|and\s+(?:that|said|added|says)\b"
    r"|as\s+(?:[A-Z]|the\s|ukrainian|russian))"
)
_NP_SPLIT_WORDS = "that|although|though|because|after|before|since|while|whereas|when|if|but|so"
_NP_SPLIT = re.compile(
    rf"[,;:\"“”]|\b{_initial(_NP_SPLIT_WORDS)}(?:{_NP_SPLIT_WORDS})\b", re.IGNORECASE
)
_PRONOUN_SUBJECT = re.compile(
    r"^\W*(?:(?:late\s+|early\s+)?on\s+\w+\s+)?(?:that\s+)?(?:it|they|we|he|she)\b",
    re.IGNORECASE,
)
_ADVERB_BEFORE_VERB = re.compile(
    r"\s*\b(?:likewise|also|separately|meanwhile|however|later|earlier|again|previously)\s*$",
    re.IGNORECASE,
)
# Cue kinds the reader looks for: lower-case regexes over the lower-case text, case-blind
# ones over the text itself.
_LOWER_CUES = ("hedge", "speech", "retraction")
_BLIND_CUES = ("modal", "reference", "anaphor", "region_anaphor")
# Case-blind, re takes these for "i" or "s"; str.lower does not.
_FOLDED_APART = "İıſ"
_DAYS = "|".join(WEEKDAY_NAMES)
_MONTHS = "|".join(MONTH_NAMES)
_WHEN = (
    rf"(?:(?:in|on|by|since|during|until)\s+)?(?:late\s+|early\s+|mid-)?(?:{_MONTHS}|{_DAYS})"
    rf"|(?:last|this|next)\s+(?:week|month|year|{_DAYS})"
)
_LEADING_JUNK = re.compile(
    rf"^(?:(?:and|but|while|whereas|with|as|yet|also|meanwhile|however|then|that|which|of|"
    rf"what|for the first time|confirming|hours later|later|earlier|separately|in a statement|"
    rf"{_WHEN})\b[\s,]*)+",
    re.IGNORECASE,
)
# What follows the speaker but is not part of it: "Zelensky has for the first time openly".
_AFTER_SPEAKER = re.compile(
    r"\s+(?:has|have|had|neither|for the first time|immediately|openly|repeatedly|again)\b.*$",
    re.IGNORECASE,
)
_TRAILING_JUNK = re.compile(
    rf"(?:[\s,]+(?:on|late on|early on|in|late|early|and)?\s*(?:{_DAYS}|today|yesterday|"
    r"earlier|later|also|both|had|has|have|appeared to|appears to|again|previously|separately|"
    r"night|morning|evening|however|likewise|too|meanwhile|though|no longer)\b)+$",
    re.IGNORECASE,
)
_PRONOUNS = {"it", "he", "she", "they"}
_SUBJECT_OF_VERB = re.compile(r"(?P<np>[A-Z][^,;\"“”]*?)\s+(?:[a-z]+ed|said|told|wrote)\b")
# Who "he" or "she" can be: a named person ("Oleh Hryhorov") or an office holder.
_PERSON = re.compile(
    r"[A-Z][a-z'’-]+\s+[A-Z][a-z'’-]+(?:\s|,|$)|\b(?:governor|spokes(?:man|woman|person)|"
    r"commander|president|minister|chief|head|mayor|general|blogger|correspondent|officer)\b"
)
_DETERMINERS = {"the", "a", "an", "its", "their", "his", "her", "one", "some", "several"}
_DATE_WORD = re.compile(rf"(?:{_MONTHS}|{_DAYS}|\d)", re.IGNORECASE)
# A national capital is a claim's place only as the target of a strike ("a drone attack on
# Kyiv"); otherwise "Moscow said", "accused Kyiv" name the government, not the city.
_STRUCK_CAPITAL = re.compile(
    r"(?:\b(?:attacks?|strikes?|raids?|assaults?|bombardment|shelling|fire|missiles?|drones?)"
    r"\s+(?:\w+\s+)?(?:on|at|against)|\bstruck|\bhit|\btargeted|\btargeting|\bbombed|\bshelled)"
    r"\s+(?:the\s+(?:city|capital)\s+of\s+|central\s+|downtown\s+)?$",
    re.IGNORECASE,
)
_DATELINE = re.compile(r"^\s*[A-Z][A-Z .'’-]+,\s+(?P<date>[A-Z][a-z]+\.?\s+\d{1,2})\b")
_ROLE_WORDS = ("forces", "troops", "units", "army", "soldiers")
_ROLE_AFTER = re.compile(
    r"['’]s\s+(?:\w+\s+)?(?:" + "|".join(_ROLE_WORDS) + r"|government|officials)"
)
_CLAUSE_OPENER = re.compile(r"\s*(?:where|which|who|the|a|an)\b", re.IGNORECASE)
_CLAUSE_MARK = re.compile(r"[,;]")
_BLANK = re.compile(r"\s*")
_NO_LONGER = re.compile(r"\bno longer\b")
_THE_ENEMY = re.compile(r"\bthe enemy\b", re.IGNORECASE)
_BY_AGENT = re.compile(r"\s+by\s+(?:the\s+)?([\w'’-]+(?:\s+[\w'’-]+)?)")
_SENTENCE_END = re.compile(r"[.!?][\"”’)]*\s+")
_LIST_COMMA = re.compile(r",\s*(?:and\s+|or\s+)?")
# Where a word of mapper._text.WORD_RE starts, told by the characters before it: words are
# counted in a gap without finding every word of the article first.
_WORD_START = re.compile(r"(?<![^\W_])(?<![^\W_]['’])[^\W_]")
_FULL_ACTIONS = ("captured", "liberated", "holds")
_ACTS_ON_CONTROL = ("captured", "liberated", "withdrew", "advanced")
_REGIONS = ("oblast", "district")
_INSTITUTION = re.compile(
    r"\b(?:general staff|ministry|commander-in-chief|commander|army|military|armed forces|"
    r"border guard|air force|navy|spokes(?:man|woman|person)|brigade)\b",
    re.IGNORECASE,
)
# A clause that says nothing happened at a place, or that something will.
_NO_CLAIM = re.compile(r"\b(?:no|not|never|without|will be|next will)\b", re.IGNORECASE)
_CLAIM_OF = re.compile(r"\bclaims?\s+(?:that|to\s+have|of)\s+(?:\w+\s+){0,3}$", re.I)
_ROLE = re.compile(r"blogger|correspondent|reporter|analyst|milblogger")
_NATIONALITY = frozenset(
    "russia russian russians ukraine ukrainian ukrainians british britain french german "
    "american u.s. north korean south korean".split(" ")
)


@dataclass
class _Trigger:
    action: str
    start: int
    end: int
    text: str
    places: list[_Place] = field(default_factory=list)
    dropped: bool = False
    absorbed_by: _Trigger | None = None
    referred: bool = False  # its places come from "the village", "the city", ...


@dataclass
class _Attribution:
    claimant: str
    sides: tuple[str, ...]
    verb_start: int
    verb_end: int
    span: tuple[int, int]
    said_on: dt.date | None = None


@dataclass
class _Claim:
    trigger: _Trigger
    action: str
    place: _Place | None
    claimant: str
    side: str
    date: DateExpr | None
    controller: str | None
    confidence: float
    sentence: str
    order: int
    negated: bool = False
    denied_by: _Claim | None = None
    claim_id: str = ""
    undated: bool = False


def claims_from_articles(
    articles: pd.DataFrame, mentions: pd.DataFrame, *, lexicon: Lexicon | None = None
) -> pd.DataFrame:
    """Extract the dated claims of every article.

    Parameters
    ----------
    articles
        The articles frame.
    mentions
        The mentions frame of the same articles (from :func:`mapper.mentions_from_articles`).
    lexicon
        Actors, actions and cues; default: the bundled lexicon.

    Returns
    -------
    pandas.DataFrame
        The claims frame (see :mod:`mapper.schema`).

    Examples
    --------
    >>> import pandas as pd
    >>> from mapper.mentions import mentions_from_articles
    >>> articles = pd.DataFrame(
    ...     {"url": ["https://example.test/a"], "source": ["example"], "title": [""], "path": [""],
    ...      "captions": [""],
    ...      "published": [pd.Timestamp("2025-04-27", tz="UTC")],
    ...      "text": ["Russia's defence ministry said on Saturday its troops had captured "
    ...               "Gornal. Kyiv's general staff rejected the claim on Sunday."]},
    ...     index=pd.Index(["a1"], name="article_id"))
    >>> claims = claims_from_articles(articles, mentions_from_articles(articles))
    >>> claims[["side", "action", "place_name", "negated"]].values.tolist()
    [['RU', 'captured', 'Gornal', True], ['UA', 'denied', 'Gornal', False]]
    >>> str(claims["event_date"].iloc[0].date())
    '2025-04-26'
    """
    schema.validate_articles(articles)
    schema.validate_mentions(mentions)
    lexicon = lexicon or load()
    # Plain dicts: per-sentence filtering of pandas frames would cost more than the reading.
    text_mentions = mentions[mentions["field"] == "text"].sort_values("start")
    by_article: dict[str, list[_Place]] = {}
    flat = text_mentions.reset_index()
    for values in zip(*(flat[c].tolist() for c in _PLACE_FIELDS), strict=True):
        record = dict(zip(_PLACE_FIELDS, values, strict=True))
        by_article.setdefault(str(record[schema.ARTICLE_ID]), []).append(record)
    rows: list[dict[str, object]] = []
    # Rows as plain dicts, like the mentions: a pandas row costs more to build and to read.
    records = cast(list[dict[str, Any]], articles.to_dict("records"))  # the columns are str
    for article_id, article in zip(articles.index, records, strict=True):
        article_mentions = by_article.get(str(article_id), [])
        claims = _ArticleReader(str(article_id), article, article_mentions, lexicon).claims()
        rows.extend(_row(str(article_id), article, c) for c in claims)
    frame = pd.DataFrame(rows, columns=[schema.CLAIM_ID, *schema.CLAIM_COLUMNS])
    frame["event_date"] = pd.to_datetime(frame["event_date"], utc=True)
    frame["negated"] = frame["negated"].astype(bool)
    frame = frame.set_index(schema.CLAIM_ID)
    schema.validate_claims(frame)
    return frame


class _ArticleReader:
    """Reads one article's claims; holds what later sentences refer back to."""

    def __init__(
        self, article_id: str, article: dict[str, Any], mentions: list[_Place], lexicon: Lexicon
    ) -> None:
        self.article_id = article_id
        self.text = str(article["text"])
        self.lex = lexicon
        self.mentions = mentions
        dateline = _DATELINE.match(self.text)
        self.dateline_end = dateline.end() if dateline else 0
        self.anchor = _anchor(dateline, article["published"].date())
        self.history: list[_Attribution] = []
        self.quoted: _Attribution | None = None
        self.last_date: dt.date | None = None
        self.reference_before = _reference_before(self.lex.cue_regex("reference").pattern)
        self.title_after = _title_after(self.lex.cues.get("title", ()))
        # Every action phrase of the article at once; sentences take theirs by offset.
        self.lower = lower_keeping_offsets(self.text)
        self.action_hits = sorted(
            (
                (action, m.start(), m.end(), m.group())
                for action, m in lexicon.action_matches(self.lower)
                if word_start(self.lower, m.start())
            ),
            key=lambda hit: (hit[1], hit[1] - hit[2]),
        )
        self.hit_starts = [hit[1] for hit in self.action_hits]
        # Where cues stand: most sentences have no hedge, most articles no retraction, most
        # triggers no modal before them.
        self.cue_starts = lexicon.cue_starts(self.lower, (*_LOWER_CUES, *_BLIND_CUES))
        # Case-blind regexes over the text match where lower-case ones over the lower-case
        # text do, unless the text has a letter that re folds apart from str.lower.
        self.folds_like_lower = not any(char in self.text for char in _FOLDED_APART)
        self.recent_places: list[_Place] = []
        self.claims_so_far: list[_Claim] = []
        self.mention_starts = [m["start"] for m in mentions]

    def _hits_within(self, start: int, end: int) -> list[tuple[str, int, int, str]]:
        """The action phrases inside ``text[start:end]``, found by bisection (in text order)."""
        first = bisect_left(self.hit_starts, start)
        last = bisect_right(self.hit_starts, end)
        return [hit for hit in self.action_hits[first:last] if hit[2] <= end]

    def _cues_within(self, kind: str, start: int, end: int) -> list[int]:
        """Where cues of ``kind`` start in ``text[start:end]``, counted from ``start``."""
        starts = self.cue_starts.get(kind, [])
        return [at - start for at in starts[bisect_left(starts, start) : bisect_left(starts, end)]]

    def _may_hold(self, kind: str, lo: int, hi: int) -> bool:
        """Whether ``cue_regex(kind)`` can match in ``text[lo:hi]``: only where a cue starts.

        The cues are found in the lower-case text: see ``folds_like_lower``.
        """
        if not (self.folds_like_lower and _ascii_cues(self.lex)):
            return True
        starts = self.cue_starts.get(kind, [])
        return bisect_left(starts, lo) < bisect_left(starts, hi)

    def _counts_settlements(self, lo: int, hi: int) -> bool:
        """Whether ``text[lo:hi]`` ends in a count of settlements ("ten villages in the ")."""
        if self.folds_like_lower and not any(n in self.lower[lo:hi] for n in _SETTLEMENTS):
            return False  # no such word, so no count of them (cheaper than the regex)
        return bool(_COUNT.search(self.text[lo:hi]))

    def _words_between(self, lo: int, hi: int) -> int:
        """How many words start in ``text[lo:hi]`` (minus those of ``text[hi:lo]`` if reversed)."""
        if hi < lo:
            return -self._words_between(hi, lo)
        return len(_WORD_START.findall(self.text, lo, hi))

    def claims(self) -> list[_Claim]:
        hedge = self.lex.lower_cue_regex("hedge")
        previous: list[_Claim] = []
        for start, end in sentences(self.text):
            sentence_claims = list(self._sentence(start, end))
            if self._cues_within("hedge", start, end) and hedge.search(self.lower[start:end]):
                # "This could not be independently verified": the sentence before is hedged.
                for claim in sentence_claims or previous:
                    claim.confidence *= 0.6
            self.claims_so_far.extend(sentence_claims)
            previous = sentence_claims
        _link_denials(self.claims_so_far)
        self._apply_retractions()
        return _deduplicated(self.claims_so_far, self.article_id)

    def _apply_retractions(self) -> None:
        """Negate a claim its own source withdrew ("removed the village from its report")."""
        if "retraction" not in self.cue_starts:
            return
        for match in self.lex.lower_cue_regex("retraction").finditer(self.lower):
            withdrawn = [
                c
                for c in self.claims_so_far
                if c.order < match.start() and c.action in _ACTS_ON_CONTROL
            ]
            if withdrawn:
                withdrawn[-1].negated = True

    # -- one sentence ---------------------------------------------------------------------

    def _sentence(self, start: int, end: int) -> Iterator[_Claim]:
        sentence = self.text[start:end]
        if sentence.rstrip(" \"”’'").endswith("?"):
            return  # a question asserts nothing
        first = bisect_left(self.mention_starts, start)
        last = bisect_left(self.mention_starts, end)
        in_sentence = [m for m in self.mentions[first:last] if m["end"] <= end]
        splits: list[int] = []
        if self._hits_within(start, end):  # clauses matter only to the claims of an action
            splits = [start + m.start() for m in _SPLIT.finditer(sentence)]
            splits = [s for s in splits if not _inside_place_list(s, in_sentence, self.text)]
        attributions = self._attributions(start, end)
        if not attributions and sentence.lstrip()[:1] in '"“' and self.quoted is not None:
            # The second sentence of a quote: "... ," X said. "More words."
            attributions = [self.quoted]
        self.quoted = next(
            (a for a in attributions if _QUOTE_END.search(self.text[start : a.span[0]])),
            None,
        )
        triggers = self._triggers(start, end, attributions, splits)
        places = self._claim_places(in_sentence, triggers, attributions, start)
        self._assign(places, triggers, splits, (start, end), attributions)
        _repelled_assaults(triggers)
        dates = find_dates(self.text, self.anchor, within=(start, end), previous=self.last_date)
        if dates:
            self.last_date = dates[-1].date
        for speaker in attributions:
            said = [d for d in dates if self._attached(d, speaker)]
            if said:
                speaker.said_on = said[0].date
        for trigger in triggers:
            if trigger.dropped:
                continue
            background = self._background(trigger, splits, start)
            clause = _last_split(splits, trigger.start - 1, None)
            if clause is not None and _RELATIVE.match(self.text, clause + 1):
                # A relative clause speaks of its own places or of the noun it hangs on, never
                # of a place earlier in the sentence.
                trigger.places = [p for p in trigger.places if p["start"] > clause]
            if not trigger.places:
                trigger.places = self._fallback_places(
                    trigger, triggers, in_sentence, splits, background, start
                )
                trigger.referred = not background
            if not trigger.places and trigger.action != "denied":
                continue
            attribution = None if background else self._claimant(trigger, attributions, splits)
            claimant, side = (
                (OUTLET, "observer")
                if attribution is None
                else (attribution.claimant, attribution.sides[0] if attribution.sides else "")
            )
            for claimant_i, side_i in _split_claimants(claimant, side, self.lex):
                places_or_none: list[_Place | None] = list(trigger.places) or [None]
                for place in places_or_none:
                    yield self._claim(
                        trigger,
                        place,
                        claimant_i,
                        side_i,
                        dates,
                        attributions,
                        splits,
                        start,
                        end,
                        said_on=attribution.said_on if attribution else None,
                        background=background,
                    )
        self.recent_places.extend(places)

    def _attributions(self, start: int, end: int) -> list[_Attribution]:
        sentence = self.text[start:end]
        lower = self.lower[start:end]
        speech = self.lex.lower_cue_regex("speech")
        found: list[_Attribution] = []

        def add(attribution: _Attribution) -> None:
            # Seen at once, so that "which he said" later in the sentence finds its speaker.
            found.append(attribution)
            self.history.append(attribution)

        # The two phrases are rare: a look for a word of each skips most sentences at C speed.
        for match in _ACCORDING_TO.finditer(lower) if "according to" in lower else ():
            add(
                self._attribution(
                    sentence[match.start("np") : match.end("np")],
                    start + match.start(),
                    start + match.end(),
                    start + match.start("np"),
                )
            )
        for match in matches_at(speech, self._cues_within("speech", start, end), lower):
            before = sentence[: match.start()]
            cut = _last_words(before, 3)
            unsaid, adverb = _before_verb(before[cut:])
            if unsaid:
                continue
            if adverb:
                before = before[: cut + adverb[0]] + before[cut + adverb[1] :]
            pieces = _NP_SPLIT.split(before)
            left = pieces[-1]
            if _RELATIVE.fullmatch(left) and len(pieces) > 1:
                # "Russia's defence ministry, which said last week ...": who the clause is about.
                left = pieces[-2]
            if (
                not left.strip()
                and before.rstrip().endswith(",")
                and not _QUOTE_COMMA_END.search(before)
            ):
                # "Ukraine's commander-in-chief, Oleksandr Syrskyi, said": the name and its
                # apposition together; the first recognised actor in them gives the side.
                # "Zelensky, speaking at a news conference in Kyiv, said": not a title.
                named = [p.strip() for p in pieces if p.strip()][-2:]
                if len(named) == 2 and _CIRCUMSTANCE.match(named[1]):
                    named = named[:1]
                fits = all(len(p.split()) <= 12 and not speech.search(p) for p in named)
                left = ", ".join(named) if fits else ""
            left_start = start + before.rfind(left)
            np = _clean_np(left)
            if _AND_END.search(np):
                # "X called the claim fake and said": the subject of the first verb speaks.
                subject = _SUBJECT_OF_VERB.match(_LEADING_JUNK.sub("", before.strip()))
                np, left_start = (subject.group("np"), start) if subject else ("", left_start)
            if speech.search(np.lower()):
                continue  # "X said reports of ...": the speaker was found at "said"
            if " by " in f" {np} ":
                np = np.split(" by ", 1)[1]
            if not np:
                # '"...," said Ivan Ivanov.': the name ends the clause; in "..., said Russian
                # troops had advanced" the capitalised word starts what was said.
                right = _SPEAKER_AFTER.match(sentence, match.end())
                if right is None or before.rstrip()[-1:] not in {'"', "”", ","}:
                    continue
                np = right.group(1)
            if not (_looks_like_claimant(np, self.lex) or self._referent(np.strip())):
                continue
            add(self._attribution(np, start + match.start(), start + match.end(), left_start))
        for match in _SHARED_BY.finditer(lower) if "by" in lower else ():
            add(
                self._attribution(
                    sentence[match.start("np") : match.end("np")],
                    start + match.start(),
                    start + match.end(),
                    start + match.start(),
                )
            )
        found.sort(key=lambda a: a.verb_start)
        return found

    def _attribution(self, np: str, verb_start: int, verb_end: int, np_start: int) -> _Attribution:
        np = np.strip().strip("\"“”'’ ")
        span = (np_start, verb_end)
        referent = self._referent(np)
        if referent is not None:
            # "it added", "the ministry said": the same statement, unless dated anew.
            return _Attribution(
                referent.claimant, referent.sides, verb_start, verb_end, span, referent.said_on
            )
        return _Attribution(np, _sides_of(np, self.lex), verb_start, verb_end, span)

    def _referent(self, np: str) -> _Attribution | None:
        """The earlier claimant that "it", "he" or "the ministry" refers back to."""
        lower = np.lower()
        if lower in _PRONOUNS:
            if lower in ("he", "she"):
                # A person: not "Moscow" or "the ministry" said last.
                people = [a for a in self.history if _PERSON.search(a.claimant)]
                if people:
                    return people[-1]
            return self.history[-1] if self.history else None
        definite = _DEFINITE.fullmatch(lower)
        if definite is None or _sides_of(np, self.lex):
            return None
        head = definite.group(1).split()[-1]
        for earlier in reversed(self.history):
            if _whole_word(head).search(earlier.claimant.lower()):
                return earlier
        return None

    def _triggers(
        self, start: int, end: int, attributions: list[_Attribution], splits: list[int]
    ) -> list[_Trigger]:
        # A capitalised action word inside a sentence belongs to a name ("the Centre for
        # Countering Disinformation", "Liberation Square"), not to what happened; a side's
        # adjective is capitalised anyway ("the Ukrainian-held area").
        first = end - len(self.text[start:end].lstrip(" \t\n\"“‘'("))
        found = [
            _Trigger(action, a, b, text)
            for action, a, b, text in self._hits_within(start, end)
            if a == first or not self.text[a].isupper() or text.startswith(_SIDE_NAMES)
        ]
        kept: list[_Trigger] = []
        for trigger in found:
            if kept and trigger.start < kept[-1].end:
                continue
            kept.append(trigger)
        modal = self.lex.cue_regex("modal")
        for trigger in kept:
            lo = max(start, trigger.start - 25)
            modal_before = self._may_hold("modal", lo, trigger.start) and modal.search(
                self.text[lo : trigger.start]
            )
            if modal_before or _TIME_REFERENCE.match(self.text, trigger.end):
                # "aims to capture", "since the fighting started": no claim
                trigger.dropped = True
            for a in attributions:
                # Inside who speaks no word is an action, but a denial may be the speech verb
                # itself ("Kyiv denied") or what the speaker did first ("X called the report
                # a fabrication and said").
                if a.span[0] <= trigger.start < a.verb_end and trigger.action != "denied":
                    trigger.dropped = True
        _absorb(kept, self.text, splits)
        return kept

    def _claim_places(
        self,
        mentions: list[_Place],
        triggers: list[_Trigger],
        attributions: list[_Attribution],
        start: int,
    ) -> list[_Place]:
        keep = []
        for m in mentions:
            ok = m["place_kind"] != "country"
            if not ok:
                continue
            ok = ok and not any(a.span[0] <= m["start"] < a.span[1] for a in attributions)
            lo = max(start, m["start"] - 40)
            after = self.text[m["end"] : m["end"] + 30].lower()
            ok = ok and not (
                self._may_hold("reference", lo, m["start"])
                and self.reference_before.search(self.text[lo : m["start"]])
            )
            # "Kursk governor Alexander Khinshtein": the place names an office, not an event.
            ok = ok and not self.title_after.match(after)
            if m["place_kind"] == "capital" and not _STRUCK_CAPITAL.search(
                self.text[max(start, m["start"] - 40) : m["start"]]
            ):
                ok = False
            if m["place_kind"] in ("city", "capital") and _ROLE_AFTER.match(after):
                ok = False
            if ok and m["place_kind"] in _REGIONS:
                ok = not self._qualifies(m, mentions, triggers, start)
            # "SUMY, May 30 -": the dateline says where the report comes from.
            ok = ok and m["start"] >= self.dateline_end
            if ok:
                keep.append(m)
        return keep

    def _qualifies(
        self, region: _Place, mentions: list[_Place], triggers: list[_Trigger], start: int
    ) -> bool:
        """Whether an oblast or district mention only says where an earlier place lies."""
        lo = max(start, region["start"] - 60)
        if self._counts_settlements(lo, region["start"]):
            return False
        if not _QUALIFIER_BEFORE.search(self.text[lo : region["start"]]):
            return False
        for m in mentions:
            inside = (
                m["admin1"] == region["place_name"]
                or m["status"] != "resolved"
                or region["place_kind"] == "district"
            )
            if m["end"] <= region["start"] and inside and m["place_kind"] not in _REGIONS:
                between = [
                    t
                    for t in triggers
                    if m["end"] <= t.start < region["start"]
                    and t.action != "holds"
                    and not t.dropped
                ]
                if not between:
                    return True
        return False

    def _assign(
        self,
        places: list[_Place],
        triggers: list[_Trigger],
        splits: list[int],
        sentence: tuple[int, int],
        attributions: list[_Attribution],
    ) -> None:
        # Attempts ("tried to break through near X") keep their places for a later "the
        # attacks were repelled"; absorbed triggers hand theirs to the absorber.
        live = [t for t in triggers if not t.dropped or t.action == "advanced" or t.absorbed_by]
        if not live:
            return
        for place in places:
            lo = _last_split(splits, place["start"], sentence[0])
            hi = _first_split(splits, place["end"], sentence[1])
            own = [t for t in live if lo <= t.start < hi]
            if not own and _NO_CLAIM.search(self.text[lo:hi]):
                continue  # "made no confirmed gains near X", "next will be X"

            def cost(t: _Trigger, place: _Place = place) -> float:
                if place["start"] >= t.end:
                    if any(t.end <= a.verb_start < place["start"] for a in attributions):
                        # "... reported fighting and said troops were moving towards X": X
                        # belongs to another statement.
                        return math.inf
                    gap = self._words_between(t.end, place["start"])
                    lo, hi = t.end, place["start"]
                    penalty = 0.0
                else:
                    gap = self._words_between(place["end"], t.start)
                    lo, hi = place["end"], t.start
                    penalty = 3.0
                crossings = max(0, bisect_left(splits, hi) - bisect_left(splits, lo))
                return float(gap + 6.0 * crossings + penalty)

            costs = [cost(t) for t in live]
            lowest = min(costs)
            if lowest < math.inf:
                best = live[costs.index(lowest)]  # the first of the cheapest, as min() picks
                (best.absorbed_by or best).places.append(place)

    def _background(self, trigger: _Trigger, splits: list[int], start: int) -> bool:
        """Whether the trigger sits in a relative or appositive clause of the outlet's own."""
        if trigger.action not in _ACTS_ON_CONTROL:
            return False
        seg_start = _last_split(splits, trigger.start - 1, None)
        if seg_start is None:
            return False
        segment = self.text[seg_start + 1 : trigger.start]
        if not _CLAUSE_OPENER.match(segment):
            return False
        return bool(_SIDE_WORD.search(segment))

    def _fallback_places(
        self,
        trigger: _Trigger,
        triggers: list[_Trigger],
        mentions: list[_Place],
        splits: list[int],
        background: bool,
        start: int,
    ) -> list[_Place]:
        if background:
            # The clause hangs on the noun right before it ("Sudzha, the biggest town Ukraine
            # had captured"; "Sudzha, the district centre, which ..."), never on a place further
            # back ("land in the Kursk region ... with Russia, which has seized ...").
            seg_start = max(s for s in splits if s < trigger.start)
            before = [m for m in mentions if m["end"] <= seg_start]
            if not before or before[-1]["place_kind"] == "country":
                return []
            gap = self.text[before[-1]["end"] : seg_start]
            return before[-1:] if len(gap.split()) <= _APPOSITION_WORDS else []
        segment_end = _first_split(splits, trigger.end + 1, trigger.end + 80)
        lo = max(start, trigger.start - 30)
        window = self.text[lo:segment_end]
        if self._may_hold("region_anaphor", lo, segment_end) and self.lex.cue_regex(
            "region_anaphor"
        ).search(window):
            # "the full liberation of its western region": the region named last.
            regions = [
                m
                for m in self.mentions
                if m["end"] <= trigger.start and m["place_kind"] == "oblast"
            ]
            return regions[-1:]
        may_refer = self._may_hold("anaphor", lo, segment_end)
        anaphors = self.lex.cue_regex("anaphor").finditer(window) if may_refer else iter(())
        # "the area under Ukrainian control" is a new area, not the place named before.
        if not any(not _DESCRIBED.match(window, a.end()) for a in anaphors):
            return []
        earlier = [t for t in triggers if t.end <= trigger.start and t.places]
        if earlier:
            return list(earlier[-1].places)
        before = [m for m in mentions if m["end"] <= trigger.start and _village_like(m)]
        if before:
            return before[-1:]
        # Else the last settlement of the sentences before (looked for from the end).
        settlement = next((p for p in reversed(self.recent_places) if _village_like(p)), None)
        return [] if settlement is None else [settlement]

    def _claimant(
        self, trigger: _Trigger, attributions: list[_Attribution], splits: list[int]
    ) -> _Attribution | None:
        """The attribution a trigger's claim is reported by; ``None``: the outlet's own."""
        if not attributions:
            return None
        lo = _last_split(splits, trigger.start, -1)
        hi = _first_split(splits, trigger.end, len(self.text))
        # A speaker reports what follows its verb ("after Russia announced the town's
        # capture") unless the verb ends the clause ("..., Kyiv and Washington said").
        own = [a for a in attributions if lo <= a.verb_start <= hi]
        before = [a for a in own if a.verb_end <= trigger.start]
        closing = [a for a in own if _SAID_LAST.match(self.text, a.verb_end)]
        pool = before or closing or [a for a in attributions if a not in own] or attributions
        best = min(
            pool,
            key=lambda a: min(abs(a.verb_start - trigger.start), abs(a.verb_end - trigger.end)),
        )
        return best

    def _attached(self, date: DateExpr, attribution: _Attribution) -> bool:
        """Whether a date goes with the speech verb ("said on Thursday"), not the event."""
        gap_after = self.text[attribution.verb_end : date.start]
        gap_before = self.text[date.end : attribution.verb_start]
        return bool(
            # "said on Thursday", "said in a video posted on Telegram on Saturday": after the
            # verb, in its own clause; "reported shelling of X, which has come under fire
            # since 2022" dates the clause after the comma.
            (date.start >= attribution.verb_end and not _CLAUSE_MARK.search(gap_after))
            or (
                date.end <= attribution.verb_start
                and _BLANK.fullmatch(gap_before)
                and attribution.span[0] <= date.start
            )
            or attribution.span[0] <= date.start < attribution.verb_start
        )

    def _claim(
        self,
        trigger: _Trigger,
        place: _Place | None,
        claimant: str,
        side: str,
        dates: list[DateExpr],
        attributions: list[_Attribution],
        splits: list[int],
        start: int,
        end: int,
        *,
        said_on: dt.date | None = None,
        background: bool = False,
    ) -> _Claim:
        home = _home_side(place)
        action = trigger.action
        if (
            place is not None
            and place["place_kind"] == "oblast"
            and self._counts_settlements(max(start, place["start"] - 60), place["start"])
        ):
            # "retook ten settlements in the Kursk region": a ground advance in the region.
            action = "advanced"
        actor = self._actor(trigger, side, start, attributions)
        if not side:
            # "The general staff said its forces retook X": an institution named without its
            # country reports its own side's gains; local officials (governor, mayor) and
            # other unrecognised claimants speak for the side whose country the place is in.
            institutional = _INSTITUTION.search(claimant)
            belligerent = actor if institutional and actor in schema.OPPONENT else None
            side = belligerent or home or "other"
            actor = actor or self._actor(trigger, side, start, attributions)
        if action == "holds" and _NO_LONGER.search(
            self.text[max(start, trigger.start - 40) : trigger.start]
        ):
            # "no longer showed X as Ukrainian-held": the holder has lost it.
            action = "withdrew"
        elif (
            action == "holds"
            and side in schema.OPPONENT
            and _THE_ENEMY.search(self.text[max(start, trigger.start - 40) : trigger.end + 20])
        ):
            # "The enemy now controls X", said by a side: an admission of a loss.
            action, actor = "withdrew", side
        controller = _controller(action, actor, side, home)
        if place is not None and place["place_kind"] == "oblast" and action in _FULL_ACTIONS:
            controller = self._oblast_controller(trigger, controller, splits, (start, end))
            if controller == "contested" and action in ("captured", "liberated"):
                action = "advanced"  # "retook most of the region": a gain, not the region
        elif place is not None and place["place_kind"] == "oblast" and action == "repelled":
            controller = "contested"  # attacks repelled somewhere in a region: not all of it
        if action == "denied":
            controller = self._denial_controller(start, end, side)
        # Background ("Sudzha, which Ukraine seized in August") is dated by its own clause
        # only; without a date there it is undated, not dated like the news around it.
        date = self._date(trigger, dates, attributions, splits, own_clause=background)
        if date is None and said_on and not background:
            date = DateExpr(start, start, said_on, "day")
        if date is None and trigger.referred and place is not None:
            # "Moscow said it had targeted commanders in the city": the same kind of event at
            # the place told before is that event, not a new one dated by the article.
            date = next(
                (
                    c.date
                    for c in reversed(self.claims_so_far)
                    if c.action == action
                    and c.place is not None
                    and c.place[schema.MENTION_ID] == place[schema.MENTION_ID]
                ),
                None,
            )
        confidence = 0.75
        if claimant == OUTLET:
            confidence = 0.6
        elif side in ("RU", "UA") and action == "withdrew" and actor == side:
            confidence = 0.9
        elif side in ("RU", "UA") and action == "holds" and actor == schema.OPPONENT.get(side):
            confidence = 0.9
        return _Claim(
            trigger=trigger,
            action=action,
            place=place,
            claimant=claimant,
            side=side,
            date=date,
            undated=background and date is None,
            controller=controller,
            confidence=confidence,
            sentence=self.text[start:end],
            order=trigger.start,
        )

    def _actor(
        self, trigger: _Trigger, side: str, start: int, attributions: list[_Attribution]
    ) -> str | None:
        """The side doing the action: in the trigger, after "by" (passive), or its subject."""
        own = _SIDE_WORD.search(trigger.text)
        if own:
            named = _side_of_word(own.group("who"), side)
            # "pushed Russian units back": in a repulse the side named is the one repelled.
            return schema.OPPONENT.get(named or "") if trigger.action == "repelled" else named
        # The subject is looked for in the reported clause: after the last speech verb before it.
        clause_start = max(
            [a.verb_end for a in attributions if a.verb_end <= trigger.start], default=start
        )
        before = self.text[clause_start : trigger.start]
        # "said Russian forces had been stopped ... and that Ukrainian troops had retaken X":
        # the subject is the one of the trigger's own clause.
        clauses = []
        if any(word in before for word in _CLAUSE_BOUNDARY_WORDS):
            clauses = list(_CLAUSE_BOUNDARY.finditer(before))
        if clauses:
            clause_start += clauses[-1].end()
            before = before[clauses[-1].end() :]
        by = _BY_AGENT.match(self.text[trigger.end : trigger.end + 60])
        agent = _SIDE_WORD.search(by.group(1)) if by else None
        if agent:
            # "was liberated by Russian troops", "the largest town captured by Kyiv"; but
            # "thwarted an attempt by Ukrainian units" names the side that was repelled.
            by_side = _side_of_word(agent.group("who"), side)
            if trigger.action == "repelled" and not trigger.text.startswith(_PASSIVE_STARTS):
                return schema.OPPONENT.get(by_side or "")
            return by_side
        lower = before.lower()
        passive = trigger.text.startswith(_PASSIVE_STARTS) or bool(
            _PASSIVE_BEFORE.search(lower, _last_words(lower, 2))
        )
        if passive:
            # The subject is the side the action befell: "Russian forces had been stopped"
            # (Ukraine repelled them), "Ukrainian troops were pushed out" (they withdrew);
            # who "was liberated" a place is said only by "by ...", looked for above.
            if trigger.action == "repelled":
                return schema.OPPONENT.get(self._subject(before, side) or "")
            return self._subject(before, side) if trigger.action == "withdrew" else None
        if clause_start > start and _PRONOUN_SUBJECT.match(before):
            return side if side in ("RU", "UA") else None
        return self._subject(before, side)

    @staticmethod
    def _subject(before: str, side: str) -> str | None:
        """The side of the first subject-like side word ("Russian forces", "Kyiv")."""
        for m in _SIDE_WORD.finditer(before):
            who = m.group("who").lower()
            # A name alone is a subject; a possessive ("Russia's") only with a noun after it.
            if m.group("noun") or who in ("ukraine", "russia", "kyiv", "moscow"):
                return _side_of_word(m.group("who"), side)
        return None

    def _oblast_controller(
        self,
        trigger: _Trigger,
        controller: str | None,
        splits: list[int],
        sentence: tuple[int, int],
    ) -> str | None:
        lo = _last_split(splits, trigger.start, sentence[0])
        hi = _first_split(splits, trigger.end, sentence[1])
        segment = self.text[lo:hi]
        full = self.lex.cue_regex("full").search(segment)
        partial = self.lex.cue_regex("partial").search(segment)
        if partial or (trigger.action == "holds" and not full):
            # "much of the region", "areas of the region": only part of it.
            return "contested"
        return controller

    def _denial_controller(self, start: int, end: int, side: str) -> str:
        hits = [(action, a, b) for action, a, b, _ in self._hits_within(start, end)]
        denied = [(a, b) for action, a, b in hits if action == "denied"]
        for action, a, b in hits:
            # "did not control" denies a hold; it says nothing of who holds the place.
            if action == "holds" and not any(lo <= a and b <= hi for lo, hi in denied):
                who = _SIDE_WORD.search(self.text[max(start, a - 40) : b])
                if who:
                    return _side_of_word(who.group("who"), side) or "contested"
        return "contested"

    def _date(
        self,
        trigger: _Trigger,
        dates: list[DateExpr],
        attributions: list[_Attribution],
        splits: list[int],
        *,
        own_clause: bool = False,
    ) -> DateExpr | None:
        if not dates:
            return None
        lo = _last_split(splits, trigger.start, -1)
        hi = _first_split(splits, trigger.end, len(self.text))

        def attached(d: DateExpr) -> bool:
            return any(self._attached(d, a) for a in attributions)

        def distance(d: DateExpr) -> int:
            return min(abs(d.start - trigger.end), abs(trigger.start - d.end))

        # The pools in order of preference, each built only if those before are empty.
        in_segment = [d for d in dates if lo <= d.start <= hi]
        if in_segment:
            return min([d for d in in_segment if not attached(d)] or in_segment, key=distance)
        if own_clause:
            return None

        # A date in another part of the sentence: before the trigger ("On Thursday, troops
        # took X") or in a phrase after it ("took X, north of Sudzha, last month"), but not
        # in a later clause with a verb of its own ("X, which it held last year").
        def own_predicate(d: DateExpr) -> bool:
            lo = _last_split(splits, d.start, trigger.end)
            return lo > trigger.end and bool(
                _RELATIVE_OR_THAT.search(self.text, lo, d.start)
                or bisect_left(self.hit_starts, lo) < bisect_left(self.hit_starts, d.start)
            )

        pool = [d for d in dates if not attached(d) and not own_predicate(d)]
        pool = pool or [d for d in dates if attached(d)]
        return min(pool, key=distance) if pool else None


def _last_split(splits: list[int], position: int, default: _T) -> int | _T:
    """The last of the (sorted) clause splits at or before ``position``, else ``default``."""
    i = bisect_right(splits, position)
    return splits[i - 1] if i else default


def _first_split(splits: list[int], position: int, default: _T) -> int | _T:
    """The first of the (sorted) clause splits at or after ``position``, else ``default``."""
    i = bisect_left(splits, position)
    return splits[i] if i < len(splits) else default


def _anchor(dateline: re.Match[str] | None, published: dt.date) -> dt.date:
    """Give the day an article calls today: its dateline's ("KYIV, June 26 -"), else publication."""
    if dateline:
        found = find_dates(dateline.group("date"), published)
        if found:
            return found[0].date
    return published


@cache
def _reference_before(references: str) -> re.Pattern[str]:
    """A reference cue right before a name: "north-east of ", "20 km from the city of "."""
    return re.compile(references + r"\s+(?:the\s+(?:city|town|village)\s+of\s+)?$", re.IGNORECASE)


@cache
def _title_after(titles: tuple[str, ...]) -> re.Pattern[str]:
    """An office right after a name: "Kursk governor", "Sumy's acting mayor"."""
    return re.compile(
        r"(?:['’]s)?(?:\s+(?:acting|regional|military|city|local))*\s+(?:"
        + "|".join(re.escape(t) for t in titles)
        + r")\b"
    )


@lru_cache(maxsize=16)
def _ascii_cues(lexicon: Lexicon) -> bool:
    """Whether the case-blind cues are all ASCII (folded the same by re and by str.lower)."""
    return all(cue.isascii() for kind in _BLIND_CUES for cue in lexicon.cues.get(kind, ()))


@lru_cache(maxsize=4096)
def _whole_word(word: str) -> re.Pattern[str]:
    return re.compile(rf"\b{re.escape(word)}\b")


def _village_like(place: _Place) -> bool:
    """What "the village", "the town" or "there" can refer back to (unknown names too)."""
    return place["place_kind"] in ("settlement", "city") or place["status"] != "resolved"


def _sentence_start(text: str, position: int) -> int:
    ends = [m.end() for m in _SENTENCE_END.finditer(text[:position])]
    return ends[-1] if ends else 0


@lru_cache(maxsize=65_536)
def _before_verb(words: str) -> tuple[bool, tuple[int, int] | None]:
    """What the last words before a speech verb say of it (at most three words, as written).

    Whether it is passive or denied ("was reported", "has not said"), and where an adverb
    before it is ("also said"). Those regexes end at the verb and span at most that many
    words, so the words alone tell, and they recur ("the ministry said"): memoised.
    """
    unsaid = bool(_PASSIVE_BEFORE.search(words) or _NOT_SAID.search(words))
    adverb = _ADVERB_BEFORE_VERB.search(words)
    return unsaid, adverb.span() if adverb else None


def _last_words(text: str, count: int) -> int:
    """Where the last ``count`` words of ``text`` (split at white space) can start, at the earliest.

    A match that ends the text and spans at most that many words starts there or later.
    """
    head = text.rsplit(None, count)
    return len(head[0]) if len(head) > count else 0


def _words(text: str) -> int:
    return len(tokens(text))


# Speakers recur ("the ministry", "Russia's defence ministry"): the three helpers below are
# pure, and memoised.
@lru_cache(maxsize=65_536)
def _clean_np(text: str) -> str:
    np = _AFTER_SPEAKER.sub("", _LEADING_JUNK.sub("", text.strip()))
    previous = None
    while previous != np:
        previous = np
        np = _TRAILING_JUNK.sub("", np).strip()
    if len(np.split()) > 12:
        return ""
    return np


@lru_cache(maxsize=65_536)
def _looks_like_claimant(np: str, lex: Lexicon) -> bool:
    """Whether a phrase before a speech verb can be who speaks (not "visited a command post")."""
    words = np.split()
    if not words or _DATE_WORD.match(words[0]):
        return False
    lower = np.lower()
    if lower in _PRONOUNS or lex.actor_regex.search(lower) or _INSTITUTION.search(lower):
        return True
    if lex.cue_regex("local_official").search(lower):
        return True
    # Else a proper name must lead it: "Valery Gerasimov", "the DeepState project".
    head = [w for w in words[:4] if w.lower() not in _DETERMINERS]
    return (
        words[0][:1].isupper()
        or words[0].lower() in _DETERMINERS
        and any(w[:1].isupper() for w in head[:2])
    )


@lru_cache(maxsize=65_536)
def _sides_of(np: str, lex: Lexicon) -> tuple[str, ...]:
    hits = [m.group() for m in lex.actor_regex.finditer(np.lower())]
    # A named actor outranks a nationality ("the Ukrainian monitoring group DeepState"),
    # which outranks a role whose side is only a default ("Ukrainian military bloggers").
    named = [h for h in hits if h not in _NATIONALITY and not _ROLE.search(h)]
    nationality = [h for h in hits if h in _NATIONALITY]
    sides = [lex.side_of(h) for h in (named[:1] + nationality[:1] + hits)]
    if not sides:
        return ()
    # A person "of Ukraine's National Security ..." or "Ukrainian President X": the first
    # recognised word decides; any other side named later is recorded for splitting.
    return (sides[0], *(s for s in sides[1:] if s != sides[0]))


def _split_claimants(claimant: str, side: str, lexicon: Lexicon) -> list[tuple[str, str]]:
    """Split "Kyiv and Washington said" into one claim per claimant."""
    parts = [p.strip() for p in _AND.split(claimant) if p.strip()]
    if len(parts) > 1:
        sides = [_sides_of(p, lexicon) for p in parts]
        if all(sides) and len({s[0] for s in sides}) > 1:
            return [(p, s[0]) for p, s in zip(parts, sides, strict=True)]
    return [(claimant, side)]


def _home_side(place: _Place | None) -> str | None:
    if place is None:
        return None
    country = place.get("country")
    return country if country in ("RU", "UA") else None


def _side_of_word(word: str, claimant_side: str) -> str | None:
    w = word.lower().replace("’", "'")
    if w.startswith(("ukrain", "kyiv")):
        return "UA"
    if w.startswith(("russia", "moscow", "north korean")):
        return "RU"
    if w in ("its", "his", "their", "our"):
        return claimant_side if claimant_side in ("RU", "UA") else None
    if w == "enemy":
        return schema.OPPONENT.get(claimant_side)
    return None


def _controller(action: str, actor: str | None, side: str, home: str | None) -> str | None:
    """Who controls the place after the claimed event, per the spec's action table."""
    foreign = schema.OPPONENT.get(home or "")
    acting = actor or (side if side in ("RU", "UA") else None)
    if action in ("advanced", "fighting"):
        return "contested"
    if action == "attacked":
        return None
    if action == "liberated":
        return acting or home or "contested"
    if action == "captured":
        return acting or foreign or "contested"
    if action == "withdrew":
        withdrawing = acting or foreign
        return schema.OPPONENT.get(withdrawing or "") or "contested"
    if action in ("repelled", "holds"):
        return acting or home or "contested"
    return "contested"


def _repelled_assaults(triggers: list[_Trigger]) -> None:
    """Give a repulse with no place of its own the places of the assault it reports.

    "Assaults near X and Y ..., adding that all had been beaten off": the assault is then no
    claim of its own.
    """
    for i, trigger in enumerate(triggers):
        if trigger.action != "repelled" or trigger.places:
            continue
        earlier = [t for t in triggers[:i] if t.action == "advanced" and t.places]
        if earlier:
            trigger.places, earlier[-1].places = earlier[-1].places, []
            earlier[-1].dropped = True


def _absorb(triggers: list[_Trigger], text: str, splits: list[int]) -> None:
    """A repelled or denied trigger swallows the action it repels or denies."""
    for t in triggers:
        if t.action == "repelled":
            for other in triggers:
                if other is not t and other.action in ("advanced", "attacked", "fighting"):
                    gap = text[min(t.end, other.end) : max(t.start, other.start)]
                    if _words(gap) <= 6:
                        other.dropped = True
                        other.absorbed_by = t
        if t.action == "denied":
            limit = _first_split(splits, t.end, len(text))
            begin = _sentence_start(text, t.start)
            for other in triggers:
                if other is t or other.action == "denied":
                    continue
                after = t.end <= other.start < limit
                # "called a Russian claim to have taken Guevo propaganda": the claim's content.
                reported = begin <= other.start < t.start and _CLAIM_OF.search(
                    text[max(begin, other.start - 30) : other.start]
                )
                if after or reported:
                    other.dropped = True
                    other.absorbed_by = t


def _inside_place_list(split: int, mentions: list[_Place], text: str) -> bool:
    """A comma between two place names ("Malaya Loknya, Lebedevka") does not end a clause."""
    if text[split : split + 1] != ",":
        return False
    before = [m for m in mentions if m["end"] <= split]
    after = [m for m in mentions if m["start"] > split]
    if not before or not after:
        return False
    return (
        text[before[-1]["end"] : split].strip() == ""
        and _LIST_COMMA.fullmatch(text, split, after[0]["start"]) is not None
    )


def _link_denials(claims: list[_Claim]) -> None:
    """Mark the claim each denial denies.

    That is the other side's claim about the same place (or inside the region denied), told
    before the denial, or told after it but dated earlier ("Moscow had announced the capture a
    day earlier").
    """
    for denial in claims:
        if denial.action != "denied" or denial.side not in ("RU", "UA"):
            continue
        opposing = [
            c
            for c in claims
            if c.action in _ACTS_ON_CONTROL
            and c.side == schema.OPPONENT[denial.side]
            and c.place is not None
            and (denial.place is None or _same_or_inside(c.place, denial.place))
        ]
        if denial.place is None:
            # A denial that names no place answers what is said around it, not a claim told
            # paragraphs away ("reports of an encirclement were false").
            opposing = [c for c in opposing if abs(denial.order - c.order) <= _DENIAL_REACH]
        earlier = [c for c in opposing if c.order < denial.order]
        dated_before = [c for c in opposing if c.order > denial.order and _before(c, denial)]
        targets = earlier or dated_before[:1]
        if not targets:
            continue
        target = targets[-1]
        target.negated = True
        target.denied_by = denial
        if denial.place is None:
            denial.place = target.place


def _before(claim: _Claim, denial: _Claim) -> bool:
    return bool(claim.date and denial.date and claim.date.date < denial.date.date)


def _place_name(place: _Place) -> str:
    """Canonical name of a resolved place, else the name as written."""
    name = place["place_name"]
    return name if isinstance(name, str) else str(place["surface"])


def _same_or_inside(place: _Place, denied: _Place) -> bool:
    if _place_name(place) == _place_name(denied):
        return True
    return bool(denied["place_kind"] == "oblast" and place["admin1"] == denied["place_name"])


def _deduplicated(claims: list[_Claim], article_id: str) -> list[_Claim]:
    """Keep one claim per (side, action, place, date, controller); ids are stable per text."""
    kept: dict[tuple[object, ...], _Claim] = {}
    survivor: dict[int, _Claim] = {}
    for c in claims:
        if c.place is None:
            continue
        date = c.date.date if c.date else None
        key = (c.side, c.action, _place_name(c.place), date, c.controller)
        if key in kept:
            kept[key].negated = kept[key].negated or c.negated
            kept[key].denied_by = kept[key].denied_by or c.denied_by
        else:
            c.claim_id = hashlib.sha1(
                f"{article_id}|{c.order}|{_place_name(c.place)}|{c.action}|{c.claimant}".encode()
            ).hexdigest()[:16]
            kept[key] = c
        survivor[id(c)] = kept[key]
    for c in kept.values():
        if c.denied_by is not None:
            c.denied_by = survivor.get(id(c.denied_by))
        if c.negated:
            c.confidence *= 0.5
    return list(kept.values())


def _row(article_id: str, article: dict[str, Any], c: _Claim) -> dict[str, object]:
    assert c.place is not None
    date = c.date.date if c.date else article["published"].date()
    precision = c.date.precision if c.date else "day"
    place_id = c.place.get(schema.PLACE_ID)
    return {
        schema.CLAIM_ID: c.claim_id,
        schema.ARTICLE_ID: article_id,
        "claimant": c.claimant,
        "side": c.side,
        "action": c.action,
        "place_name": _place_name(c.place),
        schema.PLACE_ID: place_id if isinstance(place_id, str) else None,
        schema.MENTION_ID: c.place[schema.MENTION_ID],
        "event_date": pd.NaT if c.undated else date,  # made UTC timestamps column-wise
        "date_precision": None if c.undated else precision,
        "asserted_controller": c.controller,
        "negated": c.negated,
        "negated_by": c.denied_by.claim_id if c.denied_by else None,
        "confidence": round(c.confidence, 3),
        "evidence": " ".join(c.sentence.split()),
        "url": article["url"],
        "source": article["source"],
        "published": article["published"],
    }
