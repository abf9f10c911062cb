"""The values that cross the channel boundary: a Turn comes in, Replies go out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


class Status(StrEnum):
    """What a reply did, recorded on the reply and in the turn log."""

    ANSWERED = "answered"
    SUGGESTED = "suggested"
    NO_MATCH = "no_match"
    OUT_OF_SCOPE = "out_of_scope"
    CLARIFICATION = "clarification"
    ERROR = "error"
    MENU = "menu"
    PROMPT = "prompt"
    SHORTLIST = "shortlist"
    CONFIRMED = "confirmed"
    INFO = "info"
    DENIED = "denied"


@dataclass(frozen=True, slots=True)
class Button:
    """One choice offered under a reply; the payload is at most 64 bytes."""

    label: str
    payload: str
    # A decision such as consent or erasure: only a press or the exact label makes it, never a number.
    decisive: bool = False


def button_numbers(buttons: Sequence[Button]) -> list[int | None]:
    """Returns the number each button is shown and picked with where buttons are numbered (None: none)."""
    numbers: list[int | None] = []
    count = 0
    for button in buttons:
        if button.decisive:
            numbers.append(None)
        else:
            count += 1
            numbers.append(count)
    return numbers


@dataclass(frozen=True, slots=True)
class Turn:
    """One thing a person did: typed text, pressed a button, or opened a start link."""

    channel: str
    user_id: str
    text: str = ""
    payload: str | None = None
    start_payload: str | None = None
    username: str | None = None
    display_name: str | None = None
    numbered: bool = False  # the channel shows buttons as numbered options, so a typed number picks one
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a reply, such as a JSON export of a person's data."""

    filename: str
    content: bytes
    mime_type: str


@dataclass(frozen=True, slots=True)
class Reply:
    """One message the bot sends back, with its buttons and outcome."""

    text: str
    status: Status
    buttons: tuple[Button, ...] = ()
    entry: str | None = None
    topic: str | None = None
    score: float | None = None
    attachment: Attachment | None = None
    numbered: bool = True  # False where a typed number is an answer (miles), not a button's number
