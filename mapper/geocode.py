"""Claims -> located: give every claim the point of the place it is about.

The mentions stage has already chosen a place for each name; this stage joins that choice to
the claims and builds the GeoDataFrame. A claim whose place stayed unresolved keeps its row,
with ``geocode_status = "no_match"`` and an empty point: it is listed, never dropped.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

from mapper import schema

log = logging.getLogger(__name__)

_PLACE_COLUMNS = ["lat", "lon", "place_kind", "admin1", "country"]


def located_from_claims(claims: pd.DataFrame, *, mentions: pd.DataFrame) -> gpd.GeoDataFrame:
    """Attach coordinates to claims.

    Parameters
    ----------
    claims
        The claims frame.
    mentions
        The mentions the claims were read from (their ``mention_id`` column points there).

    Returns
    -------
    geopandas.GeoDataFrame
        The located frame (see :mod:`mapper.schema`), same index and order as ``claims``.
    """
    schema.validate_claims(claims)
    schema.validate_mentions(mentions)
    places = mentions.loc[mentions["status"] == "resolved", _PLACE_COLUMNS]
    joined = claims.join(places, on=schema.MENTION_ID)
    resolved = joined["lat"].notna()
    joined["geocode_status"] = resolved.map({True: "resolved", False: "no_match"})
    geometry = np.full(len(joined), Point(), dtype=object)
    ok = resolved.to_numpy(dtype=bool)
    geometry[ok] = shapely.points(
        joined["lon"].to_numpy(dtype=float)[ok], joined["lat"].to_numpy(dtype=float)[ok]
    )
    located = gpd.GeoDataFrame(joined, geometry=list(geometry), crs="EPSG:4326")
    unmatched = int((~resolved).sum())
    if unmatched:
        log.info("%s claim(s) about unresolved places are listed without a point", unmatched)
    schema.validate_located(located)
    return located
