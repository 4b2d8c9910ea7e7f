"""Located claims -> timeline: the status of control of each place over time.

The rule, applied per place in date order:

1. Claims that say nothing about control (strikes) and negated claims are left out; so are
   claims with no date or no point. A claim dated only to a week, month or year ("in August")
   is left out where a day-precise claim about the same place falls in that period.
2. All claims dated the same day are pooled. If they assert one controller, that is the status;
   if they disagree (one side claims a capture, the other denies it), the place is
   ``contested`` that day. A denial asserts ``contested`` unless it says who holds the place.
3. A status holds from its day until the next day with a different status (``valid_to``), and
   stays open (``NaT``) after the last one. Days repeating the current status extend it and add
   their claims to it.
4. Confidence is the mean confidence of the claims behind a status, halved when contested.

Claims about regions stay claims about the region: they are not spread over its villages.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from mapper import schema


def timeline_from_located(located: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reconcile located claims into per-place status intervals.

    Parameters
    ----------
    located
        The located frame.

    Returns
    -------
    geopandas.GeoDataFrame
        The timeline frame (see :mod:`mapper.schema`), indexed by ``(place_id, valid_from)``.
    """
    schema.validate_located(located)
    usable = located[
        located["asserted_controller"].notna()
        & ~located["negated"]
        & located["event_date"].notna()
        & (located["geocode_status"] == "resolved")
    ]
    rows: list[dict[str, object]] = []
    for place_id, claims in usable.sort_values("event_date").groupby(schema.PLACE_ID, sort=True):
        rows.extend(_intervals(str(place_id), _without_shadowed_coarse(claims)))
    columns = [schema.PLACE_ID, schema.VALID_FROM, *schema.TIMELINE_COLUMNS]
    frame = pd.DataFrame(rows, columns=columns)
    frame[schema.VALID_FROM] = pd.to_datetime(frame[schema.VALID_FROM], utc=True)
    frame["valid_to"] = pd.to_datetime(frame["valid_to"], utc=True)
    timeline = gpd.GeoDataFrame(
        frame.set_index([schema.PLACE_ID, schema.VALID_FROM]), geometry="geometry", crs="EPSG:4326"
    )
    schema.validate_timeline(timeline)
    return timeline


_PERIOD = {"week": "W-SUN", "month": "M", "year": "Y"}


def _without_shadowed_coarse(claims: pd.DataFrame) -> pd.DataFrame:
    precise = claims.loc[claims["date_precision"] == "day", "event_date"]
    keep = []
    for _, claim in claims.iterrows():
        period = _PERIOD.get(claim["date_precision"])
        if period is None:
            keep.append(True)
            continue
        span = claim["event_date"].tz_localize(None).to_period(period)
        keep.append(not any(d.tz_localize(None).to_period(period) == span for d in precise))
    return claims[keep]


def _intervals(place_id: str, claims: pd.DataFrame) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for day, group in claims.groupby("event_date", sort=True):
        asserted = set(group["asserted_controller"])
        status = asserted.pop() if len(asserted) == 1 else "contested"
        if rows and rows[-1]["controller"] == status:
            current = rows[-1]
            current["_claims"] = pd.concat([current["_claims"], group])  # type: ignore[list-item]
            continue
        if rows:
            rows[-1]["valid_to"] = day
        rows.append(
            {
                schema.PLACE_ID: place_id,
                schema.VALID_FROM: day,
                "place_name": group["place_name"].iloc[0],
                "controller": status,
                "valid_to": pd.NaT,
                "geometry": group.geometry.iloc[0],
                "_claims": group,
            }
        )
    for row in rows:
        behind = row.pop("_claims")
        assert isinstance(behind, pd.DataFrame)
        confidence = float(behind["confidence"].mean())
        row["n_claims"] = len(behind)
        row["claim_ids"] = ";".join(behind.index)
        row["sides"] = ";".join(sorted(set(behind["side"])))
        row["confidence"] = round(
            confidence / 2 if row["controller"] == "contested" else confidence, 3
        )
    return rows


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
    day = pd.Timestamp(date)
    day = day.tz_localize("UTC") if day.tzinfo is None else day.tz_convert("UTC")
    frame = timeline.reset_index(level=schema.VALID_FROM)
    open_ended = frame["valid_to"].isna() | (frame["valid_to"] > day)
    return frame[(frame[schema.VALID_FROM] <= day) & open_ended]
