from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import mapper
from mapper.ingest import articles_from_paths

FRONT = """---
url: https://example.test/2025/04/27/gornal
published: 2025-04-27
title: Gornal claim denied
source: Example Wire
---
Russia's defence ministry said on Saturday its troops had captured **Gornal**.
"""

SEED = """

# Zelensky says fighting goes on

By [Wire Agency](#)

April 27, 2025

Soldiers walk past houses in the village of Kazachya Loknya. **Jane Doe / Wire Agency**

Ukraine's army said fighting continues near Gornal.

**Related article:** [Another headline](#)

The general staff called the claim propaganda.

Original url:

<https://example.test/2025/04/27/zelensky>
"""


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_front_matter_article(tmp_path: Path) -> None:
    articles, rejected = articles_from_paths([write(tmp_path, "a.md", FRONT)])
    assert rejected.empty
    row = articles.iloc[0]
    assert row["url"] == "https://example.test/2025/04/27/gornal"
    assert row["source"] == "Example Wire"
    assert row["published"] == pd.Timestamp("2025-04-27", tz="UTC")
    assert "**" not in row["text"] and "Gornal" in row["text"]


def test_seed_layout_drops_byline_caption_and_related_links(tmp_path: Path) -> None:
    articles, rejected = articles_from_paths([write(tmp_path, "seed.txt", SEED)])
    assert rejected.empty
    row = articles.iloc[0]
    assert row["title"] == "Zelensky says fighting goes on"
    assert row["published"] == pd.Timestamp("2025-04-27", tz="UTC")
    assert row["url"] == "https://example.test/2025/04/27/zelensky"
    assert row["source"] == "example.test"
    assert "Soldiers walk past" not in row["text"]
    assert "Related article" not in row["text"]
    assert "Wire Agency" not in row["text"]
    assert "fighting continues near Gornal" in row["text"]
    assert "propaganda" in row["text"]


def test_tables_and_html(tmp_path: Path) -> None:
    rows = [
        {
            "url": f"https://example.test/{i}",
            "published": "2025-03-13",
            "title": f"t{i}",
            "text": f"Moscow said it had retaken Sudzha ({i}).",
        }
        for i in range(2)
    ]
    jsonl = write(tmp_path, "a.jsonl", "\n".join(json.dumps(r) for r in rows))
    csv = tmp_path / "b.csv"
    pd.DataFrame([{**r, "url": r["url"] + "-csv", "source": "Table Wire"} for r in rows]).to_csv(
        csv, index=False
    )
    page = write(
        tmp_path,
        "c.html",
        "<html><head><title>Demidovka</title>"
        '<meta property="article:published_time" content="2025-03-20T09:00:00+00:00"></head>'
        "<body><nav>Home | World</nav><article><h1>Fighting in Demidovka</h1>"
        "<p>Kyiv said on Thursday its units were fighting inside Demidovka, a border village "
        "in Russia's Belgorod region, and that the attacks would go on.</p>"
        "<p>Russia's defence ministry said the attacks near the village had been repelled "
        "and that its forces held their positions in the Krasnoyaruzhsky district.</p>"
        "</article><footer>(c) Example</footer></body></html>",
    )
    articles, rejected = articles_from_paths([jsonl, csv, page])
    assert rejected.empty
    assert len(articles) == 5
    html_row = articles[articles["path"] == str(page)].iloc[0]
    assert html_row["published"].date().isoformat() == "2025-03-20"
    assert "fighting inside Demidovka" in html_row["text"]
    assert "Home | World" not in html_row["text"]
    assert set(articles.loc[articles["path"] == str(csv), "source"]) == {"Table Wire"}


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("empty.md", "  \n", "empty file"),
        ("binary.txt", b"\x00\x01\x02PK", "binary"),
        ("latin.txt", "Sudzha \u00e9t\u00e9".encode("cp1252"), "not UTF-8"),
        ("undated.txt", "Fighting continues near Sudzha.", "no publication date"),
        ("broken.md", "---\nurl: [unclosed\n---\ntext", "not valid YAML"),
        ("open.md", "---\nurl: x\ntext without end", "never closed"),
        ("cols.csv", "url,text\nhttps://x.test,hello\n", "lacks columns"),
        ("notes.docx", "whatever", "unsupported file type"),
    ],
)
def test_bad_input_is_rejected_with_a_reason_and_the_rest_goes_on(
    tmp_path: Path, name: str, content: str | bytes, problem: str
) -> None:
    good = write(tmp_path, "good.md", FRONT)
    bad = write(tmp_path, name, content)
    articles, rejected = articles_from_paths([good, bad])
    assert len(articles) == 1
    assert len(rejected) == 1
    assert rejected.iloc[0]["path"] == str(bad)
    assert problem in rejected.iloc[0]["problem"]
    assert rejected.iloc[0]["fix"]


def test_bad_jsonl_line_rejects_only_that_line(tmp_path: Path) -> None:
    good = {"url": "https://x.test/1", "published": "2025-01-01", "title": "", "text": "Kursk."}
    path = write(tmp_path, "a.jsonl", json.dumps(good) + "\n{not json\n")
    articles, rejected = articles_from_paths([path])
    assert len(articles) == 1
    assert rejected.iloc[0]["path"] == f"{path}:2"


def test_assume_date_lets_undated_text_through(tmp_path: Path) -> None:
    path = write(tmp_path, "undated.txt", "Fighting continues near Sudzha.")
    articles, rejected = articles_from_paths([path], assume_date="2025-03-01")
    assert rejected.empty
    assert articles.iloc[0]["published"] == pd.Timestamp("2025-03-01", tz="UTC")


def test_bad_assume_date_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(mapper.ConfigurationError, match="assume-date"):
        articles_from_paths([tmp_path], assume_date="someday")


def test_same_article_twice_is_read_once(tmp_path: Path) -> None:
    first = write(tmp_path, "a.md", FRONT)
    second = write(tmp_path, "b.md", FRONT.replace("2025/04/27/gornal", "2025/04/27/gornal/"))
    articles, rejected = articles_from_paths([first, second, tmp_path])
    assert len(articles) == 1 and rejected.empty


def test_ids_are_stable_across_runs(tmp_path: Path) -> None:
    path = write(tmp_path, "a.md", FRONT)
    first, _ = articles_from_paths([path])
    second, _ = articles_from_paths([path])
    assert list(first.index) == list(second.index)


def test_naive_datetime_warns_and_is_taken_as_utc(tmp_path: Path) -> None:
    path = write(tmp_path, "a.md", FRONT.replace("2025-04-27", "2025-04-27 10:30"))
    with pytest.warns(mapper.TimeZoneWarning):
        articles, _ = articles_from_paths([path])
    assert articles.iloc[0]["published"] == pd.Timestamp("2025-04-27 10:30", tz="UTC")


def test_bundled_sample_reads_cleanly() -> None:
    articles, rejected = articles_from_paths([mapper.datasets.get_path("sample")])
    assert rejected.empty
    assert len(articles) >= 15
    assert articles["published"].min() >= pd.Timestamp("2024-08-01", tz="UTC")
    assert articles["url"].is_unique
