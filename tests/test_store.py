"""The embedded store: round trips, replacement of changed articles, runs, migrations, crashes."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import mapper
from mapper import schema
from mapper.store import SCHEMA_VERSION, Store

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sample() -> mapper.RunResult:
    return mapper.run(tiles=None)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "mapper.sqlite") as opened:
        yield opened


@pytest.fixture
def filled(store: Store, sample: mapper.RunResult) -> Store:
    added, _ = store.add_articles(sample.articles)
    store.save_extraction(added, sample.mentions, sample.claims)
    return store


def _same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Compare frames, allowing another datetime resolution (pandas picks it per source)."""
    pd.testing.assert_frame_equal(got, expected.astype(got.dtypes.to_dict()))


def test_round_trip_gives_the_schema_frames(filled: Store, sample: mapper.RunResult) -> None:
    articles, mentions, claims = filled.articles(), filled.mentions(), filled.claims()
    schema.validate_articles(articles)
    schema.validate_mentions(mentions)
    schema.validate_claims(claims)
    assert str(claims["event_date"].dtype).endswith(", UTC]")
    assert claims["negated"].dtype == bool
    _same(articles, sample.articles)
    _same(mentions, sample.mentions)
    _same(claims, sample.claims)


def test_filter_by_article(filled: Store, sample: mapper.RunResult) -> None:
    some = list(sample.articles.index[:3])
    _same(filled.claims(some), sample.claims[sample.claims["article_id"].isin(some)])
    _same(filled.mentions(some), sample.mentions[sample.mentions["article_id"].isin(some)])
    assert filled.claims([]).empty


def test_adding_again_changes_nothing(filled: Store, sample: mapper.RunResult) -> None:
    assert filled.add_articles(sample.articles) == ([], [])
    filled.save_extraction(sample.articles.index, sample.mentions, sample.claims)
    assert len(filled.claims()) == len(sample.claims)
    assert len(filled.mentions()) == len(sample.mentions)


def test_changed_article_loses_its_rows(filled: Store, sample: mapper.RunResult) -> None:
    target = sample.claims["article_id"].iloc[0]
    edited = sample.articles.copy()
    edited.loc[target, "text"] += " Correction: the village was not taken."
    edited.loc[target, "published"] += pd.Timedelta(hours=1)
    assert filled.add_articles(edited) == ([], [target])
    assert filled.articles().loc[target, "text"] == edited.loc[target, "text"]
    assert target not in set(filled.claims()["article_id"])
    assert target not in set(filled.mentions()["article_id"])
    others = sample.claims[sample.claims["article_id"] != target]
    _same(filled.claims(), others)

    filled.save_extraction([target], sample.mentions.iloc[:0], sample.claims.iloc[:0])
    assert filled.claims([target]).empty


def test_new_article_is_added(store: Store, sample: mapper.RunResult) -> None:
    first, rest = sample.articles.iloc[:5], sample.articles.iloc[5:]
    assert store.add_articles(first) == (list(first.index), [])
    assert store.add_articles(sample.articles) == (list(rest.index), [])


def test_failed_batch_leaves_previous_rows(filled: Store, sample: mapper.RunResult) -> None:
    first, second = sample.claims["article_id"].unique()[:2]
    stolen = sample.claims[sample.claims["article_id"] == first].copy()
    stolen["article_id"] = second  # ids already stored for the first article
    before = filled.claims()
    with pytest.raises(mapper.SchemaError, match="same batch"):
        filled.save_extraction([second], sample.mentions.iloc[:0], stolen)
    _same(filled.claims(), before)


@pytest.mark.parametrize(
    ("ids", "match"),
    [([], "not in article_ids"), (["unknown"], "add them with add_articles")],
)
def test_save_extraction_errors(
    filled: Store, sample: mapper.RunResult, ids: list[str], match: str
) -> None:
    claims = sample.claims.iloc[:0] if ids else sample.claims
    with pytest.raises(mapper.SchemaError, match=match):
        filled.save_extraction(ids, sample.mentions.iloc[:0], claims)


def test_naive_times_are_refused(filled: Store, sample: mapper.RunResult) -> None:
    claims = sample.claims.copy()
    claims["published"] = claims["published"].dt.tz_localize(None)
    with pytest.raises(mapper.SchemaError, match="tz_localize"):
        filled.save_extraction(sample.articles.index, sample.mentions, claims)


def test_places_of(filled: Store, sample: mapper.RunResult) -> None:
    some = list(sample.articles.index[:4])
    rows = sample.claims[sample.claims["article_id"].isin(some)]
    assert filled.places_of(some) == set(rows["place_id"].dropna())
    assert filled.places_of([]) == set()


def test_runs_are_recorded(store: Store) -> None:
    first = store.begin_run()
    store.finish_run(
        first, status="ok", read=3, added=2, changed=1, rejected=0, notes={"places": 4}
    )
    second = store.begin_run()
    runs = store.runs()
    assert list(runs.index) == [first, second]
    assert runs.loc[first, "status"] == "ok"
    assert runs.loc[first, "added"] == 2
    assert runs.loc[first, "notes"] == {"places": 4}
    assert runs.loc[second, "status"] == "running"
    assert runs["finished_at"].isna().loc[second]
    assert (runs["finished_at"] >= runs["started_at"]).loc[first]
    with pytest.raises(mapper.ConfigurationError, match="begin_run"):
        store.finish_run(99, status="ok", read=0, added=0, changed=0, rejected=0)
    with pytest.raises(mapper.ConfigurationError, match="not one of"):
        store.finish_run(second, status="done", read=0, added=0, changed=0, rejected=0)


