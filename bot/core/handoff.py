"""The hook that passes a request to talk to a person on to the adviser service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["Handoff", "HandoffRequest", "NoHandoff"]


@dataclass(frozen=True, slots=True)
class HandoffRequest:
    """Someone asked to talk to a person: who, where, when and in what words."""

    channel: str
    user_id: str
    text: str
    at: datetime


class Handoff(Protocol):
    """Where requests for a person go; a deployment points this at its advisers' inbox."""

    async def request(self, request: HandoffRequest) -> bool:
        """Passes the request on; returns True when someone will get back to the person."""
        ...


class NoHandoff:
    """The default: nobody is told, so the person is given the adviser service's own contacts only."""

    async def request(self, request: HandoffRequest) -> bool:
        """Passes nothing on."""
        return False
