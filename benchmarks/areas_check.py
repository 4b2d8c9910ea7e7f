"""How well :func:`mapper.areas.areas_from_statuses` recovers DeepState's Kursk map.

For each date, DeepState's map of that day (its last snapshot before the day ends, UTC) gives
every settlement of the Kursk, Belgorod and Bryansk table a status. Inside a blue
``ua_held_in_russia`` polygon it is UA-held, inside a grey ``unknown`` polygon contested, and
elsewhere unknown (so RU-held, the default in Russia). The areas are estimated from these
statuses alone. The estimated UA-held area in Russia (contested land not counted) is then
compared with DeepState's blue polygons in Russia (the extract covers Kursk, Belgorod and the
south of Bryansk oblast): intersection over union (IoU) and area ratio (estimate / DeepState).
The baseline is plain Voronoi: every settlement's whole cell, clipped to the border (the same
function with ``max_distance_km=math.inf, smoothing_km=0``).

The main dates run from 2024-08-15 to 2025-03-10, while Ukraine held a salient of 300-900 km²;
the late dates, after Sudzha was retaken, leave pockets of 20-90 km² with one to four
settlements in them and are reported apart.

Usage, from the repository root (``../shared/data`` must sit beside the checkout)::

    python -m benchmarks.areas_check [--max-distance-km KM] [--smoothing-km KM]
        [--shapes FILE --country-column ISO_A2]

It exits with status 1 and says which files are missing when the shared data is absent.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

import geopandas as gpd
import pandas as pd
import shapely

from mapper.areas import MAX_DISTANCE_KM, SMOOTHING_KM, areas_from_statuses

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
STATES = Path("control", "deepstate_north_border_states_2024-07-25_2025-05-31.geojson")
INDEX = Path("control", "deepstate_north_border_snapshot_index.csv")
SETTLEMENTS = Path("gazetteer", "ru_settlements_kursk_belgorod_bryansk.csv")
SHAPES = Path("boundaries", "ne10m_admin0_ru_ua_by_clipped.geojson")

DATES = (
    "2024-08-15",
    "2024-09-01",
    "2024-09-15",
    "2024-10-01",
    "2024-10-15",
    "2024-11-01",
    "2024-11-15",
    "2024-12-01",
    "2024-12-15",
    "2025-01-01",
    "2025-01-15",
    "2025-02-01",
    "2025-02-15",
    "2025-03-01",
    "2025-03-10",
)
LATE_DATES = ("2025-03-20", "2025-04-05", "2025-04-25", "2025-05-20")

# Equal-area, so IoU and km² are measured independently of the projection the estimate uses.
EQUAL_AREA = "EPSG:3035"


@dataclass(frozen=True)
class Inputs:
    """The DeepState archive, the settlements and the country shapes, read once."""

    states: gpd.GeoDataFrame
    snapshots: pd.DataFrame
    settlements: gpd.GeoDataFrame
    country_shapes: gpd.GeoDataFrame


def missing_files(data: Path = DATA, shapes: Path | None = None) -> list[Path]:
    """The input files not found (the shared data is optional beside the checkout)."""
    paths = [data / STATES, data / INDEX, data / SETTLEMENTS, shapes or data / SHAPES]
    return [p for p in paths if not p.exists()]


def load(
    data: Path = DATA, *, shapes: Path | None = None, country_column: str = "ISO_A2"
) -> Inputs:
    """Read the DeepState states and snapshot index, the settlements and the country shapes.

    Parameters
    ----------
    data
        The shared ``data`` folder.
    shapes
        Country polygons to clip cells with; Natural Earth 1:10m from ``data`` when ``None``.
    country_column
        The column of ``shapes`` holding ISO2 country codes.

    Returns
    -------
    Inputs
        The frames, with settlements as EPSG:4326 points (``place_id``, ``country`` = RU) and the
        shapes with a ``country`` column.
    """
    states = gpd.read_file(data / STATES)
    snapshots = pd.read_csv(data / INDEX)
    snapshots["snapshot_utc"] = pd.to_datetime(snapshots["snapshot_utc"], utc=True)
    table = pd.read_csv(data / SETTLEMENTS)
    settlements = gpd.GeoDataFrame(
        {"place_id": table["id"].astype(str), "country": "RU"},
        geometry=gpd.points_from_xy(table["longitude_dd"], table["latitude_dd"]),
        crs="EPSG:4326",
    )
    country_shapes = gpd.read_file(shapes or data / SHAPES)
    country_shapes = country_shapes.rename(columns={country_column: "country"})
    return Inputs(states, snapshots, settlements, country_shapes[["country", "geometry"]])


def deepstate_on(inputs: Inputs, day: str) -> tuple[pd.Timestamp, gpd.GeoDataFrame]:
    """DeepState's last map published before ``day`` ends (UTC), and when it was published."""
    end = pd.Timestamp(day, tz="UTC") + pd.Timedelta(days=1)
    published = inputs.snapshots[inputs.snapshots["snapshot_utc"] < end]
    if published.empty:
        raise ValueError(f"no DeepState snapshot before {day}: pick a date from 2024-07-25 on")
    latest = published.iloc[-1]
    state = inputs.states[inputs.states["state_id"] == latest["state_id"]]
    return latest["snapshot_utc"], state


