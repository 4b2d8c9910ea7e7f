from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import mapper
from mapper._lexicon import Lexicon, load
from mapper._text import WORD_RE, lower_keeping_offsets
from mapper.extract import _WORD_START

Claims = Callable[[str, str], pd.DataFrame]


def rows(claims: pd.DataFrame) -> list[tuple[object, ...]]:
    return [
        (
            c.side,
            c.action,
            c.place_name,
            c.event_date.date().isoformat(),
            c.asserted_controller,
            c.negated,
        )
        for c in claims.itertuples()
    ]


def test_capture_and_denial(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-04-27",
        "Russia's defence ministry said on Saturday its troops had captured Gornal. "
        "Kyiv's general staff rejected the claim on Sunday, saying fighting was continuing "
        "around Gornal.",
    )
    assert rows(claims) == [
        ("RU", "captured", "Gornal", "2025-04-26", "RU", True),
        ("UA", "denied", "Gornal", "2025-04-27", "contested", False),
        ("UA", "fighting", "Gornal", "2025-04-27", "contested", False),
    ]
    denial = claims[claims["action"] == "denied"].index[0]
    assert claims.loc[claims["action"] == "captured", "negated_by"].iloc[0] == denial


def test_several_places_in_one_sentence(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-03-10",
        "The Russian defence ministry said its Sever group had liberated Malaya Loknya, "
        "Cherkasskaya Konopelka and Lebedevka over the past day.",
    )
    assert claims["place_name"].tolist() == ["Malaya Loknya", "Cherkasskaya Konopelka", "Lebedevka"]
    assert set(claims["action"]) == {"liberated"}
    assert set(claims["asserted_controller"]) == {"RU"}


def test_qualifying_region_and_reference_points_are_not_claims(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-01-05",
        "Kyiv's forces launched a new assault towards Berdin, north-east of Sudzha, on Sunday, "
        "Russian war correspondents said. Moscow said troops repelled attacks near Popovka in "
        "the Belgorod region.",
    )
    assert sorted(claims["place_name"]) == ["Berdin", "Popovka"]
    assert claims.set_index("place_name").loc["Berdin", "side"] == "RU"


def test_attempts_and_plans_are_not_claims(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-03-18",
        "Ukrainian troops tried to break through near Demidovka, Moscow said on Tuesday, adding "
        "that the attacks had been repelled. Kyiv aims to capture Sudzha.",
    )
    assert rows(claims) == [("RU", "repelled", "Demidovka", "2025-03-18", "RU", False)]


def test_region_claims_need_a_full_cue_for_a_controller(claims_of: Claims) -> None:
    full = claims_of(
        "2025-04-26", "Gerasimov said on Saturday that the Kursk region had been fully liberated."
    )
    partial = claims_of(
        "2025-04-27", '"Our military continues to defend areas of the Kursk region," Zelensky said.'
    )
    assert rows(full) == [("RU", "liberated", "Kursk Oblast", "2025-04-26", "RU", False)]
    assert rows(partial) == [("UA", "holds", "Kursk Oblast", "2025-04-27", "contested", False)]


def test_outlet_background_claim(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-03-13",
        "Moscow announced on Thursday that its forces had retaken Sudzha, the largest town "
        "Ukraine seized during its August offensive.",
    )
    background = claims[claims["claimant"] == "the outlet"].iloc[0]
    assert (background["side"], background["action"], background["asserted_controller"]) == (
        "observer",
        "captured",
        "UA",
    )
    assert background["event_date"].date().isoformat() == "2024-08-01"
    assert background["date_precision"] == "month"


def test_admission_and_pronoun_attribution(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-03-14",
        "The Ukrainian-held area shrank, the DeepState monitoring project said on Friday. "
        "Sverdlikovo and Martynovka have been lost, it added.",
    )
    assert set(claims["claimant"]) == {"the DeepState monitoring project"}
    assert rows(claims) == [
        ("observer", "withdrew", "Sverdlikovo", "2025-03-14", "RU", False),
        ("observer", "withdrew", "Martynovka", "2025-03-14", "RU", False),
    ]


