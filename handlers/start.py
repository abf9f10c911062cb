"""The way in: /start, /help, the main menu and browsing answers by topic."""

from __future__ import annotations

from dataclasses import replace

from bot.core.journey import Context, Outcome
from bot.core.routing import make_payload
from bot.core.session import Session
from bot.core.types import Button, Reply, Status
from bot.knowledge.model import AnswerEntry

PAGE_SIZE = 8


class StartJourney:
    """Greets people, shows the menu and lets them browse answers by topic."""

    name = "start"
    commands = frozenset({"start", "help", "menu", "topics"})

    async def on_command(self, ctx: Context, command: str, args: str, session: Session) -> Outcome:
        """Greets, helps or shows the menu or topics."""
        if command == "start":
            return self._start(ctx, session)
        if command == "help":
            return Outcome((ctx.reply("core.help", Status.INFO, main_menu(ctx)),), session)
        if command == "topics":
            return Outcome((self._groups(ctx),), session)
        return self._menu(ctx, session)

    async def on_button(self, ctx: Context, action: str, session: Session) -> Outcome:
        """Shows the menu, the topic groups, one page of a group, or the question prompt."""
        parts = action.split(":")
        if parts[0] == "topics":
            return Outcome((self._groups(ctx),), session)
        if parts[0] == "g" and len(parts) == 3 and parts[2].isdigit():
            page = self._group_page(ctx, parts[1], int(parts[2]))
            if page is not None:
                return Outcome((page,), session)
        if parts[0] == "ask":
            return Outcome((ctx.reply("core.ask_prompt", Status.PROMPT),), session.moved_to(None, None))
        if parts[0] == "resume" and session.journey:
            return Outcome((ctx.reply("core.resume_hint", Status.INFO),), session)
        return self._menu(ctx, session)

    async def on_text(self, ctx: Context, text: str, session: Session) -> Outcome:
        """Free text never waits on this journey; show the menu."""
        return self._menu(ctx, session)

    def _start(self, ctx: Context, session: Session) -> Outcome:
        if session.journey and session.journey in ctx.journeys:
            buttons = (
                Button(ctx.say("core.button_carry_on"), make_payload(session.journey, "resume")),
                Button(ctx.say("core.button_menu"), make_payload("start", "menu")),
            )
            return Outcome((ctx.reply("core.welcome_back", Status.MENU, buttons),), session)
        greeting = ctx.reply("core.greeting", Status.MENU, main_menu(ctx), name=ctx.config.branding_name)
        return Outcome((greeting,), replace(session, journey=None, step=None))

    def _menu(self, ctx: Context, session: Session) -> Outcome:
        return Outcome((ctx.reply("core.menu", Status.MENU, main_menu(ctx)),), session.moved_to(None, None))

    def _groups(self, ctx: Context) -> Reply:
        groups = sorted({entry.origin.file for entry in _browsable(ctx)})
        buttons = tuple(
            Button(_group_label(ctx, g), make_payload("start", "g", _stem(g), "0")) for g in groups
        )
        return ctx.reply("core.topics", Status.MENU, (*buttons, _menu_button(ctx)))

    def _group_page(self, ctx: Context, stem: str, page: int) -> Reply | None:
        entries = [e for e in _browsable(ctx) if _stem(e.origin.file) == stem]
        start = page * PAGE_SIZE
        if not entries or start >= len(entries):
            return None
        shown = entries[start : start + PAGE_SIZE]
        buttons = [Button(_short(e.question), make_payload("ask", "e", e.id)) for e in shown]
        if start + PAGE_SIZE < len(entries):
            buttons.append(
                Button(ctx.say("core.button_more"), make_payload("start", "g", stem, str(page + 1)))
            )
        buttons.append(Button(ctx.say("core.button_topics"), make_payload("start", "topics")))
        label = _group_label(ctx, f"answers/{stem}.yaml")
        return ctx.reply("core.topic_page", Status.MENU, tuple(buttons), group=label)


def main_menu(ctx: Context) -> tuple[Button, ...]:
    """The main menu buttons, offering only the journeys this bot runs."""
    buttons = [
        Button(ctx.say("core.button_ask"), make_payload("start", "ask")),
        Button(ctx.say("core.button_topics"), make_payload("start", "topics")),
    ]
    if "pref" in ctx.journeys:
        buttons.append(Button(ctx.say("core.button_shortlist"), make_payload("pref", "begin")))
    if "privacy" in ctx.journeys:
        buttons.append(Button(ctx.say("core.button_privacy"), make_payload("privacy", "info")))
    return tuple(buttons)


def _menu_button(ctx: Context) -> Button:
    return Button(ctx.say("core.button_menu"), make_payload("start", "menu"))


def _browsable(ctx: Context) -> list[AnswerEntry]:
    return [e for e in ctx.content.knowledge.answers.values() if e.topic != "out_of_scope"]


def _stem(file: str) -> str:
    return file.rsplit("/", 1)[-1].removesuffix(".yaml")


def _group_label(ctx: Context, file: str) -> str:
    key = f"core.group_{_stem(file).replace('-', '_')}"
    if key in ctx.content.knowledge.messages:
        return ctx.say(key)
    return _stem(file).replace("-", " ").capitalize()


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
