"""The static check: quotes against the source, guardrails proved over the pack, dead rules and responses."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import RULES, SEEDS

from engine.check import check_pack
from engine.model import Pack
from engine.validate import load_pack


def edited(tmp_path: Path, file: str, old: str, new: str) -> Pack:
    """The article's pack with one edit."""
    folder = tmp_path / "rules"
    if not folder.exists():
        shutil.copytree(RULES, folder)
    path = folder / file
    text = path.read_text()
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new))
    return load_pack(folder)


def test_the_article_pack_proves_every_guardrail(pack: Pack) -> None:
    report = check_pack(pack)
    assert set(report.proved) == {g.id for g in pack.guardrails}
    assert report.findings == ()


def test_quotes_are_checked_against_the_source_when_given(pack: Pack, tmp_path: Path) -> None:
    source = SEEDS / "001_efc43791f62aabc8.txt"
    if not source.exists():
        pytest.skip("the article is not beside this checkout")
    text = source.read_text()
    assert check_pack(pack, {"weinstein-2021": text}).findings == ()
    moved = edited(tmp_path, "fatf.yaml", "{source: weinstein-2021, para: 15,", "{source: weinstein-2021, para: 14,")
    findings = check_pack(moved, {"weinstein-2021": text}).findings
    assert [(f.code, f.severity) for f in findings] == [("misquote", "error")]
    assert "rule fatf.conditional_message" in findings[0].message and "(it is in ¶15)" in findings[0].message
    garbled = edited(tmp_path, "fatf.yaml", "remain on the list", "remain on the grey list")
    assert any(f.code == "misquote" for f in check_pack(garbled, {"weinstein-2021": text}).findings)


def test_a_source_body_missing_from_the_text_is_reported(tmp_path: Path) -> None:
    pack = edited(tmp_path, "pack.yaml", 'first: "In Afghanistan, surging violence"', 'first: "In Kabul"')
    findings = check_pack(pack, {"weinstein-2021": "Title\n\nIn Afghanistan, surging violence.\n"}).findings
    assert [(f.code, f.severity) for f in findings] == [("bad-body", "error")]
    assert "no line starts with 'In Kabul'" in findings[0].message


def test_fatf_support_without_a_pakistani_action_is_rejected_with_a_counterexample(tmp_path: Path) -> None:
    pack = edited(tmp_path, "fatf.yaml", "when: {fact: cooperation_level, where: {value: sustained_reduction}}\n"
                  "    then:\n      - {respond: fatf.support_removal",
                  "when: {fact: violence_trend, where: {change_pct: {lte: -25}}}\n"
                  "    then:\n      - {respond: fatf.support_removal")
    report = check_pack(pack)
    strings = [f for f in report.findings if f.code == "guardrail-no_strings_free_support"]
    assert len(strings) == 1 and strings[0].severity == "violation"
    assert "rule fatf.offer_support" in strings[0].message
    assert strings[0].counterexample == ("violence_trend(change_pct=-25, metric=attacks, window_days=1)",)
    assert "no_strings_free_support" not in report.proved
    assert any(f.code == "guardrail-carrot_and_stick_exclusive" for f in report.findings)


def test_state_sponsor_threat_as_opening_coercion_is_rejected(tmp_path: Path) -> None:
    pack = edited(tmp_path, "reality.yaml", "- {fact: cooperation_level, where: {value: refusal}}\n"
                  "        - {fact: fatf_status, where: {list: {in: [grey, black]}}}",
                  "- {fact: cooperation_level, where: {value: {in: [refusal, rhetorical]}}}\n"
                  "        - {fact: fatf_status, where: {list: {in: [grey, black]}}}")
    findings = [f for f in check_pack(pack).findings if f.code == "guardrail-no_maximum_pressure"]
    assert [(f.severity, f.message) for f in findings] == [
        ("violation", "rule warning.sst_reminder (then) can recommend warning.remind_sst_possibility against "
         "guardrail no_maximum_pressure: State-sponsor-of-terrorism talk is a reminder after refusal, never opening "
         "coercion.")]


def test_withdrawal_conditioned_on_pakistan_is_rejected(tmp_path: Path) -> None:
    pack = edited(tmp_path, "limits.yaml", """    then:
      - respond: posture.withdraw_on_agreed_timeline""", """    when: {fact: pakistan_stance, where: {position: supports_ceasefire}}
    then:
      - respond: posture.withdraw_on_agreed_timeline""")
    findings = [f for f in check_pack(pack).findings if f.code == "guardrail-withdrawal_not_a_benchmark"]
    assert [(f.severity, f.message) for f in findings] == [
        ("violation", "rule posture.withdraw_on_timeline (then) can recommend posture.withdraw_on_agreed_timeline "
         "against guardrail withdrawal_not_a_benchmark: No posture response rests on a Pakistani fact or on "
         "Pakistan's cooperation.")]


def test_a_response_withholding_trade_is_rejected(tmp_path: Path) -> None:
    pack = edited(tmp_path, "responses.yaml", "    withholds: [fatf_support]", "    withholds: [fatf_support, trade]")
    findings = [f for f in check_pack(pack).findings if f.code == "guardrail-other_interests_not_traded"]
    assert [(f.severity, f.message) for f in findings] == [
        ("violation", "rule fatf.keep_listed (then) can recommend fatf.keep_listed against guardrail "
         "other_interests_not_traded: No response withholds counter-terrorism, nuclear security, trade or climate "
         "cooperation.")]


def test_unreachable_rules_and_unproduced_responses_are_reported(tmp_path: Path) -> None:
    pack = edited(tmp_path, "limits.yaml", "    when: {fact: us_force_posture, where: {decision: remain_indefinitely}}",
                  """    when:
      all:
        - {fact: us_force_posture, where: {decision: remain_indefinitely}}
        - {fact: us_force_posture, where: {decision: withdraw_on_schedule}}""")
    codes = {(f.code, f.message) for f in check_pack(pack).findings}
    assert ("unreachable-rule", "rule risk.remaining can never fire: every way its condition could hold "
            "contradicts itself or needs a value no rule derives") in codes
    assert ("unproduced-response", "no rule can recommend response risk.remaining_may_increase_support") not in codes


@pytest.mark.parametrize(("file", "old", "new", "what"), [
    ("commitments.yaml", "{source: weinstein-2021, para: 16, quote: \"then it deserves",
     "{source: weinstein-2021, para: 17, quote: \"then it deserves", "commitment us_pakistan.fatf_support"),
    ("pack.yaml", "{source: weinstein-2021, para: 16, quote: \"If Pakistan manages",
     "{source: weinstein-2021, para: 17, quote: \"If Pakistan manages", "assumption violence_drop_pct"),
])
def test_commitments_and_assumptions_quotes_are_checked_too(tmp_path: Path, file: str, old: str, new: str,
                                                           what: str) -> None:
    source = SEEDS / "001_efc43791f62aabc8.txt"
    if not source.exists():
        pytest.skip("the article is not beside this checkout")
    findings = check_pack(edited(tmp_path, file, old, new), {"weinstein-2021": source.read_text()}).findings
    assert [(f.code, f.severity) for f in findings] == [("misquote", "error")]
    assert findings[0].message.startswith(f"{what}: quote not found in weinstein-2021 ¶17 (it is in ¶16)")