def test_two_claimants_and_local_officials(claims_of: Claims) -> None:
    claims = claims_of(
        "2024-11-14",
        "North Korean troops have joined the fighting in the Kursk region, Kyiv and Washington "
        "said. Tetkino came under heavy shelling on Monday, its governor said.",
    )
    assert sorted(zip(claims["claimant"], claims["side"], strict=True)) == [
        ("Kyiv", "UA"),
        ("Washington", "other"),
        ("its governor", "RU"),
    ]


def test_hedges_lower_confidence(claims_of: Claims) -> None:
    plain = claims_of(
        "2025-03-09", "Russian military bloggers reported that troops had entered Malaya Loknya."
    )
    hedged = claims_of(
        "2025-03-09",
        "Russian military bloggers reported that troops had entered "
        "Malaya Loknya. The claim could not be independently "
        "verified.",
    )
    assert hedged["confidence"].iloc[0] < plain["confidence"].iloc[0]
    assert not hedged["negated"].iloc[0]


def test_strikes_assert_no_controller(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-03-19",
        "Russian forces struck the city of Sumy with guided bombs "
        "overnight, the regional administration said.",
    )
    assert rows(claims) == [("UA", "attacked", "Sumy", "2025-03-19", None, False)]


def test_dateline_replaces_publication_date(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-06-28",
        "KYIV, June 26 - Ukrainian forces repelled an attack on "
        "Andriivka today, the general staff said.",
    )
    assert claims["event_date"].iloc[0].date().isoformat() == "2025-06-26"


def test_schema_and_input_not_mutated(make_articles: Callable[..., pd.DataFrame]) -> None:
    articles = make_articles(("2025-03-13", "Moscow said it had retaken Sudzha."))
    found = mapper.mentions_from_articles(articles)
    before = (articles.copy(), found.copy())
    claims = mapper.claims_from_articles(articles, found)
    mapper.schema.validate_claims(claims)
    pd.testing.assert_frame_equal(articles, before[0])
    pd.testing.assert_frame_equal(found, before[1])
    with pytest.raises(mapper.SchemaError):
        mapper.claims_from_articles(articles, found.drop(columns=["status"]))


def test_user_lexicon_extends_the_bundled_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, claims_of: Claims
) -> None:
    folder = tmp_path / "lexicon"
    folder.mkdir()
    (folder / "actors.csv").write_text("pattern,side\nthe frobnia brigade,other\n", "utf-8")
    (folder / "actions.csv").write_text("action,pattern\ncaptured,overran\n", "utf-8")
    monkeypatch.setattr(mapper.settings, "data_folder", tmp_path)
    claims = claims_of("2025-03-10", "The Frobnia brigade said its fighters overran Lebedevka.")
    assert [r[:4] for r in rows(claims)] == [("other", "captured", "Lebedevka", "2025-03-10")]


def test_a_lexicon_row_with_an_unquoted_comma_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, claims_of: Claims
) -> None:
    folder = tmp_path / "lexicon"
    folder.mkdir()
    (folder / "actions.csv").write_text(
        "action,pattern\nrepelled,drove (?:\\w+ ){1,2}off\n", "utf-8"
    )
    monkeypatch.setattr(mapper.settings, "data_folder", tmp_path)
    with pytest.raises(mapper.ConfigurationError, match=r"line 2: expected 2 fields .* got 3"):
        claims_of("2025-03-10", "Ukrainian troops drove Russian units off near Sudzha.")


def test_the_side_named_in_a_repulse_is_the_one_repelled(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-06-16",
        "Ukrainian forces pushed Russian units back from Yunakivka last week, "
        "the general staff said on Monday.",
    )
    assert [r[:5] for r in rows(claims)] == [
        ("UA", "repelled", "Yunakivka", "2025-06-09", "UA"),
    ]


