from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import mapper
from mapper.cli import EXIT_ERROR, EXIT_OK, EXIT_REJECTED, EXIT_USAGE, main
from mapper.pipeline import OUTPUT_FILES


def test_sample_run_writes_every_output(sample_run: mapper.RunResult, tmp_path: Path) -> None:
    mapper.pipeline.write_outputs(sample_run, tmp_path)
    for name in OUTPUT_FILES:
        assert (tmp_path / name).stat().st_size > 0, name
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["articles"]["read"] >= 15 and report["articles"]["rejected"] == 0
    assert report["claims"]["total"] == len(sample_run.claims)
    claims = pd.read_csv(tmp_path / "claims.csv")
    assert {"claimant", "side", "action", "place_name", "event_date", "evidence", "url"} <= set(
        claims.columns
    )


def test_sample_covers_the_story(sample_run: mapper.RunResult) -> None:
    claims = sample_run.claims
    assert {"captured", "liberated", "withdrew", "denied", "fighting", "attacked"} <= set(
        claims["action"]
    )
    assert {"Kursk Oblast", "Belgorod Oblast", "Sudzha", "Gornal", "Kazachya Loknya"} <= set(
        sample_run.mentions["place_name"].dropna()
    )
    assert claims["negated"].any()
    status = mapper.status_on(sample_run.timeline, "2024-09-15").set_index("place_name")
    assert status.loc["Sudzha", "controller"] == "UA"
    later = mapper.status_on(sample_run.timeline, "2025-04-01").set_index("place_name")
    assert later.loc["Sudzha", "controller"] == "RU"


def test_cli_run_reports_and_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--out", str(tmp_path), "--tiles", "none", "-q"]) == EXIT_OK
    assert (tmp_path / "map.html").exists()
    assert main(["run", "--out", str(tmp_path / "b"), "--tiles", "none"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "articles:" in out and "claims:" in out and "map.html" in out


def test_cli_rejected_inputs_exit_three(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "undated.txt").write_text("Fighting near Sudzha.", encoding="utf-8")
    (tmp_path / "in" / "empty.md").write_text("", encoding="utf-8")
    code = main(
        [
            "run",
            str(tmp_path / "in"),
            str(mapper.datasets.get_path("sample")),
            "--out",
            str(tmp_path / "out"),
            "--tiles",
            "none",
            "-q",
        ]
    )
    assert code == EXIT_REJECTED
    err = capsys.readouterr().err
    assert "undated.txt: no publication date" in err and "empty.md: empty file" in err
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert len(report["rejected"]) == 2


def test_cli_errors_and_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--assume-date", "soon", "--out", str(tmp_path), "-q"]) == EXIT_ERROR
    assert "assume-date" in capsys.readouterr().err
    assert main(["frobnicate"]) == EXIT_USAGE
    assert main(["eval", str(tmp_path / "missing.jsonl")]) == EXIT_USAGE


def test_cli_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["--help"],
        ["run", "--help"],
        ["eval", "--help"],
        ["gazetteer", "--help"],
        ["gazetteer", "lookup", "--help"],
    ):
        assert main(argv) == EXIT_OK
        assert "example" in capsys.readouterr().out


def test_gazetteer_lookup(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gazetteer", "lookup", "Kazach'ya Loknya"]) == EXIT_OK
    assert "51.24000" in capsys.readouterr().out
    assert main(["gazetteer", "lookup", "Atlantis"]) == EXIT_ERROR


def test_public_api_loads_stages_on_first_use() -> None:
    # A fresh interpreter: this one has loaded everything already.
    script = (
        "import sys, mapper\n"
        "from mapper.gazetteer.local import LocalGazetteer\n"
        "heavy = {'folium', 'geopandas', 'shapely', 'pandas'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
        "assert callable(mapper.claims_from_articles) and 'pandas' in sys.modules\n"
        "assert mapper.extract.claims_from_articles is mapper.claims_from_articles\n"
        "assert set(mapper.__all__) <= set(dir(mapper))\n"
        "try:\n"
        "    mapper.no_such_thing\n"
        "except AttributeError as err:\n"
        "    assert 'no_such_thing' in str(err)\n"
        "else:\n"
        "    raise SystemExit('no AttributeError')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
