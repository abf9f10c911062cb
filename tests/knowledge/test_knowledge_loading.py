"""Loading a knowledge folder gives facts, entries and messages, or refuses with every problem."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest
from knowledge_edits import REGIONS, TODAY, edit

from bot.config import load_config
from bot.errors import KnowledgeError
from bot.knowledge.checks import check_knowledge
from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import Fact, Knowledge, Origin, Phase
from bot.knowledge.values import format_fact, message, render

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def knowledge(kb: Path) -> Knowledge:
    """The valid test folder, loaded."""
    return load_knowledge(kb, TODAY)


def _fact(value: str | int | float | date, unit: str | None) -> Fact:
    return Fact("ns.x", value, unit, "https://www.gov.uk/", "2026/27", None, Origin("values/ns.yaml", 1))


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (29000, "gbp", "£29,000"),
        (29000.0, "gbp", "£29,000"),
        (69.6, "gbp", "£69.60"),
        (199.62, "gbp", "£199.62"),
        (4, "percent", "4%"),
        (28.6, "percent", "28.6%"),
        (24, "weeks", "24 weeks"),
        (1.5, "hours a week", "1.5 hours a week"),
        (1000, "words", "1,000 words"),
        (15, None, "15"),
        (date(2026, 10, 6), None, "6 October 2026"),
        ("Institute of Physics", None, "Institute of Physics"),
    ],
)
def test_a_fact_is_shown_as_people_read_it(
    value: str | int | float | date, unit: str | None, shown: str
) -> None:
    assert format_fact(_fact(value, unit)) == shown


def test_figures_inherit_settings_and_current_is_an_alias(knowledge: Knowledge) -> None:
    fact = knowledge.facts["bursaries.2026-27.physics.bursary"]
    assert (fact.value, fact.unit, fact.academic_year, fact.reviewed) == (
        29000,
        "gbp",
        "2026/27",
        date(2026, 11, 1),
    )
    assert fact.source.startswith("https://www.gov.uk/")
    assert knowledge.facts["bursaries.current.physics.bursary"] is fact
    assert fact.origin.file == "values/bursaries.yaml"


def test_text_and_dates_carry_no_unit(knowledge: Knowledge) -> None:
    assert knowledge.facts["bursaries.current.physics.scholarship_body"].unit is None
    assert knowledge.facts["fees.enic.note"].unit is None
    assert knowledge.facts["cycle.current.apply_opens"].value == date(2026, 10, 6)


def test_a_value_mapping_is_one_figure_with_its_own_unit(knowledge: Knowledge) -> None:
    fact = knowledge.facts["fees.enic.working_days"]
    assert (fact.value, fact.unit, fact.source) == (15, "working days", "https://www.enic.org.uk/")


def test_render_fills_figures_and_names(knowledge: Knowledge) -> None:
    text = "{name}: {bursaries.current.physics.bursary} in {bursaries.current.academic_year}"
    text += ", {fees.enic.statement}"
    assert render(knowledge, text, name="Sam") == "Sam: £29,000 in 2026/27, £69.60"


def test_render_marks_gaps_instead_of_failing(knowledge: Knowledge, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        shown = render(knowledge, "{bursaries.current.art.bursary} for {name}")
    assert shown == "[missing: bursaries.current.art.bursary] for [missing: name]"
    assert len(caplog.records) == 2


def test_messages_are_keyed_by_file_and_rendered(
    knowledge: Knowledge, caplog: pytest.LogCaptureFixture
) -> None:
    assert message(knowledge, "core.greeting", name="Ama").startswith("Hello Ama.")
    assert message(knowledge, "core.apply_open") == "Applications opened on 6 October 2026."
    with caplog.at_level(logging.WARNING):
        assert message(knowledge, "core.nothing") == "[core.nothing]"
    assert caplog.records


def test_entries_synonyms_and_stop_words_are_loaded(knowledge: Knowledge) -> None:
    assert set(knowledge.answers) == {
        "bursary-amounts", "enic-statement", "student-loans", "apply-dates", "out-of-scope-pensions",
    }  # fmt: skip
    assert knowledge.answers["bursary-amounts"].follow_ups == ("enic-statement",)
    assert knowledge.answers["bursary-amounts"].keywords[-1] == "2:1"
    assert knowledge.routes["pgce-university"].phases == (Phase.PRIMARY, Phase.SECONDARY)
    assert knowledge.subjects["mathematics"].aliases == ("maths", "math")
    assert knowledge.providers["sheffield-training"].digest.weekday == "monday"
    assert knowledge.synonyms["bursary"] == ("bursery", "grant")
    assert {"on", "no"} <= knowledge.stop_words


def test_not_when_words_are_loaded_and_optional(kb: Path) -> None:
    assert load_knowledge(kb, TODAY).answers["out-of-scope-pensions"].not_when == ()
    edit(
        kb, "answers/applying.yaml", "    question: How does my teacher pension work?\n",
        "    question: How does my teacher pension work?\n    not_when: [trainee, training]\n",
    )  # fmt: skip
    loaded = load_knowledge(kb, TODAY).answers["out-of-scope-pensions"]
    assert loaded.not_when == ("trainee", "training")


def test_the_version_changes_when_a_file_changes(kb: Path) -> None:
    before = load_knowledge(kb, TODAY).version
    assert load_knowledge(kb, TODAY).version == before
    edit(kb, "messages/core.yaml", "Hello {name}.", "Hi {name}.")
    assert load_knowledge(kb, TODAY).version != before


def test_loading_refuses_with_every_error(kb: Path) -> None:
    edit(kb, "answers/money.yaml", "topic: bursary_amounts", "topic: bursaries")
    edit(kb, "routes.yaml", "funding: salary", "funding: wages")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(kb, TODAY)
    assert {(p.file, p.field) for p in caught.value.problems} == {
        ("answers/money.yaml", "topic"),
        ("routes.yaml", "funding"),
    }


def test_warnings_alone_do_not_stop_loading(kb: Path) -> None:
    edit(kb, "providers.yaml", "referrals@training.test", "referrals@provider.example")
    assert load_knowledge(kb, TODAY).providers["sheffield-training"].digest.emails == (
        "referrals@provider.example",
    )


def test_the_real_knowledge_has_no_errors() -> None:
    regions = load_config(ROOT / "config.yaml", environ={}).regions
    problems = check_knowledge(ROOT / "knowledge", TODAY, regions)
    errors = [str(p) for p in problems if p.severity == "error"]
    assert errors == []


def test_regions_of_the_test_folder_match_the_config() -> None:
    assert set(REGIONS) == set(load_config(ROOT / "config.yaml", environ={}).regions)
