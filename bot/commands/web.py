"""`careers-bot web`: serve the web chat, the embeddable widget and the compare page."""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

from bot.config import load_config


def add_parser(subparsers: Any) -> None:
    """Registers the web subcommand."""
    parser = subparsers.add_parser(
        "web",
        help="serve the web chat, the widget and the compare page",
        description=(
            "Serve the web chat on the address in config.yaml (web.listen and web.port; 127.0.0.1:8080 "
            "by default). Put it behind a reverse proxy that adds TLS. The cookie key comes from "
            "WEB_COOKIE_SECRET or is made once in web.secret_file."
        ),
    )
    parser.add_argument(
        "--db",
        default=None,
        metavar="PATH|URL",
        help="database file or postgresql:// URL (default: config.yaml)",
    )
    parser.add_argument("--host", default=None, help="address to listen on (default: web.listen)")
    parser.add_argument("--port", type=int, default=None, help="port to listen on (default: web.port)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Runs the web server until it is stopped with Ctrl-C or SIGTERM."""
    # Imported here so other subcommands start without loading the web framework.
    from bot.background import start_background
    from bot.channels.web import run_web
    from bot.core.clock import SystemClock

    config = load_config(args.config)
    web = replace(
        config.web,
        listen=args.host or config.web.listen,
        port=args.port if args.port is not None else config.web.port,
    )
    run_web(
        replace(config, web=web),
        config.database_at(args.db),
        lambda app: start_background(app, SystemClock()),
    )
    return 0
