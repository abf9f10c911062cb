"""The web channel's safeguards: the signed visitor cookie, CSRF tokens and rate limits."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.errors import ConfigError

__all__ = ["RateLimiter", "Signer", "load_secret"]

SECRET_BYTES = 32
ID_BYTES = 18  # 144 random bits: unguessable, and short enough to read out to staff


def load_secret(configured: str | None, path: Path) -> bytes:
    """Returns the cookie key: from the environment, else from its file, made on first use."""
    if configured:
        return configured.encode("utf-8")
    try:
        if path.exists():
            return bytes.fromhex(path.read_text(encoding="ascii").strip())
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(SECRET_BYTES)
        # Made readable by the owner only: whoever reads it can pose as any visitor.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(key.hex() + "\n")
        return key
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read or create the web cookie key {path}: {exc}") from None


class Signer:
    """Makes and checks signed values: the visitor id cookie and the CSRF token bound to it."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def new_id(self) -> str:
        """Returns a fresh random visitor id."""
        return secrets.token_urlsafe(ID_BYTES)

    def cookie(self, visitor: str) -> str:
        """Returns the cookie value carrying this visitor id."""
        return f"{visitor}.{self._mac('id', visitor)}"

    def visitor(self, cookie: str | None) -> str | None:
        """Returns the visitor id in a cookie, or None when it is missing or was not signed by us."""
        if not cookie or cookie.count(".") != 1:
            return None
        visitor, mac = cookie.split(".")
        return visitor if visitor and hmac.compare_digest(mac, self._mac("id", visitor)) else None

    def csrf(self, visitor: str) -> str:
        """Returns the CSRF token a page for this visitor must send back with each POST."""
        return self._mac("csrf", visitor)

    def csrf_ok(self, visitor: str, token: str | None) -> bool:
        """Tells whether a POST carries this visitor's CSRF token."""
        return bool(token) and hmac.compare_digest(str(token), self.csrf(visitor))

    def _mac(self, purpose: str, value: str) -> str:
        digest = hmac.new(self._key, f"{purpose}\x1f{value}".encode(), hashlib.sha256).hexdigest()
        return digest[:43]


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets by key (a cookie, an address): `per_minute` at most, refilled evenly."""

    def __init__(
        self, per_minute: int, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000
    ) -> None:
        self._capacity = float(per_minute)
        self._rate = per_minute / 60.0
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def allow(self, key: str) -> bool:
        """Takes one token for key; False when its bucket is empty."""
        now = self._clock()
        bucket = self._buckets.pop(key, None) or _Bucket(self._capacity, now)
        bucket.tokens = min(self._capacity, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        allowed = bucket.tokens >= 1.0
        if allowed:
            bucket.tokens -= 1.0
        self._buckets[key] = bucket
        # The oldest buckets are the fullest; forgetting them only ever lets someone send more, never less.
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        return allowed
