"""Located claims -> timeline: the status of control of each place over time.

The rules, applied per place in date order (weights in :class:`Rules`, all configurable):

1. Claims that say nothing about control (strikes) and negated claims are left out; so are
   claims with no date or no point. A claim dated only to a week, month or year ("in August")
   is left out where a day-precise claim about the same place falls in that period.
2. Each claim weighs its confidence times a weight for who makes it: observers (ISW,
   DeepState, the outlet) ``observer_weight``; a side's claim of its own gain
   ``belligerent_weight``; an admission against interest (a side conceding a loss, or saying
   the enemy holds the place) ``admission_weight``.
3. A claim about a region that says who holds all of it ("the Kursk region has been fully
   liberated") also counts for every place of that region with a timeline, on that day, at
   ``region_weight`` times its weight: later claims about the place itself still win.
4. All claims of one day are pooled: the controller with at least ``majority`` of the day's
   weight is the status, else the place is ``contested`` (a denial asserts ``contested``).
5. A status holds until the next day with a different status (``valid_to``); the last stays
   open (``NaT``). A contested status with no new claim for ``fade_days`` fades to ``unknown``.
6. Confidence is the weighted mean confidence of the claims behind a status, halved when
   contested.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from mapper import schema

_PERIOD = {"week": "W-SUN", "month": "M", "year": "Y"}


@dataclass(frozen=True)
class Rules:
    """Weights and thresholds of the timeline (see the module docstring).

    Attributes
    ----------
    observer_weight, belligerent_weight, admission_weight
        Weight of a claim by an observer, by a side about its own gain, and by a side
        conceding a loss.
    region_weight
        Share of its weight a whole-region claim lends to each place of the region.
    majority
        Share of a day's weight a controller needs; below it the place is contested.
    fade_days
        Days after which a contested status with no new claim becomes ``unknown``;
        ``None`` never fades.
    """

    observer_weight: float = 1.0
    belligerent_weight: float = 0.7
    admission_weight: float = 1.5
    region_weight: float = 0.5
    majority: float = 0.7
    fade_days: int | None = 30


def timeline_from_located(
    located: gpd.GeoDataFrame, *, rules: Rules | None = None
) -> gpd.GeoDataFrame:
    """Reconcile located claims into per-place status intervals.

    Parameters
    ----------
    located
        The located frame.
    rules
        Weights and thresholds; default: :class:`Rules` ().

    Returns
    -------
    geopandas.GeoDataFrame
        The timeline frame (see :mod:`mapper.schema`), indexed by ``(place_id, valid_from)``.
    """
    schema.validate_located(located)
    rules = rules or Rules()
    usable = _usable(located)
    usable["weight"] = _weights(usable, rules)
    regional = _whole_region_claims(usable)
    lent_by_region: dict[object, pd.DataFrame] = {}
    rows: list[dict[str, object]] = []
    for place_id, claims in usable.sort_values("event_date").groupby(schema.PLACE_ID, sort=True):
        claims = _without_shadowed_coarse(claims)
        admin1 = claims["admin1"].iloc[0]
        if admin1 not in lent_by_region:
            lent = regional[regional["place_name"] == admin1]
            lent_by_region[admin1] = lent.assign(weight=lent["weight"] * rules.region_weight)
        lent = lent_by_region[admin1]
        if len(lent) and claims["place_kind"].iloc[0] != "oblast":
            claims = pd.concat([claims, lent]).sort_values("event_date")
        rows.extend(_intervals(str(place_id), claims, rules))
    columns = [schema.PLACE_ID, schema.VALID_FROM, *schema.TIMELINE_COLUMNS]
    frame = pd.DataFrame(rows, columns=columns)
    frame[schema.VALID_FROM] = pd.to_datetime(frame[schema.VALID_FROM], utc=True)
    frame["valid_to"] = pd.to_datetime(frame["valid_to"], utc=True)
    timeline = gpd.GeoDataFrame(
        frame.set_index([schema.PLACE_ID, schema.VALID_FROM]), geometry="geometry", crs="EPSG:4326"
    )
    schema.validate_timeline(timeline)
    return timeline


def _weights(claims: pd.DataFrame, rules: Rules) -> list[float]:
    """Each claim's confidence times the weight of who makes it (rule 2)."""
    weights = []
    for side, controller, confidence in zip(
        claims["side"], claims["asserted_controller"], claims["confidence"], strict=True
    ):
        if side not in schema.OPPONENT:
            base = rules.observer_weight
        elif controller == schema.OPPONENT[side]:
            base = rules.admission_weight
        else:
            base = rules.belligerent_weight
        weights.append(base * float(confidence))
    return weights


