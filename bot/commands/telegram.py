"""`careers-bot telegram`: run the bot on Telegram, by long polling or behind a webhook."""

from __future__ import annotations

import argparse
from typing import Any

from bot.config import load_config


def add_parser(subparsers: Any) -> None:
    """Registers the telegram subcommand."""
    parser = subparsers.add_parser(
        "telegram",
        help="run the bot on Telegram",
        description=(
            "Run the bot on Telegram. The token comes from TELEGRAM_BOT_TOKEN. It long-polls by default; "
            "set telegram.mode to webhook in the config file (and TELEGRAM_WEBHOOK_SECRET) to use a webhook."
        ),
    )
    parser.add_argument(
        "--db",
        default=None,
        metavar="PATH|URL",
        help="database file or postgresql:// URL (default: config.yaml)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Runs the Telegram bot until it is stopped with Ctrl-C or SIGTERM."""
    # Imported here so other subcommands start without loading the Telegram library.
    from bot.background import start_background
    from bot.channels.telegram import run_telegram
    from bot.core.clock import SystemClock

    config = load_config(args.config)
    run_telegram(config, config.database_at(args.db), lambda app: start_background(app, SystemClock()))
    return 0
