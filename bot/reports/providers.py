"""How many referrals each provider received, by where each referral is now."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from bot.referrals.model import Referral, ReferralStatus


@dataclass(frozen=True, slots=True)
class ProviderCount:
    """Referrals to one provider."""

    provider_id: str
    referrals: int
    pending: int
    sent: int
    withdrawn: int


def provider_counts(referrals: Iterable[Referral]) -> list[ProviderCount]:
    """Counts referrals per provider and status, most referred first."""
    counts: dict[str, Counter[ReferralStatus]] = defaultdict(Counter)
    for referral in referrals:
        counts[referral.provider_id][referral.status] += 1
    rows = [
        ProviderCount(
            provider,
            sum(c.values()),
            c[ReferralStatus.PENDING],
            c[ReferralStatus.SENT],
            c[ReferralStatus.WITHDRAWN],
        )
        for provider, c in counts.items()
    ]
    return sorted(rows, key=lambda row: (-row.referrals, row.provider_id))
