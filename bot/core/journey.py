"""What a user journey is, and what the engine gives it for one turn."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from bot.config import Config
from bot.core.clock import Clock
from bot.core.handoff import Handoff, NoHandoff
from bot.core.session import Session
from bot.core.types import Button, Reply, Status
from bot.knowledge.values import message
from bot.storage.base import Store

if TYPE_CHECKING:
    from bot.core.content import Content


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one journey step: replies to send, the session to save, what to log."""

    replies: tuple[Reply, ...]
    session: Session
    log_text: str | None = None  # replaces the typed text in the turn log (e.g. contact details)
    anonymous: bool = False  # after /forget: log this turn with no user id, text or payload; save no session


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a journey may use while handling one turn."""

    content: Content
    store: Store
    config: Config
    clock: Clock
    channel: str
    user_id: str
    username: str | None
    is_admin: bool
    journeys: frozenset[str] = frozenset()
    reload_content: Callable[[], Awaitable[str]] | None = field(default=None)
    handoff: Handoff = field(default_factory=NoHandoff)

    def say(self, key: str, **params: object) -> str:
        """Renders a fixed sentence from the messages files."""
        return message(self.content.knowledge, key, **{k: str(v) for k, v in params.items()})

    def reply(self, key: str, status: Status, buttons: tuple[Button, ...] = (), **params: object) -> Reply:
        """Builds a reply from one message key."""
        return Reply(text=self.say(key, **params), status=status, buttons=buttons)


class Journey(Protocol):
    """One user journey (asking, preferences, shortlist...), free of any chat channel."""

    name: str
    commands: frozenset[str]

    async def on_command(self, ctx: Context, command: str, args: str, session: Session) -> Outcome:
        """Handles a slash command this journey owns."""
        ...

    async def on_button(self, ctx: Context, action: str, session: Session) -> Outcome:
        """Handles a button payload addressed to this journey ("<name>:<action>")."""
        ...

    async def on_text(self, ctx: Context, text: str, session: Session) -> Outcome:
        """Handles free text while this journey is active."""
        ...
