"""Settings read by every stage at call time.

Each is a module global; set it before calling a stage (``mapper.settings.timeout = 5``) or from
the CLI, which fills them from flags and ``MAPPER_*`` environment variables. An explicit argument
to a function always wins over the setting; ``None`` means "use the setting".

Attributes
----------
cache_folder
    Where the built gazetteer and other caches live. Default: ``$MAPPER_CACHE`` or
    ``~/.cache/frontline-mapper``.
data_folder
    Where imported gazetteer layers and the review overrides file live. Default:
    ``$MAPPER_DATA`` or ``~/.local/share/frontline-mapper``.
overrides_file
    Review overrides applied before automatic place resolution on every run (see
    :mod:`mapper.overrides`). Default: ``$MAPPER_OVERRIDES`` or ``data_folder/overrides.csv``
    when it exists.
use_cache
    Read and write caches. Turning it off rebuilds the gazetteer on every run (slow).
user_agent
    Identifies the mapper to online services. Online geocoders refuse to run while it is left at
    :data:`DEFAULT_USER_AGENT`.
timeout
    Seconds to wait for an online service.
default_tiles
    Background tiles for maps, a folium tile name or ``None`` for no tiles.
focus_regions
    Canonical names of the oblasts the reporting is about. Candidates inside them are preferred
    when a name is ambiguous.
min_place_confidence
    Below this confidence a place name is left unresolved (with its candidates) rather than guessed.
claim_days
    How many days a claim marker stays on the map after its event date.
geocoder
    Online geocoder asked for names no offline gazetteer knows: ``None`` (default, fully
    offline), ``"nominatim"``, ``"photon"`` or ``"geonames"``. From ``$MAPPER_GEOCODER``.
geocoder_domain
    Its address when not the public service (a self-hosted Nominatim), from
    ``$MAPPER_GEOCODER_DOMAIN``.
focus_bbox
    ``(lon_min, lat_min, lon_max, lat_max)`` the online fallback is restricted to.
offline
    Online gazetteers answer from their cache only and never touch the network; a name not in
    the cache then has no candidates. Default: ``$MAPPER_OFFLINE`` (``1`` turns it on), else off.
    Their cache is ``cache_folder / "geocode"``.
geonames_username
    The GeoNames account the ``geonames`` online gazetteer signs its requests with (GeoNames
    refuses anonymous ones; enable the free web services for the account). Default:
    ``$MAPPER_GEONAMES_USERNAME``, else empty.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_USER_AGENT = "frontline-mapper (set mapper.settings.user_agent)"

cache_folder: Path = Path(
    os.environ.get("MAPPER_CACHE", Path.home() / ".cache" / "frontline-mapper")
)
data_folder: Path = Path(
    os.environ.get("MAPPER_DATA", Path.home() / ".local" / "share" / "frontline-mapper")
)
overrides_file: Path | None = (
    Path(os.environ["MAPPER_OVERRIDES"]) if os.environ.get("MAPPER_OVERRIDES") else None
)
use_cache: bool = os.environ.get("MAPPER_USE_CACHE", "1") != "0"
user_agent: str = os.environ.get("MAPPER_USER_AGENT", DEFAULT_USER_AGENT)
timeout: float = float(os.environ.get("MAPPER_TIMEOUT", "10"))
default_tiles: str | None = os.environ.get("MAPPER_TILES", "OpenStreetMap") or None
focus_regions: tuple[str, ...] = (
    "Kursk Oblast",
    "Belgorod Oblast",
    "Bryansk Oblast",
    "Sumy Oblast",
    "Kharkiv Oblast",
    "Chernihiv Oblast",
)
min_place_confidence: float = 0.65
claim_days: int = 30
geocoder: str | None = os.environ.get("MAPPER_GEOCODER") or None
geocoder_domain: str | None = os.environ.get("MAPPER_GEOCODER_DOMAIN") or None
focus_bbox: tuple[float, float, float, float] = (30.0, 48.0, 41.0, 54.0)
offline: bool = os.environ.get("MAPPER_OFFLINE", "0") not in ("", "0")
geonames_username: str = os.environ.get("MAPPER_GEONAMES_USERNAME", "")
