"""Column names and validators of the frames the stages pass to each other.

Data flows one way: sources -> articles -> mentions -> claims -> located -> timeline -> map.

articles (DataFrame, index ``article_id``)
    ============  =========================================================
    url           where the article was published ("" when unknown)
    source        outlet or feed name
    published     publication time, tz-aware UTC
    title         headline
    text          body text, the source of claims (captions and bylines removed)
    captions      photo captions ("" when none): searched for places, never for claims
    path          the file it was read from
    ============  =========================================================

mentions (DataFrame, index ``mention_id``)
    ============  =========================================================
    article_id    the article it occurs in
    surface       the text as written ("Kursk and Belgorod regions" gives two mentions)
    field         ``text`` or ``captions``: the article column the offsets refer to
    start, end    character offsets in that column
    place_id      gazetteer id of the chosen place, ``None`` when unresolved
    place_name    canonical name of the chosen place
    place_kind    ``country``, ``oblast``, ``district``, ``capital`` (national), ``city`` or
                  ``settlement``
    admin1        oblast of the place (canonical name)
    country       ISO 3166-1 alpha-2 code
    lat, lon      WGS84 coordinates of the place
    confidence    0..1, how sure the resolution is
    status        ``resolved``, ``ambiguous`` (abstained) or ``no_match``
    candidates    ``;``-separated ``name (admin1)``: the other candidates considered
                  when resolved; every candidate, the likeliest first, when ambiguous
    reasons       why the chosen (or, when ambiguous, the likeliest) candidate scored
                  as it did (points per piece of evidence), or ``review override``
    ============  =========================================================

claims (DataFrame, index ``claim_id``)
    ===================  ==============================================================
    article_id           the article the claim was read from
    claimant             who asserts it, as named ("the outlet" for the outlet's narrative)
    side                 ``RU``, ``UA``, ``observer`` or ``other``
    action               one of :data:`ACTIONS`
    place_name           canonical name of the place the claim is about
    place_id             gazetteer id of that place
    mention_id           the mention the place was read from
    event_date           day of the claimed event, tz-aware UTC midnight (``NaT`` if undated)
    date_precision       ``day``, ``week``, ``month`` or ``year``
    asserted_controller  ``RU``, ``UA``, ``contested`` or ``None`` (no control claim)
    negated              denied or refuted by another claim in the same article
    negated_by           claim id of the denial, when negated
    confidence           0..1
    evidence             the sentence the claim comes from
    url                  the article's URL
    source               the article's outlet
    published            the article's publication time
    ===================  ==============================================================

located (GeoDataFrame, index ``claim_id``, EPSG:4326)
    claims columns plus ``lat``, ``lon``, ``place_kind``, ``admin1``, ``country``,
    ``geocode_status`` (``resolved`` or ``no_match``) and point ``geometry`` (empty when unmatched).

timeline (GeoDataFrame, index ``(place_id, valid_from)``, EPSG:4326)
    ============  =========================================================
    place_name    canonical name
    controller    ``RU``, ``UA``, ``contested`` or ``unknown`` (a contested status gone
                  stale) from ``valid_from`` on
    valid_to      when the next status starts, ``NaT`` while ongoing
    n_claims      number of claims behind the status
    claim_ids     their ids, ``;``-separated
    sides         the claimants' sides, ``;``-separated
    confidence    0..1
    geometry      the place's point
    ============  =========================================================
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from mapper._errors import SchemaError

ARTICLE_ID = "article_id"
MENTION_ID = "mention_id"
CLAIM_ID = "claim_id"
PLACE_ID = "place_id"
VALID_FROM = "valid_from"

ARTICLE_COLUMNS = ("url", "source", "published", "title", "text", "captions", "path")
MENTION_COLUMNS = (
    ARTICLE_ID,
    "surface",
    "field",
    "start",
    "end",
    PLACE_ID,
    "place_name",
    "place_kind",
    "admin1",
    "country",
    "lat",
    "lon",
    "confidence",
    "status",
    "candidates",
    "reasons",
)
CLAIM_COLUMNS = (
    ARTICLE_ID,
    "claimant",
    "side",
    "action",
    "place_name",
    PLACE_ID,
    MENTION_ID,
    "event_date",
    "date_precision",
    "asserted_controller",
    "negated",
    "negated_by",
    "confidence",
    "evidence",
    "url",
    "source",
    "published",
)
LOCATED_EXTRA = ("lat", "lon", "place_kind", "admin1", "country", "geocode_status", "geometry")
TIMELINE_COLUMNS = (
    "place_name",
    "controller",
    "valid_to",
    "n_claims",
    "claim_ids",
    "sides",
    "confidence",
    "geometry",
)
REJECTED_COLUMNS = ("path", "problem", "fix")

ACTIONS = (
    "captured",
    "liberated",
    "withdrew",
    "advanced",
    "fighting",
    "repelled",
    "holds",
    "attacked",
    "denied",
)
SIDES = ("RU", "UA", "observer", "other")
CONTROLLERS = ("RU", "UA", "contested")
#: The opposing belligerent of each belligerent side.
OPPONENT = {"RU": "UA", "UA": "RU"}
STATUSES = (*CONTROLLERS, "unknown")
PRECISIONS = ("day", "week", "month", "year")
PLACE_KINDS = ("country", "oblast", "district", "capital", "city", "settlement")


def _problems_with(
    frame: pd.DataFrame, index: str | list[str], columns: Iterable[str]
) -> list[str]:
    problems = []
    names = [index] if isinstance(index, str) else index
    if list(frame.index.names) != names:
        problems.append(f"index should be {names}, got {list(frame.index.names)}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        problems.append(f"missing columns {missing}")
    return problems


def _raise(name: str, problems: list[str], hint: str) -> None:
    if problems:
        raise SchemaError(f"not a valid {name} frame: " + "; ".join(problems) + f". {hint}")


def _check_utc(frame: pd.DataFrame, column: str, problems: list[str]) -> None:
    if column in frame.columns and len(frame):
        dtype = frame[column].dtype
        if not isinstance(dtype, pd.DatetimeTZDtype) or str(dtype.tz) != "UTC":
            problems.append(f"column {column!r} should be tz-aware UTC datetimes, got {dtype}")


def _check_values(
    frame: pd.DataFrame, column: str, allowed: Iterable[str], problems: list[str]
) -> None:
    if column in frame.columns:
        allowed_set = set(allowed)
        # unique() first: a large frame has few distinct values to check.
        bad = sorted({v for v in frame[column].dropna().unique() if v not in allowed_set})
        if bad:
            problems.append(f"column {column!r} has values {bad[:5]}, expected {sorted(allowed)}")


def validate_articles(articles: pd.DataFrame) -> None:
    """Raise :class:`SchemaError` listing every way ``articles`` breaks the articles schema."""
    problems = _problems_with(articles, ARTICLE_ID, ARTICLE_COLUMNS)
    _check_utc(articles, "published", problems)
    if articles.index.has_duplicates:
        problems.append("article_id values repeat")
    _raise("articles", problems, "Build it with mapper.ingest.articles_from_paths().")


def validate_mentions(mentions: pd.DataFrame) -> None:
    """Raise :class:`SchemaError` listing every way ``mentions`` breaks the mentions schema."""
    problems = _problems_with(mentions, MENTION_ID, MENTION_COLUMNS)
    _check_values(mentions, "place_kind", PLACE_KINDS, problems)
    _check_values(mentions, "status", ("resolved", "ambiguous", "no_match"), problems)
    _raise("mentions", problems, "Build it with mapper.mentions.mentions_from_articles().")


def validate_claims(claims: pd.DataFrame) -> None:
    """Raise :class:`SchemaError` listing every way ``claims`` breaks the claims schema."""
    problems = _problems_with(claims, CLAIM_ID, CLAIM_COLUMNS)
    _check_values(claims, "action", ACTIONS, problems)
    _check_values(claims, "side", SIDES, problems)
    _check_values(claims, "asserted_controller", CONTROLLERS, problems)
    _check_values(claims, "date_precision", PRECISIONS, problems)
    _check_utc(claims, "event_date", problems)
    _raise("claims", problems, "Build it with mapper.extract.claims_from_articles().")


def validate_located(located: pd.DataFrame) -> None:
    """Raise :class:`SchemaError` listing every way ``located`` breaks the located schema."""
    problems = _problems_with(located, CLAIM_ID, CLAIM_COLUMNS + LOCATED_EXTRA)
    crs = getattr(located, "crs", None)
    if crs is None or crs.to_epsg() != 4326:
        problems.append(f"CRS should be EPSG:4326, got {crs}")
    _raise("located", problems, "Build it with mapper.geocode.located_from_claims().")


def validate_timeline(timeline: pd.DataFrame) -> None:
    """Raise :class:`SchemaError` listing every way ``timeline`` breaks the timeline schema."""
    problems = _problems_with(timeline, [PLACE_ID, VALID_FROM], TIMELINE_COLUMNS)
    _check_values(timeline, "controller", STATUSES, problems)
    _raise("timeline", problems, "Build it with mapper.timeline.timeline_from_located().")
