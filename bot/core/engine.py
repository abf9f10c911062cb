"""The conversation engine: one turn in, replies out, the session saved, the turn logged."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import AsyncExitStack
from dataclasses import replace
from enum import StrEnum
from typing import TypeVar

from bot.config import Config
from bot.core.clock import Clock, SystemClock
from bot.core.content import ContentHolder
from bot.core.handoff import Handoff, NoHandoff
from bot.core.journey import Context, Journey, Outcome
from bot.core.prefetch import EmbeddingBatcher
from bot.core.routing import campaign_code, clean_field, clean_turn, parse_command, parse_payload
from bot.core.session import Session
from bot.core.types import Button, Reply, Status, Turn, button_numbers
from bot.errors import AlreadyAccepted, StorageError
from bot.knowledge.values import message
from bot.storage.base import Outgoing, Store, TurnRecord

log = logging.getLogger(__name__)

START = "start"  # the journey that owns /start, /help and the main menu
ASK = "ask"  # the journey free text goes to when no other journey is waiting for it
MENU_ACTION = "menu"
T = TypeVar("T")


class Intake(StrEnum):
    """What became of an update handed to Engine.accept."""

    ACCEPTED = "accepted"  # the turn, its update id and its replies (in the outbox) are committed
    DUPLICATE = "duplicate"  # accepted before: nothing was done again
    FAILED = "failed"  # nothing was stored; the update should be offered again later


class _UserLocks:
    """One lock per person, dropped when nobody waits on it, so turns never interleave in this process.

    Across processes, the store's person() hold does the same; this lock keeps a worker's own waiting turns
    from each taking a database connection just to wait on it.
    """

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    async def run(self, key: tuple[str, str], work: Callable[[], Awaitable[T]]) -> T:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                return await work()
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class Engine:
    """Routes each turn to a journey, in order per person, and never lets an error escape."""

    def __init__(
        self,
        config: Config,
        content: ContentHolder,
        store: Store,
        journeys: Iterable[Journey],
        clock: Clock | None = None,
        handoff: Handoff | None = None,
    ) -> None:
        self.config = config
        self.content = content
        self.store = store
        self.clock = clock or SystemClock()
        self.handoff = handoff or NoHandoff()
        self.journeys = {journey.name: journey for journey in journeys}
        self._commands = {cmd: j for j in self.journeys.values() for cmd in j.commands}
        self._journey_names = frozenset(self.journeys)
        self._locks = _UserLocks()
        self._embedder = EmbeddingBatcher(lambda texts: self.content.current.matcher.embed_ahead(texts))
        for needed in (START, ASK):
            if needed not in self.journeys:
                raise ValueError(f"the engine needs a {needed!r} journey")

    async def handle(self, turn: Turn) -> list[Reply]:
        """Handles one turn and returns the replies; turns of one person run one at a time."""
        turn = clean_turn(turn)
        _, replies = await self._locks.run((turn.channel, turn.user_id), lambda: self._handle(turn))
        return replies

    async def accept(self, turn: Turn, update_id: str, address: str) -> Intake:
        """Handles an update once: its turn, its id and its replies (queued for address) commit together.

        An update id accepted before is not handled again, so a redelivery after a crash changes nothing.
        """
        turn = clean_turn(turn)
        key = (turn.channel, turn.user_id)
        intake, _ = await self._locks.run(key, lambda: self._handle(turn, clean_field(update_id), address))
        return intake

    async def resume(self, channel: str, user_id: str) -> list[Reply]:
        """Greets a returning person where they left off, or a new one with the welcome."""
        return await self.handle(Turn(channel=channel, user_id=user_id, text="/start", at=self.clock.now()))

    async def mark_inactive(self, channel: str, user_id: str) -> None:
        """Records that a person can no longer be messaged (for example, they blocked the bot)."""
        channel, user_id = clean_field(channel), clean_field(user_id)

        async def work() -> list[Reply]:
            async with self.store.person(channel, user_id):
                session = await self.store.get_session(channel, user_id)
                if session is not None and session.active:
                    await self.store.save_session(replace(session, active=False))
            return []

        await self._locks.run((channel, user_id), work)

    async def _handle(
        self, turn: Turn, update_id: str | None = None, address: str | None = None
    ) -> tuple[Intake, list[Reply]]:
        """Handles the turn holding the person against other workers on the same store, from load to save."""
        async with AsyncExitStack() as stack:
            try:
                await stack.enter_async_context(self.store.person(turn.channel, turn.user_id))
            except StorageError as exc:
                log.error("could not hold a person's turn, so it was not handled: %s", exc)
                return Intake.FAILED, [self._error_reply(self._context(turn), kept=False)]
            return await self._handle_held(turn, update_id, address)

    async def _handle_held(
        self, turn: Turn, update_id: str | None, address: str | None
    ) -> tuple[Intake, list[Reply]]:
        turn = replace(turn, at=self.clock.now())
        if turn.text and turn.payload is None and parse_command(turn.text) is None:
            await self._embedder.prepare(turn.text)
        ctx = self._context(turn)
        try:
            if update_id is not None and await self.store.is_accepted(turn.channel, update_id):
                log.info("a %s update delivered again was not handled twice", turn.channel)
                return Intake.DUPLICATE, []
            session = await self.store.get_session(turn.channel, turn.user_id)
        except StorageError as exc:
            log.error("could not load a session, so the turn was not handled: %s", exc)
            return Intake.FAILED, [self._error_reply(ctx, kept=False)]
        session = self._prepare_session(session, turn)
        try:
            outcome = await self._route(ctx, turn, session)
        except Exception as exc:
            log.exception("a journey failed on a %s turn", turn.channel)
            # A journey that could not store what the person gave must not tell them it was kept.
            apology = self._error_reply(ctx, kept=not isinstance(exc, StorageError))
            outcome = Outcome(replies=(apology,), session=session)
        replies = list(outcome.replies) or [self._error_reply(ctx)]
        saved = outcome.session.saved_at(
            turn.at,
            last_buttons=[[b.label, b.payload, b.decisive] for b in replies[-1].buttons] or None,
            buttons_numbered=None if replies[-1].numbered else False,
        )
        outbox = (
            ()
            if address is None
            else [Outgoing(turn.channel, turn.user_id, address, reply, turn.at) for reply in replies]
        )
        record = self._record(turn, outcome, replies, saved)
        try:
            if outcome.anonymous:
                kept = await self._save_erased(turn, record, update_id, outbox)
            else:
                await self.store.save_turn(saved, record, update_id=update_id, outbox=outbox)
                kept = True
        except AlreadyAccepted:
            kept = False
        except StorageError as exc:
            log.error("could not save a turn, so it is lost: %s", exc)
            return Intake.FAILED, [self._error_reply(ctx, kept=False)]
        if not kept:
            log.info("a %s update delivered twice at once was handled once", turn.channel)
            return Intake.DUPLICATE, []
        return Intake.ACCEPTED, replies

    async def _save_erased(
        self, turn: Turn, record: TurnRecord, update_id: str | None, outbox: Sequence[Outgoing]
    ) -> bool:
        """Logs the turn of someone just erased, saving no session: one now would be a new row about them.

        Returns False when the update was accepted before. The anonymous turn is logged after the update is
        accepted; a crash in between loses one count, never a reply.
        """
        if update_id is not None and not await self.store.accept_update(
            turn.channel, update_id, turn.at, outbox
        ):
            return False
        if update_id is None and outbox:
            await self.store.enqueue(outbox)
        await self.store.log_turn(record)
        return True

    def _context(self, turn: Turn) -> Context:
        return Context(
            content=self.content.current,
            store=self.store,
            config=self.config,
            clock=self.clock,
            channel=turn.channel,
            user_id=turn.user_id,
            username=turn.username,
            is_admin=self.config.admins.is_admin(turn.channel, turn.user_id),
            journeys=self._journey_names,
            reload_content=self.content.reload,
            handoff=self.handoff,
        )

    def _prepare_session(self, session: Session | None, turn: Turn) -> Session:
        if session is None:
            session = Session(
                channel=turn.channel, user_id=turn.user_id, created_at=turn.at, updated_at=turn.at
            )
        campaign = turn.start_payload or campaign_code(self._start_args(turn.text))
        if campaign and session.campaign is None:
            session = replace(session, campaign=campaign)
        return session if session.active else replace(session, active=True)

    @staticmethod
    def _start_args(text: str) -> str | None:
        command = parse_command(text)
        if command and command.name == "start" and command.args:
            return command.args.split()[0]
        return None

    async def _route(self, ctx: Context, turn: Turn, session: Session) -> Outcome:
        if turn.payload is not None:
            return await self._press(ctx, turn.payload, session)
        chosen = self._chosen_button(turn, session)
        if chosen is not None:
            return await self._press(ctx, chosen, session)
        command = parse_command(turn.text)
        if command is not None:
            journey = self._commands.get(command.name, self.journeys[START])
            name = command.name if command.name in self._commands else "help"
            return await journey.on_command(ctx, name, command.args, session)
        active = self.journeys.get(session.journey or "")
        return await (active or self.journeys[ASK]).on_text(ctx, turn.text, session)

    async def _press(self, ctx: Context, payload: str, session: Session) -> Outcome:
        press = parse_payload(payload)
        journey = self.journeys.get(press.journey) if press else None
        if press is None or journey is None:
            log.info("stale or malformed button payload ignored")
            return await self.journeys[START].on_button(ctx, MENU_ACTION, session)
        return await journey.on_button(ctx, press.action, session)

    @staticmethod
    def _chosen_button(turn: Turn, session: Session) -> str | None:
        """Lets a person pick a shown button by typing its label, or its number where numbers are shown."""
        shown = session.data.get("last_buttons")
        if not isinstance(shown, list) or not turn.text:
            return None
        buttons = [Button(str(i[0]), str(i[1]), i[2:] == [True]) for i in shown if isinstance(i, list)]
        if len(buttons) != len(shown):
            return None
        typed = turn.text.strip()
        wanted = typed.rstrip(".").casefold()
        numbered = turn.numbered and session.data.get("buttons_numbered") is not False
        for number, button in zip(button_numbers(buttons), buttons, strict=True):
            if button.decisive:
                if typed == button.label:  # a decision is never made by a near miss
                    return button.payload
            elif wanted == button.label.casefold() or (numbered and wanted == str(number)):
                return button.payload
        return None

    def _error_reply(self, ctx: Context, kept: bool = True) -> Reply:
        """The apology; it says the turn is kept only when it was (kept=False after a storage failure)."""
        key = "core.error" if kept else "core.error_not_saved"
        try:
            text = message(ctx.content.knowledge, key)
        except Exception:  # the last line of defence must not fail itself
            log.exception("could not render the error message")
            text = "Sorry, something went wrong. Please try again."
        return Reply(text=text, status=Status.ERROR)

    @staticmethod
    def _record(turn: Turn, outcome: Outcome, replies: list[Reply], session: Session) -> TurnRecord:
        main = next((r for r in replies if r.entry is not None), replies[0])
        text = outcome.log_text if outcome.log_text is not None else turn.text
        return TurnRecord(
            channel=turn.channel,
            user_id="" if outcome.anonymous else turn.user_id,
            at=turn.at,
            text="" if outcome.anonymous else text,
            payload=None if outcome.anonymous else turn.payload,
            status=str(main.status),
            entry=main.entry,
            topic=main.topic,
            score=main.score,
            journey=session.journey,
            campaign=session.campaign,
        )
