"""Scheduled refresh: incremental work, feeds and pages, failures, crashes, overlap, the loop.

Feeds and pages come from a local server (failures retried, conditional requests); a refresh
is killed mid-way, two run at once, and the --every loop is stopped with SIGTERM.

Every server these tests talk to is started here on 127.0.0.1 and stopped at the end.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

import mapper
from mapper import refresh, schema
from mapper.cli import EXIT_LOCKED, EXIT_OK, EXIT_REJECTED, main
from mapper.store import Store

ROOT = Path(__file__).resolve().parents[1]


# -- a local site ------------------------------------------------------------------------


class Site:
    """Pages served by a local HTTP server; tests change them between refreshes."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes, str, float]] = {}
        self.hits: Counter[tuple[str, int]] = Counter()
        self.base = ""

    def page(
        self,
        path: str,
        body: str,
        *,
        status: int = 200,
        kind: str = "text/html",
        delay: float = 0.0,
    ) -> None:
        """Serve ``body`` at ``path`` (after ``delay`` seconds)."""
        self.routes[path] = (status, body.encode("utf-8"), kind, delay)

    def url(self, path: str) -> str:
        """The address of ``path`` on the server."""
        return self.base + path


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body, kind, delay = site.routes.get(
                self.path, (404, b"not found", "text/plain", 0.0)
            )
            if delay:
                time.sleep(delay)
            etag = '"' + hashlib.sha1(body).hexdigest() + '"'
            if status == 200 and self.headers.get("If-None-Match") == etag:
                site.hits[(self.path, 304)] += 1
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            site.hits[(self.path, status)] += 1
            self.send_response(status)
            self.send_header("Content-Type", kind + "; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            if status == 200:
                self.send_header("ETag", etag)
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that timed out and closed is expected


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    served = Site()
    server = _Server(("127.0.0.1", 0), _handler(served))
    served.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def sample_articles() -> pd.DataFrame:
    articles, _ = mapper.articles_from_paths([mapper.datasets.get_path("sample")])
    return articles


def _with_claims(articles: pd.DataFrame) -> pd.DataFrame:
    found = mapper.mentions_from_articles(articles)
    claims = mapper.claims_from_articles(articles, found)
    return articles.loc[articles.index.isin(claims["article_id"])]


def article_page(article: pd.Series) -> str:
    paragraphs = "".join(
        f"<p>{html.escape(p.strip())}</p>" for p in str(article["text"]).split("\n") if p.strip()
    )
    title = html.escape(str(article["title"]) or "Report")
    day = article["published"].date().isoformat()
    return (
        f"<html><head><title>{title}</title>"
        f'<meta property="article:published_time" content="{day}"></head>'
        f"<body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    )


def rss(site: Site, entries: list[tuple[str, pd.Series]]) -> str:
    items = "".join(
        f"<item><title>{html.escape(str(a['title']) or 'Report')}</title>"
        f"<link>{site.url(path)}</link><guid>{site.url(path)}</guid>"
        f"<pubDate>{format_datetime(a['published'].to_pydatetime(), usegmt=True)}</pubDate>"
        "<description>Summary.</description></item>"
        for path, a in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Test wire</title><link>{site.base}/</link><description>test</description>"
        f"{items}</channel></rss>"
    )


def write_config(tmp_path: Path, sources: str, *, tables: bool = True) -> Path:
    file = tmp_path / "mapper.toml"
    file.write_text(
        f'store = "mapper.sqlite"\n[output]\nfolder = "out"\ntiles = "none"\n'
        f"tables = {str(tables).lower()}\n" + sources,
        encoding="utf-8",
    )
    return file


def folder_config(tmp_path: Path, **kwargs: bool) -> Path:
    (tmp_path / "in").mkdir(exist_ok=True)
    return write_config(
        tmp_path, '[[sources]]\nname = "desk"\nkind = "folder"\npath = "in"\n', **kwargs
    )


def copy_articles(sample_dir: Path, target: Path, names: list[str]) -> None:
    for name in names:
        (target / name).write_bytes((sample_dir / name).read_bytes())


SAMPLE = Path(mapper.datasets.get_path("sample"))
SAMPLE_FILES = sorted(p.name for p in SAMPLE.iterdir() if p.suffix in (".md", ".txt"))


def normalised(timeline: pd.DataFrame) -> pd.DataFrame:
    """A timeline with claim ids sorted within each status (the order of ties is not kept)."""
    frame = pd.DataFrame(timeline).copy()
    frame["claim_ids"] = frame["claim_ids"].map(lambda ids: ";".join(sorted(ids.split(";"))))
    frame["geometry"] = frame.geometry.map(lambda p: (round(p.x, 6), round(p.y, 6)))
    frame.index = frame.index.set_levels(
        [frame.index.levels[0].astype(str), frame.index.levels[1].as_unit("us")]
    )
    return frame.sort_index()


def assert_same_timeline(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    a, b = normalised(got), normalised(expected)
    pd.testing.assert_frame_equal(a, b.astype(a.dtypes.to_dict()), check_index_type=False)


def full_timeline(store: Store) -> pd.DataFrame:
    located = refresh.located_from_store(store, store.claims())
    return mapper.timeline_from_located(located)


# -- incremental work -----------------------------------------------------------------------


def test_incremental_timeline_equals_full_recomputation(tmp_path: Path) -> None:
    config = folder_config(tmp_path, tables=False)
    inbox = tmp_path / "in"
    chunks = [SAMPLE_FILES[:8], SAMPLE_FILES[8:9], SAMPLE_FILES[9:17], SAMPLE_FILES[17:]]
    recomputed = []
    for chunk in chunks:
        copy_articles(SAMPLE, inbox, chunk)
        result = refresh.refresh(config)
        assert result.status == "ok"
        assert result.counts["added"] == len(chunk)
        recomputed.append(len(result.places))
        with Store(tmp_path / "mapper.sqlite") as store:
            assert store.dirty_places() == set()
            assert store.pending_articles().empty
            assert_same_timeline(store.timeline(), full_timeline(store))
    with Store(tmp_path / "mapper.sqlite") as store:
        total_places = store.timeline().index.get_level_values(0).nunique()
    # one article touches fewer places than the whole store holds
    assert recomputed[1] < total_places
    # and the stored timeline equals what `mapper run` computes from the same files
    with Store(tmp_path / "mapper.sqlite") as store:
        assert_same_timeline(store.timeline(), mapper.run([inbox], tiles=None).timeline)

    # an edited article replaces its claims; its places are recomputed
    edited = inbox / SAMPLE_FILES[0]
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text + "\nUkrainian forces captured Sudzha, the ministry said.\n")
    result = refresh.refresh(config)
    assert result.counts["changed"] == 1 and result.counts["added"] == 0
    with Store(tmp_path / "mapper.sqlite") as store:
        assert_same_timeline(store.timeline(), full_timeline(store))
        claims = store.claims()
        assert not claims.index.has_duplicates

    # nothing new: nothing read, nothing recomputed, an empty changelog
    result = refresh.refresh(config)
    assert result.counts == {"read": 0, "added": 0, "changed": 0, "rejected": 0}
    assert result.places == set()
    assert result.changelog["new_claims"] == [] and result.changelog["places_changed"] == []


def test_outputs_and_changelog(tmp_path: Path) -> None:
    config = folder_config(tmp_path)
    inbox = tmp_path / "in"
    copy_articles(SAMPLE, inbox, SAMPLE_FILES[:-1])
    first = refresh.refresh(config)
    out = tmp_path / "out"
    names = {"map.html", "timeline.csv", "changelog.json", "report.json", "claims.csv"}
    assert names | {"claims.geojson"} <= {p.name for p in out.iterdir()}
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left
    log = json.loads((out / "changelog.json").read_text())
    with Store(tmp_path / "mapper.sqlite") as store:
        assert log["since"] is None and len(log["new_claims"]) == len(store.claims())
    assert all(c["before"] is None for c in log["places_changed"])
    assert first.changelog["places_changed"]

    copy_articles(SAMPLE, inbox, SAMPLE_FILES[-1:])
    second = refresh.refresh(config)
    log = json.loads((out / "changelog.json").read_text())
    with Store(tmp_path / "mapper.sqlite") as store:
        last = store.articles().loc[lambda a: a["path"].str.endswith(SAMPLE_FILES[-1])].index[0]
        assert {c["claim_id"] for c in log["new_claims"]} == set(store.claims([last]).index)
        runs = store.runs()
    assert log["since"] is not None and log["run_id"] == second.run_id
    for change in log["places_changed"]:
        assert change["before"] != change["after"]
    page = (out / "map.html").read_text()
    assert "Changes since the last refresh" in page
    assert page.count('"kind": "claim"') == len([c for c in log["new_claims"] if c["place_id"]])
    assert page.count('"kind": "claim"') > 0
    report = json.loads((out / "report.json").read_text())
    assert report["run_id"] == second.run_id and report["articles"]["added"] == 1
    assert list(runs["status"]) == ["ok", "ok"]
    assert runs["added"].tolist() == [len(SAMPLE_FILES) - 1, 1]
    assert runs.iloc[1]["notes"]["sources"]["desk"]["not_modified"] == len(SAMPLE_FILES) - 1


def test_map_claims_bounds_the_markers(tmp_path: Path) -> None:
    config = tmp_path / "mapper.toml"
    (tmp_path / "in").mkdir()
    copy_articles(SAMPLE, tmp_path / "in", SAMPLE_FILES)
    config.write_text(
        '[output]\nfolder = "out"\ntiles = "none"\nmap_claims = 5\ntables = false\n'
        '[[sources]]\nname = "desk"\nkind = "folder"\npath = "in"\n'
    )
    refresh.refresh(config)
    page = (tmp_path / "out" / "map.html").read_text()
    assert page.count('"claim_id"') <= 5
    assert not (tmp_path / "out" / "claims.csv").exists()
    assert not (tmp_path / "out" / "timeline.csv").exists()


def test_run_can_keep_a_store(tmp_path: Path) -> None:
    store_file = tmp_path / "kept.sqlite"
    code = main(
        ["run", "--out", str(tmp_path / "out"), "--tiles", "none", "--store", str(store_file), "-q"]
    )
    assert code == EXIT_OK
    result = mapper.run(tiles=None)
    with Store(store_file) as store:
        assert len(store.articles()) == len(result.articles)
        assert set(store.claims().index) == set(result.claims.index)
        assert store.pending_articles().empty
        assert_same_timeline(store.timeline(), result.timeline)
        assert store.runs()["notes"].iloc[0] == {"command": "run"}
    # running again adds nothing
    assert (
        main(
            [
                "run",
                "--out",
                str(tmp_path / "out"),
                "--tiles",
                "none",
                "--store",
                str(store_file),
                "-q",
            ]
        )
        == EXIT_OK
    )
    with Store(store_file) as store:
        assert store.runs()["added"].tolist() == [len(result.articles), 0]
        assert store.last_run() is None  # runs of `mapper run` are not refreshes

    # a refresh of that store reports what `mapper run` added since the last refresh
    (tmp_path / "in").mkdir()
    config = write_config(
        tmp_path, '[[sources]]\nname = "desk"\nkind = "folder"\npath = "in"\n'
    ).read_text()
    (tmp_path / "mapper.toml").write_text(config.replace("mapper.sqlite", "kept.sqlite"))
    first = refresh.refresh(tmp_path / "mapper.toml")
    assert first.counts["added"] == 0 and first.places == set()
    assert {c["claim_id"] for c in first.changelog["new_claims"]} == set(result.claims.index)


def test_changes_layer_draws_changed_places_and_new_claims(
    sample_run: mapper.RunResult,
) -> None:
    changes = pd.DataFrame(
        [
            {"place_name": "Sudzha <x>", "before": "UA", "after": "RU", "lat": 51.19, "lon": 35.27},
            {"place_name": "Nowhere", "before": "RU", "after": None, "lat": None, "lon": None},
        ]
    )
    claims = sample_run.located.iloc[:3]
    layer = mapper.render.changes_layer(changes, new_claims=claims)
    (geojson,) = layer._children.values()
    features = geojson.data["features"]
    kinds = Counter(f["properties"]["kind"] for f in features)
    mapped = int((claims["geocode_status"] == "resolved").sum())
    assert kinds == Counter({"change": 1, **({"claim": mapped} if mapped else {})})
    change = features[0]["properties"]
    assert change["tooltip"] == "Sudzha &lt;x&gt;: UA -&gt; RU"
    assert change["colour"] == mapper.render.COLOURS["RU"]
    assert features[0]["geometry"]["coordinates"] == [35.27, 51.19]
    fmap = mapper.timeline_map(sample_run.timeline, tiles=None)
    layer.add_to(fmap)
    page = " ".join(fmap.get_root().render().split())
    assert "Changes since the last refresh" in page and "fm-change" in page
    assert mapper.render.changes_layer(changes.iloc[1:])._children == {}


# -- feeds, pages, failures ----------------------------------------------------------------


def test_feed_pages_failures_and_conditional_requests(
    tmp_path: Path, site: Site, sample_articles: pd.DataFrame
) -> None:
    rich = _with_claims(sample_articles)
    a1, a2, a3, a4 = (rich.iloc[i] for i in range(4))
    site.page("/a/1", article_page(a1))
    site.page("/a/2", article_page(a2))
    site.page("/feed.xml", rss(site, [("/a/1", a1), ("/a/2", a2)]), kind="application/rss+xml")
    site.page("/bad.xml", "<rss><channel><item><title>broken & </unclosed", kind="text/xml")
    site.page("/page/good", article_page(a3))
    site.page("/page/slow", article_page(a4), delay=1.5)
    site.page(
        "/page/menu",
        '<html><head><meta property="article:published_time" content="2024-08-10"></head>'
        "<body><nav><ul><li><a href='/'>Home</a></li><li><a href='/about'>About us</a></li>"
        "</ul></nav></body></html>",
    )
    config = write_config(
        tmp_path,
        f"""
[[sources]]
name = "wire"
kind = "feed"
url = "{site.url("/feed.xml")}"
tags = ["wire"]

[[sources]]
name = "gone"
kind = "feed"
url = "{site.url("/missing.xml")}"

[[sources]]
name = "broken"
kind = "feed"
url = "{site.url("/bad.xml")}"

[[sources]]
name = "watch"
kind = "urls"
timeout = 0.5
urls = ["{site.url("/page/good")}", "{site.url("/page/slow")}", "{site.url("/page/menu")}"]
""",
    )
    store_file = tmp_path / "mapper.sqlite"

    first = refresh.refresh(config)
    assert first.status == "partial"
    assert first.counts["added"] == 3  # two feed entries and the good page
    errors = {f["key"].removeprefix(site.base): f["error"] for f in first.failures}
    assert set(errors) == {"/missing.xml", "/bad.xml", "/page/slow", "/page/menu"}
    assert "404" in errors["/missing.xml"]
    assert "malformed feed" in errors["/bad.xml"]
    assert "timed out" in errors["/page/slow"]
    assert "not an article" in errors["/page/menu"]
    with Store(store_file) as store:
        articles = store.articles()
        assert set(articles["url"]) == {site.url(p) for p in ("/a/1", "/a/2", "/page/good")}
        assert (
            articles.loc[articles["url"] == site.url("/a/1"), "published"].iloc[0]
            == (a1["published"])
        )
        claims_before = store.claims()
        assert len(claims_before) > 0
        run = store.runs().iloc[-1]
    assert run["status"] == "partial"
    recorded = {f["key"].removeprefix(site.base) for f in run["notes"]["failures"]}
    assert recorded == set(errors)
    assert run["notes"]["sources"]["wire"]["tags"] == ["wire"]

    # second refresh: unchanged pages answer 304, the failures are asked again
    second = refresh.refresh(config)
    assert second.counts["added"] == 0 and second.counts["changed"] == 0
    assert site.hits[("/feed.xml", 304)] == 1
    assert site.hits[("/page/good", 304)] == 1
    assert site.hits[("/a/1", 200)] == 1  # feed entries are not fetched again
    assert site.hits[("/missing.xml", 404)] == 2
    assert site.hits[("/bad.xml", 200)] == 2
    assert site.hits[("/page/menu", 200)] == 2
    assert {f["key"].removeprefix(site.base) for f in second.failures} == set(errors)
    with Store(store_file) as store:
        pd.testing.assert_frame_equal(store.claims(), claims_before)

    # the feed gains an article, the missing feed appears, the slow page speeds up
    a5 = rich.iloc[4]
    site.page("/a/3", article_page(a4))
    site.page("/feed.xml", rss(site, [("/a/3", a4), ("/a/1", a1), ("/a/2", a2)]))
    site.page("/missing.xml", rss(site, [("/a/5", a5)]))
    site.page("/a/5", article_page(a5))
    site.page("/page/slow", article_page(a4))
    third = refresh.refresh(config)
    assert third.counts["added"] == 3  # /a/3, /a/5 and /page/slow
    assert {f["key"].removeprefix(site.base) for f in third.failures} == {
        "/bad.xml",
        "/page/menu",
    }
    assert site.hits[("/a/1", 200)] == 1 and site.hits[("/a/3", 200)] == 1
    with Store(store_file) as store:
        new_articles = (
            store.articles()
            .loc[
                lambda a: a["url"].isin(
                    [site.url("/a/3"), site.url("/a/5"), site.url("/page/slow")]
                )
            ]
            .index
        )
        expected = set(store.claims(new_articles).index)
        assert not store.claims().index.has_duplicates
        assert_same_timeline(store.timeline(), full_timeline(store))
        failed = {s.key.removeprefix(site.base): s.failures for s in store.failed_fetches("watch")}
    assert {c["claim_id"] for c in third.changelog["new_claims"]} == expected
    assert failed == {"/page/menu": 3}


def test_a_source_that_breaks_stops_only_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "other").mkdir()
    copy_articles(SAMPLE, tmp_path / "in", SAMPLE_FILES[:2])
    config = write_config(
        tmp_path,
        '[[sources]]\nname = "broken"\nkind = "folder"\npath = "other"\n'
        '[[sources]]\nname = "desk"\nkind = "folder"\npath = "in"\n',
    )
    real = refresh.fetch

    def fetch(source: mapper.sources.Source, *args: object, **kwargs: object) -> object:
        if source.name == "broken":
            raise PermissionError("cannot list the folder")
        return real(source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(refresh, "fetch", fetch)
    result = refresh.refresh(config)
    assert result.status == "partial" and result.counts["added"] == 2
    assert result.failures == [
        {
            "source": "broken",
            "key": str(tmp_path.resolve() / "other"),
            "error": "PermissionError: cannot list the folder",
        }
    ]


def test_feed_entries_without_fetching_pages(
    tmp_path: Path, site: Site, sample_articles: pd.DataFrame
) -> None:
    article = _with_claims(sample_articles).iloc[0]
    body = html.escape(str(article["text"]))
    feed = (
        '<?xml version="1.0"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Full</title>'
        f"<link>{site.base}</link><description>d</description><item><title>T</title>"
        f"<link>{site.url('/never')}</link>"
        f"<pubDate>{format_datetime(article['published'].to_pydatetime(), usegmt=True)}</pubDate>"
        f"<content:encoded>{body}</content:encoded></item></channel></rss>"
    )
    site.page("/full.xml", feed)
    config = write_config(
        tmp_path,
        f'[[sources]]\nname = "full"\nkind = "feed"\nurl = "{site.url("/full.xml")}"\n'
        "fetch_pages = false\n",
    )
    result = refresh.refresh(config)
    assert result.status == "ok" and result.counts["added"] == 1
    assert site.hits[("/never", 200)] == 0 and site.hits[("/never", 404)] == 0
    with Store(tmp_path / "mapper.sqlite") as store:
        stored = store.articles().iloc[0]
        assert stored["url"] == site.url("/never") and stored["source"] == "Full"
        assert len(store.claims()) > 0


def test_cli_exit_codes_and_quiet(
    tmp_path: Path, site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(
        tmp_path, f'[[sources]]\nname = "gone"\nkind = "urls"\nurls = ["{site.url("/x")}"]\n'
    )
    assert main(["refresh", "--config", str(config), "--quiet"]) == EXIT_REJECTED
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "failed: gone:" in captured.err and "404" in captured.err
    assert main(["refresh", "--config", str(tmp_path / "nope.toml")]) == 1
    assert main(["refresh", "--config", str(config), "--every", "soon"]) == 1
    assert "not a duration" in capsys.readouterr().err


# -- crashes, overlap, the loop ---------------------------------------------------------------


def _env(tmp_path: Path, pause: float | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    env["MAPPER_DATA"] = str(tmp_path / "data")  # no developer overrides or layers
    env.pop(refresh.PAUSE_ENV, None)
    if pause is not None:
        env[refresh.PAUSE_ENV] = str(pause)
    return env


def _mapper(*args: str) -> list[str]:
    return [sys.executable, "-m", "mapper", *args]


def _query(path: Path, sql: str) -> list[tuple[object, ...]]:
    if not path.exists():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []  # not created yet
    finally:
        db.close()


def _extracted(path: Path) -> int:
    rows = _query(path, "SELECT count(*) FROM articles WHERE extracted_hash = content_hash")
    return int(rows[0][0]) if rows else 0  # type: ignore[call-overload]


def _wait_for(check: Callable[[], bool], child: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 120
    while not check():
        if child.poll() is not None:
            pytest.fail(f"the refresh ended before {what}: {child.communicate()}")
        if time.monotonic() > deadline:
            child.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_killed_refresh_is_completed_by_the_next(tmp_path: Path) -> None:
    config = folder_config(tmp_path)
    copy_articles(SAMPLE, tmp_path / "in", SAMPLE_FILES)
    store_file = tmp_path / "mapper.sqlite"
    n = len(SAMPLE_FILES)
    with subprocess.Popen(
        _mapper("refresh", "--config", str(config), "-q"),
        env=_env(tmp_path, pause=3),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        _wait_for(lambda: 0 < _extracted(store_file) < n, child, "some articles were saved")
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert _query(store_file, "PRAGMA integrity_check") == [("ok",)]
    assert _query(store_file, "SELECT status FROM runs") == [("running",)]
    assert not (tmp_path / "out" / "map.html").exists()  # killed before the outputs
    done = _extracted(store_file)
    assert 0 < done < n

    again = subprocess.run(
        _mapper("refresh", "--config", str(config), "-q"),
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == EXIT_OK, again.stderr
    with Store(store_file) as store:
        assert len(store.articles()) == n
        assert store.pending_articles().empty and store.dirty_places() == set()
        claims = store.claims()
        runs = store.runs()
        assert_same_timeline(store.timeline(), full_timeline(store))
    assert not claims.index.has_duplicates
    expected = mapper.run([tmp_path / "in"], tiles=None).claims
    assert set(claims.index) == set(expected.index)
    assert list(runs["status"]) == ["failed", "ok"]
    assert runs.iloc[0]["notes"] == {"interrupted": 1}
    assert runs.iloc[1]["added"] == 0  # the articles were stored by the killed run
    assert runs.iloc[1]["notes"]["extracted"] == n - done
    log = json.loads((tmp_path / "out" / "changelog.json").read_text())
    assert {c["claim_id"] for c in log["new_claims"]} == set(claims.index)
    assert (tmp_path / "out" / "map.html").read_text().rstrip().endswith("</html>")


def test_two_refreshes_at_once(tmp_path: Path) -> None:
    config = folder_config(tmp_path)
    copy_articles(SAMPLE, tmp_path / "in", SAMPLE_FILES)
    store_file = tmp_path / "mapper.sqlite"
    with subprocess.Popen(
        _mapper("refresh", "--config", str(config), "-q"),
        env=_env(tmp_path, pause=1.5),  # holds the lock for 4.5 s at least
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as first:
        _wait_for(lambda: _extracted(store_file) > 0, first, "the first refresh started")
        refused = subprocess.run(
            _mapper("refresh", "--config", str(config), "--lock-timeout", "0"),
            env=_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert refused.returncode == EXIT_LOCKED
        message = refused.stderr.strip().splitlines()
        assert len(message) == 1 and "another refresh is running" in message[0]
        waited = subprocess.run(
            _mapper("refresh", "--config", str(config), "--lock-timeout", "120", "-q"),
            env=_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert waited.returncode == EXIT_OK, waited.stderr
        first_out, first_err = first.communicate(timeout=120)
    assert first.returncode == EXIT_OK, first_err
    with Store(store_file) as store:
        runs = store.runs()
        claims = store.claims()
        assert len(store.articles()) == len(SAMPLE_FILES)
        assert store.pending_articles().empty
    assert list(runs["status"]) == ["ok", "ok"]  # the refused one never started a run
    assert runs["added"].tolist() == [len(SAMPLE_FILES), 0]
    assert runs.iloc[0]["finished_at"] <= runs.iloc[1]["started_at"]  # one after the other
    assert not claims.index.has_duplicates


def test_every_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    config = folder_config(tmp_path)
    copy_articles(SAMPLE, tmp_path / "in", SAMPLE_FILES)
    store_file = tmp_path / "mapper.sqlite"
    with subprocess.Popen(
        _mapper("refresh", "--config", str(config), "--every", "1s"),
        env=_env(tmp_path, pause=0.3),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        # SIGTERM in the middle of the first refresh: it finishes, then the loop stops
        _wait_for(lambda: _extracted(store_file) > 0, child, "the first refresh started")
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=120)
    assert child.returncode == EXIT_OK, err
    assert "stopping after the current refresh" in err
    with Store(store_file) as store:
        runs = store.runs()
        assert store.pending_articles().empty
    assert list(runs["status"]) == ["ok"]
    assert out.count("refresh 1 ok") == 1

    # SIGTERM while it waits between refreshes
    with subprocess.Popen(
        _mapper("refresh", "--config", str(config), "--every", "1h", "-q"),
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        _wait_for(
            lambda: len(_query(store_file, "SELECT 1 FROM runs WHERE status = 'ok'")) == 2,
            child,
            "the second run finished",
        )
        child.send_signal(signal.SIGINT)
        child.communicate(timeout=60)
    assert child.returncode == EXIT_OK


def test_parse_duration() -> None:
    assert refresh.parse_duration("90") == 90.0
    assert refresh.parse_duration("2h") == 7200.0
    for bad in ("", "0m", "soon", "5d", "-1s"):
        with pytest.raises(mapper.ConfigurationError, match="not a duration"):
            refresh.parse_duration(bad)


def test_loop_runs_until_stopped(tmp_path: Path) -> None:
    config = folder_config(tmp_path, tables=False)
    copy_articles(SAMPLE, tmp_path / "in", SAMPLE_FILES[:2])
    stop = threading.Event()
    seen: list[int] = []

    def record(result: refresh.RefreshResult) -> None:
        seen.append(result.run_id)
        if len(seen) == 2:
            stop.set()

    assert refresh.refresh_every(config, 0.01, stop=stop, on_result=record) == 2
    assert seen == [1, 2]
    assert schema.ARTICLE_ID  # the module is importable next to the loop


def test_edited_overrides_re_extract_every_stored_article(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mapper.settings, "data_folder", tmp_path / "data")
    (tmp_path / "data").mkdir()
    config = folder_config(tmp_path, tables=False)
    copy_articles(SAMPLE, tmp_path / "in", SAMPLE_FILES[:3])
    first = refresh.refresh(config)
    assert first.counts["added"] == 3
    again = refresh.refresh(config)
    with Store(tmp_path / "mapper.sqlite") as store:
        assert store.runs().iloc[-1]["notes"]["extracted"] == 0
        before = store.claims()
    # A reviewer decides that "Sudzha" in these articles is not a place.
    (tmp_path / "data" / "overrides.csv").write_text(
        "surface,action\nSudzha,not_place\n", encoding="utf-8"
    )
    edited = refresh.refresh(config)
    with Store(tmp_path / "mapper.sqlite") as store:
        assert store.runs().iloc[-1]["notes"]["extracted"] == 3
        after = store.claims()
    assert "Sudzha" in set(before["place_name"]) and "Sudzha" not in set(after["place_name"])
    assert again.status == edited.status == "ok"
