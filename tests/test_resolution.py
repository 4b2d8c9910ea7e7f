"""Place resolution as a whole: the labelled place-mention set, ranking, fallbacks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import mapper
from mapper.cli import EXIT_OK, main
from mapper.evaluate import evaluate_places
from mapper.gazetteer import Candidate, Gazetteer
from mapper.mentions import rank_candidates

PLACES = Path(__file__).parent / "data" / "places_eval.jsonl"


def test_labelled_place_mentions_meet_the_targets() -> None:
    result = evaluate_places(PLACES)
    assert result.found.tp + result.found.fn >= 150
    assert result.found.precision >= 0.97
    assert result.found.recall >= 0.97
    assert result.within_km >= 0.97
    assert result.abstain_right >= 0.8 * (result.abstain_right + result.abstain_wrong)


def test_eval_cli_recognises_a_place_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(PLACES)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "toponyms found" in out and "resolved within 5 km" in out


def test_ranking_explains_itself() -> None:
    ranked = rank_candidates("Popovka", region="Belgorod region")
    best = ranked.iloc[0]
    assert (best["admin1"], best["confidence"] > 0.65) == ("Belgorod Oblast", True)
    assert "qualified by" in best["reasons"]
    near = rank_candidates("Popivka", near="Konotop")
    assert near.iloc[0]["lon"] == pytest.approx(33.11, abs=0.05)
    assert "km from Konotop" in near.iloc[0]["reasons"]


def test_lookup_cli_prints_scores_and_reasons(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gazetteer", "lookup", "Popovka", "--region", "Belgorod region"]) == EXIT_OK
    first = capsys.readouterr().out.splitlines()[:2]
    assert "Belgorod Oblast" in first[0] and "qualified by" in first[1]


class _Fallback(Gazetteer):
    name = "test-fallback"

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.asked: list[str] = []

    def lookup(self, name: str, *, country: str | None = None) -> list[Candidate]:
        self.asked.append(name)
        if self.fail:
            raise mapper.GazetteerUnavailable("service down")
        return [Candidate("test:1", name, "settlement", "RU", "Kursk Oblast", 51.4, 35.4, 0, "t")]


def test_unknown_names_go_to_the_fallback(make_articles: Callable[..., pd.DataFrame]) -> None:
    fallback = _Fallback()
    articles = make_articles(("2025-01-05", "Ukrainian units advanced towards Berdin and Sudzha."))
    found = mapper.mentions_from_articles(articles, fallback=fallback)
    assert fallback.asked == ["Berdin"]
    berdin = found[found["surface"] == "Berdin"].iloc[0]
    assert (berdin["status"], berdin["lat"]) == ("resolved", 51.4)


def test_an_unreachable_fallback_leaves_the_name_unknown(
    make_articles: Callable[..., pd.DataFrame],
) -> None:
    articles = make_articles(("2025-01-05", "Ukrainian units advanced towards Berdin."))
    found = mapper.mentions_from_articles(articles, fallback=_Fallback(fail=True))
    assert found.iloc[0]["status"] == "no_match"


def test_online_fallback_refuses_the_default_user_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mapper.settings, "geocoder", "nominatim")
    monkeypatch.setattr(mapper.settings, "user_agent", mapper.settings.DEFAULT_USER_AGENT)
    with pytest.raises(mapper.ConfigurationError, match="user_agent"):
        mapper.mentions.default_fallback()
    monkeypatch.setattr(mapper.settings, "user_agent", "test-map/1.0 (maps@example.test)")
    assert mapper.mentions.default_fallback() is not None