def test_a_relative_clause_speaks_for_the_noun_it_hangs_on(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-06-27",
        "Ukrainian forces have recaptured Oleksiivka, the commander-in-chief said today. "
        "Russia's defence ministry, which said last week that it had taken the village, "
        "did not comment.",
    )
    assert [r[:4] for r in rows(claims)] == [
        ("UA", "liberated", "Oleksiivka", "2025-06-27"),
        ("RU", "captured", "Oleksiivka", "2025-06-16"),
    ]


def test_a_long_apposition_keeps_its_speaker(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-06-20",
        "DeepState, a Ukrainian analysis group with close ties to the military, said Russian "
        "troops had advanced near Sudzha.",
    )
    assert [(c.claimant.split(",")[0], c.side, c.action) for c in claims.itertuples()] == [
        ("DeepState", "observer", "advanced")
    ]


def test_a_name_after_the_speech_verb_speaks_only_when_it_ends_the_clause(
    claims_of: Claims,
) -> None:
    said_after = claims_of(
        "2025-03-13", '"We have liberated Sudzha," said Valery Gerasimov on Thursday.'
    )
    assert said_after["claimant"].tolist() == ["Valery Gerasimov"]
    said_what = claims_of(
        "2025-03-13", "Officials in the region, said Russian troops had advanced near Sudzha."
    )
    assert "Russian" not in said_what["claimant"].tolist()


def test_each_clause_has_its_own_subject_and_passive_halts_are_repulses(
    claims_of: Claims,
) -> None:
    claims = claims_of(
        "2025-06-26",
        "Oleksandr Syrskyi said on Thursday that Russian forces had been stopped near Yunakivka "
        "and that Ukrainian troops had retaken Sverdlikovo.",
    )
    assert [r[:5] for r in rows(claims)] == [
        ("UA", "repelled", "Yunakivka", "2025-06-26", "UA"),
        ("UA", "liberated", "Sverdlikovo", "2025-06-26", "UA"),
    ]


def test_troops_still_present_hold_the_place(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-03-17", "Ukrainian troops are still present in Sudzha, Zelensky said on Monday."
    )
    assert [r[:5] for r in rows(claims)] == [("UA", "holds", "Sudzha", "2025-03-17", "UA")]


def test_in_a_passive_withdrawal_the_subject_withdrew(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-03-14", "Russian troops were forced out of Sverdlikovo, Ukraine's general staff said."
    )
    assert [r[:5] for r in rows(claims)] == [("UA", "withdrew", "Sverdlikovo", "2025-03-14", "UA")]


def test_drones_that_attacked_a_town_are_a_strike(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-03-20",
        "Governor Vyacheslav Gladkov said Ukrainian drones had attacked Shebekino overnight.",
    )
    assert [r[1:5] for r in rows(claims)] == [("attacked", "Shebekino", "2025-03-20", None)]


def test_words_of_a_name_are_not_actions(claims_of: Claims) -> None:
    claims = claims_of(
        "2024-11-06",
        "Andriy Kovalenko, who heads the Centre for Countering Disinformation, wrote that "
        "North Korean troops had come under fire in the Kursk region.",
    )
    assert "denied" not in claims["action"].tolist()


def test_denials_by_negated_control_and_by_no_breakthrough(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-04-07",
        "Russia's defence ministry said on Saturday its troops had captured Basivka. "
        "Andriy Kovalenko wrote on Telegram on Sunday that Russian troops did not control "
        "Basivka.",
    )
    assert [r[:2] + r[5:] for r in rows(claims)] == [
        ("RU", "captured", True),
        ("UA", "denied", False),
    ]
    breakthrough = claims_of(
        "2025-03-10", "Kyiv said there was no breakthrough near Sudzha on Sunday."
    )
    assert breakthrough["action"].tolist() == ["denied"]


def test_what_is_expected_to_be_done_is_not_a_claim(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-03-13",
        "Putin visited a command post in the Kursk region and said he expected Sudzha to be "
        "freed soon. Much of the region was still contested.",
    )
    assert "liberated" not in claims["action"].tolist()


