"""The embedded store: articles, mentions, claims, runs, geocode cache and review overrides.

One SQLite file (standard library :mod:`sqlite3`) keeps what earlier runs read, so a
scheduled refresh only extracts what is new or changed. Every write is one transaction: a
process killed mid-write leaves the store as it was before that write.

Tables
    =============  ==============================================================
    articles       the articles frame plus ``content_hash`` and ``fetched_at``
    mentions       the mentions frame; rows go when their article goes
    claims         the claims frame; rows go when their article goes
    runs           one row per refresh: times, status, counts, ``notes`` (JSON)
    geocode_cache  gazetteer responses (JSON) by request key
    overrides      review overrides (the columns of an overrides file)
    timeline       the timeline frame, spliced place by place by each refresh
    dirty_places   places whose claims changed since their timeline was computed
    region_lending  per oblast, a signature of the whole-region claims its places borrow
                   as of their stored timeline (a change recomputes the whole region)
    published_status  each place's status when the last refresh finished (what the
                   next changelog compares with)
    fetch_state    per URL or file: validators (ETag, Last-Modified, a file's size
                   and time), content hash, last outcome and consecutive failures
    =============  ==============================================================

An article is *pending* until its extraction is saved for its current content
(``extracted_hash`` equals ``content_hash``): a refresh killed between storing an article
and saving its extraction finds it again with :meth:`Store.pending_articles`. Saving an
extraction, and replacing a changed article, mark the places of the old and new claims as
dirty in the same transaction; :meth:`Store.splice_timeline` clears them in the transaction
that stores their new timeline, so a kill at any point leaves them to the next refresh.

Times are stored as ISO 8601 text in UTC and read back as tz-aware UTC datetimes.
The schema version is SQLite's ``user_version``; opening a store applies the pending
:data:`MIGRATIONS` in one transaction.

Examples
--------
>>> import tempfile
>>> from mapper import datasets, ingest
>>> articles, _ = ingest.articles_from_paths([datasets.get_path("sample")])
>>> with tempfile.TemporaryDirectory() as folder:
...     with Store(Path(folder) / "mapper.sqlite") as store:
...         added, changed = store.add_articles(articles)
...         again = store.add_articles(articles)
>>> len(added) == len(articles), changed, again
(True, [], ([], []))
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from mapper import schema
from mapper._errors import ConfigurationError, SchemaError

log = logging.getLogger(__name__)

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE articles (
            article_id TEXT PRIMARY KEY,
            content_hash TEXT NOT NULL,
            url TEXT, source TEXT, title TEXT, text TEXT, captions TEXT, path TEXT,
            published TEXT,
            fetched_at TEXT NOT NULL
        )""",
        """CREATE TABLE mentions (
            mention_id TEXT PRIMARY KEY,
            article_id TEXT NOT NULL REFERENCES articles (article_id) ON DELETE CASCADE,
            surface TEXT, field TEXT, start INTEGER, "end" INTEGER,
            place_id TEXT, place_name TEXT, place_kind TEXT, admin1 TEXT, country TEXT,
            lat REAL, lon REAL, confidence REAL, status TEXT, candidates TEXT, reasons TEXT
        )""",
        "CREATE INDEX mentions_article ON mentions (article_id)",
        """CREATE TABLE claims (
            claim_id TEXT PRIMARY KEY,
            article_id TEXT NOT NULL REFERENCES articles (article_id) ON DELETE CASCADE,
            claimant TEXT, side TEXT, action TEXT, place_name TEXT, place_id TEXT,
            mention_id TEXT, event_date TEXT, date_precision TEXT, asserted_controller TEXT,
            negated INTEGER NOT NULL CHECK (negated IN (0, 1)), negated_by TEXT,
            confidence REAL, evidence TEXT, url TEXT, source TEXT, published TEXT
        )""",
        "CREATE INDEX claims_article ON claims (article_id)",
        "CREATE INDEX claims_place ON claims (place_id)",
        """CREATE TABLE runs (
            run_id INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL DEFAULT 'running',
            read INTEGER, added INTEGER, changed INTEGER, rejected INTEGER,
            notes TEXT NOT NULL DEFAULT '{}'
        )""",
        """CREATE TABLE geocode_cache (
            key TEXT PRIMARY KEY,
            service TEXT NOT NULL,
            query TEXT NOT NULL,
            response TEXT NOT NULL,
            fetched_at TEXT NOT NULL
        )""",
        """CREATE TABLE overrides (
            override_id INTEGER PRIMARY KEY,
            surface TEXT NOT NULL, action TEXT NOT NULL, place_id TEXT, name TEXT,
            lat REAL, lon REAL, kind TEXT, country TEXT, region TEXT, article_id TEXT, note TEXT
        )""",
    ),
    (
        "ALTER TABLE articles ADD COLUMN extracted_hash TEXT",
        "ALTER TABLE articles ADD COLUMN origin TEXT",
        # A store of version 1 kept no mark: articles with mentions count as extracted.
        "UPDATE articles SET extracted_hash = content_hash"
        " WHERE article_id IN (SELECT article_id FROM mentions)",
        "CREATE INDEX articles_pending ON articles (article_id)"
        " WHERE extracted_hash IS NULL OR extracted_hash <> content_hash",
        "CREATE INDEX articles_fetched ON articles (fetched_at)",
        "CREATE INDEX claims_place_name ON claims (place_name)",
        "CREATE INDEX claims_event_date ON claims (event_date)",
        """CREATE TABLE timeline (
            place_id TEXT NOT NULL, valid_from TEXT NOT NULL,
            place_name TEXT, controller TEXT NOT NULL, valid_to TEXT,
            n_claims INTEGER, claim_ids TEXT, sides TEXT, confidence REAL,
            lat REAL, lon REAL, place_kind TEXT, admin1 TEXT,
            PRIMARY KEY (place_id, valid_from)
        )""",
        "CREATE INDEX timeline_admin1 ON timeline (admin1)",
        "CREATE TABLE dirty_places (place_id TEXT PRIMARY KEY)",
        "INSERT INTO dirty_places SELECT DISTINCT place_id FROM claims WHERE place_id IS NOT NULL",
        """CREATE TABLE region_lending (
            place_id TEXT PRIMARY KEY, place_name TEXT NOT NULL, signature TEXT NOT NULL
        )""",
        """CREATE TABLE published_status (
            place_id TEXT PRIMARY KEY, place_name TEXT, controller TEXT NOT NULL
        )""",
        """CREATE TABLE fetch_state (
            key TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            etag TEXT, last_modified TEXT, stamp TEXT, content_hash TEXT,
            status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
            error TEXT,
            failures INTEGER NOT NULL DEFAULT 0,
            checked_at TEXT NOT NULL
        )""",
    ),
    ("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",),
)
"""Schema migrations in order: migration ``n`` (0-based) brings ``user_version`` to ``n + 1``."""

