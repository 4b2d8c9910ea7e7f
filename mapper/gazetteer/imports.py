"""Importing gazetteers: GeoNames country dumps and settlement tables become gazetteer layers.

An imported layer is a CSV in the curated places format (``place_id, name, kind, country,
admin1, admin2, lat, lon, population, alt_names, source``) in
``settings.data_folder / "gazetteers"``, beside a JSON file with its priority and provenance.
:class:`~mapper.gazetteer.LocalGazetteer` layers every installed layer over the built-in places
by priority: a place that duplicates one of a higher layer (same name, within a few km) only
adds its spellings to it.

Cyrillic-only names (a national registry) get a Latin display name; their other Latin
spellings are generated when the index is built (:mod:`mapper.gazetteer.translit`). Region and
district columns are mapped to the canonical oblast and district names the built-in gazetteer
knows ("Курская область" -> "Kursk Oblast").
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from mapper import io, settings
from mapper._errors import ConfigurationError, InputError
from mapper.gazetteer import translit
from mapper.gazetteer.base import geonames_kind, settlement_kind

log = logging.getLogger(__name__)

LAYER_COLUMNS = (
    "place_id",
    "name",
    "kind",
    "country",
    "admin1",
    "admin2",
    "lat",
    "lon",
    "population",
    "alt_names",
    "source",
)
DEFAULT_PRIORITY = 50
# Settlement type abbreviations of Russian registries (FIAS/OKTMO) and Ukrainian OSM classes.
_TYPE_KINDS = {"г": "city", "city": "city", "town": "settlement"}
_LAYER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Columns:
    """Which columns of a settlement table hold what (only ``name``, ``lat``, ``lon`` needed).

    Attributes
    ----------
    name, lat, lon
        Place name and WGS84 coordinates.
    region, district
        First- and second-level administrative units (any script; mapped to canonical names).
    population
        Inhabitants.
    alt_names
        Other spellings, separated by ``alt_sep``.
    kind
        Settlement type ("г" or "city" make a city; anything else a settlement).
    id
        A stable id within the table.
    alt_sep
        Separator inside ``alt_names``.
    """

    name: str = "name"
    lat: str = "lat"
    lon: str = "lon"
    region: str | None = None
    district: str | None = None
    population: str | None = None
    alt_names: str | None = None
    kind: str | None = None
    id: str | None = None
    alt_sep: str = ";"


@dataclass
class Layer:
    """An installed gazetteer layer.

    Attributes
    ----------
    name
        Its name (also the file name).
    priority
        Higher wins when two layers hold the same place; the built-in curated places have
        100, the built-in GeoNames places 10.
    source
        The file it was imported from.
    imported_at
        When (UTC, ISO 8601).
    rows
        Places in it.
    path
        The layer's CSV.
    """

    name: str
    priority: int
    source: str
    imported_at: str
    rows: int
    path: Path = field(compare=False)


def layers_folder() -> Path:
    """Where imported layers are installed (``settings.data_folder / "gazetteers"``)."""
    return Path(settings.data_folder) / "gazetteers"


def installed_layers() -> list[Layer]:
    """The installed layers, highest priority first."""
    found = []
    for meta in sorted(layers_folder().glob("*.json")):
        info = json.loads(meta.read_text(encoding="utf-8"))
        csv_path = meta.with_suffix(".csv")
        if csv_path.exists():
            found.append(Layer(**info, path=csv_path))
    return sorted(found, key=lambda layer: (-layer.priority, layer.name))


def remove_layer(name: str) -> None:
    """Uninstall a layer; raise :class:`ConfigurationError` when there is none of that name."""
    folder = layers_folder()
    paths = [folder / f"{name}.csv", folder / f"{name}.json"]
    if not any(p.exists() for p in paths):
        raise ConfigurationError(
            f"no gazetteer layer named {name!r}; installed: {[x.name for x in installed_layers()]}"
        )
    for path in paths:
        path.unlink(missing_ok=True)


def import_geonames(
    path: str | Path,
    *,
    name: str,
    priority: int = DEFAULT_PRIORITY,
    countries: Iterable[str] | None = None,
    min_population: int = 0,
) -> Layer:
    """Install a GeoNames dump (``RU.txt``, ``UA.txt``, ``allCountries.txt`` format) as a layer.

    Populated places (feature class P) and first- and second-order administrative divisions
    (ADM1, ADM2) are kept, with all their alternate names.

    Parameters
    ----------
    path
        The tab-separated dump.
    name
        Layer name.
    priority
        See :class:`Layer`.
    countries
        Keep only these ISO codes.
    min_population
        Leave out smaller places (0 keeps every village).

    Returns
    -------
    Layer
    """
    source = _existing(path)
    wanted = {c.upper() for c in countries} if countries else None
    admin1 = _admin1_names()

    def rows() -> Iterator[dict[str, str]]:
        for number, fields in enumerate(_tab_rows(source), start=1):
            if len(fields) < 19:
                raise InputError(
                    f"{source}:{number}: {len(fields)} fields, a GeoNames dump has 19; "
                    "give the country file (e.g. RU.txt) from GeoNames' export dump"
                )
            (geonameid, title, ascii_name, alternates, lat, lon, fclass, fcode, country) = fields[
                :9
            ]
            population = int(fields[14] or 0)
            if fclass not in ("P", "A") or (fclass == "A" and fcode not in ("ADM1", "ADM2")):
                continue
            if (wanted and country not in wanted) or population < min_population:
                continue
            kind = geonames_kind(fcode, population)
            yield {
                "place_id": f"geonames:{geonameid}",
                "name": title,
                "kind": kind,
                "country": country,
                "admin1": "" if kind == "oblast" else admin1.get((country, fields[10]), ""),
                "admin2": "",
                "lat": lat,
                "lon": lon,
                "population": str(population),
                "alt_names": ";".join(sorted({ascii_name, *alternates.split(",")} - {"", title})),
                "source": f"GeoNames {source.name}",
            }

    return _install(rows(), name=name, priority=priority, source=source)


def import_table(
    path: str | Path,
    *,
    name: str,
    columns: Columns,
    priority: int = DEFAULT_PRIORITY,
    country: str | None = None,
    delimiter: str = ",",
) -> Layer:
    """Install a settlement table (CSV) as a layer.

    Parameters
    ----------
    path
        The table, UTF-8 with a header row.
    name
        Layer name.
    columns
        Which columns hold what.
    priority
        See :class:`Layer`.
    country
        ISO code of every row (tables of one country rarely say it).
    delimiter
        Field separator.

    Returns
    -------
    Layer
    """
    source = _existing(path)
    regions = _RegionNames()
    with source.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh, delimiter=delimiter)
        missing = [
            c
            for c in asdict(columns).values()
            if c and c != columns.alt_sep and c not in (reader.fieldnames or [])
        ]
        if missing:
            raise InputError(
                f"{source}: no columns {missing}; it has {reader.fieldnames}. "
                "Name the right ones (e.g. --name-col settlement --lat-col latitude_dd)"
            )
        table = list(reader)

    def rows() -> Iterator[dict[str, str]]:
        for number, row in enumerate(table, start=2):
            raw_name = (row[columns.name] or "").strip()
            try:
                lat, lon = float(row[columns.lat]), float(row[columns.lon])
            except (TypeError, ValueError):
                log.warning("%s:%s: no coordinates for %r; row left out", source, number, raw_name)
                continue
            if not raw_name:
                continue
            population = _int(row.get(columns.population or "", ""))
            spellings = {raw_name}
            if columns.alt_names and row.get(columns.alt_names):
                spellings |= {a.strip() for a in row[columns.alt_names].split(columns.alt_sep)}
            latin, variants = _spellings(spellings)
            kind_value = (row.get(columns.kind or "") or "").strip().lower()
            kind = _TYPE_KINDS.get(kind_value, "settlement")
            if kind == "settlement":
                kind = settlement_kind(population)
            row_id = (row.get(columns.id or "") or "").strip() or str(number)
            yield {
                "place_id": f"{name}:{row_id}",
                "name": latin,
                "kind": kind,
                "country": (country or "").upper(),
                "admin1": regions.oblast(row.get(columns.region or "", "")),
                "admin2": regions.district(row.get(columns.district or "", "")),
                "lat": f"{lat:.5f}",
                "lon": f"{lon:.5f}",
                "population": str(population or ""),
                "alt_names": ";".join(sorted(variants - {latin})),
                "source": f"{source.name} ({name})",
            }

    return _install(rows(), name=name, priority=priority, source=source)


def _install(rows: Iterable[dict[str, str]], *, name: str, priority: int, source: Path) -> Layer:
    if not _LAYER_NAME.match(name):
        raise ConfigurationError(
            f"layer name {name!r} should be letters, digits, '.', '_' or '-' (up to 64)"
        )
    folder = layers_folder()
    target = folder / f"{name}.csv"
    written = 0

    def write(tmp: Path) -> None:
        nonlocal written
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=LAYER_COLUMNS)
            writer.writeheader()
            for row in rows:
                writer.writerow(row)
                written += 1

    io.atomic_write(target, write)
    if not written:
        target.unlink()
        raise InputError(f"{source}: no place could be read; nothing was installed")
    layer = Layer(
        name=name,
        priority=priority,
        source=str(source),
        imported_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        rows=written,
        path=target,
    )
    meta = {k: v for k, v in asdict(layer).items() if k != "path"}
    io.write_json(meta, folder / f"{name}.json")
    log.info("installed gazetteer layer %s: %s places from %s", name, written, source)
    return layer


def _existing(path: str | Path) -> Path:
    source = Path(path)
    if not source.is_file():
        raise InputError(f"no such file {source}; give the path of the file to import")
    return source


def _tab_rows(path: Path) -> Iterator[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        for line in fh:
            if line.strip() and not line.startswith("#"):
                yield line.rstrip("\n").split("\t")


def _int(value: str | None) -> int:
    try:
        return int(float(value or 0))
    except ValueError:
        return 0


def _spellings(names: set[str]) -> tuple[str, set[str]]:
    """A Latin display name and the spellings to store, for names in any script.

    Latin names get their press alternatives here; Cyrillic ones are stored as written, since
    the index spells every Cyrillic name out when it is built.
    """
    latin_names = sorted(n for n in names if translit.detect_language(n) == "latin")
    variants = set(names).union(*map(translit.all_variants, latin_names))
    latin = latin_names[0] if latin_names else _first_latin(names)
    if latin.islower():
        latin = re.sub(r"(^|[\s-])(\w)", lambda m: m.group(1) + m.group(2).upper(), latin)
    return latin, variants


def _first_latin(names: set[str]) -> str:
    """The standard Latin spelling of the first (sorted) name."""
    return translit.romanize(sorted(names)[0])


def _unit_name(value: str, kind: str) -> str:
    """Name a unit the built-in gazetteer lacks: "Фатежский район" -> "Fatezhsky District"."""
    stem = re.sub(r"\s+(?:муниципальный\s+)?(?:район|округ|область|р-н)\.?$", "", value.strip())
    latin = translit.romanize(stem) if translit.detect_language(stem) != "latin" else stem
    latin = re.sub(r"(?:iy|yy|ii)$", "y", latin)
    return f"{latin} {'District' if kind == 'district' else 'Oblast'}"


def _admin1_names() -> dict[tuple[str, str], str]:
    from mapper.gazetteer.local import admin1_names

    return admin1_names()


class _RegionNames:
    """Maps region and district names in any script to the canonical ones, when known."""

    def __init__(self) -> None:
        from mapper.gazetteer.local import LocalGazetteer

        self.builtin = LocalGazetteer(layers=[])
        self.memo: dict[tuple[str, str], str] = {}

    def oblast(self, value: str) -> str:
        return self._canonical(value, "oblast", ("область", "region"))

    def district(self, value: str) -> str:
        return self._canonical(value, "district", ("район", "district"))

    def _canonical(self, value: str, kind: str, suffixes: tuple[str, ...]) -> str:
        value = (value or "").strip()
        if not value:
            return ""
        key = (value, kind)
        if key not in self.memo:
            tries = [value] + [f"{value} {s}" for s in suffixes]
            tries += [re.sub(r"\s+муниципальный\s+", " ", value)]
            found = next(
                (c.name for t in tries for c in self.builtin.lookup(t) if c.kind == kind), None
            )
            self.memo[key] = found or _unit_name(value, kind)
        return self.memo[key]
