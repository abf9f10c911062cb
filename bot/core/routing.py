"""Reads a turn into what it asks for: a command, a button press, or free text."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from bot.core.types import Turn

MAX_TEXT = 4000  # longer messages are cut here before matching and logging
MAX_PAYLOAD_BYTES = 64
_PAYLOAD = re.compile(r"^([a-z]{1,16}):([A-Za-z0-9_:.\-]{0,60})$")
# Telegram's rule for deep-link start parameters; anything else (an email address, say) is not a campaign.
_CAMPAIGN = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_FIELD = 256  # a payload or a name longer than this is cut; no real one comes near it
_COMMAND = re.compile(r"^/([A-Za-z_]{1,32})(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)
# The ASCII control characters but tab and newline: most text is plain ASCII, and this table cleans it in
# one pass instead of asking for the category of every character.
_ASCII_CONTROLS = dict.fromkeys([*range(0x09), *range(0x0B, 0x20), 0x7F])


@dataclass(frozen=True, slots=True)
class Command:
    """A slash command and the text after it."""

    name: str
    args: str


@dataclass(frozen=True, slots=True)
class Press:
    """A button press addressed to one journey."""

    journey: str
    action: str


def clean_text(text: str) -> str:
    """Returns the text without control characters, in NFC, trimmed and cut to MAX_TEXT."""
    if text.isascii():
        kept = text.translate(_ASCII_CONTROLS)
    else:
        text = unicodedata.normalize("NFC", text)
        kept = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return kept.strip()[:MAX_TEXT]


def clean_turn(turn: Turn) -> Turn:
    """Returns the turn with every field from outside made safe to store and match."""
    return replace(
        turn,
        channel=clean_field(turn.channel),
        user_id=clean_field(turn.user_id),
        text=clean_text(turn.text),
        payload=None if turn.payload is None else clean_field(turn.payload)[:MAX_FIELD],
        start_payload=campaign_code(turn.start_payload),
        username=None if turn.username is None else clean_field(turn.username)[:MAX_FIELD],
        display_name=None if turn.display_name is None else clean_field(turn.display_name)[:MAX_FIELD],
    )


def clean_field(text: str) -> str:
    """Returns the text with lone surrogates written out as escapes and ASCII control characters dropped.

    An id is kept whole and distinct: two ids that differ only in undecodable bytes stay two people.
    """
    if not text.isascii():
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text.translate(_ASCII_CONTROLS)


def campaign_code(text: str | None) -> str | None:
    """Returns the text when it is a valid campaign code, else None."""
    if text is None or not _CAMPAIGN.fullmatch(text):
        return None
    return text


def parse_command(text: str) -> Command | None:
    """Returns the command in the text, or None when it is not a command."""
    found = _COMMAND.match(text)
    if not found:
        return None
    return Command(name=found.group(1).lower(), args=(found.group(2) or "").strip())


def parse_payload(payload: str) -> Press | None:
    """Returns the journey and action of a button payload, or None when it is malformed."""
    if not payload.isascii() or len(payload) > MAX_PAYLOAD_BYTES:
        return None
    found = _PAYLOAD.match(payload)
    if not found:
        return None
    return Press(journey=found.group(1), action=found.group(2))


def make_payload(journey: str, *parts: str) -> str:
    """Builds a button payload, refusing one that would be too long to send."""
    payload = ":".join((journey, *parts))
    # The pattern admits only ASCII, so the length in characters is the length in bytes.
    if len(payload) > MAX_PAYLOAD_BYTES or not _PAYLOAD.match(payload):
        raise ValueError(f"invalid button payload {payload!r}")
    return payload