SCHEMA_VERSION = len(MIGRATIONS)
RUN_STATUSES = ("ok", "partial", "failed")
RUN_COUNTS = ("read", "added", "changed", "rejected")
_TABLES = (
    "articles",
    "mentions",
    "claims",
    "runs",
    "geocode_cache",
    "overrides",
    "timeline",
    "dirty_places",
    "fetch_state",
    "published_status",
    "region_lending",
    "settings",
)

_TIMES = ("published", "event_date", "started_at", "finished_at", "valid_from", "valid_to")
_INTEGERS = ("start", "end", "n_claims")
_FLOATS = ("lat", "lon", "confidence")
_TEXT_DTYPE = pd.Series(["text"]).dtype  # what this pandas infers for strings
_PENDING = "extracted_hash IS NULL OR extracted_hash <> content_hash"
_TIMELINE_PLACE = ("lat", "lon", "place_kind", "admin1")


@dataclass(frozen=True)
class FetchState:
    """What the store remembers about one URL or file between refreshes.

    Attributes
    ----------
    key
        The URL, or the file's path.
    source
        Name of the configured source that fetched it last.
    etag, last_modified
        The HTTP validators the server gave, sent back as ``If-None-Match`` and
        ``If-Modified-Since``.
    stamp
        Another validator: a file's size and modification time, a feed entry's update time.
    content_hash
        SHA-1 of the last body read.
    status
        ``ok`` or ``failed`` (retried on the next refresh).
    error
        What went wrong the last time, when it failed.
    failures
        Consecutive failures (0 after a success).
    """

    key: str
    source: str
    etag: str | None = None
    last_modified: str | None = None
    stamp: str | None = None
    content_hash: str | None = None
    status: str = "ok"
    error: str | None = None
    failures: int = 0


def content_hash(title: str, text: str, captions: str) -> str:
    """SHA-1 of an article's text, captions and title: what tells a changed article apart.

    Examples
    --------
    >>> content_hash("T", "body", "") == content_hash("T", "body", "")
    True
    """
    return hashlib.sha1("\x1f".join((text, captions, title)).encode()).hexdigest()


