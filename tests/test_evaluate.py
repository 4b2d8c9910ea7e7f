from __future__ import annotations

import json
from pathlib import Path

import pytest

import mapper
from mapper.cli import EXIT_OK, main
from mapper.evaluate import Score, evaluate, format_report
from tests.conftest import shared_path


def test_score_counts_multisets() -> None:
    score = Score()
    score.add("x", ["a", "a", "b"], ["a", "c"])
    assert (score.tp, score.fp, score.fn) == (1, 1, 2)
    assert score.precision == 0.5 and score.recall == pytest.approx(1 / 3)
    assert [m for _, m in score.misses] == ["a", "b"]


def test_evaluate_a_small_file(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    example = {
        "id": "t1",
        "published": "2025-03-13",
        "text": "Moscow announced on Thursday that its forces had retaken Sudzha.",
        "places": ["Moscow", "Sudzha"],
        "claims": [
            {
                "side": "RU",
                "action": "liberated",
                "place": "Sudzha",
                "event_date": "2025-03-13",
                "negated": False,
            }
        ],
    }
    path.write_text(json.dumps(example) + "\n", encoding="utf-8")
    result = evaluate(path)
    assert result.claims.f1 == 1.0 and result.places.f1 == 1.0
    assert "claims" in format_report(result)


def test_malformed_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": 1}\n', encoding="utf-8")
    with pytest.raises(mapper.InputError, match="missing keys"):
        evaluate(path)


def test_dev_set(capsys: pytest.CaptureFixture[str]) -> None:
    path = shared_path("eval", "dev_claims.jsonl")
    result = evaluate(path)
    assert result.examples >= 30
    assert result.claims.f1 >= 0.90
    assert result.negated.f1 >= 0.90
    assert result.places.f1 >= 0.85
    assert main(["eval", str(path)]) == EXIT_OK
    assert "claims" in capsys.readouterr().out


def test_harder_claims_set_meets_the_targets() -> None:
    path = Path(__file__).parent / "data" / "claims_eval.jsonl"
    result = evaluate(path)
    labelled = result.claims.tp + result.claims.fn
    assert labelled >= 100
    assert result.claims.f1 >= 0.90
    assert result.negated.f1 >= 0.90
    assert set(result.fields) == {
        "place",
        "side",
        "action",
        "event_date",
        "asserted_controller",
        "negated",
    }
    assert result.actions[("captured", "captured")] > 0


def test_eval_report_has_fields_and_confusion(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(Path(__file__).parent / "data" / "claims_eval.jsonl")]) == EXIT_OK
    out = capsys.readouterr().out
    assert "per field" in out and "actions (rows labelled" in out


def test_misses_and_extras_are_listed_in_one_order() -> None:
    one, other = Score(), Score()
    names = ["Sudzha", "Gornal", "Kursk Oblast", "Ukraine", "Russia"]
    one.add("d1", ["Lgov", "Tetkino"], names)
    other.add("d1", ["Tetkino", "Lgov"], list(reversed(names)))
    assert one.extras == other.extras
    assert one.misses == other.misses == [("d1", "Lgov"), ("d1", "Tetkino")]
