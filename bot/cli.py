"""The `careers-bot` command line: parses arguments and hands over to one subcommand module."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from bot.config import secret_values
from bot.errors import BotError, ConfigError, KnowledgeError, Unclosable
from bot.logs import configure_logging

# Each module in bot/commands offers add_parser(subparsers) and run(args) -> int.
COMMANDS: tuple[str, ...] = (
    "chat",
    "ask",
    "check",
    "telegram",
    "web",
    "digest",
    "report",
    "purge",
    "migrate_db",
)


def _command_modules() -> list[ModuleType]:
    return [importlib.import_module(f"bot.commands.{name}") for name in COMMANDS]


def build_parser() -> argparse.ArgumentParser:
    """Builds the argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="careers-bot",
        description="Careers advice for people thinking about training to teach in England.",
    )
    parser.add_argument("--config", type=Path, default=None, help="config file (default: config.yaml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log the bot's debug detail to stderr")
    parser.add_argument(
        "--debug-libraries",
        action="store_true",
        help="log the libraries' debug detail too (Telegram, HTTP, database, web server); still redacted",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules():
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs one subcommand and returns its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose, args.debug_libraries, secrets=secret_values(os.environ))
    if args.command is None:
        parser.print_help()
        return 2
    try:
        code: int = args.run(args)
    except Unclosable as exc:
        print(f"careers-bot: {exc}", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        # The database thread still holds the open connection, and waiting for it would never end.
        os._exit(1)
    except ConfigError as exc:
        # A usage mistake, like a bad option: the same exit code argparse gives.
        print(f"careers-bot: {exc}", file=sys.stderr)
        return 2
    except KnowledgeError as exc:
        errors = [problem for problem in exc.problems if problem.severity == "error"]
        print("\n".join(str(problem) for problem in errors), file=sys.stderr)
        print(f"careers-bot: {exc}; nothing was started", file=sys.stderr)
        return 1
    except BotError as exc:
        print(f"careers-bot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return code
