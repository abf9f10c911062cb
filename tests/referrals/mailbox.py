"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives and can be told to refuse."""

from __future__ import annotations

from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any


@dataclass
class Mailbox:
    """The aiosmtpd handler: accepted messages, parsed, and replies to give instead of accepting."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    refuse_next: list[str] = field(default_factory=list)
    refused: int = 0
    port: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Accepts the message, or answers with the next queued refusal."""
        if self.refuse_next:
            self.refused += 1
            return self.refuse_next.pop(0)
        parsed = message_from_bytes(envelope.content, policy=default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        """Returns the messages whose envelope included this address."""
        return [m for m, rcpts in zip(self.messages, self.recipients, strict=True) if address in rcpts]
