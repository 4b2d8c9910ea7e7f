"""Place finding and resolution: matching speed, gazetteer load time and memory, resolution.

- **matching**: the one-pass scan that finds every gazetteer name in a text (the fold and the
  Aho-Corasick automaton of :mod:`mapper._matching`), over the bundled sample articles repeated,
  one article at a time, on one core, in MB of text per second; again with typographic
  punctuation (curly quotes, en dashes), which takes the slower non-ASCII fold.
- **finding**: :func:`mapper.mentions.find_names`, the scan and the rules around each name
  (organisations, people, cues for unknown places, region keywords, city or oblast). The
  sample is dense with names (about one every 90 characters, as in real war reporting); a
  second figure uses the same text with every other paragraph replaced by name-free prose.
- **load**: a fresh interpreter loads the built gazetteer from its cache; time, the growth of
  resident memory (RSS) that loading causes, and the interpreter's RSS in all (importing the
  gazetteer loads none of the other stages).
- **resolution**: scoring and choosing among candidates for 10,000 found names.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from typing import Any

import mapper
from mapper._lexicon import load as load_lexicon
from mapper._matching import fold
from mapper.mentions import _CAPITALS, _resolve, _row, default_gazetteer, find_names

_PROSE = (
    "Officials said the situation remained difficult and that more information would be "
    "released later. Residents described long queues for water and fuel, and aid groups said "
    "they were struggling to reach people who had stayed behind. "
)

_LOAD = """
import json, time
def rss():
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) for l in fh if l.startswith("VmRSS")) / 1024
from mapper.gazetteer.local import LocalGazetteer
before = rss()
start = time.perf_counter()
gazetteer = LocalGazetteer(layers=[])
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "places": len(gazetteer),
                  "names": len(gazetteer._index.keys),
                  "rss_growth_mb": rss() - before, "rss_total_mb": rss()}))
"""


def _texts() -> list[str]:
    articles, _ = mapper.articles_from_paths([mapper.datasets.get_path("sample")])
    return [str(t) for t in articles["text"]]


def _matching(texts: list[str], repeats: int) -> dict[str, float]:
    gazetteer, lexicon = default_gazetteer(), load_lexicon()
    for text in texts:
        find_names(text, gazetteer, lexicon)
    corpus = texts * repeats
    size = sum(len(t.encode("utf-8")) for t in corpus)
    start = time.perf_counter()
    names = sum(len(find_names(t, gazetteer, lexicon)) for t in corpus)
    seconds = time.perf_counter() - start
    return {
        "megabytes": round(size / 1e6, 2),
        "seconds": round(seconds, 3),
        "mb_per_s": round(size / 1e6 / seconds, 2),
        "chars_per_name": round(size / max(names, 1), 1),
        "names_in_gazetteer": len(gazetteer._index.keys),
    }


def _scan(texts: list[str], repeats: int) -> dict[str, float]:
    matcher = default_gazetteer().matcher
    corpus = texts * repeats
    size = sum(len(t.encode("utf-8")) for t in corpus)
    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        names = sum(len(matcher.scan(fold(t), _CAPITALS)) for t in corpus)
        best = min(best, time.perf_counter() - start)
    return {
        "megabytes": round(size / 1e6, 2),
        "seconds": round(best, 3),
        "mb_per_s": round(size / 1e6 / best, 2),
        "names_found": names,
    }


def _typographic(texts: list[str]) -> list[str]:
    return [t.replace("'", "’").replace(" - ", " – ").replace('"', "”") for t in texts]


def _diluted(texts: list[str]) -> list[str]:
    diluted = []
    for text in texts:
        paragraphs = text.split("\n\n")
        diluted.append(
            "\n\n".join(p if i % 2 == 0 else _PROSE * 2 for i, p in enumerate(paragraphs))
        )
    return diluted


def _load() -> dict[str, float]:
    default_gazetteer()  # make sure the cache is built
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", _LOAD], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(3)
    ]
    best = min(runs, key=lambda r: r["seconds"])
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in best.items()}


def _resolution(texts: list[str], count: int) -> dict[str, float]:
    gazetteer, lexicon = default_gazetteer(), load_lexicon()
    batches, total = [], 0
    while total < count:
        for text in texts:
            found = find_names(text, gazetteer, lexicon)
            batches.append((text, found))
            total += len(found)
            if total >= count:
                break
    start = time.perf_counter()
    for text, found in batches:
        _resolve(found, text)
        for f in found:
            _row("a", f, "text")
    seconds = time.perf_counter() - start
    return {
        "mentions": total,
        "seconds": round(seconds, 3),
        "per_mention_us": round(seconds / total * 1e6, 1),
    }


def run(*, quick: bool = False) -> dict[str, Any]:
    """Run the place benchmarks and print them."""
    texts = _texts()
    repeats = 4 if quick else 25
    results = {
        "scan_sample": _scan(texts, repeats),
        "scan_typographic": _scan(_typographic(texts), repeats),
        "matching_sample": _matching(texts, repeats),
        "matching_diluted": _matching(_diluted(texts), repeats),
        "load": _load(),
        "resolution": _resolution(texts, 10_000),
    }
    m, d, lo, r = (
        results[k] for k in ("matching_sample", "matching_diluted", "load", "resolution")
    )
    sc, ty = results["scan_sample"], results["scan_typographic"]
    print("places")
    print(
        f"  matching (one-pass scan, {m['names_in_gazetteer']} names): {sc['mb_per_s']} MB/s "
        f"({sc['megabytes']} MB in {sc['seconds']} s); with typographic punctuation: "
        f"{ty['mb_per_s']} MB/s"
    )
    print(
        f"  finding with the rules, sample ({m['chars_per_name']} chars/name): "
        f"{m['mb_per_s']} MB/s ({m['megabytes']} MB in {m['seconds']} s)"
    )
    print(
        f"  finding with the rules, diluted ({d['chars_per_name']} chars/name): "
        f"{d['mb_per_s']} MB/s"
    )
    print(
        f"  gazetteer load from cache: {lo['seconds']} s, RSS +{lo['rss_growth_mb']} MB "
        f"({lo['rss_total_mb']} MB in all), {lo['places']} places, {lo['names']} names"
    )
    print(
        f"  resolution: {r['mentions']} mentions in {r['seconds']} s "
        f"({r['per_mention_us']} us each)"
    )
    return results