def test_cues_of_a_later_sentence_do_not_qualify_a_region_claim(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-04-27",
        "Russia's defence ministry said on Saturday that its forces had liberated the Kursk "
        "region. Ukrainian officials said much of the border area was quiet.",
    )
    assert [r[:5] for r in rows(claims)][:1] == [
        ("RU", "liberated", "Kursk Oblast", "2025-04-26", "RU")
    ]


def test_reuters_dateline_and_control_of_part_of_a_region(claims_of: Claims) -> None:
    claims = claims_of(
        "2024-08-20",
        "KYIV, Aug 12 (Reuters) - Ukrainian forces control 1,000 square kilometres of Russia's "
        "Kursk region, Ukraine's top commander said on Monday.",
    )
    assert [r[:5] for r in rows(claims)] == [
        ("UA", "holds", "Kursk Oblast", "2024-08-12", "contested")
    ]


def test_the_side_behind_a_thwarted_attempt_was_repelled(claims_of: Claims) -> None:
    claims = claims_of(
        "2024-08-20",
        "The Russian defence ministry said its forces thwarted an attempt by Ukrainian units "
        "to break through near the village of Tyotkino.",
    )
    assert [r[:5] for r in rows(claims)] == [("RU", "repelled", "Tetkino", "2024-08-20", "RU")]


def test_background_is_dated_by_its_own_clause_or_not_at_all(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-03-14",
        "Russia's defence ministry said on Thursday its forces had recaptured Sudzha, the "
        "biggest town Ukraine had captured during its incursion.",
    )
    by_claimant = claims.set_index("claimant")
    assert by_claimant.loc["Russia's defence ministry", "event_date"].date().isoformat() == (
        "2025-03-13"
    )
    background = by_claimant.loc["the outlet"]
    assert (background["action"], background["asserted_controller"]) == ("captured", "UA")
    assert pd.isna(background["event_date"]) and pd.isna(background["date_precision"])


def test_a_report_nobody_confirmed_is_the_outlets_hedged_claim(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-03-14",
        "Ukrainian troops were reported to have withdrawn from Sudzha, though Kyiv has not "
        "confirmed it.",
    )
    (claim,) = claims.itertuples()
    assert (claim.claimant, claim.side, claim.action) == ("the outlet", "observer", "withdrew")
    assert claim.confidence < 0.6


def test_geolocated_footage_of_a_flag_raising_is_the_analysts_claim(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-03-14",
        "Footage geolocated by analysts showed Russian troops raising a flag over the central "
        "square of Sudzha.",
    )
    assert [(c.claimant, c.side, c.action, c.asserted_controller) for c in claims.itertuples()] == [
        ("analysts", "observer", "captured", "RU")
    ]


def test_both_claimants_of_a_shared_statement_are_named_plainly(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-03-14", "Kyiv and Moscow both said their forces held positions near Gornal."
    )
    assert [(c.claimant, c.side, c.asserted_controller) for c in claims.itertuples()] == [
        ("Kyiv", "UA", "UA"),
        ("Moscow", "RU", "RU"),
    ]


def test_a_place_declared_ours_is_captured(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-03-16",
        '"Sudzha is ours," a Russian commander said in a video posted on Telegram on Saturday.',
    )
    assert [r[:5] for r in rows(claims)] == [("RU", "captured", "Sudzha", "2025-03-15", "RU")]


def test_a_relative_clause_does_not_take_a_place_from_before_it(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-04-27",
        "Kyiv had hoped it could use land in the Kursk region as a bargaining chip in talks with "
        "Russia, which has seized parts of eastern and southern Ukraine since February 2022.",
    )
    assert claims.empty


def test_the_region_refers_back_to_the_region_named_last(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-04-27",
        "Zelensky said Ukraine was still fighting in Russia's Kursk, a day after Moscow claimed "
        'the "full liberation" of its western region. Gerasimov said on Saturday that no '
        "Ukrainian units remained in the region.",
    )
    assert [r[:5] for r in rows(claims)][1:] == [
        ("RU", "liberated", "Kursk Oblast", "2025-04-27", "RU"),
        ("RU", "withdrew", "Kursk Oblast", "2025-04-26", "RU"),
    ]


