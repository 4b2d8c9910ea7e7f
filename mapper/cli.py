"""Command line: ``mapper run | refresh | eval | gazetteer ... | overlay ...``.

Exit codes: 0 success; 1 an error of the mapper (one line; the traceback with ``-v``);
2 bad usage; 3 the run completed but some inputs were rejected (listed on stderr and in
``report.json``) or, for ``refresh``, some source failed (recorded, retried next time);
4 ``refresh`` (or ``run --store``) found another refresh of the same store running.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mapper import settings
from mapper._errors import ConfigurationError, MapperError, RefreshLocked

if TYPE_CHECKING:
    from mapper.pipeline import RunResult
    from mapper.refresh import RefreshResult

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_REJECTED, EXIT_LOCKED = 0, 1, 2, 3, 4
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
log = logging.getLogger("mapper")

_EPILOG_RUN = """examples:
  mapper run                                   # the bundled sample articles -> outputs/
  mapper run articles/ extra.jsonl --out maps/ --self-contained
  mapper run notes.txt --assume-date 2025-04-27 --tiles none
  mapper run --gpkg --geojson-per-date --png 2024-09-01,2025-01-01,2025-04-01
  mapper run --changes 2024-09-01,2025-04-01

exit codes: 0 ok, 1 error, 2 usage, 3 some inputs rejected (the rest was processed),
  4 --store: a refresh of that store is running"""

_EPILOG_REFRESH = """examples:
  mapper refresh --config mapper.toml            # once (e.g. from cron)
  mapper refresh --config mapper.toml --quiet --lock-timeout 60
  mapper refresh --config mapper.toml --every 30m   # in-process; stops on SIGTERM/SIGINT

