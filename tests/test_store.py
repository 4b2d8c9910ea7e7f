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


def test_pending_articles_and_dirty_places(store: Store, sample: mapper.RunResult) -> None:
    added, _ = store.add_articles(sample.articles)
    assert list(store.pending_articles().index) == added
    first = added[:5]
    rows = sample.claims["article_id"].isin(first)
    store.save_extraction(
        first, sample.mentions[sample.mentions["article_id"].isin(first)], sample.claims[rows]
    )
    assert list(store.pending_articles().index) == added[5:]
    assert store.dirty_places() == set(sample.claims.loc[rows, "place_id"].dropna())

    # a changed article is pending again and its old places are dirty
    store.splice_timeline(store.dirty_places(), sample.timeline.iloc[:0], pd.DataFrame())
    assert store.dirty_places() == set()
    edited = sample.articles.loc[first[:1]].copy()
    edited["text"] += " More."
    assert store.add_articles(edited) == ([], first[:1])
    assert first[0] in store.pending_articles().index
    old = sample.claims.loc[sample.claims["article_id"] == first[0], "place_id"].dropna()
    assert store.dirty_places() == set(old)


def test_stored_timeline_round_trip(filled: Store, sample: mapper.RunResult) -> None:
    places = sample.located.groupby("place_id")[["place_kind", "admin1"]].first()
    every = set(sample.timeline.index.get_level_values(0))
    filled.splice_timeline(every, sample.timeline, places)
    got = filled.timeline()
    schema.validate_timeline(got)
    expected = sample.timeline.sort_index()
    pd.testing.assert_frame_equal(
        pd.DataFrame(got).drop(columns="geometry"),
        pd.DataFrame(expected).drop(columns="geometry").astype(got.dtypes.drop("geometry")),
        check_index_type=False,
    )
    assert got.geometry.geom_equals_exact(expected.geometry, 1e-9).all()
    oblasts = set(places.loc[places["place_kind"] == "oblast", "admin1"])
    inside = filled.timeline_places(oblasts)
    assert inside and inside <= every
    with pytest.raises(mapper.SchemaError, match="not in place_ids"):
        filled.splice_timeline([], sample.timeline, places)
    filled.splice_timeline(every, sample.timeline.iloc[:0], places)
    assert filled.timeline().empty


def test_fetch_state_keeps_validators_through_failures(store: Store) -> None:
    from mapper.store import FetchState

    url = "https://example.test/feed"
    store.record_fetches([FetchState(url, "wire", etag='"v1"', content_hash="abc")])
    store.record_fetches([FetchState(url, "wire", status="failed", error="HTTP 503")])
    store.record_fetches([FetchState(url, "wire", status="failed", error="timed out")])
    state = store.fetch_states([url, "https://example.test/other"])
    assert list(state) == [url]
    assert (state[url].status, state[url].failures, state[url].error) == ("failed", 2, "timed out")
    assert state[url].etag == '"v1"'
    assert [s.key for s in store.failed_fetches("wire")] == [url]
    store.record_fetches([FetchState(url, "wire", etag='"v2"')])
    state = store.fetch_states([url])
    assert (state[url].status, state[url].failures, state[url].etag) == ("ok", 0, '"v2"')
    assert store.failed_fetches("wire") == []


def test_version_1_store_is_migrated(tmp_path: Path) -> None:
    from mapper.store import MIGRATIONS

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        db.execute(statement)
    db.execute("PRAGMA user_version = 1")
    for article in ("done", "todo"):
        db.execute(
            "INSERT INTO articles (article_id, content_hash, fetched_at) VALUES (?, 'h', 'now')",
            (article,),
        )
    db.execute("INSERT INTO mentions (mention_id, article_id) VALUES ('done:0', 'done')")
    db.execute(
        "INSERT INTO claims (claim_id, article_id, place_id, negated) VALUES ('c', 'done', 'p', 0)"
    )
    db.commit()
    db.close()
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert list(store.pending_articles().index) == ["todo"]
        assert store.dirty_places() == {"p"}


def test_interrupted_runs_are_closed(store: Store) -> None:
    killed = store.begin_run()
    assert store.close_interrupted_runs() == [killed]
    runs = store.runs()
    assert runs.loc[killed, "status"] == "failed"
    assert runs.loc[killed, "notes"] == {"interrupted": 1}
    assert store.last_run() is None
    done = store.begin_run()
    store.finish_refresh(
        done, status="ok", counts={"added": 2}, notes={}, published={"p": ("P", "UA")}
    )
    assert store.last_run()["run_id"] == done  # type: ignore[index]
    assert store.published_status() == {"p": "UA"}
    assert store.count("runs") == 2
    with pytest.raises(mapper.ConfigurationError, match="no table"):
        store.count("people")


def test_narrow_read_for_the_timeline(filled: Store, sample: mapper.RunResult) -> None:
    claims, found = filled.claims_for_timeline(None)
    schema.validate_claims(claims)
    schema.validate_mentions(found)
    assert list(claims.index) == list(sample.claims.index)
    assert claims["evidence"].isna().all()
    located = mapper.located_from_claims(claims, mentions=found)
    assert (located["geocode_status"] == sample.located["geocode_status"]).all()
    assert located.geometry.geom_equals_exact(sample.located.geometry, 1e-9).all()
    pd.testing.assert_frame_equal(
        pd.DataFrame(mapper.timeline_from_located(located)), pd.DataFrame(sample.timeline)
    )
    some = sample.claims["place_id"].dropna().iloc[:2].tolist()
    narrow, _ = filled.claims_for_timeline(some, place_names=["Kursk Oblast"])
    wanted = sample.claims["place_id"].isin(some) | (sample.claims["place_name"] == "Kursk Oblast")
    assert set(narrow.index) == set(sample.claims.index[wanted])