def whole_region_claims(located: gpd.GeoDataFrame) -> pd.DataFrame:
    """The claims of ``located`` that rule 3 lends to every place of their region.

    Parameters
    ----------
    located
        The located frame.

    Returns
    -------
    pandas.DataFrame
        Those rows of ``located``: usable (rule 1) claims that a side holds a whole oblast.
    """
    schema.validate_located(located)
    return _whole_region_claims(_usable(located))


def _usable(located: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Rule 1: claims about control, not negated, dated, with a point."""
    return located[
        located["asserted_controller"].notna()
        & ~located["negated"]
        & located["event_date"].notna()
        & (located["geocode_status"] == "resolved")
    ].copy()


def _whole_region_claims(claims: pd.DataFrame) -> pd.DataFrame:
    """Claims that a side holds a whole oblast (partial ones are contested and lend nothing)."""
    whole = claims["action"].isin(("captured", "liberated", "holds", "withdrew"))
    belligerent = claims["asserted_controller"].isin(schema.OPPONENT)
    return claims[(claims["place_kind"] == "oblast") & whole & belligerent]


def _without_shadowed_coarse(claims: pd.DataFrame) -> pd.DataFrame:
    precision = claims["date_precision"]
    if (precision == "day").all():
        return claims
    naive = claims["event_date"].dt.tz_localize(None)
    precise = naive[precision == "day"]
    drop = np.zeros(len(claims), dtype=bool)
    for coarse, period in _PERIOD.items():
        mask = (precision == coarse).to_numpy()
        if mask.any():
            spans = set(precise.dt.to_period(period))
            drop[mask] = naive[mask].dt.to_period(period).isin(spans).to_numpy()
    return claims[~drop]


def _day_status(weights: dict[str, float], rules: Rules) -> str:
    """Rule 4: ``weights`` are the day's summed weights by controller, in name order."""
    total = float(sum(weights.values()))
    top = max(weights, key=weights.__getitem__)
    return top if total and weights[top] / total >= rules.majority else "contested"


def _days(
    claims: pd.DataFrame,
) -> list[tuple[pd.Timestamp, dict[str, float], np.ndarray[tuple[int], np.dtype[np.intp]]]]:
    """Per day in date order: summed weights by controller, and the rows of that day."""
    sums = claims.groupby(["event_date", "asserted_controller"], sort=True)["weight"].sum()
    by_day: dict[pd.Timestamp, dict[str, float]] = {}
    for key, weight in zip(sums.index, sums.to_numpy(), strict=True):
        day, controller = key
        by_day.setdefault(day, {})[str(controller)] = float(weight)
    codes, days = pd.factorize(claims["event_date"], sort=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes, minlength=len(days)))[:-1]
    return [
        (day, by_day[day], rows) for day, rows in zip(days, np.split(order, bounds), strict=True)
    ]


