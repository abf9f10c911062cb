"""The figures staff see with /stats: people, questions, answers, shortlists and referrals in a period."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.referrals.model import Referral
from bot.reports.records import SHORTLIST_STATUS, has_status, is_typed_question, people, rate
from bot.storage.base import TurnRecord


@dataclass(frozen=True, slots=True)
class PeriodStats:
    """What happened in one period."""

    people: int
    questions: int
    answered: int
    shortlists: int
    referrals_by_provider: tuple[tuple[str, int], ...]  # most referred first

    @property
    def answered_rate(self) -> float:
        """The share of typed questions answered straight away (0 when there were none)."""
        return rate(self.answered, self.questions)


def period_stats(turns: Sequence[TurnRecord], referrals: Sequence[Referral]) -> PeriodStats:
    """Counts people, typed questions, answers, shortlists and referrals by provider."""
    questions = [turn for turn in turns if is_typed_question(turn)]
    by_provider = Counter(referral.provider_id for referral in referrals)
    return PeriodStats(
        people=len(people(turns)),
        questions=len(questions),
        answered=sum(turn.status == "answered" for turn in questions),
        shortlists=sum(map(has_status(SHORTLIST_STATUS), turns)),
        referrals_by_provider=tuple(sorted(by_provider.items(), key=lambda item: (-item[1], item[0]))),
    )