def statuses_from_map(settlements: gpd.GeoDataFrame, state: gpd.GeoDataFrame) -> pd.Series:
    """UA inside a blue polygon, contested inside a grey one, otherwise unknown (``None``)."""
    status = pd.Series(None, index=settlements.index, dtype=object)
    for name, where in (("contested", "unknown"), ("UA", "ua_held_in_russia")):
        polygons = state[state["status"] == where]
        inside = gpd.sjoin(settlements[["geometry"]], polygons[["geometry"]], predicate="within")
        status[inside.index.unique()] = name
    return status


class Score(TypedDict):
    """How the estimate for one date compares with DeepState's map."""

    date: str
    snapshot: str
    n_ua: int
    n_contested: int
    deepstate_km2: float
    estimate_km2: float
    iou: float
    ratio: float


def compare(
    inputs: Inputs,
    day: str,
    *,
    max_distance_km: float = MAX_DISTANCE_KM,
    smoothing_km: float = SMOOTHING_KM,
) -> Score:
    """Estimate the UA-held area on ``day`` and score it against DeepState's.

    Parameters
    ----------
    inputs
        From :func:`load`.
    day
        ``YYYY-MM-DD``.
    max_distance_km, smoothing_km
        Passed to :func:`mapper.areas.areas_from_statuses`.

    Returns
    -------
    Score
        The snapshot used, the numbers of UA-held and contested settlements, both areas, their
        IoU and ``ratio`` (estimate / DeepState).
    """
    snapshot, state = deepstate_on(inputs, day)
    settlements = inputs.settlements.assign(status=statuses_from_map(inputs.settlements, state))
    areas = areas_from_statuses(
        settlements,
        country_shapes=inputs.country_shapes,
        max_distance_km=max_distance_km,
        smoothing_km=smoothing_km,
    )
    russia = _union(inputs.country_shapes[inputs.country_shapes["country"] == "RU"])
    truth = shapely.intersection(_union(state[state["status"] == "ua_held_in_russia"]), russia)
    estimate = shapely.intersection(_union(areas[areas["status"] == "UA"]), russia)
    union = shapely.union(truth, estimate).area
    return {
        "date": day,
        "snapshot": snapshot.strftime("%Y-%m-%d %H:%M"),
        "n_ua": int((settlements["status"] == "UA").sum()),
        "n_contested": int((settlements["status"] == "contested").sum()),
        "deepstate_km2": truth.area / 1e6,
        "estimate_km2": estimate.area / 1e6,
        "iou": shapely.intersection(truth, estimate).area / union if union else math.nan,
        "ratio": estimate.area / truth.area if truth.area else math.nan,
    }


def _union(frame: gpd.GeoDataFrame) -> shapely.Geometry:
    return shapely.union_all(frame.geometry.to_crs(EQUAL_AREA).to_numpy())