def _intervals(place_id: str, claims: pd.DataFrame, rules: Rules) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    place = claims.iloc[int(np.argmax(claims[schema.PLACE_ID].to_numpy() == place_id))]
    for day, weights, positions in _days(claims):
        status = _day_status(weights, rules)
        if rows and rows[-1]["controller"] == status:
            current = rows[-1]
            current["_claims"].append(positions)  # type: ignore[attr-defined]
            current["_last"] = day
            continue
        if rows:
            rows[-1]["valid_to"] = day
        rows.append(
            {
                schema.PLACE_ID: place_id,
                schema.VALID_FROM: day,
                "place_name": place["place_name"],
                "controller": status,
                "valid_to": pd.NaT,
                "geometry": place.geometry,
                "_claims": [positions],
                "_last": day,
            }
        )
    rows = _faded(rows, rules)
    weight = claims["weight"].to_numpy(dtype=float)
    confidences = claims["confidence"].to_numpy(dtype=float)
    sides = claims["side"].to_numpy(dtype=object)
    ids = claims.index.to_numpy(dtype=object)
    for row in rows:
        days = row.pop("_claims")
        row.pop("_last")
        assert isinstance(days, list)
        behind = np.concatenate(days)
        clipped = np.clip(weight[behind], 1e-9, None)
        confidence = float((confidences[behind] * clipped).sum() / clipped.sum())
        row["n_claims"] = len(behind)
        row["claim_ids"] = ";".join(dict.fromkeys(ids[behind]))
        row["sides"] = ";".join(sorted(set(sides[behind])))
        row["confidence"] = round(
            confidence / 2 if row["controller"] in ("contested", "unknown") else confidence, 3
        )
    return rows


def _faded(rows: list[dict[str, object]], rules: Rules) -> list[dict[str, object]]:
    """Split each contested status that outlives ``fade_days`` without a claim."""
    if rules.fade_days is None:
        return rows
    out: list[dict[str, object]] = []
    for row in rows:
        out.append(row)
        if row["controller"] != "contested":
            continue
        last = pd.Timestamp(str(row["_last"]))
        fades = last + pd.Timedelta(days=rules.fade_days)
        end = row["valid_to"]
        if end is pd.NaT or fades < pd.Timestamp(str(end)):
            row["valid_to"] = fades
            out.append({**row, schema.VALID_FROM: fades, "controller": "unknown", "valid_to": end})
    return out


def status_on(timeline: gpd.GeoDataFrame, date: str | pd.Timestamp) -> gpd.GeoDataFrame:
    """The status of every place with a timeline on ``date``.

    Parameters
    ----------
    timeline
        The timeline frame.
    date
        A day (naive dates are UTC).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per place (index ``place_id``) whose status interval contains ``date``.
    """
    day = _utc(date)
    frame = timeline.reset_index(level=schema.VALID_FROM)
    open_ended = frame["valid_to"].isna() | (frame["valid_to"] > day)
    return frame[(frame[schema.VALID_FROM] <= day) & open_ended]


def changes_between(
    timeline: gpd.GeoDataFrame, start: str | pd.Timestamp, end: str | pd.Timestamp
) -> gpd.GeoDataFrame:
    """The places whose status on ``end`` differs from their status on ``start``.

    Parameters
    ----------
    timeline
        The timeline frame.
    start, end
        Two days (naive dates are UTC).

    Returns
    -------
    geopandas.GeoDataFrame
        Index ``place_id``; ``place_name``, ``before`` (``None`` where the place had no status
        yet), ``after``, ``geometry``.
    """
    before = status_on(timeline, start)["controller"]
    after = status_on(timeline, end)
    changed = after[after["controller"] != before.reindex(after.index)]
    return gpd.GeoDataFrame(
        {
            "place_name": changed["place_name"],
            "before": before.reindex(changed.index)
            .astype(object)
            .where(before.reindex(changed.index).notna(), None),
            "after": changed["controller"],
        },
        geometry=changed.geometry,
        crs=timeline.crs,
    )


def _utc(date: str | pd.Timestamp) -> pd.Timestamp:
    day = pd.Timestamp(date)
    return day.tz_localize("UTC") if day.tzinfo is None else day.tz_convert("UTC")
