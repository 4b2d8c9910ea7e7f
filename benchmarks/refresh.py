"""Incremental refresh: 1, 10 and 100 new articles into a store of 20,000, no network.

The store is synthesised, not extracted: the bundled sample is run once through the pipeline,
and its articles, mentions and claims are copied (new article, mention and claim ids, event
dates shifted by up to 300 days) until there are 20,000 articles, inserted through
:meth:`mapper.store.Store.add_articles` and :meth:`~mapper.store.Store.save_extraction`,
and the stored timeline is computed once. To spread claims over places as real reporting
does, every settlement or city of a copy is one of 50 namesakes of the sample's place
(same region, points a few km apart): about 1,500 places. Oblasts stay themselves, so each
oblast carries thousands of claims, as the Kursk region does in real coverage.

Each measurement starts from a copy of that store and times one :func:`mapper.refresh.refresh`
of a folder source holding only the new articles (sample articles under new URLs), with the
default outputs: ``output.tables = false`` (the claim tables are exports of the whole store;
their cost is given apart) and ``map_claims`` 1,000 markers. Figures are printed: seconds,
and the ratio to the 1-article refresh.

Run it alone: ``python -m benchmarks.refresh [--articles 20000]``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import mapper
from mapper import refresh, schema
from mapper.mentions import default_gazetteer
from mapper.store import Store

_NAMESAKES = 50
_COPIES = 80


def _copy(sample: mapper.RunResult, k: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Copy ``k`` of the sample's articles, mentions and claims, under new ids."""
    prefix = f"s{k:05d}"
    shift = pd.Timedelta(days=-(k % 300))
    articles = sample.articles.copy()
    articles.index = prefix + articles.index.str[:10]
    articles.index.name = schema.ARTICLE_ID
    articles["url"] = [f"https://bench.test/{k}/{i}" for i in range(len(articles))]
    articles["published"] += shift
    mentions = sample.mentions.copy()
    mentions.index = prefix + mentions.index.str[:10] + mentions.index.str[16:]
    mentions.index.name = schema.MENTION_ID
    mentions[schema.ARTICLE_ID] = prefix + mentions[schema.ARTICLE_ID].str[:10]
    local = mentions["place_kind"].isin(("settlement", "city")) & mentions["place_id"].notna()
    variant = k % _NAMESAKES
    if variant:
        mentions.loc[local, "place_id"] = mentions.loc[local, "place_id"] + f"~{variant}"
        mentions.loc[local, "place_name"] = mentions.loc[local, "place_name"] + f" {variant}"
        mentions.loc[local, "lat"] += 0.03 * (variant % 7 - 3)
        mentions.loc[local, "lon"] += 0.03 * (variant // 7 - 3)
    claims = sample.claims.copy()
    claims.index = prefix + claims.index.str[:10]
    claims.index.name = schema.CLAIM_ID
    claims[schema.ARTICLE_ID] = prefix + claims[schema.ARTICLE_ID].str[:10]
    claims[schema.MENTION_ID] = np.where(
        claims[schema.MENTION_ID].notna(),
        prefix + claims[schema.MENTION_ID].str[:10] + claims[schema.MENTION_ID].str[16:],
        None,
    )
    chosen = mentions.reindex(claims[schema.MENTION_ID])
    has = chosen["place_id"].notna().to_numpy()
    claims.loc[has, "place_id"] = chosen["place_id"].to_numpy()[has]
    claims.loc[has, "place_name"] = chosen["place_name"].to_numpy()[has]
    claims["event_date"] += shift
    claims["published"] += shift
    claims["url"] = claims[schema.ARTICLE_ID].map(articles["url"])
    return articles, mentions, claims


def build_store(path: Path, count: int) -> dict[str, Any]:
    """Fill a store with ``count`` synthesised articles and compute its timeline."""
    sample = mapper.run(tiles=None)
    per_copy = len(sample.articles)
    start = time.perf_counter()
    with Store(path) as store:
        copies = -(-count // per_copy)
        remaining = count
        for first in range(0, copies, _COPIES):
            parts = [_copy(sample, k) for k in range(first, min(first + _COPIES, copies))]
            articles = pd.concat([p[0] for p in parts]).iloc[:remaining]
            remaining -= len(articles)
            found = pd.concat([p[1] for p in parts])
            claims = pd.concat([p[2] for p in parts])
            keep = articles.index
            store.add_articles(articles)
            store.save_extraction(
                keep, found[found["article_id"].isin(keep)], claims[claims["article_id"].isin(keep)]
            )
        # extracted with today's overrides, lexicon and gazetteer, as a refresh would record
        store.set_setting(refresh.INPUTS_KEY, refresh.extraction_inputs())
        filled = time.perf_counter() - start
        start = time.perf_counter()
        refresh.update_timeline(store)
        # as if refreshed before: the changelog compares with what this run publishes
        status = mapper.status_on(store.timeline(), pd.Timestamp.now(tz="UTC"))
        published = {
            str(p): (str(name), str(controller))
            for p, name, controller in zip(
                status.index, status["place_name"], status["controller"], strict=True
            )
        }
        run_id = store.begin_run()
        store.finish_refresh(run_id, status="ok", counts={}, notes={}, published=published)
        built = {
            "articles": store.count("articles"),
            "claims": store.count("claims"),
            "places": int(store.timeline().index.get_level_values(0).nunique()),
            "insert_s": round(filled, 1),
            "timeline_s": round(time.perf_counter() - start, 1),
        }
    return built


def _new_articles(folder: Path, count: int, batch: int) -> None:
    sample, _ = mapper.articles_from_paths([mapper.datasets.get_path("sample")])
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        article = sample.iloc[i % len(sample)]
        text = str(article["text"])
        (folder / f"new-{batch}-{i}.md").write_text(
            f"---\nurl: https://bench.test/new/{batch}/{i}\n"
            f"published: {article['published'].isoformat()}\n"
            f"title: {article['title']!r}\n---\n{text}\n",
            encoding="utf-8",
        )


def _config(folder: Path, tables: bool) -> Path:
    config = folder / "mapper.toml"
    config.write_text(
        f'store = "store.sqlite"\n[output]\nfolder = "out"\ntiles = "none"\n'
        f"tables = {str(tables).lower()}\n"
        '[[sources]]\nname = "desk"\nkind = "folder"\npath = "in"\n',
        encoding="utf-8",
    )
    return config


def _time_refresh(base: Path, work: Path, new: int, *, tables: bool = False) -> dict[str, Any]:
    if work.exists():
        shutil.rmtree(work)
    work.mkdir()
    shutil.copy(base, work / "store.sqlite")
    _new_articles(work / "in", new, new)
    config = _config(work, tables)
    start = time.perf_counter()
    result = refresh.refresh(config)
    seconds = time.perf_counter() - start
    assert result.counts["added"] == new, result.counts
    with Store(work / "store.sqlite") as store:
        notes = store.runs().iloc[-1]["notes"]
    return {
        "new": new,
        "seconds": round(seconds, 2),
        "places_recomputed": len(result.places),
        "stages": notes["seconds"],
    }


def run(*, quick: bool = False, articles: int | None = None) -> dict[str, Any]:
    """Build the store, time refreshes with 1, 10 and 100 new articles, print the figures."""
    count = articles or (2000 if quick else 20000)
    default_gazetteer()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base = folder / "base.sqlite"
        built = build_store(base, count)
        print("refresh")
        print(
            f"  store: {built['articles']} articles, {built['claims']} claims, "
            f"{built['places']} places (filled in {built['insert_s']} s, "
            f"timeline in {built['timeline_s']} s)"
        )
        _time_refresh(base, folder / "warm", 1)  # imports and caches
        curve = [_time_refresh(base, folder / f"n{n}", n) for n in (1, 10, 100)]
        one = curve[0]["seconds"]
        for point in curve:
            print(
                f"  {point['new']:>3} new: {point['seconds']:6.2f} s  "
                f"(x{point['seconds'] / one:5.1f})  {point['places_recomputed']} places "
                f"recomputed; stages {point['stages']}"
            )
        tables = _time_refresh(base, folder / "tables", 1, tables=True)
        print(f"  1 new with output.tables = true (every claim exported): {tables['seconds']} s")
    return {"store": built, "curve": curve, "one_new_with_tables": tables}


def main() -> None:
    """Command line: ``python -m benchmarks.refresh``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.refresh", description=__doc__)
    parser.add_argument("--articles", type=int, default=20000, help="articles in the store")
    args = parser.parse_args()
    run(articles=args.articles)


if __name__ == "__main__":
    main()
