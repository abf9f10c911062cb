"""A referral: one person, one provider, with the consent that allows it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class ReferralStatus(StrEnum):
    """Where a referral is in its life."""

    PENDING = "pending"
    WITHDRAWN = "withdrawn"
    SENT = "sent"


@dataclass(frozen=True, slots=True)
class Referral:
    """A person's consented request to be put in touch with one provider."""

    id: str
    channel: str
    user_id: str
    provider_id: str
    name: str
    email: str | None
    phone: str | None
    telegram_handle: str | None
    preferences: dict[str, Any]  # the stated profile, as shown to the person before consent
    campaign: str | None
    consent_version: str
    consented_at: datetime
    status: ReferralStatus = ReferralStatus.PENDING
    digest_id: str | None = None
    sent_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)
