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
    =============  ==============================================================

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
from pathlib import Path
from types import TracebackType
from typing import Any

import pandas as pd

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
)
"""Schema migrations in order: migration ``n`` (0-based) brings ``user_version`` to ``n + 1``."""

SCHEMA_VERSION = len(MIGRATIONS)
RUN_STATUSES = ("ok", "partial", "failed")
RUN_COUNTS = ("read", "added", "changed", "rejected")

_TIMES = ("published", "event_date", "started_at", "finished_at")
_INTEGERS = ("start", "end")
_FLOATS = ("lat", "lon", "confidence")
_TEXT_DTYPE = pd.Series(["text"]).dtype  # what this pandas infers for strings


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

    def add_articles(self, articles: pd.DataFrame) -> tuple[list[str], list[str]]:
        """Insert new articles and replace changed ones, in one transaction.

        An article has changed when its id is stored with another :func:`content_hash`; its
        old mentions and claims are deleted with it. Unchanged articles are left alone.

        Parameters
        ----------
        articles
            An articles frame (see :mod:`mapper.schema`).

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
                "DELETE FROM articles WHERE article_id IN (SELECT value FROM json_each(?))",
                (json.dumps(changed),),
            )
            rows = _rows(articles.loc[added + changed], schema.ARTICLE_ID, schema.ARTICLE_COLUMNS)
            now = _now()
            db.executemany(
                "INSERT INTO articles (article_id, url, source, published, title, text, "
                "captions, path, content_hash, fetched_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (row + (hashes[row[0]], now) for row in rows),
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
        batch again stores the same rows (claim and mention ids are stable).

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
                for table in ("mentions", "claims"):
                    db.execute(
                        f"DELETE FROM {table} WHERE article_id IN (SELECT value FROM json_each(?))",
                        (batch,),
                    )
                _insert(db, "mentions", mentions, schema.MENTION_ID, schema.MENTION_COLUMNS)
                _insert(db, "claims", claims, schema.CLAIM_ID, schema.CLAIM_COLUMNS)
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
        frame = self._frame("claims", schema.CLAIM_ID, schema.CLAIM_COLUMNS, article_ids)
        frame["negated"] = frame["negated"].astype(bool)
        return frame

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
        names = [index, *columns]
        sql = f"SELECT {', '.join(_quote(c) for c in names)} FROM {table}"
        params: tuple[str, ...] = ()
        if article_ids is not None:
            sql += " WHERE article_id IN (SELECT value FROM json_each(?))"
            params = (json.dumps([str(i) for i in article_ids]),)
        rows = self._db.execute(sql + " ORDER BY rowid", params).fetchall()
        frame = pd.DataFrame.from_records(rows, columns=names).set_index(index)
        for column in frame.columns:
            if column in _TIMES:
                frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
            elif column in _INTEGERS:
                frame[column] = frame[column].astype("int64")
            elif column in _FLOATS:
                frame[column] = frame[column].astype("float64")
            elif column not in ("negated", *RUN_COUNTS):
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
