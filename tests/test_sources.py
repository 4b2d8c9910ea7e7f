"""Refresh configuration: every key read, every mistake named with its file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

import mapper
from mapper.sources import load_config

FULL = """
store = "state/mapper.sqlite"
lock_timeout = 30
timeout = 5
user_agent = "newsroom-map (maps@example.test)"

[output]
folder = "public"
self_contained = true
tiles = "none"
map_claims = 500
tables = false
title = "Border villages"

[[sources]]
name = "desk"
kind = "folder"
path = "articles"
tags = ["local", "seed"]
assume_date = "2025-01-01"

[[sources]]
name = "wire"
kind = "feed"
url = "https://news.example.test/feed.xml"
tags = ["wire"]
fetch_pages = false
timeout = 2.5

[[sources]]
name = "watch"
kind = "urls"
urls = ["https://news.example.test/a", "https://news.example.test/a"]
urls_file = "urls.txt"
"""


def _write(tmp_path: Path, text: str) -> Path:
    file = tmp_path / "mapper.toml"
    file.write_text(text, encoding="utf-8")
    return file


def test_every_key_is_read(tmp_path: Path) -> None:
    (tmp_path / "urls.txt").write_text("# watch list\nhttps://news.example.test/b\n\n")
    config = load_config(_write(tmp_path, FULL))
    base = tmp_path.resolve()
    assert config.store == base / "state" / "mapper.sqlite"
    assert (config.lock_timeout, config.timeout) == (30.0, 5.0)
    assert config.user_agent == "newsroom-map (maps@example.test)"
    out = config.output
    assert out.folder == base / "public"
    assert (out.self_contained, out.tiles, out.map_claims, out.tables) == (True, None, 500, False)
    assert out.title == "Border villages"
    desk, wire, watch = config.sources
    assert (desk.kind, desk.path, desk.tags) == ("folder", base / "articles", ("local", "seed"))
    assert desk.assume_date == "2025-01-01"
    assert (wire.kind, wire.url, wire.fetch_pages, wire.timeout) == (
        "feed",
        "https://news.example.test/feed.xml",
        False,
        2.5,
    )
    assert watch.urls == ("https://news.example.test/a", "https://news.example.test/b")


def test_defaults(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, '[[sources]]\nname = "d"\nkind = "folder"\npath = "."'))
    assert config.store.name == "mapper.sqlite"
    assert config.lock_timeout == 0.0 and config.timeout is None and config.user_agent is None
    assert config.output.tiles == "default" and not config.output.tables
    assert config.output.map_claims == 1000


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("store = ", "not valid TOML"),
        ("", "no sources"),
        ('colour = "red"\n[[sources]]\nname="d"\nkind="folder"\npath="."', "unknown key colour"),
        ('[output]\nfolder = 3\n[[sources]]\nname="d"\nkind="folder"\npath="."', "output.folder"),
        ('[output]\nmap_claim = 3\n[[sources]]\nname="d"\nkind="folder"\npath="."', "map_claim"),
        ('[[sources]]\nkind = "folder"\npath = "."', r"sources\[0\]\.name is missing"),
        ('[[sources]]\nname = "d"\nkind = "ftp"', "kind is 'ftp'"),
        ('[[sources]]\nname = "d"\nkind = "folder"', r"sources\.d\.path is missing"),
        ('[[sources]]\nname = "f"\nkind = "feed"\nurl = "ftp://x"', "not an http"),
        ('[[sources]]\nname = "u"\nkind = "urls"', r"sources\.u\.urls is empty"),
        ('[[sources]]\nname="u"\nkind="urls"\nurls=["https://a.test"]\ntimeout=0', "positive"),
        ('[[sources]]\nname="d"\nkind="folder"\npath="."\ntags="x"', "tags should be list"),
        (
            '[[sources]]\nname="d"\nkind="folder"\npath="."\n'
            '[[sources]]\nname="d"\nkind="folder"\npath="."',
            "repeat",
        ),
        ('lock_timeout = "soon"\n[[sources]]\nname="d"\nkind="folder"\npath="."', "lock_timeout"),
    ],
)
def test_mistakes_name_file_and_key(tmp_path: Path, text: str, match: str) -> None:
    file = _write(tmp_path, text)
    with pytest.raises(mapper.ConfigurationError, match=match) as caught:
        load_config(file)
    assert str(file) in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(mapper.ConfigurationError, match="no such configuration file"):
        load_config(tmp_path / "absent.toml")
