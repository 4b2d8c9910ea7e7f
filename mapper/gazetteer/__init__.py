"""Gazetteer backends: where place names are looked up.

``get_gazetteer("local")`` is the offline default; backends register themselves by name.
"""

from __future__ import annotations

from mapper.gazetteer.base import Candidate, Gazetteer, backends, get_gazetteer
from mapper.gazetteer.local import LocalGazetteer, distance_km
from mapper.gazetteer.online import OnlineGazetteer

__all__ = [
    "Candidate",
    "Gazetteer",
    "LocalGazetteer",
    "OnlineGazetteer",
    "backends",
    "distance_km",
    "get_gazetteer",
]
