"""Sources -> articles: read article files and tables into the articles frame.

Accepted inputs (files, or folders searched recursively):

- Markdown or text with YAML front matter (``url``, ``published``, ``title``, ``source``);
- the "seed layout": a ``# Title`` line, a ``By ...`` line, a date line such as
  ``April 27, 2025``, the body, then ``Original url:`` and ``<url>``. Bylines, photo captions
  with their bold credit and ``Related article:`` lines are dropped from the text;
- JSONL or CSV tables with columns ``url``, ``published``, ``title``, ``text`` (``source``
  optional), one article a row;
- HTML pages, whose main text and date trafilatura extracts.

Bad input never stops a run: each file or row that cannot be read becomes one row of the
*rejected* frame (``path``, ``problem``, ``fix``) and the rest goes on.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import logging
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
import yaml

from mapper import schema
from mapper._errors import ConfigurationError, TimeZoneWarning

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".md", ".markdown", ".txt"})
TABLE_SUFFIXES = frozenset({".jsonl", ".ndjson", ".csv"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
SUFFIXES = TEXT_SUFFIXES | TABLE_SUFFIXES | HTML_SUFFIXES
TABLE_COLUMNS = ("url", "published", "title", "text")
MIN_PAGE_TEXT = 200
"""Fewest characters of main text a fetched web page needs to count as an article."""

_MONTH_DATE = re.compile(
    r"^(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+)?"
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}$"
    r"|^\d{1,2}\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{4}$"
    r"|^\d{4}-\d{2}-\d{2}$",
    re.IGNORECASE,
)
_BOLD_CREDIT = re.compile(r"\*\*[^*]+\*\*\s*$")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1")


@dataclass
class _Rejected(Exception):
    problem: str
    fix: str


def articles_from_paths(
    paths: Iterable[str | Path], *, assume_date: str | dt.date | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read articles from files and folders.

    Parameters
    ----------
    paths
        Files or folders; folders are searched recursively for the accepted suffixes.
    assume_date
        Publication date to give articles that carry none. Without it, undated articles are
        rejected.

    Returns
    -------
    articles : pandas.DataFrame
        The articles frame (see :mod:`mapper.schema`), one row per distinct article.
    rejected : pandas.DataFrame
        One row per file or table row that could not be read: ``path``, ``problem``, ``fix``.

    Examples
    --------
    >>> from mapper import datasets
    >>> articles, rejected = articles_from_paths([datasets.get_path("sample")])
    >>> len(articles) >= 15, len(rejected)
    (True, 0)
    """
    fallback = _fallback(assume_date)
    rows: dict[str, dict[str, Any]] = {}
    rejected: list[dict[str, str]] = []
    duplicates = 0
    for path in _files(paths, rejected):
        try:
            records = list(_records(path))
        except _Rejected as err:
            rejected.append({"path": str(path), "problem": err.problem, "fix": err.fix})
            continue
        duplicates += _collect(
            ((where, path, record) for where, record in records), fallback, rows, rejected
        )
    if duplicates:
        log.info("skipped %s duplicate article(s)", duplicates)
    return _frames(rows, rejected)