def test_maintained_positions_are_a_hold(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-03-14", "Ukrainian forces maintained positions near Sverdlikovo on March 3."
    )
    assert [r[:5] for r in rows(claims)] == [
        ("observer", "holds", "Sverdlikovo", "2025-03-03", "UA")
    ]


def test_now_is_the_statements_day_and_a_later_clauses_date_is_its_own(
    claims_of: Claims,
) -> None:
    now = claims_of(
        "2025-03-17",
        '"The enemy now controls Kazachya Loknya," a Ukrainian spokesman said on Sunday.',
    )
    assert [r[:4] for r in rows(now)] == [("UA", "withdrew", "Kazachya Loknya", "2025-03-16")]
    later = claims_of(
        "2025-02-18",
        "Russian officials reported shelling of Tetkino, a border settlement that has come "
        "under repeated fire since 2022.",
    )
    assert {r[3] for r in rows(later)} == {"2025-02-18"}


def test_an_appositive_date_after_the_place_dates_the_claim(claims_of: Claims) -> None:
    claims = claims_of(
        "2024-12-12",
        "Russian military bloggers claimed that North Korean special forces had stormed "
        "Plekhovo days earlier, on December 6, crossing a minefield.",
    )
    assert [r[:4] for r in rows(claims)] == [("RU", "advanced", "Plekhovo", "2024-12-06")]


def test_the_same_event_told_again_keeps_its_date(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-04-15",
        "Russian missiles struck the centre of Sumy on Sunday, Ukrainian officials said. Moscow "
        "said it had targeted a meeting of officers in the city.",
    )
    assert [r[:4] for r in rows(claims)] == [
        ("UA", "attacked", "Sumy", "2025-04-13"),
        ("RU", "attacked", "Sumy", "2025-04-13"),
    ]


@pytest.mark.parametrize(
    ("text", "claimant"),
    [
        (
            "Russian military bloggers, however, claimed that troops had stormed Plekhovo.",
            "Russian military bloggers",
        ),
        (
            "Ukraine's Centre for Countering Disinformation called the claim fake and said "
            "Andriivka remained under Ukrainian control.",
            "Ukraine's Centre for Countering Disinformation",
        ),
        (
            "On Friday Ukraine's general staff said reports of Ukrainian troops leaving Sudzha "
            "were false.",
            "Ukraine's general staff",
        ),
    ],
)
def test_the_speaker_is_named_without_what_surrounds_it(
    claims_of: Claims, text: str, claimant: str
) -> None:
    assert set(claims_of("2025-03-14", text)["claimant"]) == {claimant}


def test_he_refers_to_a_person_not_to_a_capital(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-06-02",
        "The Sumy regional governor, Oleh Hryhorov, confirmed what Moscow had claimed in March. "
        "He said clashes were continuing near Kindrativka.",
    )
    assert claims["claimant"].tolist() == ["The Sumy regional governor, Oleh Hryhorov"]


def test_the_area_under_a_sides_control_and_time_references_are_not_claims(
    claims_of: Claims,
) -> None:
    claims = claims_of(
        "2025-03-14",
        "Ukrainian troops held Sudzha on Monday. DeepState estimated that the area under "
        "Ukrainian control had shrunk to 140 square kilometres. Some 150,000 people have left "
        "the region since the fighting started, Russian officials said.",
    )
    assert [r[:3] for r in rows(claims)] == [("observer", "holds", "Sudzha")]


