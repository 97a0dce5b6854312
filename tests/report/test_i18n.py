"""The catalogues: the same keys and placeholders in both languages, a word for every code the
report shows, and Korean where Korean is asked for."""

from __future__ import annotations

import re
import string

import pytest
from rich.console import Console

from aigrid.model import TenantClass
from aigrid.report.i18n import CATALOGUE, EN, KO, Lang, t
from aigrid.report.scorecard import render
from aigrid.report.verdicts import Question, Status
from aigrid.scheduler import ReasonCode
from tests.report import builders as b

HANGUL = re.compile(r"[\uac00-\ud7a3]")
HEADLINE_PREFIX = {
    Question.SMALLER_FIRMS: "sf",
    Question.MONEY: "money",
    Question.POWER: "power",
    Question.PUBLIC: "public",
}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_key_is_in_both_languages() -> None:
    assert set(EN) == set(KO), (
        f"only in en: {sorted(set(EN) - set(KO))}; only in ko: {sorted(set(KO) - set(EN))}"
    )
    assert set(CATALOGUE) == set(Lang)


@pytest.mark.parametrize("key", sorted(EN))
def test_both_languages_fill_the_same_placeholders(key: str) -> None:
    assert _placeholders(EN[key]) == _placeholders(KO[key]), key
    assert EN[key].strip() and KO[key].strip()


def test_korean_sentences_are_korean() -> None:
    prose = [k for k in EN if k.split(".")[0] in {"q", "status", "sf", "money", "power", "public"}]
    prose += [k for k in EN if k.startswith(("how.", "fig.", "report.", "class.", "reason."))]
    untranslated = [k for k in prose if not HANGUL.search(KO[k])]
    assert not untranslated
    assert not [k for k in prose if HANGUL.search(EN[k])]


def test_every_code_the_report_shows_has_words() -> None:
    for code in ReasonCode:
        assert f"reason.{code.slug}" in EN
    for cls in TenantClass:
        assert f"class.{cls.value}" in EN
    for q, prefix in HEADLINE_PREFIX.items():
        assert f"q.{q.value}" in EN
        for status in Status:
            assert f"status.{status.value}" in EN
            assert f"{prefix}.{status.value}" in EN


def test_t_fills_placeholders_and_keeps_figures_as_they_are() -> None:
    assert t(Lang.EN, "sc.still_waiting", n="1,234") == "(1,234 waiting)"
    assert t(Lang.KO, "sc.still_waiting", n="1,234") == "(1,234개 대기 중)"
    assert t(Lang.KO, "q.smaller_firms") == "중소기업·스타트업이 GPU를 쓸 수 있는가?"
    with pytest.raises(KeyError):
        t(Lang.EN, "no.such.key")


@pytest.mark.parametrize("lang", list(Lang))
def test_the_terminal_scorecard_speaks_the_language_asked_for(lang: Lang) -> None:
    console = Console(record=True, width=200)
    s = b.summary(peak_mw={"north": 10.0})
    console.print(render([s], lang))
    console.print(render([s, s], lang))
    out = console.export_text()
    for q in Question:
        assert t(lang, f"q.{q.value}") in out
    other = Lang.KO if lang is Lang.EN else Lang.EN
    assert t(other, "q.money") not in out
    assert ("north" in out) and ("10.0 MW" in out) and ("1,234 MWh" in out)
    assert t(lang, "status.partly") in out
