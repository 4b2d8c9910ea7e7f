"""Settings read by every stage at call time.

Each is a module global; set it before calling a stage (``mapper.settings.timeout = 5``) or from
the CLI, which fills them from flags and ``MAPPER_*`` environment variables. An explicit argument
to a function always wins over the setting; ``None`` means "use the setting".

Attributes
----------
cache_folder
    Where the built gazetteer and other caches live. Default: ``$MAPPER_CACHE`` or
    ``~/.cache/frontline-mapper``.
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
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_USER_AGENT = "frontline-mapper (set mapper.settings.user_agent)"

cache_folder: Path = Path(
    os.environ.get("MAPPER_CACHE", Path.home() / ".cache" / "frontline-mapper")
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
min_place_confidence: float = 0.55
claim_days: int = 30
