"""frontline-mapper: read war reporting, map who claims control of what, and when.

The pipeline runs one stage per module, each taking and returning documented frames
(:mod:`mapper.schema`)::

    articles, rejected = mapper.ingest.articles_from_paths([...])
    mentions = mapper.mentions.mentions_from_articles(articles)
    claims = mapper.extract.claims_from_articles(articles, mentions)
    located = mapper.geocode.located_from_claims(claims, mentions=mentions)
    timeline = mapper.timeline.timeline_from_located(located)
    fmap = mapper.render.timeline_map(timeline, claims=located)

or all at once: ``result = mapper.run(out="outputs")``.
"""

from __future__ import annotations

import importlib
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

from mapper._errors import (
    ConfigurationError,
    GazetteerRateLimited,
    GazetteerUnavailable,
    InputError,
    MapperError,
    RefreshLocked,
    SchemaError,
    TimeZoneWarning,
)

if TYPE_CHECKING:
    from mapper import (
        areas,
        borders,
        control,
        datasets,
        evaluate,
        export,
        extract,
        gazetteer,
        geocode,
        ingest,
        io,
        mentions,
        overlays,
        refresh,
        render,
        schema,
        settings,
        sources,
        store,
        timeline,
    )
    from mapper.areas import areas_from_statuses, front_line
    from mapper.borders import country_shapes
    from mapper.control import areas_over_time, front_lines_over_time
    from mapper.extract import claims_from_articles
    from mapper.geocode import located_from_claims
    from mapper.ingest import articles_from_paths
    from mapper.mentions import mentions_from_articles, unresolved_names
    from mapper.pipeline import RunResult, run
    from mapper.render import timeline_map
    from mapper.store import Store
    from mapper.timeline import changes_between, status_on, timeline_from_located

# The stages load on first use, so that a process that needs one of them (the gazetteer, the
# command line) does not pay for the map and geometry libraries of the others.
_FROM = {
    "areas_from_statuses": "areas",
    "front_line": "areas",
    "country_shapes": "borders",
    "areas_over_time": "control",
    "front_lines_over_time": "control",
    "claims_from_articles": "extract",
    "located_from_claims": "geocode",
    "articles_from_paths": "ingest",
    "mentions_from_articles": "mentions",
    "unresolved_names": "mentions",
    "RunResult": "pipeline",
    "run": "pipeline",
    "timeline_map": "render",
    "Store": "store",
    "changes_between": "timeline",
    "status_on": "timeline",
    "timeline_from_located": "timeline",
}


def __getattr__(name: str) -> Any:
    if name in _FROM:
        value = getattr(importlib.import_module(f"mapper.{_FROM[name]}"), name)
        globals()[name] = value
        return value
    if name in __all__:  # the public names not defined here nor in _FROM are the stages
        return importlib.import_module(f"mapper.{name}")
    raise AttributeError(f"module 'mapper' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__version__ = version("frontline-mapper")

__all__ = [
    "ConfigurationError",
    "GazetteerRateLimited",
    "GazetteerUnavailable",
    "InputError",
    "MapperError",
    "RefreshLocked",
    "RunResult",
    "SchemaError",
    "Store",
    "TimeZoneWarning",
    "areas",
    "areas_from_statuses",
    "areas_over_time",
    "articles_from_paths",
    "borders",
    "changes_between",
    "claims_from_articles",
    "control",
    "country_shapes",
    "datasets",
    "evaluate",
    "export",
    "extract",
    "front_line",
    "front_lines_over_time",
    "gazetteer",
    "geocode",
    "ingest",
    "io",
    "located_from_claims",
    "mentions",
    "mentions_from_articles",
    "overlays",
    "refresh",
    "render",
    "run",
    "schema",
    "settings",
    "sources",
    "status_on",
    "store",
    "timeline",
    "timeline_from_located",
    "timeline_map",
    "unresolved_names",
]