exit codes: 0 ok, 1 error, 2 usage, 3 a source failed or inputs were rejected (recorded in
  the run and retried next time; the rest was processed), 4 another refresh of the same
  store is running (after waiting --lock-timeout seconds)"""


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
        "--geocoder",
        choices=("nominatim", "photon", "geonames"),
        help="ask this online geocoder for names no offline gazetteer knows "
        "(needs --user-agent or MAPPER_USER_AGENT for Nominatim)",
    )
    run.add_argument("--user-agent", help="identifies you to the online geocoder")
    run.add_argument(
        "--offline", action="store_true", help="online geocoder: answer from its cache only"
    )
    run.add_argument(
        "--overrides",
        type=Path,
        metavar="FILE",
        help="review overrides CSV (default: the data folder's overrides.csv, if any)",
    )
    run.add_argument(
        "--gpkg",
        action="store_true",
        help="also write OUT/mapper.gpkg: claims, places, timeline, areas, front_line layers",
    )
    run.add_argument(
        "--geojson-per-date",
        action="store_true",
        help="also write OUT/by_date/YYYY-MM-DD.geojson: areas and statuses of each change day",
    )
    run.add_argument(
        "--png",
        nargs="?",
        const="",
        metavar="DATES",
        help="also draw OUT/control.png, one panel per day: comma-separated YYYY-MM-DD "
        "(default: six change days spread over the timeline); needs matplotlib",
    )
    run.add_argument(
        "--changes",
        metavar="START,END",
        help="ring the places that changed hands between two days (YYYY-MM-DD,YYYY-MM-DD)",
    )
    run.add_argument(
        "--no-areas",
        action="store_true",
        help="do not estimate control areas and front lines (faster)",
    )
    run.add_argument(
        "--tiles",
        default="default",
        help=f"background tiles: a folium tile name or 'none' (default: {settings.default_tiles})",
    )
    run.add_argument(
        "--store",
        type=Path,
        metavar="FILE",
        help="also keep the articles and claims in this SQLite store (what refresh uses)",
    )
    run.add_argument(
        "--lock-timeout",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="--store: wait this long for a refresh of the store to finish (default 0)",
    )

    refresh = commands.add_parser(
        "refresh",
        parents=[common],
        help="fetch what is new from the configured sources and update the store and map",
        description="Fetch what is new or changed in the sources of a TOML configuration, "
        "extract only that, recompute the timelines of the places it touches, and rewrite "
        "the outputs (map.html with a layer of changes, timeline.csv, changelog.json, "
        "report.json, claims.csv/.geojson) atomically. A lock keeps two refreshes of the "
        "same store from overlapping.",
        epilog=_EPILOG_REFRESH,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    refresh.add_argument(
        "--config", type=Path, required=True, metavar="FILE", help="the TOML configuration"
    )
    refresh.add_argument(
        "--lock-timeout",
        type=float,
        metavar="SECONDS",
        help="wait this long for another refresh to finish (default: the config's "
        "lock_timeout, else 0: exit at once with code 4)",
    )
    refresh.add_argument(
        "--every",
        metavar="DURATION",
        help="refresh repeatedly, e.g. 30m, 1h, 90s; stop with SIGTERM or SIGINT",
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
        help="rank the places a name may refer to, with scores and why",
        description="Rank the candidates for a name as the resolver would, with the evidence.",
        epilog='examples:\n  mapper gazetteer lookup "Kazach\'ya Loknya"\n'
        '  mapper gazetteer lookup Popovka --region "Belgorod region"\n'
        "  mapper gazetteer lookup Oleksiivka --near Yunakivka",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    lookup.add_argument("name")
    lookup.add_argument("--near", metavar="PLACE", help="a place named alongside it")
    lookup.add_argument("--region", metavar="R", help="an oblast or district qualifying it")

    imported = gazetteer_commands.add_parser(
        "import",
        parents=[common],
        help="install a GeoNames dump or a settlement table as a gazetteer layer",
        description="Install a gazetteer layer used by every later run (layered over the "
        "built-in places by priority). Tables may be Cyrillic-only: Latin spellings are "
        "generated.",
        epilog="examples:\n  mapper gazetteer import RU.txt --format geonames --name geonames-ru\n"
        "  mapper gazetteer import settlements.csv --name ru-registry --country RU \\\n"
        "      --name-col settlement --lat-col latitude_dd --lon-col longitude_dd \\\n"
        "      --region-col region --district-col municipality --population-col population",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    imported.add_argument("file", type=Path)
    imported.add_argument("--name", required=True, help="layer name")
    imported.add_argument("--format", choices=("table", "geonames"), default="table")
    imported.add_argument(
        "--priority",
        type=int,
        default=50,
        help="higher wins over lower layers (built-in: curated 100, GeoNames 10)",
    )
    imported.add_argument("--country", help="ISO code of every row (tables)")
    imported.add_argument("--countries", help="comma-separated ISO codes to keep (GeoNames)")
    imported.add_argument("--min-population", type=int, default=0, help="GeoNames: smallest kept")
    imported.add_argument("--delimiter", default=",", help="table field separator")
    for column in ("name", "lat", "lon", "region", "district", "population", "alt", "kind", "id"):
        imported.add_argument(
            f"--{column}-col",
            dest=f"{column}_col",
            metavar="COLUMN",
            help=f"table column holding the {column}",
        )
    imported.add_argument("--alt-sep", default=";", help="separator inside the alt column")
    gazetteer_commands.add_parser("list", parents=[common], help="list installed layers")
    removed = gazetteer_commands.add_parser("remove", parents=[common], help="uninstall a layer")
    removed.add_argument("name")
    _overlay_parser(commands, common)
    return parser


_EPILOG_OVERLAY = """examples:
  mapper overlay add deepstate_states.geojson --name deepstate --status-field status \\
      --index deepstate_snapshot_index.csv --join-field state_id
  mapper overlay add isw_topojson/ --name isw --date-field filename --status UA
  mapper overlay add isw_weekly.geojson --name isw --date-field archive_date --status UA
  mapper overlay list
  mapper overlay agreement deepstate               # against the bundled sample's timeline
  mapper overlay remove isw"""


def _overlay_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    overlay = commands.add_parser(
        "overlay",
        help="reference maps of control (DeepState, ISW) to show beside the claims",
        description="Install dated control polygons drawn by someone else; every later map shows "
        "them as 'Assessed by NAME' layers on the time slider.",
        epilog=_EPILOG_OVERLAY,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    overlay_commands = overlay.add_subparsers(dest="overlay_command", required=True)
    add = overlay_commands.add_parser(
        "add",
        parents=[common],
        help="import GeoJSON/TopoJSON control polygons (a file or a folder)",
        epilog=_EPILOG_OVERLAY,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add.add_argument("file", type=Path, help="a GeoJSON or TopoJSON file, or a folder of them")
    add.add_argument("--name", required=True, help="overlay name")
    add.add_argument(
        "--date-field", help="property holding each feature's date, or 'filename' for the file name"
    )
    status = add.add_mutually_exclusive_group(required=True)
    status.add_argument("--status-field", help="property holding each feature's status")
    status.add_argument(
        "--status", choices=("RU", "UA", "contested"), help="one status for every feature"
    )
    add.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="VALUE=STATUS",
        help="map a status value to RU, UA or contested (repeatable; DeepState's are known)",
    )
    add.add_argument("--index", type=Path, help="CSV of snapshots (date and join key per row)")
    add.add_argument("--join-field", help="property and index column naming a snapshot")
    add.add_argument(
        "--index-date-field", default="snapshot_utc", help="index column of the snapshot time"
    )
    overlay_commands.add_parser("list", parents=[common], help="list installed overlays")
    removed = overlay_commands.add_parser("remove", parents=[common], help="uninstall an overlay")
    removed.add_argument("name")
    agree = overlay_commands.add_parser(
        "agreement",
        parents=[common],
        help="share of (place, date) pairs where the claims' timeline and an overlay agree",
        description="Run the pipeline on the articles and compare the status of each settlement "
        "on each day either changes with the overlay's.",
    )
    agree.add_argument("name")
    agree.add_argument(
        "paths", nargs="*", type=Path, help="article files or folders (default: the bundled sample)"
    )
    agree.add_argument("--assume-date", metavar="YYYY-MM-DD", help="date for undated articles")
    agree.add_argument("--csv", type=Path, metavar="FILE", help="write every pair to this CSV")


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
        if args.command == "refresh":
            return _refresh(args)
        if args.command == "eval":
            return _eval(args)
        if args.command == "overlay":
            return _OVERLAY[args.overlay_command](args)
        return _GAZETTEER[args.gazetteer_command](args)
    except MapperError as err:
        if args.verbose:
            log.exception("failed")
        print(f"mapper: error: {err}", file=sys.stderr)
        return EXIT_LOCKED if isinstance(err, RefreshLocked) else EXIT_ERROR


def _run(args: argparse.Namespace) -> int:
    from mapper.pipeline import run

    tiles = None if args.tiles.lower() == "none" else args.tiles
    if args.geocoder:
        settings.geocoder = args.geocoder
    if args.user_agent:
        settings.user_agent = args.user_agent
    if args.offline:
        settings.offline = True
    changes = None
    if args.changes:
        days = [d.strip() for d in args.changes.split(",")]
        if len(days) != 2 or not all(_ISO_DAY.fullmatch(d) for d in days):
            print(
                "mapper: error: --changes takes START,END as YYYY-MM-DD,YYYY-MM-DD", file=sys.stderr
            )
            return EXIT_USAGE
        changes = (days[0], days[1])
    result = run(
        [str(p) for p in args.paths] or None,
        out=args.out,
        assume_date=args.assume_date,
        self_contained=args.self_contained,
        tiles=tiles,
        overrides=args.overrides,
        areas=not args.no_areas,
        changes=changes,
    )
    exported = _exports(args, result)
    for row in result.rejected.itertuples():
        print(f"rejected: {row.path}: {row.problem} (fix: {row.fix})", file=sys.stderr)
    if args.store is not None:
        from mapper.refresh import store_run

        kept = store_run(
            result.articles,
            result.mentions,
            result.claims,
            args.store,
            lock_timeout=args.lock_timeout,
        )
        if not args.quiet:
            print(
                f"store:    {args.store}: {kept['added']} added, {kept['changed']} changed, "
                f"{kept['places']} place timelines updated"
            )
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
        for path in exported:
            print(f"export:   {path}")
    return EXIT_REJECTED if len(result.rejected) else EXIT_OK


def _exports(args: argparse.Namespace, result: RunResult) -> list[Path]:
    """Write the exports the flags of ``mapper run`` ask for; give their paths."""
    from mapper import export

    written: list[Path] = []
    if args.gpkg:
        written.append(
            export.write_geopackage(
                args.out / "mapper.gpkg",
                located=result.located,
                timeline=result.timeline,
                areas=result.areas,
                front_lines=result.front_lines,
            )
        )
    if args.geojson_per_date or args.png is not None:
        if args.no_areas:
            raise ConfigurationError("--geojson-per-date and --png draw areas: drop --no-areas")
    if args.geojson_per_date:
        files = export.write_geojson_per_date(
            args.out / "by_date", timeline=result.timeline, areas=result.areas
        )
        written.append(args.out / "by_date" if files else args.out)
    if args.png is not None:
        dates = [d.strip() for d in args.png.split(",") if d.strip()] or None
        written.append(
            export.write_small_multiples(
                args.out / "control.png", timeline=result.timeline, areas=result.areas, dates=dates
            )
        )
    return written


def _refresh(args: argparse.Namespace) -> int:
    from mapper import refresh
    from mapper.sources import load_config

    progress = not args.quiet
    if args.every:
        every = refresh.parse_duration(args.every)
        config = load_config(args.config)

        def summary(result: RefreshResult) -> None:
            if not args.quiet:
                print(_refresh_summary(result), flush=True)

        refresh.refresh_every(
            config, every, lock_timeout=args.lock_timeout, progress=progress, on_result=summary
        )
        return EXIT_OK
    result = refresh.refresh(args.config, lock_timeout=args.lock_timeout, progress=progress)
    for failure in result.failures:
        print(
            f"failed: {failure['source']}: {failure['key']}: {failure['error']} "
            "(retried next refresh)",
            file=sys.stderr,
        )
    if not args.quiet:
        print(_refresh_summary(result))
    return EXIT_REJECTED if result.status == "partial" else EXIT_OK


def _refresh_summary(result: RefreshResult) -> str:
    counts, changelog = result.counts, result.changelog
    outputs = ", ".join(str(p) for p in result.outputs[:1])
    return (
        f"refresh {result.run_id} {result.status}: {counts['added']} added, "
        f"{counts['changed']} changed, {counts['rejected']} rejected, "
        f"{len(result.failures)} failed\n"
        f"changes:  {len(changelog['new_claims'])} new claims, "
        f"{len(changelog['places_changed'])} places changed status, "
        f"{len(result.places)} place timelines recomputed\n"
        f"map:      {outputs}"
    )


def _eval(args: argparse.Namespace) -> int:
    from mapper.evaluate import (
        evaluate,
        evaluate_places,
        format_places_report,
        format_report,
        is_places_file,
    )

    if not args.file.is_file():
        print(f"mapper: error: no such file {args.file}", file=sys.stderr)
        return EXIT_USAGE
    if is_places_file(args.file):
        print(format_places_report(evaluate_places(args.file)))
    else:
        print(format_report(evaluate(args.file)))
    return EXIT_OK


def _lookup(args: argparse.Namespace) -> int:
    from mapper.mentions import rank_candidates

    ranked = rank_candidates(args.name, near=args.near, region=args.region)
    if ranked.empty:
        print(f"no place named {args.name!r} in the offline gazetteer")
        return EXIT_ERROR
    for row in ranked.itertuples():
        where = ", ".join(str(x) for x in (row.admin2, row.admin1 or row.country) if x)
        print(
            f"{row.score:6.2f} {row.confidence:5.2f}  {row.place_name} ({row.place_kind}, "
            f"{where}) {row.lat:.5f} {row.lon:.5f}  {row.place_id}\n"
            f"               {row.reasons}"
        )
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    from mapper.gazetteer import imports

    if args.format == "geonames":
        countries = args.countries.split(",") if args.countries else None
        layer = imports.import_geonames(
            args.file,
            name=args.name,
            priority=args.priority,
            countries=countries,
            min_population=args.min_population,
        )
    else:
        given = {
            k: getattr(args, f"{k}_col")
            for k in ("name", "lat", "lon", "region", "district", "population", "kind", "id")
        }
        columns = imports.Columns(
            **{k: v for k, v in given.items() if v}, alt_names=args.alt_col, alt_sep=args.alt_sep
        )
        layer = imports.import_table(
            args.file,
            name=args.name,
            columns=columns,
            priority=args.priority,
            country=args.country,
            delimiter=args.delimiter,
        )
    print(f"installed layer {layer.name}: {layer.rows} places (priority {layer.priority})")
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    from mapper.gazetteer import imports

    layers = imports.installed_layers()
    if not layers:
        print(f"no imported layers in {imports.layers_folder()}")
    for layer in layers:
        print(
            f"{layer.name:24} priority {layer.priority:4}  {layer.rows:8} places  "
            f"{layer.imported_at}  from {layer.source}"
        )
    return EXIT_OK


def _remove(args: argparse.Namespace) -> int:
    from mapper.gazetteer import imports

    imports.remove_layer(args.name)
    print(f"removed layer {args.name}")
    return EXIT_OK


_GAZETTEER = {"lookup": _lookup, "import": _import, "list": _list, "remove": _remove}


def _overlay_add(args: argparse.Namespace) -> int:
    from mapper import overlays

    pairs = [item.split("=", 1) for item in args.map]
    if any(len(pair) != 2 for pair in pairs):
        print("mapper: error: --map takes VALUE=STATUS, e.g. --map grey=contested", file=sys.stderr)
        return EXIT_USAGE
    installed = overlays.import_overlay(
        args.file,
        name=args.name,
        date_field=args.date_field,
        status_field=args.status_field,
        status=args.status,
        status_map=dict(pairs),
        index=args.index,
        join_field=args.join_field,
        index_date_field=args.index_date_field,
    )
    print(
        f"installed overlay {installed.name}: {installed.states} states "
        f"from {installed.first} to {installed.last}"
    )
    return EXIT_OK


def _overlay_list(args: argparse.Namespace) -> int:
    from mapper import overlays

    installed = overlays.installed_overlays()
    if not installed:
        print(f"no overlays in {overlays.overlays_folder()}")
    for overlay in installed:
        print(
            f"{overlay.name:24} {overlay.states:5} states  {overlay.first} .. {overlay.last}  "
            f"imported {overlay.imported_at} from {overlay.source}"
        )
    return EXIT_OK


def _overlay_remove(args: argparse.Namespace) -> int:
    from mapper import overlays

    overlays.remove_overlay(args.name)
    print(f"removed overlay {args.name}")
    return EXIT_OK


def _overlay_agreement(args: argparse.Namespace) -> int:
    from mapper import io, overlays
    from mapper.pipeline import run

    overlay = overlays.read_overlay(args.name)
    result = run(
        [str(p) for p in args.paths] or None,
        assume_date=args.assume_date,
        tiles=None,
        areas=False,
        assessed=[],
    )
    pairs = overlays.agreement(result.timeline, overlay)
    if pairs.empty:
        print(f"no settlement of the timeline has a status inside {args.name}'s extent and dates")
        return EXIT_OK
    print(
        f"{args.name}: {pairs['agree'].mean():.1%} of {len(pairs)} (place, date) pairs agree "
        f"({pairs['place_id'].nunique()} places, {pairs['date'].nunique()} dates)"
    )
    for status, group in pairs.groupby("timeline_status"):
        print(f"  timeline {status:9}: {group['agree'].mean():6.1%} of {len(group)}")
    wrong = pairs[~pairs["agree"]].groupby(["place_name", "timeline_status", "overlay_status"])
    print("disagreements (place: timeline vs overlay, days compared):")
    for (place, ours, theirs), group in sorted(wrong, key=lambda item: -len(item[1]))[:15]:
        print(
            f"  {place}: {ours} vs {theirs} on {len(group)} dates, "
            f"{group['date'].min().date()} .. {group['date'].max().date()}"
        )
    if args.csv:
        io.write_table(pairs.set_index("place_id"), args.csv)
        print(f"pairs: {args.csv}")
    return EXIT_OK


_OVERLAY = {
    "add": _overlay_add,
    "list": _overlay_list,
    "remove": _overlay_remove,
    "agreement": _overlay_agreement,
}
