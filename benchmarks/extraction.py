"""End-to-end extraction: articles in, located claims out, with the offline gazetteer.

Articles of about 4 KB are built from the bundled sample (consecutive sample articles joined),
so the text is real reporting; the figure is articles per second on one core through
mentions, claims and geocoding, followed by where the time goes (the slowest functions of a
profile, by their own time).
"""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from typing import Any

import pandas as pd

import mapper
from mapper.mentions import default_gazetteer

_SIZE = 4000


def _articles(count: int) -> pd.DataFrame:
    sample, _ = mapper.articles_from_paths([mapper.datasets.get_path("sample")])
    texts = [str(t) for t in sample["text"]]
    built, i = [], 0
    while len(built) < count:
        parts: list[str] = []
        while sum(map(len, parts)) < _SIZE:
            parts.append(texts[i % len(texts)])
            i += 1
        built.append("\n\n".join(parts)[:_SIZE])
    return pd.DataFrame(
        {
            "url": [f"https://example.test/{n}" for n in range(count)],
            "source": "example.test",
            "published": pd.Timestamp("2025-04-27", tz="UTC"),
            "title": "",
            "text": built,
            "captions": "",
            "path": "",
        },
        index=pd.Index([f"a{n}" for n in range(count)], name="article_id"),
    )


def _extract(articles: pd.DataFrame) -> pd.DataFrame:
    found = mapper.mentions_from_articles(articles)
    claims = mapper.claims_from_articles(articles, found)
    return mapper.located_from_claims(claims, mentions=found)


def run(*, quick: bool = False) -> dict[str, Any]:
    """Time extraction and print the figure and the profile's top entries."""
    default_gazetteer()
    articles = _articles(60 if quick else 300)
    _extract(articles.iloc[:10])
    start = time.perf_counter()
    located = _extract(articles)
    seconds = time.perf_counter() - start
    profile = cProfile.Profile()
    profile.enable()
    _extract(articles.iloc[: max(20, len(articles) // 5)])
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(12)
    top = [line for line in out.getvalue().splitlines() if "/mapper/" in line or "{" in line]
    result = {
        "articles": len(articles),
        "kb_per_article": round(articles["text"].str.len().mean() / 1000, 2),
        "seconds": round(seconds, 3),
        "articles_per_s": round(len(articles) / seconds, 1),
        "claims": len(located),
        "profile_top": top[:12],
    }
    print("extraction")
    print(
        f"  {result['articles']} articles of {result['kb_per_article']} KB: "
        f"{result['articles_per_s']} articles/s ({result['seconds']} s, {len(located)} claims)"
    )
    print("  where the time goes (own time, slowest first):")
    for line in result["profile_top"]:
        print("   ", line.strip()[:150])
    return result
