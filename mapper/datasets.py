"""Bundled data, so that every example runs offline (``datasets.get_path("sample")``)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

_PATHS = {
    "sample": "articles",
    "gazetteer": "gazetteer/places.csv",
    "actors": "lexicon/actors.csv",
    "actions": "lexicon/actions.csv",
    "cues": "lexicon/cues.csv",
}


def available() -> list[str]:
    """Names accepted by :func:`get_path`."""
    return sorted(_PATHS)


def get_path(name: str) -> Path:
    """Return the path of a bundled dataset.

    Parameters
    ----------
    name
        One of :func:`available`: ``"sample"`` (folder of sample articles), ``"gazetteer"``
        (curated places CSV), ``"actors"``, ``"actions"`` and ``"cues"`` (claim lexicons).

    Returns
    -------
    pathlib.Path
        Where the data is installed.

    Examples
    --------
    >>> get_path("sample").is_dir()
    True
    """
    try:
        relative = _PATHS[name]
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}; expected one of {available()}") from None
    return Path(str(files("mapper.data").joinpath(relative)))