def articles_from_pages(
    pages: Iterable[tuple[str, str, dict[str, Any]]],
    *,
    assume_date: str | dt.date | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read articles from fetched web pages and feed entries.

    Parameters
    ----------
    pages
        ``(url, html, meta)`` triples: the address the page was fetched from, its HTML
        (empty to use ``meta`` alone) and what is known of it already, such as a feed entry's
        ``published``, ``title`` and ``source`` (these win over what the page says) and
        ``text`` (used when the page has no article text). The article's ``url`` is always
        the address given.
    assume_date
        Publication date for pages that carry none and have no default.

    Returns
    -------
    articles : pandas.DataFrame
        The articles frame (see :mod:`mapper.schema`), one row per distinct article.
    rejected : pandas.DataFrame
        One row per page that is not an article (``path`` is its URL), with the problem.

    Examples
    --------
    >>> page = "<html><body><article><p>" + "Russian forces captured Sudzha. " * 20
    >>> articles, rejected = articles_from_pages(
    ...     [("https://example.test/1", page + "</p></article></body></html>", {}),
    ...      ("https://example.test/2", "<html><body></body></html>", {})],
    ...     assume_date="2024-08-06",
    ... )
    >>> list(articles["url"]), list(rejected["path"])
    (['https://example.test/1'], ['https://example.test/2'])
    """
    fallback = _fallback(assume_date)
    rows: dict[str, dict[str, Any]] = {}
    rejected: list[dict[str, str]] = []
    records = []
    for url, page, meta in pages:
        try:
            found = _from_html(page) if page.strip() else {}
        except _Rejected as err:
            if not str(meta.get("text") or "").strip():
                rejected.append({"path": url, "problem": err.problem, "fix": err.fix})
                continue
            found = {}
        known = {k: v for k, v in meta.items() if v and k != "text"}
        record = {"text": meta.get("text"), **{k: v for k, v in found.items() if v}, **known}
        record["url"] = url
        length = len(str(record.get("text") or "").strip())
        if length < MIN_PAGE_TEXT:
            rejected.append(
                {
                    "path": url,
                    "problem": f"not an article: {length} characters of main text",
                    "fix": "give the article page itself (a menu or index page has no report)",
                }
            )
            continue
        records.append((url, url, record))
    duplicates = _collect(records, fallback, rows, rejected)
    if duplicates:
        log.info("skipped %s duplicate article(s)", duplicates)
    return _frames(rows, rejected)


def _fallback(assume_date: str | dt.date | None) -> pd.Timestamp | None:
    if assume_date is None:
        return None
    try:
        return _timestamp(assume_date)
    except _Rejected as err:
        raise ConfigurationError(f"--assume-date: {err.problem}; {err.fix}") from None


def _collect(
    records: Iterable[tuple[str, str | Path, dict[str, Any]]],
    fallback: pd.Timestamp | None,
    rows: dict[str, dict[str, Any]],
    rejected: list[dict[str, str]],
) -> int:
    """Turn ``(where, path, record)`` into article rows by id; return the duplicates skipped."""
    duplicates = 0
    for where, path, record in records:
        try:
            row = _article(record, path, fallback)
        except _Rejected as err:
            rejected.append({"path": where, "problem": err.problem, "fix": err.fix})
            continue
        article_id = _article_id(row["url"], row["text"])
        if article_id in rows:
            duplicates += 1
            continue
        rows[article_id] = row
    return duplicates


def _frames(
    rows: dict[str, dict[str, Any]], rejected: list[dict[str, str]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    articles = pd.DataFrame.from_dict(rows, orient="index", columns=list(schema.ARTICLE_COLUMNS))
    articles.index.name = schema.ARTICLE_ID
    articles["published"] = pd.to_datetime(articles["published"], utc=True)
    schema.validate_articles(articles)
    return articles, pd.DataFrame(rejected, columns=list(schema.REJECTED_COLUMNS))


def _files(paths: Iterable[str | Path], rejected: list[dict[str, str]]) -> Iterator[Path]:
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if child.is_file() and not hidden and child.suffix.lower() in SUFFIXES:
                    yield child
        elif path.is_file():
            if path.suffix.lower() in SUFFIXES:
                yield path
            else:
                rejected.append(
                    {
                        "path": str(path),
                        "problem": f"unsupported file type {path.suffix or '(none)'!r}",
                        "fix": "give articles as " + ", ".join(sorted(SUFFIXES)),
                    }
                )
        else:
            rejected.append(
                {
                    "path": str(path),
                    "problem": "no such file or folder",
                    "fix": "check the path",
                }
            )


def _decode(path: Path) -> str:
    data = path.read_bytes()
    if not data.strip():
        raise _Rejected("empty file", "remove it or fill it with an article")
    if b"\x00" in data[:8192]:
        raise _Rejected("binary file, not text", "give articles as text, Markdown, HTML or tables")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise _Rejected(
            f"not UTF-8 (invalid byte at offset {err.start})",
            "re-save the file as UTF-8, e.g. iconv -f cp1251 -t utf-8",
        ) from err


def _records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    text = _decode(path)
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        yield str(path), _from_html(text)
    elif suffix in {".jsonl", ".ndjson"}:
        yield from _from_jsonl(text, path)
    elif suffix == ".csv":
        yield from _from_csv(text, path)
    elif text.lstrip().startswith("---"):
        yield str(path), _from_front_matter(text)
    elif text.lstrip().startswith("# "):
        yield str(path), _from_seed_layout(text)
    else:
        yield str(path), {"text": _clean_markdown(text)}


def _from_front_matter(text: str) -> dict[str, Any]:
    parts = re.split(r"^---\s*$", text.lstrip(), maxsplit=2, flags=re.MULTILINE)
    if len(parts) < 3:
        raise _Rejected(
            "front matter opened with '---' but never closed",
            "end the YAML block with a line '---'",
        )
    try:
        meta = yaml.safe_load(parts[1]) or {}
    except yaml.YAMLError as err:
        raise _Rejected(
            f"front matter is not valid YAML ({err.__class__.__name__})", "fix the YAML"
        ) from err
    if not isinstance(meta, dict):
        raise _Rejected("front matter is not a mapping", "write 'key: value' lines")
    return {**meta, "text": _clean_markdown(parts[2])}


def _from_seed_layout(text: str) -> dict[str, Any]:
    lines = text.splitlines()
    record: dict[str, Any] = {}
    body: list[str] = []
    captions: list[str] = []
    in_url = False
    for line in lines:
        stripped = line.strip()
        if in_url:
            if match := re.search(r"<([^>]+)>|(https?://\S+)", stripped):
                record["url"] = match.group(1) or match.group(2)
                in_url = False
            continue
        in_body = any(b.strip() for b in body)
        if "title" not in record and stripped.startswith("# "):
            record["title"] = stripped[2:].strip()
        elif "byline" not in record and stripped.startswith("By ") and not in_body:
            record["byline"] = _clean_markdown(stripped[3:]).strip()
        elif "published" not in record and not in_body and _MONTH_DATE.match(stripped):
            record["published"] = stripped
        elif stripped.lower().startswith("original url"):
            in_url = True
        elif _is_caption(stripped):
            captions.append(_clean_markdown(_BOLD_CREDIT.sub("", stripped)))
        elif not _is_furniture(stripped):
            body.append(line)
    record["text"] = _clean_markdown("\n".join(body))
    record["captions"] = "\n".join(captions)
    return record


def _is_furniture(line: str) -> bool:
    """Related-article links and images are not article text."""
    return bool(re.match(r"^\**\s*Related article", line, re.IGNORECASE)) or line.startswith("![")


def _is_caption(line: str) -> bool:
    """A photo caption ends with a bold credit ("**Name / Agency**")."""
    return bool(_BOLD_CREDIT.search(line)) and " / " in line[line.rfind("**", 0, -2) :]


def _from_jsonl(text: str, path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            yield where, {"_error": f"not valid JSON ({err.msg} at column {err.colno})"}
            continue
        if not isinstance(record, dict):
            yield where, {"_error": "a line must be a JSON object"}
            continue
        yield where, _table_record(record)


def _from_csv(text: str, path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in TABLE_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise _Rejected(
            f"CSV lacks columns {missing} (has {reader.fieldnames})",
            "name the columns url, published, title, text (and optionally source)",
        )
    for number, record in enumerate(reader, start=2):
        yield f"{path}:{number}", _table_record(record)


def _table_record(record: dict[str, Any]) -> dict[str, Any]:
    missing = [c for c in TABLE_COLUMNS if c not in record]
    if missing:
        return {"_error": f"row lacks fields {missing}"}
    return dict(record)


def _from_html(html: str) -> dict[str, Any]:
    import trafilatura

    extracted = trafilatura.extract(
        html, output_format="json", with_metadata=True, include_comments=False
    )
    if not extracted:
        raise _Rejected("no article text found in the HTML page", "give the article page itself")
    meta = json.loads(extracted)
    return {
        "url": meta.get("source") or meta.get("url") or "",
        "published": meta.get("date"),
        "title": meta.get("title") or "",
        "source": meta.get("sitename") or meta.get("hostname") or "",
        "text": meta.get("raw_text") or meta.get("text") or "",
    }


def _clean_markdown(text: str) -> str:
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_EMPHASIS.sub(r"\2", text)
    text = re.sub(r"^#+\s*", "", text, flags=re.MULTILINE)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _article(
    record: dict[str, Any], path: str | Path, fallback: pd.Timestamp | None
) -> dict[str, Any]:
    if "_error" in record:
        raise _Rejected(record["_error"], "fix the row; the other rows were read")
    text = str(record.get("text") or "").strip()
    if not text:
        raise _Rejected("no article text", "add the article body")
    published = _timestamp(record.get("published")) if record.get("published") else fallback
    if published is None:
        raise _Rejected(
            "no publication date",
            "add 'published: YYYY-MM-DD' (or a date line) or run with --assume-date",
        )
    url = str(record.get("url") or "").strip()
    source = (
        str(record.get("source") or "").strip()
        or urlsplit(url).hostname
        or record.get("byline", "")
    )
    return {
        "url": url,
        "source": source,
        "published": published,
        "title": str(record.get("title") or "").strip(),
        "text": text,
        "captions": str(record.get("captions") or ""),
        "path": str(path),
    }


def _timestamp(value: Any) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as err:
        raise _Rejected(
            f"publication date {value!r} is not a date", "write it as YYYY-MM-DD"
        ) from err
    if pd.isna(stamp):
        raise _Rejected(f"publication date {value!r} is not a date", "write it as YYYY-MM-DD")
    if stamp.tzinfo is None:
        if stamp != stamp.normalize():
            warnings.warn(
                f"publication time {value!r} has no time zone; taken as UTC",
                TimeZoneWarning,
                stacklevel=2,
            )
        return stamp.tz_localize("UTC")
    return stamp.tz_convert("UTC")


def _article_id(url: str, text: str) -> str:
    if url:
        parts = urlsplit(url.strip())
        key = urlunsplit(
            (parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, "")
        )
    else:
        key = " ".join(text.split())
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
