"""The `careers-bot check [DIR]` subcommand: lists every problem in a knowledge folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config import load_config
from bot.errors import ConfigError
from bot.knowledge.checks import examine


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the check subcommand."""
    parser = subparsers.add_parser(
        "check",
        help="check the knowledge files and list every problem",
        description="Checks every knowledge file; exits with 1 if there is any error.",
    )
    parser.add_argument(
        "dir",
        nargs="?",
        type=Path,
        default=None,
        metavar="DIR",
        help="knowledge folder (default: from config)",
    )
    parser.set_defaults(run=run)


def _target(args: argparse.Namespace) -> tuple[Path, tuple[str, ...] | None]:
    """Returns the folder to check and the regions providers may be in (None when the config is unusable)."""
    if args.dir is None:
        config = load_config(args.config)
        return config.knowledge_dir, config.regions
    try:
        regions: tuple[str, ...] | None = load_config(args.config).regions
    except ConfigError as exc:
        print(f"careers-bot check: regions not checked: {exc}", file=sys.stderr)
        regions = None
    return args.dir, regions


def _count(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def run(args: argparse.Namespace) -> int:
    """Prints every problem and a summary line; returns 1 if there is any error, else 0."""
    folder, regions = _target(args)
    if not folder.is_dir():
        print(f"careers-bot check: {folder} is not a folder", file=sys.stderr)
        return 1
    drafts = examine(folder, regions=regions)
    problems = drafts.report.problems
    for problem in problems:
        print(problem)
    errors = sum(problem.severity == "error" for problem in problems)
    warnings = len(problems) - errors
    files = _count(drafts.files, "file")
    print(f"knowledge: {_count(errors, 'error')}, {_count(warnings, 'warning')} in {files}")
    return 1 if errors else 0
