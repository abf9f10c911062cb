"""Loopback ports for the real servers the tests start (SMTP, PostgreSQL, web, Telegram webhooks)."""

from __future__ import annotations

import socket


def free_port() -> int:
    """Returns a loopback port nothing is listening on at the moment of asking."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