def run(
    inputs: Inputs,
    dates: tuple[str, ...],
    *,
    max_distance_km: float = MAX_DISTANCE_KM,
    smoothing_km: float = SMOOTHING_KM,
) -> pd.DataFrame:
    """:func:`compare` for every date, with the plain Voronoi baseline beside it."""
    rows = []
    for day in dates:
        score = compare(inputs, day, max_distance_km=max_distance_km, smoothing_km=smoothing_km)
        plain = compare(inputs, day, max_distance_km=math.inf, smoothing_km=0)
        rows.append(
            {
                **score,
                "voronoi_km2": plain["estimate_km2"],
                "voronoi_iou": plain["iou"],
                "voronoi_ratio": plain["ratio"],
            }
        )
    return pd.DataFrame(rows)


def summary(table: pd.DataFrame) -> dict[str, float]:
    """Median IoU and median area error (|ratio - 1|) of the estimate and of the baseline."""
    return {
        "median_iou": statistics.median(table["iou"]),
        "median_area_error": statistics.median((table["ratio"] - 1).abs()),
        "median_ratio": statistics.median(table["ratio"]),
        "voronoi_median_iou": statistics.median(table["voronoi_iou"]),
        "voronoi_median_area_error": statistics.median((table["voronoi_ratio"] - 1).abs()),
        "voronoi_median_ratio": statistics.median(table["voronoi_ratio"]),
    }


def _print(title: str, table: pd.DataFrame) -> None:
    print(f"\n{title}")
    print(
        f"{'date':<11} {'snapshot (UTC)':<17} {'UA':>3} {'cont':>4} {'DeepState':>9} "
        f"{'estimate':>9} {'IoU':>5} {'ratio':>5} | {'Voronoi':>7} {'IoU':>5} {'ratio':>5}"
    )
    for r in table.itertuples():
        print(
            f"{r.date:<11} {r.snapshot:<17} {r.n_ua:>3} {r.n_contested:>4} "
            f"{r.deepstate_km2:>9.0f} {r.estimate_km2:>9.0f} {r.iou:>5.2f} {r.ratio:>5.2f} | "
            f"{r.voronoi_km2:>7.0f} {r.voronoi_iou:>5.2f} {r.voronoi_ratio:>5.2f}"
        )
    s = summary(table)
    print(
        f"median IoU {s['median_iou']:.3f}, median area error {s['median_area_error']:.1%} "
        f"(median ratio {s['median_ratio']:.2f}); plain Voronoi: median IoU "
        f"{s['voronoi_median_iou']:.3f}, median area error {s['voronoi_median_area_error']:.1%} "
        f"(median ratio {s['voronoi_median_ratio']:.2f})"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the check on the main and the late dates and print the tables."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.areas_check", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--data", type=Path, default=DATA, help="the shared data folder")
    parser.add_argument("--max-distance-km", type=float, default=MAX_DISTANCE_KM)
    parser.add_argument("--smoothing-km", type=float, default=SMOOTHING_KM)
    parser.add_argument("--shapes", type=Path, help="country polygons (default: Natural Earth)")
    parser.add_argument("--country-column", default="ISO_A2", help="ISO2 column of --shapes")
    args = parser.parse_args(argv)
    missing = missing_files(args.data, args.shapes)
    if missing:
        print(
            "areas_check needs the shared data beside the checkout (../shared/data); not found: "
            + ", ".join(str(p) for p in missing),
            file=sys.stderr,
        )
        return 1
    start = time.perf_counter()
    inputs = load(args.data, shapes=args.shapes, country_column=args.country_column)
    options = {"max_distance_km": args.max_distance_km, "smoothing_km": args.smoothing_km}
    print(
        f"max_distance_km={args.max_distance_km:g}, smoothing_km={args.smoothing_km:g}; "
        "UA-held only (contested land not counted), both restricted to Russia"
    )
    main_table = run(inputs, DATES, **options)
    _print(f"{len(DATES)} dates, 2024-08-15 .. 2025-03-10 (target: median IoU >= 0.75)", main_table)
    _print("late dates: small pockets after mid-March 2025", run(inputs, LATE_DATES, **options))
    print(f"\n{time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