def _tables(path: Path) -> list[tuple[str, str]]:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
    finally:
        db.close()


def test_migrating_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "mapper.sqlite"
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        pragmas = ("journal_mode", "foreign_keys")
        found = [store._db.execute(f"PRAGMA {p}").fetchone()[0] for p in pragmas]
        assert found == ["wal", 1]
    tables = _tables(path)
    assert {"articles", "mentions", "claims", "runs", "geocode_cache", "overrides"} <= {
        name for name, _ in tables
    }
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
    assert _tables(path) == tables


def test_newer_store_asks_for_an_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "mapper.sqlite"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(mapper.ConfigurationError, match="upgrade the mapper"):
        Store(path)


def test_other_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database, just a long enough line of text " * 20)
    with pytest.raises(mapper.ConfigurationError, match="not a mapper store"):
        Store(path)


def batch_frames(
    n_articles: int, per_article: int, batch: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Articles, mentions and claims whose evidence names the ``batch`` they were saved in."""
    ids = [f"a{i:04d}" for i in range(n_articles)]
    published = pd.Timestamp("2024-05-01", tz="UTC")
    articles = pd.DataFrame(
        {
            "url": [f"https://example.test/{i}" for i in ids],
            "source": "example.test",
            "published": published,
            "title": "",
            "text": "Russian forces captured Vovchansk.",
            "captions": "",
            "path": "",
        },
        index=pd.Index(ids, name=schema.ARTICLE_ID),
    )
    mentions = pd.DataFrame(
        {
            schema.ARTICLE_ID: ids,
            "surface": "Vovchansk",
            "field": "text",
            "start": 24,
            "end": 33,
            "place_id": "ua-vovchansk",
            "place_name": "Vovchansk",
            "place_kind": "city",
            "admin1": "Kharkiv Oblast",
            "country": "UA",
            "lat": 50.29,
            "lon": 36.94,
            "confidence": 0.9,
            "status": "resolved",
            "candidates": "",
            "reasons": f"batch {batch}",
        },
        index=pd.Index([f"{i}:24" for i in ids], name=schema.MENTION_ID),
    )
    rows = [(i, k) for i in ids for k in range(per_article)]
    claims = pd.DataFrame(
        {
            schema.ARTICLE_ID: [i for i, _ in rows],
            "claimant": "the outlet",
            "side": "RU",
            "action": "captured",
            "place_name": "Vovchansk",
            "place_id": [f"place-{k}" for _, k in rows],
            "mention_id": [f"{i}:24" for i, _ in rows],
            "event_date": published,
            "date_precision": "day",
            "asserted_controller": "RU",
            "negated": False,
            "negated_by": None,
            "confidence": 0.8,
            "evidence": f"batch {batch}",
            "url": "https://example.test/",
            "source": "example.test",
            "published": published,
        },
        index=pd.Index([f"{i}-{k}" for i, k in rows], name=schema.CLAIM_ID),
    )
    return articles, mentions, claims


CHILD = """
import sys
from tests.test_store import batch_frames
from mapper.store import Store

path, n_articles, per_article = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with Store(path) as store:
    articles, _, _ = batch_frames(n_articles, per_article, 0)
    store.add_articles(articles)
    batch = 0
    while True:
        batch += 1
        _, mentions, claims = batch_frames(n_articles, per_article, batch)
        store.save_extraction(articles.index, mentions, claims)
        print(batch, flush=True)
"""


def test_killed_writer_leaves_whole_batches(tmp_path: Path) -> None:
    path = tmp_path / "mapper.sqlite"
    n_articles, per_article = 100, 30
    paths = [str(ROOT), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    for _ in range(3):
        with subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path), str(n_articles), str(per_article)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as child:
            assert child.stdout is not None and child.stderr is not None
            ready = child.stdout.readline()
            if not ready:
                pytest.fail(f"the writer stopped before saving: {child.stderr.read()}")
            time.sleep(random.uniform(0.0, 0.4))
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=10)
            printed = [ready, *child.stdout.read().split()]
        assert child.returncode == -signal.SIGKILL
        last = int(printed[-1])

        db = sqlite3.connect(path)
        try:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert db.execute("PRAGMA foreign_key_check").fetchall() == []
            per_batch = db.execute(
                "SELECT evidence, count(*), count(DISTINCT article_id), count(DISTINCT claim_id)"
                " FROM claims GROUP BY evidence"
            ).fetchall()
            (mention_batches,) = db.execute(
                "SELECT count(DISTINCT reasons) FROM mentions"
            ).fetchone()
        finally:
            db.close()
        # one whole batch: every article has all its claims, all from the same save
        total = n_articles * per_article
        assert len(per_batch) == 1, per_batch
        evidence, *counts = per_batch[0]
        assert evidence in (f"batch {last}", f"batch {last + 1}")  # printed, or saved only
        assert counts == [total, n_articles, total]
        assert mention_batches == 1

    with Store(path) as store:
        claims = store.claims()
        schema.validate_claims(claims)
        assert not claims.index.has_duplicates
        assert claims.groupby("article_id").size().eq(per_article).all()
