"""Reference overlays: dated control polygons assessed by someone else (DeepState, ISW).

An overlay is imported once (``mapper overlay add``, :func:`import_overlay`) from GeoJSON or
TopoJSON files, or a folder of them, into ``settings.data_folder / "overlays"``: a GeoPackage of
its states beside a JSON file of its provenance. Every feature needs a date (a property, or the
file name) and a status (a property mapped to ``RU``, ``UA`` or ``contested``, or one status
for the whole file). Archives that store each distinct map once and list the snapshots that
show it in a separate table (DeepState's) are joined through that table (``index``).

The features of one date make a snapshot; a snapshot holds until the next one. Consecutive
snapshots that are the same are stored once, and each status of a snapshot is one dissolved
(Multi)Polygon, so an overlay stores its changes rather than a copy per day.

overlay (GeoDataFrame, EPSG:4326, ordered by ``valid_from`` then status)
    ==========  =========================================================
    valid_from  first day of the state, tz-aware UTC
    valid_to    first day of the next state, ``NaT`` for the last one
    status      ``RU``, ``UA`` or ``contested``
    area_km2    area, km²
    geometry    MultiPolygon
    ==========  =========================================================

The overlay only draws what its author marks: land outside its polygons, but inside its
extent, is taken to be its country's default holder when compared with the timeline
(:func:`agreement`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import MappingProxyType

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from mapper import areas, borders, io, schema, settings
from mapper._errors import ConfigurationError, InputError
from mapper.control import timeline_settlements
from mapper.gazetteer import LocalGazetteer
from mapper.timeline import status_on

log = logging.getLogger(__name__)

STATUS_MAP: Mapping[str, str] = MappingProxyType(
    {
        "RU": "RU",
        "UA": "UA",
        "contested": "contested",
        # DeepState's colours, as the shared extracts name them
        "ua_held_in_russia": "UA",
        "occupied": "RU",
        "unknown": "contested",
    }
)
"""Status values understood without a ``status_map``. DeepState's ``liberated`` (ground
Ukraine retook in 2022, static context) is left out unless mapped."""
FILENAME = "filename"
"""``date_field`` value that takes the date from the file name (its first ``YYYY-MM-DD``)."""
OVERLAY_COLUMNS = ("valid_from", "valid_to", "status", "area_km2", "geometry")
PAIR_COLUMNS = (
    schema.PLACE_ID,
    "place_name",
    "date",
    "timeline_status",
    "overlay_status",
    "agree",
)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SUFFIXES = (".geojson", ".json", ".topojson")
_EQUAL_AREA = "+proj=laea +lat_0=51 +lon_0=35 +datum=WGS84 +units=m +no_defs"


@dataclass(frozen=True)
class Overlay:
    """An installed overlay.

    Attributes
    ----------
    name
        Its name (shown as "assessed by NAME").
    source
        The file or folder it was imported from.
    imported_at
        When (UTC, ISO 8601).
    states
        Distinct states stored.
    first, last
        Its first and last dates (ISO).
    path
        The GeoPackage holding its states.
    """

    name: str
    source: str
    imported_at: str
    states: int
    first: str
    last: str
    path: Path = field(compare=False)


def overlays_folder() -> Path:
    """Where overlays are installed (``settings.data_folder / "overlays"``)."""
    return Path(settings.data_folder) / "overlays"


def import_overlay(
    path: str | Path,
    *,
    name: str,
    date_field: str | None = None,
    status_field: str | None = None,
    status: str | None = None,
    status_map: Mapping[str, str] | None = None,
    index: str | Path | None = None,
    join_field: str | None = None,
    index_date_field: str = "snapshot_utc",
) -> Overlay:
    """Install dated control polygons as an overlay.

    Parameters
    ----------
    path
        A GeoJSON or TopoJSON file, or a folder of them.
    name
        The overlay's name: letters, digits, ``.``, ``_`` or ``-``.
    date_field
        The property holding each feature's date, or :data:`FILENAME` for the first
        ``YYYY-MM-DD`` of its file's name. Not needed with ``index``.
    status_field
        The property holding each feature's status, mapped through :data:`STATUS_MAP` and
        ``status_map``; features whose value maps to nothing are left out (and counted in the log).
    status
        One status (``RU``, ``UA`` or ``contested``) for every feature, instead of
        ``status_field`` (ISW's "Ukrainian advance" layer is ``UA``).
    status_map
        Extra ``value -> status`` pairs, over :data:`STATUS_MAP`.
    index
        A CSV listing the snapshots: each row names a date (``index_date_field``) and the value
        of ``join_field`` the features of that snapshot share. A day's last snapshot counts.
    join_field
        The property (and index column) joining features to snapshots.
    index_date_field
        The index column holding the snapshot's time.

    Returns
    -------
    Overlay

    Raises
    ------
    ConfigurationError
        If the name or the options are not usable.
    InputError
        If a file cannot be read, a field is missing, or no feature is left.
    """
    if not _NAME.match(name):
        raise ConfigurationError(
            f"overlay name {name!r} should be letters, digits, '.', '_' or '-' (up to 64)"
        )
    mapping = _status_mapping(status_field, status, status_map)
    if index is None and date_field is None:
        raise ConfigurationError(
            "say where each feature's date is: date_field=PROPERTY, date_field='filename', "
            "or index=CSV with join_field"
        )
    if index is not None and join_field is None:
        raise ConfigurationError("index needs join_field: the property naming each snapshot")
    features = _read_features(Path(path))
    if index is not None:
        assert join_field is not None
        dated = _dated_by_index(features, Path(index), join_field, index_date_field)
    else:
        assert date_field is not None
        dated = features.assign(_day=_days(features, date_field))
    dated = _with_status(dated, status_field, status, mapping)
    states = _states(dated)
    return _install(states, name=name, source=Path(path))


def installed_overlays() -> list[Overlay]:
    """The installed overlays, by name."""
    found = []
    for meta in sorted(overlays_folder().glob("*.json")):
        package = meta.with_suffix(".gpkg")
        if package.exists():
            found.append(Overlay(**json.loads(meta.read_text(encoding="utf-8")), path=package))
    return found


def read_overlay(name: str) -> gpd.GeoDataFrame:
    """The states of an installed overlay (see :mod:`mapper.overlays`).

    Raises
    ------
    ConfigurationError
        If no overlay has that name.
    """
    package = overlays_folder() / f"{name}.gpkg"
    if not package.exists():
        raise ConfigurationError(
            f"no overlay named {name!r}; installed: {[o.name for o in installed_overlays()]} "
            "(add one with 'mapper overlay add')"
        )
    frame = gpd.read_file(package)
    for column in ("valid_from", "valid_to"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return gpd.GeoDataFrame(frame[list(OVERLAY_COLUMNS)], geometry="geometry", crs="EPSG:4326")


def remove_overlay(name: str) -> None:
    """Uninstall an overlay; raise :class:`ConfigurationError` when there is none of that name."""
    paths = [overlays_folder() / f"{name}.{suffix}" for suffix in ("gpkg", "json")]
    if not any(p.exists() for p in paths):
        raise ConfigurationError(
            f"no overlay named {name!r}; installed: {[o.name for o in installed_overlays()]}"
        )
    for path in paths:
        path.unlink(missing_ok=True)


def agreement(
    timeline: gpd.GeoDataFrame,
    overlay: gpd.GeoDataFrame,
    *,
    dates: Sequence[str | pd.Timestamp] | None = None,
    default_status: Mapping[str, str] | None = None,
    gazetteer: LocalGazetteer | None = None,
) -> pd.DataFrame:
    """Compare the timeline's statuses with an overlay's, place by place and date by date.

    A pair is a settlement (as in :mod:`mapper.control`: not an oblast or a district) with a
    known status (``RU``, ``UA`` or ``contested``; not ``unknown``) in the timeline on a date,
    inside the overlay's extent (the box around all its polygons) and within its dates. The
    overlay's status there is that of its polygon holding the place on that date, else the
    default of the country the place lies in (``default_status``, as in
    :func:`mapper.areas.areas_from_statuses`).

    Parameters
    ----------
    timeline
        The timeline frame.
    overlay
        An overlay frame (:func:`read_overlay`).
    dates
        Days to compare on; default: every day the timeline or the overlay changes, within the
        overlay's first and last dates.
    default_status
        Holder of land an overlay leaves blank, by ISO2 country; default: RU in Russia, UA in
        Ukraine.
    gazetteer
        Tells settlements from regions; default: the offline gazetteer.

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``place_id``, ``place_name``, ``date``, ``timeline_status``,
        ``overlay_status``, ``agree``. The share of pairs that agree is ``["agree"].mean()``.
    """
    schema.validate_timeline(timeline)
    defaults = dict(areas.DEFAULT_STATUS if default_status is None else default_status)
    if overlay.empty:
        return pd.DataFrame(columns=list(PAIR_COLUMNS))
    first = overlay["valid_from"].min()
    last = max(overlay["valid_from"].max(), overlay["valid_to"].max())
    if dates is None:
        starts = timeline.index.get_level_values(schema.VALID_FROM)
        candidates = pd.DatetimeIndex([*starts, *overlay["valid_from"]])
        days = candidates[(candidates >= first) & (candidates <= last)].unique().sort_values()
    else:
        days = pd.DatetimeIndex([pd.Timestamp(d, tz="UTC") for d in dates])
    extent = shapely.box(*overlay.total_bounds)
    settlements = set(timeline_settlements(timeline, gazetteer=gazetteer)[schema.PLACE_ID])
    shapes = borders.country_shapes(bbox=tuple(overlay.total_bounds), countries=("RU", "UA"))
    rows = []
    for day in days:
        current = status_on(timeline, day)
        current = current[
            current["controller"].isin(schema.CONTROLLERS)
            & current.index.isin(settlements)
            & current.geometry.within(extent)
        ]
        if current.empty:
            continue
        assessed = overlay[
            (overlay["valid_from"] <= day)
            & (overlay["valid_to"].isna() | (overlay["valid_to"] > day))
        ]
        rows.append(_pairs(current, assessed, shapes, defaults, day))
    if not rows:
        return pd.DataFrame(columns=list(PAIR_COLUMNS))
    return pd.concat(rows, ignore_index=True)[list(PAIR_COLUMNS)]


def _pairs(
    current: gpd.GeoDataFrame,
    assessed: gpd.GeoDataFrame,
    shapes: gpd.GeoDataFrame,
    defaults: dict[str, str],
    day: pd.Timestamp,
) -> pd.DataFrame:
    points = current[["place_name", "controller", "geometry"]].reset_index()
    held = gpd.sjoin(points, assessed[["status", "geometry"]], how="left", predicate="within")
    # A place inside two polygons of the overlay (contested inside held) takes the first.
    held = held[~held.index.duplicated()]
    country = gpd.sjoin(points, shapes[["country", "geometry"]], how="left", predicate="within")
    country = country[~country.index.duplicated()]
    fallback = country["country"].map(defaults)
    overlay_status = held["status"].where(held["status"].notna(), fallback)
    frame = pd.DataFrame(
        {
            schema.PLACE_ID: points[schema.PLACE_ID],
            "place_name": points["place_name"],
            "date": day,
            "timeline_status": points["controller"],
            "overlay_status": overlay_status,
        }
    )
    frame = frame[frame["overlay_status"].notna()]
    return frame.assign(agree=frame["timeline_status"] == frame["overlay_status"])


def _status_mapping(
    status_field: str | None, status: str | None, status_map: Mapping[str, str] | None
) -> dict[str, str]:
    if (status_field is None) == (status is None):
        raise ConfigurationError(
            "give either status_field (a property holding each feature's status) or status "
            "(one status for every feature)"
        )
    mapping = {**STATUS_MAP, **(status_map or {})}
    bad = {k: v for k, v in mapping.items() if v not in schema.CONTROLLERS}
    if status is not None and status not in schema.CONTROLLERS:
        bad["status"] = status
    if bad:
        raise ConfigurationError(f"statuses {bad} should be one of {schema.CONTROLLERS}")
    return mapping


def _read_features(path: Path) -> gpd.GeoDataFrame:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in _SUFFIXES)
    elif path.is_file():
        files = [path]
    else:
        raise InputError(f"no such file or folder {path}; give a GeoJSON/TopoJSON file or folder")
    if not files:
        raise InputError(f"{path} holds no {'/'.join(_SUFFIXES)} file")
    frames = []
    for file in files:
        try:
            layers = [str(row[0]) for row in pyogrio.list_layers(file)]
            for layer in layers:
                frame = gpd.read_file(file, layer=layer)
                # GeoJSON and TopoJSON are lon/lat unless they say otherwise.
                frame = frame.set_crs("EPSG:4326") if frame.crs is None else frame
                frames.append(frame.assign(_file=file.name).to_crs("EPSG:4326"))
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
            raise InputError(f"{file}: cannot be read as GeoJSON or TopoJSON ({err})") from err
    features = pd.concat(frames, ignore_index=True)
    features = features[features.geometry.notna() & ~features.geometry.is_empty]
    polygonal = features.geom_type.isin(("Polygon", "MultiPolygon"))
    if (~polygonal).any():
        log.info("%s features that are not polygons left out", int((~polygonal).sum()))
    return gpd.GeoDataFrame(features[polygonal], geometry="geometry", crs="EPSG:4326")


def _require(frame: pd.DataFrame, column: str, what: str) -> None:
    if column not in frame.columns:
        fields = [c for c in frame.columns if c not in ("geometry", "_file")]
        raise InputError(f"{what} {column!r} not found; the fields are {fields}")


def _days(features: gpd.GeoDataFrame, date_field: str) -> pd.Series:
    if date_field == FILENAME:
        found = features["_file"].str.extract(f"({_DAY.pattern})", expand=False)
        values = found
    else:
        _require(features, date_field, "date field")
        values = features[date_field].astype(str)
    days: pd.Series = pd.to_datetime(values, utc=True, errors="coerce", format="mixed")
    if days.isna().any():
        log.warning("%s features without a readable date left out", int(days.isna().sum()))
    floored: pd.Series = days.dt.floor("D")
    return floored


def _dated_by_index(
    features: gpd.GeoDataFrame, index: Path, join_field: str, date_field: str
) -> gpd.GeoDataFrame:
    if not index.is_file():
        raise InputError(f"no such index file {index}")
    snapshots = pd.read_csv(index)
    _require(features, join_field, "join field")
    _require(snapshots, join_field, "index column")
    _require(snapshots, date_field, "index date column")
    snapshots["_time"] = pd.to_datetime(snapshots[date_field], utc=True, format="mixed")
    snapshots = snapshots.sort_values("_time")
    snapshots["_day"] = snapshots["_time"].dt.floor("D")
    last_of_day = snapshots.drop_duplicates("_day", keep="last")[["_day", join_field]]
    dated = features.merge(last_of_day, on=join_field, how="inner")
    return gpd.GeoDataFrame(dated, geometry="geometry", crs="EPSG:4326")


def _with_status(
    features: gpd.GeoDataFrame,
    status_field: str | None,
    status: str | None,
    mapping: dict[str, str],
) -> gpd.GeoDataFrame:
    if status_field is not None:
        _require(features, status_field, "status field")
        mapped = features[status_field].astype(str).map(mapping)
        left_out = features.loc[mapped.isna(), status_field].value_counts()
        if len(left_out):
            log.info("features left out, by status value not mapped: %s", left_out.to_dict())
        features = features.assign(_status=mapped)
    else:
        features = features.assign(_status=status)
    usable = features[features["_status"].notna() & features["_day"].notna()]
    if usable.empty:
        raise InputError(
            "no feature has both a date and a status; check date_field, status_field and "
            f"status_map (statuses known: {sorted(STATUS_MAP)})"
        )
    return usable


def _states(features: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per status of each distinct consecutive snapshot."""
    keys = {
        day: hashlib.sha1(
            b"".join(
                sorted(
                    s.encode() + shapely.to_wkb(g)
                    for s, g in zip(group["_status"], group.geometry, strict=True)
                )
            )
        ).hexdigest()
        for day, group in features.groupby("_day")
    }
    days = sorted(keys)
    starts = [d for i, d in enumerate(days) if i == 0 or keys[d] != keys[days[i - 1]]]
    ends = [*starts[1:], pd.NaT]
    rows = []
    for start, end in zip(starts, ends, strict=True):
        snapshot = features[features["_day"] == start]
        for name, group in snapshot.groupby("_status"):
            geometry = shapely.union_all(shapely.make_valid(group.geometry.to_numpy()))
            polygons = [p for p in shapely.get_parts(geometry) if isinstance(p, shapely.Polygon)]
            rows.append(
                {
                    "valid_from": start,
                    "valid_to": end,
                    "status": str(name),
                    "geometry": shapely.MultiPolygon(polygons),
                }
            )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    frame["valid_to"] = pd.to_datetime(frame["valid_to"], utc=True)
    frame["area_km2"] = frame.to_crs(_EQUAL_AREA).area.to_numpy() / 1e6
    return gpd.GeoDataFrame(frame[list(OVERLAY_COLUMNS)], geometry="geometry", crs="EPSG:4326")


def _install(states: gpd.GeoDataFrame, *, name: str, source: Path) -> Overlay:
    folder = overlays_folder()
    package = folder / f"{name}.gpkg"
    stored = states.assign(
        valid_from=states["valid_from"].dt.strftime("%Y-%m-%d"),
        valid_to=states["valid_to"].dt.strftime("%Y-%m-%d"),
    )
    io.atomic_write(
        package, lambda tmp: stored.to_file(tmp, driver="GPKG", layer="states"), suffix=".gpkg"
    )
    overlay = Overlay(
        name=name,
        source=str(source),
        imported_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        states=int(states["valid_from"].nunique()),
        first=str(states["valid_from"].min().date()),
        last=str(states["valid_from"].max().date()),
        path=package,
    )
    meta = {k: v for k, v in asdict(overlay).items() if k != "path"}
    io.write_json(meta, folder / f"{name}.json")
    log.info("installed overlay %s: %s states from %s", name, overlay.states, source)
    return overlay
