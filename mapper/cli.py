"""Command line: ``mapper run``, ``mapper eval``, ``mapper gazetteer lookup``.

Exit codes: 0 success; 1 an error of the mapper (one line; the traceback with ``-v``);
2 bad usage; 3 the run completed but some inputs were rejected (listed on stderr and in
``report.json``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from mapper import settings
from mapper._errors import MapperError

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_REJECTED = 0, 1, 2, 3
log = logging.getLogger("mapper")

_EPILOG_RUN = """examples:
  mapper run                                   # the bundled sample articles -> outputs/
  mapper run articles/ extra.jsonl --out maps/ --self-contained
  mapper run notes.txt --assume-date 2025-04-27 --tiles none

exit codes: 0 ok, 1 error, 2 usage, 3 some inputs rejected (the rest was processed)"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mapper",
        description="Read war reporting, extract dated claims of control, map them over time.",
        epilog="examples:\n"
        "  mapper run                      # map the bundled sample articles into outputs/\n"
        "  mapper run articles/ --out maps/ --self-contained\n"
        "  mapper eval labelled.jsonl\n\n"
        "Run 'mapper COMMAND --help' for a command's options and examples.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="store_true", help="debug logging, tracebacks")
    common.add_argument("-q", "--quiet", action="store_true", help="only errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        parents=[common],
        help="articles in, interactive map and tables out",
        description="Read articles, extract claims, reconcile a timeline and write the map "
        "(map.html) and tables (claims.csv/.geojson, mentions.csv, timeline.csv, "
        "unresolved.csv, report.json).",
        epilog=_EPILOG_RUN,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "paths", nargs="*", type=Path, help="article files or folders (default: the bundled sample)"
    )
    run.add_argument("--out", type=Path, default=Path("outputs"), help="output folder")
    run.add_argument(
        "--assume-date",
        metavar="YYYY-MM-DD",
        help="publication date for undated articles (else they are rejected)",
    )
    run.add_argument(
        "--self-contained",
        action="store_true",
        help="inline all scripts and styles: the map works offline",
    )
    run.add_argument(
        "--tiles",
        default="default",
        help=f"background tiles: a folium tile name or 'none' (default: {settings.default_tiles})",
    )

    evaluate = commands.add_parser(
        "eval",
        parents=[common],
        help="score extraction against a labelled JSONL file",
        description="Precision, recall and F1 for places, claims and negation, with the misses.",
        epilog="example:\n  mapper eval ../shared/eval/dev_claims.jsonl",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    evaluate.add_argument("file", type=Path, help="JSONL in the dev-set format")

    gazetteer = commands.add_parser(
        "gazetteer",
        help="look names up in the offline gazetteer",
        description="Query the offline gazetteer (GeoNames plus the curated border places).",
        epilog="example:\n  mapper gazetteer lookup Popovka",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    gazetteer_commands = gazetteer.add_subparsers(dest="gazetteer_command", required=True)
    lookup = gazetteer_commands.add_parser(
        "lookup",
        parents=[common],
        help="list the places a name may refer to",
        epilog='example:\n  mapper gazetteer lookup "Kazach\'ya Loknya"',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    lookup.add_argument("name")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mapper`` command; returns the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    level = logging.DEBUG if args.verbose else logging.ERROR if args.quiet else logging.INFO
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    logging.captureWarnings(True)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "eval":
            return _eval(args)
        return _lookup(args)
    except MapperError as err:
        if args.verbose:
            log.exception("failed")
        print(f"mapper: error: {err}", file=sys.stderr)
        return EXIT_ERROR


def _run(args: argparse.Namespace) -> int:
    from mapper.pipeline import run

    tiles = None if args.tiles.lower() == "none" else args.tiles
    result = run(
        [str(p) for p in args.paths] or None,
        out=args.out,
        assume_date=args.assume_date,
        self_contained=args.self_contained,
        tiles=tiles,
    )
    for row in result.rejected.itertuples():
        print(f"rejected: {row.path}: {row.problem} (fix: {row.fix})", file=sys.stderr)
    report = result.report
    if not args.quiet:
        m, c = report["mentions"], report["claims"]
        print(
            f"articles: {report['articles']['read']} read, {report['articles']['rejected']} "
            f"rejected\nplaces:   {m['found']} found, {m['resolved']} resolved, "
            f"{m['ambiguous']} ambiguous, {m['no_match']} unknown\n"
            f"claims:   {c['total']} ({c['mapped']} mapped, {c['negated']} negated)\n"
            f"timeline: {report['timeline']['intervals']} status intervals over "
            f"{report['timeline']['places']} places\n"
            f"unresolved: {', '.join(report['unresolved']) or 'none'}\n"
            f"map:      {args.out / 'map.html'}"
        )
    return EXIT_REJECTED if len(result.rejected) else EXIT_OK


def _eval(args: argparse.Namespace) -> int:
    from mapper.evaluate import evaluate, format_report

    if not args.file.is_file():
        print(f"mapper: error: no such file {args.file}", file=sys.stderr)
        return EXIT_USAGE
    print(format_report(evaluate(args.file)))
    return EXIT_OK


def _lookup(args: argparse.Namespace) -> int:
    from mapper.mentions import default_gazetteer

    candidates = default_gazetteer().lookup(args.name)
    if not candidates:
        print(f"no place named {args.name!r} in the offline gazetteer")
        return EXIT_ERROR
    for c in candidates:
        print(
            f"{c.name:28} {c.kind:10} {c.admin1 or c.country:24} {c.lat:9.5f} {c.lon:9.5f} "
            f"pop {c.population:>9} {c.place_id} ({c.source})"
        )
    return EXIT_OK
