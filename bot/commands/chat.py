"""`careers-bot chat`: talk to the bot in the terminal."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any, TextIO

from bot.app import open_app
from bot.channels.terminal import TerminalChat
from bot.config import Config, Database, load_config
from bot.core.watch import start_reloading


def add_parser(subparsers: Any) -> None:
    """Registers the chat subcommand."""
    parser = subparsers.add_parser(
        "chat",
        help="chat with the bot in this terminal",
        description="Chat in the terminal. Type a question, or a button's number. Ctrl-D or /quit ends it.",
    )
    parser.add_argument("--user", default="me", help="who you are; the same id resumes the same conversation")
    parser.add_argument(
        "--db",
        default=None,
        metavar="PATH|URL",
        help="database file or postgresql:// URL (default: config.yaml)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Runs the terminal chat until the input ends."""
    config = load_config(args.config)
    asyncio.run(chat_in_terminal(config, config.database_at(args.db), args.user, sys.stdin, sys.stdout))
    return 0


async def chat_in_terminal(
    config: Config, database: Database | None, user: str, stdin: TextIO, stdout: TextIO
) -> None:
    """Chats over the streams until the input ends, serving knowledge edits as a running bot does."""
    async with open_app(config, database=database) as app:
        reloading = start_reloading(app.content, config.reload)
        try:
            await TerminalChat(app.engine, user, stdin, stdout, prompt=stdin.isatty()).run()
        finally:
            reloading.cancel()
