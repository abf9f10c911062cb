"""The shortlist on the real knowledge folder: every sentence and figure it refers to exists."""

from __future__ import annotations

import itertools
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import Knowledge, Phase
from bot.shortlist.geo import Gazetteer
from bot.shortlist.profile import Profile
from bot.shortlist.rank import build_shortlist, explain_method_keys

ROOT = Path(__file__).resolve().parents[2] / "knowledge"
TODAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def real() -> Knowledge:
    loader = pytest.importorskip("bot.knowledge.loader")
    knowledge: Knowledge = loader.load_knowledge(ROOT, TODAY)
    return knowledge


def test_every_reason_and_fact_exists_in_the_real_files(real: Knowledge) -> None:
    places = Gazetteer.load(ROOT / "geo")
    assert set(explain_method_keys()) <= set(real.messages)
    for where, subject, degree in itertools.product(
        ("Sheffield", "BN1", "Kent"), ("physics", "primary", "history"), ("none", "upper_second", "third")
    ):
        person = Profile(
            subjects=(subject,),
            phase=Phase.PRIMARY if subject == "primary" else Phase.SECONDARY,
            place=places.resolve(where)[0],
            travel_miles=40,
            degree=degree,
            start="next_september",
            needs_visa=degree == "third",
        )
        shortlist = build_shortlist(real, person, f"{where}-{subject}", 8, TODAY)
        assert shortlist.routes
        lines = list(shortlist.notes)
        for fit in shortlist.routes:
            lines.extend(fit.reasons + fit.money)
        for line in lines:
            assert line.key in real.messages, line.key
            assert all(path in real.facts for _, path in line.facts), line
        assert all(p.provider_id in real.providers for p in shortlist.providers)


def _follow_the_new_year_recipe(folder: Path, fees: bool) -> None:
    """Does what knowledge/README.md says for a new recruitment year: a 2027-28 block, and current moved."""
    for name, wanted in (("bursaries", True), ("fees", fees)):
        if not wanted:
            continue
        path = folder / "values" / f"{name}.yaml"
        text = path.read_text(encoding="utf-8")
        start = text.index("\n2026-27:\n") + 1
        end = next((m.start() + 1 for m in re.finditer(r"\n[A-Za-z0-9_]", text[start:]) if m.start()), None)
        block = text[start:] if end is None else text[start : start + end]
        new = block.replace("2026-27:", "2027-28:", 1).replace(
            "academic_year: 2026/27", "academic_year: 2027/28"
        )
        text = text.replace("current: 2026-27", "current: 2027-28", 1)
        path.write_text(text.rstrip("\n") + "\n\n" + new, encoding="utf-8")


@pytest.mark.parametrize("fees", [False, True])
def test_after_the_new_year_recipe_the_new_figures_are_not_called_unannounced(
    tmp_path: Path, fees: bool
) -> None:
    folder = Path(shutil.copytree(ROOT, tmp_path / "knowledge"))
    _follow_the_new_year_recipe(folder, fees)
    knowledge = load_knowledge(folder, TODAY)
    assert knowledge.facts["bursaries.current.physics.bursary"].academic_year == "2027/28"
    person = Profile(
        subjects=("physics",), phase=Phase.SECONDARY, degree="upper_second", start="next_september"
    )
    notes = [note.key for note in build_shortlist(knowledge, person, "p", 8, TODAY).notes]
    assert "shortlist.money_year_differs" not in notes
    assert "shortlist.money_year_differs_bursaries" not in notes
    assert ("shortlist.money_year_differs_fees" in notes) is not fees