def test_a_speaker_reports_what_follows_it_unless_it_ends_the_clause(claims_of: Claims) -> None:
    maps = claims_of(
        "2025-03-17",
        "Battle maps published by Ukraine's general staff no longer showed Sudzha as "
        "Ukrainian-held, confirming the withdrawal after Russia announced the town's capture.",
    )
    withdrawal = maps[maps["action"] == "withdrew"].iloc[0]
    assert (withdrawal["side"], withdrawal["asserted_controller"]) == ("UA", "RU")
    said = claims_of(
        "2024-11-14",
        "North Korean troops have joined the fighting in the Kursk region, Kyiv and Washington "
        "said, with Pentagon officials citing clashes near Plekhovo.",
    )
    assert said["claimant"].tolist()[0] == "Kyiv"


def test_a_capital_is_a_claims_place_only_when_struck(claims_of: Claims) -> None:
    pressure = claims_of(
        "2025-03-15",
        "Ukraine's general staff said the reports were false and had been invented to put "
        "political pressure on Kyiv.",
    )
    assert "Kyiv" not in set(pressure["place_name"])
    struck = claims_of("2025-04-24", "Russia launched a massive missile attack on Kyiv overnight.")
    assert [r[1:3] for r in rows(struck)] == [("attacked", "Kyiv")]


def test_circumstances_are_not_part_of_the_speaker_and_breaking_in_is_an_advance(
    claims_of: Claims,
) -> None:
    claims = claims_of(
        "2025-03-14",
        "Zelensky, speaking at a news conference in Kyiv, said Russian troops had broken into "
        "Sudzha.",
    )
    assert [(c.claimant, c.action, c.place_name) for c in claims.itertuples()] == [
        ("Zelensky", "advanced", "Sudzha")
    ]


def test_footage_showing_troops_in_a_place_and_attackers_pushed_back(claims_of: Claims) -> None:
    footage = claims_of(
        "2025-03-14",
        "Pro-Kremlin bloggers posted footage purportedly showing Russian paratroopers in the "
        "centre of Sudzha.",
    )
    (claim,) = footage.itertuples()
    assert (claim.side, claim.action, claim.place_name) == ("RU", "advanced", "Sudzha")
    assert claim.confidence < 0.75  # "purportedly"
    pushed = claims_of(
        "2025-03-14",
        "Ukraine's border guards said Russian groups tried to enter the village of Basivka but "
        "were pushed back.",
    )
    assert [r[:5] for r in rows(pushed)] == [("UA", "repelled", "Basivka", "2025-03-14", "UA")]


def test_a_place_said_to_be_still_contested_is_fought_over(claims_of: Claims) -> None:
    claims = claims_of(
        "2025-03-14",
        "Russia said its forces had liberated Sverdlikovo, though Ukrainian officials said the "
        "village was still contested.",
    )
    assert [r[:5] for r in rows(claims)] == [
        ("RU", "liberated", "Sverdlikovo", "2025-03-14", "RU"),
        ("UA", "fighting", "Sverdlikovo", "2025-03-14", "contested"),
    ]


def each_regex_alone(lexicon: Lexicon, text: str) -> list[tuple[str, tuple[int, int]]]:
    return [(a, m.span()) for a, regex in lexicon.actions for m in regex.finditer(text)]


def test_action_phrases_are_found_as_each_regex_alone_finds_them() -> None:
    bundled = load()
    sample, _ = mapper.articles_from_paths([mapper.datasets.get_path("sample")])
    for text in sample["text"]:
        lower = lower_keeping_offsets(str(text))
        found = [(a, m.span()) for a, m in bundled.action_matches(lower)]
        assert found == each_regex_alone(bundled, lower)
    # Optional, repeated and case-blind parts, look-arounds, matches inside words that hide
    # later ones, white space other than a space, and a regex with no literal start.
    patterns = [
        r"(?:had |have )?left",
        r"\blost (?:ground|the village)",
        r"(?<!re)took",
        r"ab(?:cd)+e",
        r"(?i:fell) to",
        r"x\ny z",
        r"wait  on",
        r"o(?:n|ne)",
        r"\w+ back",
    ]
    texts = [
        "they had left, have left; left. cleft",
        "retook took, lost ground and lost the village",
        "abcdcde abe FELL to Fell to fell to",
        "a\nb x\ny z wait  on wait on",
        "one done onion pushed them back",
        "",
    ]
    for chosen in (patterns, patterns[-1:]):
        tricky = Lexicon(
            actors=(), actions=tuple(("advanced", re.compile(p)) for p in chosen), cues={}
        )
        for text in texts:
            found = [(a, m.span()) for a, m in tricky.action_matches(text)]
            assert found == each_regex_alone(tricky, text)