class Store:
    """The SQLite file that keeps articles, mentions, claims and runs between refreshes.

    Parameters
    ----------
    path
        Database file; created (with its folder) when missing.
    busy_timeout
        Seconds to wait for another process's write lock before giving up.

    Raises
    ------
    ConfigurationError
        The file is not a mapper store, or a newer mapper wrote it.
    """

    def __init__(self, path: str | Path, *, busy_timeout: float = 10.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None)
        try:
            self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                log.warning("%s: journal mode is %s, not WAL (file system?)", self.path, mode)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as err:
            self._db.close()
            raise ConfigurationError(
                f"{self.path} is not a mapper store ({err}); point to another file or remove it"
            ) from err
        except BaseException:
            self._db.close()
            raise

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the database connection (closing twice is harmless)."""
        self._db.close()

    @property
    def schema_version(self) -> int:
        """The store's schema version (SQLite ``user_version``)."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        with self._transaction() as db:
            found = self.schema_version
            if found > SCHEMA_VERSION:
                raise ConfigurationError(
                    f"{self.path} has schema version {found}, this mapper knows up to "
                    f"{SCHEMA_VERSION}; upgrade the mapper (pip install -U frontline-mapper)"
                )
            for version in range(found, SCHEMA_VERSION):
                for statement in MIGRATIONS[version]:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {version + 1}")
                log.info("%s: migrated to schema version %d", self.path, version + 1)

    def add_articles(
        self, articles: pd.DataFrame, *, origin: str | None = None
    ) -> tuple[list[str], list[str]]:
        """Insert new articles and replace changed ones, in one transaction.

        An article has changed when its id is stored with another :func:`content_hash`; its
        old mentions and claims are deleted with it (their places become dirty). Unchanged
        articles are left alone. New and changed articles are pending until their extraction
        is saved.

        Parameters
        ----------
        articles
            An articles frame (see :mod:`mapper.schema`).
        origin
            Name of the configured source the articles came from (kept per article).

        Returns
        -------
        tuple[list[str], list[str]]
            The ids added and the ids changed, in input order: those to extract again.
        """
        schema.validate_articles(articles)
        texts = articles[["title", "text", "captions"]].fillna("").astype(str)
        hashes = {
            str(article_id): content_hash(title, text, captions)
            for article_id, title, text, captions in texts.itertuples(name=None)
        }
        with self._transaction() as db:
            stored = dict(
                db.execute(
                    "SELECT article_id, content_hash FROM articles"
                    " WHERE article_id IN (SELECT value FROM json_each(?))",
                    (json.dumps(list(hashes)),),
                ).fetchall()
            )
            added = [i for i in hashes if i not in stored]
            changed = [i for i in hashes if i in stored and stored[i] != hashes[i]]
            db.execute(
                "INSERT OR IGNORE INTO dirty_places SELECT DISTINCT place_id FROM claims"
                " WHERE place_id IS NOT NULL"
                " AND article_id IN (SELECT value FROM json_each(?))",
                (json.dumps(changed),),
            )
            db.execute(
                "DELETE FROM articles WHERE article_id IN (SELECT value FROM json_each(?))",
                (json.dumps(changed),),
            )
            rows = _rows(articles.loc[added + changed], schema.ARTICLE_ID, schema.ARTICLE_COLUMNS)
            now = _now()
            db.executemany(
                "INSERT INTO articles (article_id, url, source, published, title, text, "
                "captions, path, content_hash, fetched_at, origin)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (row + (hashes[row[0]], now, origin) for row in rows),
            )
        log.info(
            "articles: %d added, %d changed, %d unchanged",
            len(added),
            len(changed),
            len(hashes) - len(added) - len(changed),
        )
        return added, changed

    def save_extraction(
        self, article_ids: Iterable[str], mentions: pd.DataFrame, claims: pd.DataFrame
    ) -> None:
        """Replace the mentions and claims of ``article_ids``, all in one transaction.

        Either the whole batch is stored or, on any error, nothing changes. Saving the same
        batch again stores the same rows (claim and mention ids are stable). The articles stop
        being pending, and the places of their old and new claims become dirty.

        Parameters
        ----------
        article_ids
            Articles whose extraction this is; each must be stored (:meth:`add_articles`).
            An article without rows in ``mentions`` and ``claims`` is left with none.
        mentions
            Their mentions frame (see :mod:`mapper.schema`).
        claims
            Their claims frame (see :mod:`mapper.schema`).

        Raises
        ------
        SchemaError
            A frame breaks its schema, has rows of other articles, or names articles that
            are not stored.
        """
        ids = list(dict.fromkeys(str(i) for i in article_ids))
        schema.validate_mentions(mentions)
        schema.validate_claims(claims)
        for name, frame in (("mentions", mentions), ("claims", claims)):
            if frame.index.has_duplicates:
                repeated = sorted(set(frame.index[frame.index.duplicated()]))
                raise SchemaError(f"{name} ids repeat: {repeated[:5]}; drop the duplicate rows")
            stray = sorted(set(frame[schema.ARTICLE_ID]) - set(ids))
            if stray:
                raise SchemaError(
                    f"{name} has rows of articles {stray[:5]} that are not in article_ids; "
                    "pass their ids too or drop those rows"
                )
        batch = json.dumps(ids)
        try:
            with self._transaction() as db:
                (known,) = db.execute(
                    "SELECT count(*) FROM articles"
                    " WHERE article_id IN (SELECT value FROM json_each(?))",
                    (batch,),
                ).fetchone()
                if known != len(ids):
                    missing = sorted(set(ids) - set(self._article_ids()))
                    raise SchemaError(
                        f"articles {missing[:5]} are not stored; add them with add_articles() "
                        "before saving their extraction"
                    )
                db.execute(
                    "INSERT OR IGNORE INTO dirty_places SELECT DISTINCT place_id FROM claims"
                    " WHERE place_id IS NOT NULL"
                    " AND article_id IN (SELECT value FROM json_each(?))",
                    (batch,),
                )
                for table in ("mentions", "claims"):
                    db.execute(
                        f"DELETE FROM {table} WHERE article_id IN (SELECT value FROM json_each(?))",
                        (batch,),
                    )
                _insert(db, "mentions", mentions, schema.MENTION_ID, schema.MENTION_COLUMNS)
                _insert(db, "claims", claims, schema.CLAIM_ID, schema.CLAIM_COLUMNS)
                db.executemany(
                    "INSERT OR IGNORE INTO dirty_places (place_id) VALUES (?)",
                    ((str(p),) for p in claims[schema.PLACE_ID].dropna().unique()),
                )
                db.execute(
                    "UPDATE articles SET extracted_hash = content_hash"
                    " WHERE article_id IN (SELECT value FROM json_each(?))",
                    (batch,),
                )
        except sqlite3.IntegrityError as err:
            raise SchemaError(
                f"could not save the extraction of {len(ids)} articles ({err}); an id is "
                "already stored for another article: save that article in the same batch"
            ) from err
        log.info(
            "saved %d mentions and %d claims of %d articles", len(mentions), len(claims), len(ids)
        )

    def articles(self) -> pd.DataFrame:
        """The stored articles.

        Returns
        -------
        pandas.DataFrame
            The articles frame (see :mod:`mapper.schema`).
        """
        return self._frame("articles", schema.ARTICLE_ID, schema.ARTICLE_COLUMNS, None)

    def mentions(self, article_ids: Iterable[str] | None = None) -> pd.DataFrame:
        """The stored mentions, of ``article_ids`` only when given.

        Returns
        -------
        pandas.DataFrame
            The mentions frame (see :mod:`mapper.schema`).
        """
        return self._frame("mentions", schema.MENTION_ID, schema.MENTION_COLUMNS, article_ids)

    def claims(self, article_ids: Iterable[str] | None = None) -> pd.DataFrame:
        """The stored claims, of ``article_ids`` only when given.

        Returns
        -------
        pandas.DataFrame
            The claims frame (see :mod:`mapper.schema`).
        """
        return self._frame("claims", schema.CLAIM_ID, schema.CLAIM_COLUMNS, article_ids)

    def places_of(self, article_ids: Iterable[str]) -> set[str]:
        """The place ids the claims of ``article_ids`` are about: what a refresh recomputes.

        Call it before :meth:`add_articles` too, for the places of the claims that a
        changed article is about to lose.
        """
        rows = self._db.execute(
            "SELECT DISTINCT place_id FROM claims WHERE place_id IS NOT NULL"
            " AND article_id IN (SELECT value FROM json_each(?))",
            (json.dumps([str(i) for i in article_ids]),),
        )
        return {place_id for (place_id,) in rows}

    def pending_articles(self) -> pd.DataFrame:
        """The articles whose extraction is not saved for their current content.

        New and changed articles, including those a killed refresh stored but did not
        extract.

        Returns
        -------
        pandas.DataFrame
            The articles frame (see :mod:`mapper.schema`), oldest first.
        """
        return self._select(
            "articles", schema.ARTICLE_ID, schema.ARTICLE_COLUMNS, f"WHERE {_PENDING}", ()
        )

    def setting(self, key: str) -> str | None:
        """A value the store keeps between runs (see :meth:`set_setting`)."""
        row = self._db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_setting(self, key: str, value: str) -> None:
        """Keep ``value`` under ``key``."""
        with self._transaction() as db:
            _put_setting(db, key, value)

    def reextract_all(self, key: str, value: str) -> int:
        """Mark every stored article for extraction and keep ``value`` under ``key``, at once.

        Returns
        -------
        int
            How many articles are now pending.
        """
        with self._transaction() as db:
            db.execute("UPDATE articles SET extracted_hash = NULL")
            _put_setting(db, key, value)
        return self.count("articles")

    def count(self, table: str) -> int:
        """The number of rows of ``table`` (one of the store's tables)."""
        if table not in _TABLES:
            raise ConfigurationError(f"there is no table {table!r}; expected one of {_TABLES}")
        return int(self._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    def claims_about(
        self, place_ids: Iterable[str], *, place_names: Iterable[str] = ()
    ) -> pd.DataFrame:
        """The stored claims about ``place_ids``, and those whose place is named ``place_names``.

        Returns
        -------
        pandas.DataFrame
            The claims frame (see :mod:`mapper.schema`).
        """
        return self._claims_where(
            "WHERE place_id IN (SELECT value FROM json_each(?))"
            " OR place_name IN (SELECT value FROM json_each(?))",
            (json.dumps([str(i) for i in place_ids]), json.dumps([str(n) for n in place_names])),
        )

    def claims_for_timeline(
        self, place_ids: Iterable[str] | None, *, place_names: Iterable[str] = ()
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """What the timeline reads of the claims about ``place_ids``: a fast, narrow read.

        Like :meth:`claims_about` (every claim when ``place_ids`` is ``None``), with the
        places of their mentions joined in SQL.

        Returns
        -------
        claims : pandas.DataFrame
            The claims frame (see :mod:`mapper.schema`) with the text the timeline does not
            read left empty: ``claimant``, ``negated_by``, ``evidence``, ``url``, ``source``
            and ``published``.
        mentions : pandas.DataFrame
            The mentions frame of their mentions with only the place columns filled
            (``place_id``, ``place_name``, ``place_kind``, ``admin1``, ``country``, ``lat``,
            ``lon``, ``status``): enough for :func:`mapper.geocode.located_from_claims`.
        """
        kept = ("side", "action", "place_name", "place_id", "mention_id", "event_date",
                "date_precision", "asserted_controller", "negated", "confidence")  # fmt: skip
        place = ("place_id", "place_name", "place_kind", "admin1", "country", "lat", "lon",
                 "status")  # fmt: skip
        where, params = "", []
        if place_ids is not None:
            where = (
                "WHERE c.place_id IN (SELECT value FROM json_each(?))"
                " OR c.place_name IN (SELECT value FROM json_each(?))"
            )
            params = [
                json.dumps([str(i) for i in place_ids]),
                json.dumps([str(n) for n in place_names]),
            ]
        columns = ", ".join(f"c.{_quote(c)}" for c in ("claim_id", "article_id", *kept))
        joined = ", ".join(f"m.{_quote(c)}" for c in place)
        rows = self._db.execute(
            f"SELECT {columns}, {joined} FROM claims c"
            f" LEFT JOIN mentions m ON m.mention_id = c.mention_id {where} ORDER BY c.rowid",
            params,
        ).fetchall()
        names = [schema.CLAIM_ID, schema.ARTICLE_ID, *kept, *(f"m_{c}" for c in place)]
        table = pd.DataFrame.from_records(rows, columns=names)
        claims = table[[schema.CLAIM_ID, schema.ARTICLE_ID, *kept]]
        claims = claims.set_index(schema.CLAIM_ID)
        for column in schema.CLAIM_COLUMNS:
            if column not in claims.columns:
                claims[column] = None
        claims = _typed(claims[list(schema.CLAIM_COLUMNS)])
        found = table[table["mention_id"].notna()].drop_duplicates("mention_id")
        mentions = pd.DataFrame(
            {c: found[f"m_{c}"].to_numpy() for c in place},
            index=pd.Index(found["mention_id"].to_numpy(), name=schema.MENTION_ID),
        )
        for column in schema.MENTION_COLUMNS:
            if column not in mentions.columns:
                mentions[column] = None
        mentions = mentions[list(schema.MENTION_COLUMNS)]
        mentions["start"] = 0
        mentions["end"] = 0
        return claims, _typed(mentions)

    def recent_claims(self, limit: int) -> pd.DataFrame:
        """The ``limit`` claims with the latest event dates (undated ones last).

        Returns
        -------
        pandas.DataFrame
            The claims frame (see :mod:`mapper.schema`).
        """
        return self._claims_where(
            "WHERE claim_id IN (SELECT claim_id FROM claims"
            " ORDER BY event_date IS NULL, event_date DESC LIMIT ?)",
            (int(limit),),
        )

    def mentions_by_id(self, mention_ids: Iterable[str]) -> pd.DataFrame:
        """The stored mentions with the ids ``mention_ids``.

        Returns
        -------
        pandas.DataFrame
            The mentions frame (see :mod:`mapper.schema`).
        """
        return self._select(
            "mentions",
            schema.MENTION_ID,
            schema.MENTION_COLUMNS,
            "WHERE mention_id IN (SELECT value FROM json_each(?))",
            (json.dumps([str(i) for i in mention_ids if isinstance(i, str)]),),
        )

    def dirty_places(self) -> set[str]:
        """Places whose claims changed since their stored timeline was computed."""
        return {p for (p,) in self._db.execute("SELECT place_id FROM dirty_places")}

    def timeline_places(self, admin1: Iterable[str]) -> set[str]:
        """Places of the stored timeline that lie in the oblasts named ``admin1``."""
        rows = self._db.execute(
            "SELECT DISTINCT place_id FROM timeline"
            " WHERE admin1 IN (SELECT value FROM json_each(?))",
            (json.dumps([str(a) for a in admin1]),),
        )
        return {p for (p,) in rows}

    def timeline_regions(self, place_ids: Iterable[str]) -> set[str]:
        """The names of the oblasts among ``place_ids`` that have a stored timeline."""
        rows = self._db.execute(
            "SELECT DISTINCT place_name FROM timeline WHERE place_kind = 'oblast'"
            " AND place_id IN (SELECT value FROM json_each(?))",
            (json.dumps([str(i) for i in place_ids]),),
        )
        return {name for (name,) in rows}

    def timeline(self, place_ids: Iterable[str] | None = None) -> gpd.GeoDataFrame:
        """The stored timeline, of ``place_ids`` only when given.

        Returns
        -------
        geopandas.GeoDataFrame
            The timeline frame (see :mod:`mapper.schema`), sorted by place and date.
        """
        where, params = "", []
        if place_ids is not None:
            where = "WHERE place_id IN (SELECT value FROM json_each(?))"
            params = [json.dumps([str(i) for i in place_ids])]
        columns = [
            schema.VALID_FROM,
            *(c for c in schema.TIMELINE_COLUMNS if c != "geometry"),
            "lat",
            "lon",
        ]
        frame = self._select("timeline", schema.PLACE_ID, columns, where, tuple(params))
        frame = frame.reset_index().sort_values([schema.PLACE_ID, schema.VALID_FROM])
        geometry = [Point(lon, lat) for lon, lat in zip(frame["lon"], frame["lat"], strict=True)]
        timeline = gpd.GeoDataFrame(
            frame.drop(columns=["lat", "lon"]).set_index([schema.PLACE_ID, schema.VALID_FROM]),
            geometry=geometry,
            crs="EPSG:4326",
        )
        return timeline[list(schema.TIMELINE_COLUMNS)]

    def splice_timeline(
        self,
        place_ids: Iterable[str],
        timeline: gpd.GeoDataFrame,
        places: pd.DataFrame,
        *,
        regions: dict[str, tuple[str, str]] | None = None,
    ) -> None:
        """Replace the stored timeline of ``place_ids`` by ``timeline``, in one transaction.

        The places stop being dirty in the same transaction.

        Parameters
        ----------
        place_ids
            The places recomputed; a place without rows in ``timeline`` loses its timeline.
        timeline
            Their new timeline frame (see :mod:`mapper.schema`).
        places
            Indexed by ``place_id``, with the ``place_kind`` and ``admin1`` of every place of
            ``timeline`` (what a refresh needs to find the places inside a region).
        regions
            ``place_id -> (name, signature)`` of the oblasts whose whole-region claims the
            new timeline lends (see :meth:`region_signatures`).

        Raises
        ------
        SchemaError
            ``timeline`` breaks its schema or has rows of other places.
        """
        ids = json.dumps(sorted({str(i) for i in place_ids}))
        schema.validate_timeline(timeline)
        stray = set(timeline.index.get_level_values(schema.PLACE_ID)) - set(json.loads(ids))
        if stray:
            raise SchemaError(
                f"timeline has rows of places {sorted(stray)[:5]} that are not in place_ids; "
                "pass their ids too or drop those rows"
            )
        table = pd.DataFrame(timeline.drop(columns="geometry"))
        table["lat"] = [
            p.y if p is not None and not p.is_empty else None for p in timeline.geometry
        ]
        table["lon"] = [
            p.x if p is not None and not p.is_empty else None for p in timeline.geometry
        ]
        flat = table.reset_index()
        known = places.reindex(index=flat[schema.PLACE_ID], columns=["place_kind", "admin1"])
        flat["place_kind"] = known["place_kind"].to_numpy()
        flat["admin1"] = known["admin1"].to_numpy()
        columns = [c for c in flat.columns if c != schema.PLACE_ID]
        with self._transaction() as db:
            db.execute(
                "DELETE FROM timeline WHERE place_id IN (SELECT value FROM json_each(?))", (ids,)
            )
            _insert(db, "timeline", flat.set_index(schema.PLACE_ID), schema.PLACE_ID, columns)
            db.execute(
                "DELETE FROM dirty_places WHERE place_id IN (SELECT value FROM json_each(?))",
                (ids,),
            )
            db.executemany(
                "INSERT OR REPLACE INTO region_lending (place_id, place_name, signature)"
                " VALUES (?,?,?)",
                ((p, name, signature) for p, (name, signature) in (regions or {}).items()),
            )

    def region_signatures(self, place_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """``place_id -> (name, signature)`` stored for the oblasts among ``place_ids``."""
        rows = self._db.execute(
            "SELECT place_id, place_name, signature FROM region_lending"
            " WHERE place_id IN (SELECT value FROM json_each(?))",
            (json.dumps([str(i) for i in place_ids]),),
        )
        return {p: (name, signature) for p, name, signature in rows}

    def fetch_states(self, keys: Iterable[str]) -> dict[str, FetchState]:
        """What the store remembers about the URLs or files ``keys`` (absent: never fetched)."""
        rows = self._db.execute(
            "SELECT key, source, etag, last_modified, stamp, content_hash, status, error,"
            " failures FROM fetch_state WHERE key IN (SELECT value FROM json_each(?))",
            (json.dumps([str(k) for k in keys]),),
        )
        return {row[0]: FetchState(*row) for row in rows}

    def failed_fetches(self, source: str) -> list[FetchState]:
        """The URLs or files of ``source`` whose last fetch failed: to retry."""
        rows = self._db.execute(
            "SELECT key, source, etag, last_modified, stamp, content_hash, status, error,"
            " failures FROM fetch_state WHERE source = ? AND status = 'failed' ORDER BY key",
            (source,),
        )
        return [FetchState(*row) for row in rows]

    def record_fetches(self, states: Iterable[FetchState]) -> None:
        """Remember the outcome of fetches, in one transaction.

        A failure keeps the validators of the last success (so the next request is still
        conditional) and counts up ``failures``; a success resets it.
        """
        now = _now()
        with self._transaction() as db:
            for state in states:
                if state.status == "ok":
                    db.execute(
                        "INSERT OR REPLACE INTO fetch_state (key, source, etag, last_modified,"
                        " stamp, content_hash, status, error, failures, checked_at)"
                        " VALUES (?,?,?,?,?,?,'ok',NULL,0,?)",
                        (
                            state.key,
                            state.source,
                            state.etag,
                            state.last_modified,
                            state.stamp,
                            state.content_hash,
                            now,
                        ),
                    )
                else:
                    db.execute(
                        "INSERT INTO fetch_state (key, source, status, error, failures,"
                        " checked_at) VALUES (?,?,'failed',?,1,?) ON CONFLICT (key) DO UPDATE"
                        " SET source = excluded.source, status = 'failed',"
                        " error = excluded.error, failures = failures + 1,"
                        " checked_at = excluded.checked_at",
                        (state.key, state.source, state.error, now),
                    )

    def published_status(self) -> dict[str, str]:
        """Each place's status when the last refresh finished, by ``place_id``."""
        rows = self._db.execute("SELECT place_id, controller FROM published_status")
        return dict(rows.fetchall())

    def new_claims_since(self, fetched_after: str | None) -> pd.DataFrame:
        """The claims of articles stored (fetched) after the time ``fetched_after``.

        Parameters
        ----------
        fetched_after
            An ISO 8601 UTC time as the store writes it; ``None`` for every claim.

        Returns
        -------
        pandas.DataFrame
            The claims frame (see :mod:`mapper.schema`).
        """
        return self._claims_where(
            "WHERE article_id IN (SELECT article_id FROM articles WHERE fetched_at > ?)",
            (fetched_after or "",),
        )

    def close_interrupted_runs(self) -> list[int]:
        """Mark runs still ``running`` as failed (call it only while holding the refresh lock).

        Returns
        -------
        list[int]
            Their ids: runs killed before they could record their end.
        """
        with self._transaction() as db:
            ids = [i for (i,) in db.execute("SELECT run_id FROM runs WHERE status = 'running'")]
            db.execute(
                "UPDATE runs SET status = 'failed', notes = json_set(notes, '$.interrupted', 1)"
                " WHERE status = 'running'"
            )
        return ids

    def finish_refresh(
        self,
        run_id: int,
        *,
        status: str,
        counts: dict[str, int],
        notes: dict[str, Any],
        published: dict[str, tuple[str, str]],
    ) -> None:
        """Record the end of a refresh and the statuses it published, in one transaction.

        Parameters
        ----------
        run_id
            What :meth:`begin_run` returned.
        status
            One of :data:`RUN_STATUSES`.
        counts
            The :data:`RUN_COUNTS` of the run.
        notes
            What else the run record keeps (JSON).
        published
            ``place_id -> (place_name, controller)``: every place's status in the outputs.
        """
        if status not in RUN_STATUSES:
            raise ConfigurationError(f"status {status!r} is not one of {RUN_STATUSES}")
        with self._transaction() as db:
            db.execute(
                "UPDATE runs SET finished_at = ?, status = ?, read = ?, added = ?, "
                "changed = ?, rejected = ?, notes = ? WHERE run_id = ?",
                (
                    _now(),
                    status,
                    *(int(counts.get(c, 0)) for c in RUN_COUNTS),
                    json.dumps(notes, default=str),
                    run_id,
                ),
            )
            db.execute("DELETE FROM published_status")
            db.executemany(
                "INSERT INTO published_status (place_id, place_name, controller) VALUES (?,?,?)",
                ((p, name, controller) for p, (name, controller) in published.items()),
            )

    def last_run(self) -> dict[str, Any] | None:
        """The latest refresh that completed (``ok`` or ``partial``), or ``None``.

        Runs whose notes name another ``command`` (``mapper run --store`` records
        ``{"command": "run"}``) are not refreshes and are passed over.

        Returns
        -------
        dict or None
            ``run_id``, ``started_at``, ``finished_at`` (ISO 8601 text) and ``status``.
        """
        row = self._db.execute(
            "SELECT run_id, started_at, finished_at, status FROM runs"
            " WHERE status IN ('ok', 'partial')"
            " AND coalesce(json_extract(notes, '$.command'), 'refresh') = 'refresh'"
            " ORDER BY run_id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        return dict(zip(("run_id", "started_at", "finished_at", "status"), row, strict=True))

    def begin_run(self) -> int:
        """Record the start of a refresh and return its ``run_id``."""
        with self._transaction() as db:
            cursor = db.execute("INSERT INTO runs (started_at) VALUES (?)", (_now(),))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def finish_run(
        self,
        run_id: int,
        *,
        status: str,
        read: int,
        added: int,
        changed: int,
        rejected: int,
        notes: dict[str, Any] | None = None,
    ) -> None:
        """Record the end of the refresh ``run_id``.

        Parameters
        ----------
        run_id
            What :meth:`begin_run` returned.
        status
            One of :data:`RUN_STATUSES`.
        read, added, changed, rejected
            Articles read, added, changed and rejected by the run.
        notes
            Anything else worth keeping (stored as JSON).
        """
        if status not in RUN_STATUSES:
            raise ConfigurationError(f"status {status!r} is not one of {RUN_STATUSES}")
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE runs SET finished_at = ?, status = ?, read = ?, added = ?, "
                "changed = ?, rejected = ?, notes = ? WHERE run_id = ?",
                (_now(), status, read, added, changed, rejected, json.dumps(notes or {}), run_id),
            )
            if cursor.rowcount != 1:
                raise ConfigurationError(f"there is no run {run_id}; start one with begin_run()")

    def runs(self) -> pd.DataFrame:
        """The recorded runs, oldest first.

        Returns
        -------
        pandas.DataFrame
            Index ``run_id``; columns ``started_at``, ``finished_at`` (UTC, ``NaT`` while
            running), ``status``, the counts of :data:`RUN_COUNTS` (nullable integers) and
            ``notes`` (dicts).
        """
        columns = ("started_at", "finished_at", "status", *RUN_COUNTS, "notes")
        frame = self._frame("runs", "run_id", columns, None)
        frame[list(RUN_COUNTS)] = frame[list(RUN_COUNTS)].astype("Int64")
        frame["notes"] = frame["notes"].map(json.loads).astype(object)
        return frame

    def _article_ids(self) -> list[str]:
        return [i for (i,) in self._db.execute("SELECT article_id FROM articles")]

    def _frame(
        self,
        table: str,
        index: str,
        columns: Iterable[str],
        article_ids: Iterable[str] | None,
    ) -> pd.DataFrame:
        if article_ids is None:
            return self._select(table, index, columns, "", ())
        where = "WHERE article_id IN (SELECT value FROM json_each(?))"
        return self._select(
            table, index, columns, where, (json.dumps([str(i) for i in article_ids]),)
        )

    def _claims_where(self, where: str, params: tuple[Any, ...]) -> pd.DataFrame:
        return self._select("claims", schema.CLAIM_ID, schema.CLAIM_COLUMNS, where, params)

    def _select(
        self,
        table: str,
        index: str,
        columns: Iterable[str],
        where: str,
        params: tuple[Any, ...],
    ) -> pd.DataFrame:
        names = [index, *columns]
        sql = f"SELECT {', '.join(_quote(c) for c in names)} FROM {table} {where}"
        rows = self._db.execute(sql + " ORDER BY rowid", params).fetchall()
        return _typed(pd.DataFrame.from_records(rows, columns=names).set_index(index))


def _put_setting(db: sqlite3.Connection, key: str, value: str) -> None:
    db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, value))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Give the columns read from SQLite their frame types (times UTC, text as strings)."""
    for column in frame.columns:
        if column in _TIMES:
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
        elif column in _INTEGERS:
            frame[column] = frame[column].astype("int64")
        elif column in _FLOATS:
            frame[column] = frame[column].astype("float64")
        elif column == "negated":
            frame[column] = frame[column].astype(bool)
        elif column not in RUN_COUNTS:
            frame[column] = frame[column].astype(_TEXT_DTYPE)
    return frame


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _quote(name: str) -> str:
    return f'"{name}"'


def _rows(frame: pd.DataFrame, index: str, columns: Iterable[str]) -> list[tuple[Any, ...]]:
    table = frame.reset_index()[[index, *columns]]
    for column in table.columns:
        if pd.api.types.is_datetime64_any_dtype(table[column].dtype):
            if not isinstance(table[column].dtype, pd.DatetimeTZDtype):
                raise SchemaError(
                    f"column {column!r} holds naive times; make them UTC first, "
                    f"e.g. frame[{column!r}].dt.tz_localize('UTC')"
                )
            times = table[column].dt.tz_convert("UTC")
            table[column] = times.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ").astype(object)
    if "negated" in table.columns:
        table["negated"] = table["negated"].astype(bool).astype(int)
    return list(table.astype(object).where(table.notna(), None).itertuples(index=False, name=None))


def _insert(
    db: sqlite3.Connection, table: str, frame: pd.DataFrame, index: str, columns: Iterable[str]
) -> None:
    names = [index, *columns]
    db.executemany(
        f"INSERT INTO {table} ({', '.join(_quote(c) for c in names)})"
        f" VALUES ({', '.join('?' for _ in names)})",
        _rows(frame, index, names[1:]),
    )
