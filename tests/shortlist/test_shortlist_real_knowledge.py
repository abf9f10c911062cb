"""The shortlist on the real knowledge folder: every sentence and figure it refers to exists."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import pytest

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