def test_word_starts_are_told_as_the_word_regex_finds_them() -> None:
    sample, _ = mapper.articles_from_paths([mapper.datasets.get_path("sample")])
    texts = [*map(str, sample["text"]), "a’b’c d_e ’f g'' 1’000 é\u0301x Д-р"]
    for text in texts:
        expected = [m.start() for m in WORD_RE.finditer(text)]
        assert [m.start() for m in _WORD_START.finditer(text)] == expected


def test_every_cue_match_starts_where_a_cue_is_found() -> None:
    bundled = load()
    sample, _ = mapper.articles_from_paths([mapper.datasets.get_path("sample")])
    for text in sample["text"]:
        lower = lower_keeping_offsets(str(text))
        starts = bundled.cue_starts(lower, tuple(bundled.cues))
        for kind in bundled.cues:
            found = {m.start() for m in bundled.lower_cue_regex(kind).finditer(lower)}
            assert found <= set(starts.get(kind, []))


@pytest.mark.parametrize(
    "aim",
    ["aims to", "AIMS TO", "aıms to"],  # re takes the dotless "ı" for "i", case-blind
)
def test_a_modal_cue_counts_in_any_case(claims_of: Claims, aim: str) -> None:
    claims = claims_of("2025-04-27", f"Russian forces {aim} capture Sudzha, the ministry said.")
    assert rows(claims) == []
    assert rows(claims_of("2025-04-27", "Russian forces captured Sudzha, the ministry said."))


def test_a_count_of_villages_in_a_region_is_an_advance_there(claims_of: Claims) -> None:
    said = "Ukraine's general staff said its forces had liberated {} on Monday."
    counted = claims_of("2025-04-27", said.format("ten villages in the Kursk region"))
    assert [r[1:3] for r in rows(counted)] == [("advanced", "Kursk Oblast")]
    whole = claims_of("2025-04-27", said.format("the Kursk region"))
    assert [r[1:3] for r in rows(whole)] == [("liberated", "Kursk Oblast")]


@pytest.mark.parametrize(
    ("text", "side"),
    [
        ("Ukraine's general staff also said its forces had liberated Lebedevka.", "UA"),
        ("Kyiv has not said whether Russian forces captured Gornal.", "observer"),
        ("It was reported that Russian troops captured Gornal.", "observer"),
    ],
)
def test_the_words_before_a_speech_verb_tell_who_speaks(
    claims_of: Claims, text: str, side: str
) -> None:
    assert [c.side for c in claims_of("2025-04-27", text).itertuples()] == [side]


def test_a_sentence_whose_lower_case_is_longer_keeps_to_its_own_actions(
    claims_of: Claims,
) -> None:
    # "İ" lowers to two characters; the next sentence's action must not reach back into it.
    claims = claims_of(
        "2025-04-27",
        "Officials from İİİİİİİİ İİİİİİİİ İİİİİİİİ were at the meeting in Kursk. "
        "Troops captured Gornal on Saturday, the Russian defence ministry said.",
    )
    assert claims["place_name"].tolist() == ["Gornal"]


def test_a_hedge_lowers_the_sentence_before_not_an_earlier_copy_of_it(
    claims_of: Claims,
) -> None:
    said = "Russia's defence ministry said its troops captured Gornal on Saturday."
    claims = claims_of(
        "2025-04-27",
        f"{said} Fighting went on near Sudzha, Ukraine said. {said} "
        "The claim could not be independently verified.",
    )
    gornal = claims[claims["place_name"] == "Gornal"]
    assert len(gornal) == 1 and gornal["confidence"].iloc[0] == 0.75
