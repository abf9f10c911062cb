"""The terminal chat: lines in, replies out, buttons shown as numbered options."""

from __future__ import annotations

import asyncio
from typing import TextIO

from bot.core.engine import Engine
from bot.core.types import Reply, Turn, button_numbers

CHANNEL = "terminal"


def render_reply(reply: Reply) -> str:
    """Formats one reply for the terminal, with its buttons numbered."""
    lines = [reply.text.rstrip()]
    if reply.attachment is not None:
        lines.append(f"[{reply.attachment.filename}]")
        lines.append(reply.attachment.content.decode("utf-8", errors="replace").rstrip())
    if reply.buttons:
        lines.append("")
        if reply.numbered:
            numbers = button_numbers(reply.buttons)
            lines.extend(
                f"  {number}. {button.label}" if number else f"  - {button.label}"
                for number, button in zip(numbers, reply.buttons, strict=True)
            )
        else:
            lines.extend(f"  - {button.label}" for button in reply.buttons)
    return "\n".join(lines)


class TerminalChat:
    """Runs one person's conversation over a pair of text streams until end of input."""

    def __init__(self, engine: Engine, user_id: str, stdin: TextIO, stdout: TextIO, prompt: bool) -> None:
        self.engine = engine
        self.user_id = user_id
        self.stdin = stdin
        self.stdout = stdout
        self.prompt = prompt

    async def run(self) -> None:
        """Greets (or welcomes back), then answers each line until the input ends."""
        self._show(await self.engine.resume(CHANNEL, self.user_id))
        while True:
            line = await self._read_line()
            if line is None:
                break
            text = line.rstrip("\n")
            if text.strip().lower() in ("/quit", "/exit"):
                break
            self._show(
                await self.engine.handle(
                    Turn(channel=CHANNEL, user_id=self.user_id, text=text, numbered=True)
                )
            )

    async def _read_line(self) -> str | None:
        if self.prompt:
            self.stdout.write("\n> ")
            self.stdout.flush()
        line = await asyncio.to_thread(self.stdin.readline)
        return line if line else None

    def _show(self, replies: list[Reply]) -> None:
        for reply in replies:
            self.stdout.write("\n" + render_reply(reply) + "\n")
        self.stdout.flush()
