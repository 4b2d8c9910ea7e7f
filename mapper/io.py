"""Writing results: maps and tables, each written to a temporary file and then renamed.

A crash or a kill mid-write never leaves a half-written output behind: readers see the old file
or the new one.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mapper._errors import ConfigurationError

if TYPE_CHECKING:
    import folium
    import geopandas as gpd
    import pandas as pd

_EXTERNAL = re.compile(
    r'<script\s+src="(?P<js>https?://[^"]+)"\s*>\s*</script>'
    r'|<link\s+rel="stylesheet"\s+href="(?P<css>https?://[^"]+)"\s*/?>'
)


def atomic_write(
    path: str | Path, write: Callable[[Path], object], *, suffix: str = ".tmp"
) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path``.

    Parameters
    ----------
    path
        The final file.
    write
        Writes the content to the path it is given.
    suffix
        Ending of the temporary file's name (GDAL wants ``.gpkg`` for a GeoPackage).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=suffix)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        # mkstemp creates 0600; outputs are meant to be shared like any file the user writes.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_text(path: str | Path, text: str) -> Path:
    """Atomically write UTF-8 text."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_map(fmap: folium.Map, path: str | Path, *, self_contained: bool = False) -> Path:
    """Save a map as HTML.

    Parameters
    ----------
    fmap
        The map (from :func:`mapper.render.timeline_map`).
    path
        The HTML file to write.
    self_contained
        Inline every script and stylesheet (from the folium-offline package) so the page
        works with no network; only background tiles, if any, still need one.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    page = fmap.get_root().render()
    if self_contained:
        page = inline_resources(page)
    return write_text(path, page)


def inline_resources(page: str) -> str:
    """Replace the CDN ``<script src>`` and stylesheet links of a folium page by their content.

    Raises
    ------
    ConfigurationError
        When a resource is not bundled in folium-offline (a plugin newer than it).
    """
    from offlinefolium.elements import _res as bundled

    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        url = match.group("js") or match.group("css")
        content = bundled.get(url)
        if content is None:
            missing.append(url)
            return match.group(0)
        # A literal "</script" inside inlined code would end the element early.
        if match.group("js"):
            return "<script>" + content.replace("</script", "<\\/script") + "</script>"
        return "<style>" + content + "</style>"

    inlined = _EXTERNAL.sub(replace, page)
    if missing:
        raise ConfigurationError(
            f"cannot inline {missing}: folium-offline does not bundle them; "
            "upgrade folium-offline or save without self_contained"
        )
    return inlined


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Atomically write a frame as CSV (index included, geometry as WKT)."""
    # Imported here: the gazetteer and the command line write files through this module
    # without loading the table libraries (a caller with a frame has them loaded already).
    import geopandas as gpd
    import pandas as pd

    table = pd.DataFrame(frame)
    if isinstance(frame, gpd.GeoDataFrame):
        table = table.assign(geometry=frame.geometry.to_wkt())
    return atomic_write(path, lambda tmp: table.to_csv(tmp, encoding="utf-8"))


def write_geojson(frame: gpd.GeoDataFrame, path: str | Path) -> Path:
    """Atomically write a GeoDataFrame as GeoJSON (rows without a point are left out)."""
    import pandas as pd  # see write_table

    located = frame[~frame.geometry.is_empty].reset_index()
    for column in located.columns:
        if pd.api.types.is_datetime64_any_dtype(located[column]):
            located[column] = located[column].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return atomic_write(path, lambda tmp: tmp.write_text(located.to_json(), encoding="utf-8"))


def write_json(data: dict[str, Any], path: str | Path) -> Path:
    """Atomically write a JSON document."""
    return write_text(path, json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")
