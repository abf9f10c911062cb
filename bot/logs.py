"""How log lines reach stderr, in how much detail, with secrets and personal data redacted."""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

__all__ = ["PROJECT_LOGGERS", "Redactor", "configure_logging", "register_secrets"]

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
PROJECT_LOGGERS: tuple[str, ...] = ("bot", "handlers")
SHORTEST_SECRET = 4  # shorter values would blank ordinary words in every line, and hide nothing worth hiding

_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/:@]*):[^\s/@]+@")
_BOT_PATH = re.compile(r"/bot\d+:[^\s/\"']*")
_TOKEN = re.compile(r"\b\d{6,12}:[A-Za-z0-9_-]{30,}")
_EMAIL = re.compile(r"(?<![\w.+/-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*")
# A leading + or 0, then digits, spaces, brackets and dashes; judged by its count of digits below.
_PHONE = re.compile(r"(?<![\w+.-])(?:\+|\(?0)[\d ()-]{7,20}\d(?![\w.])")


def _phone(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group())
    return "[phone]" if 10 <= digits <= 15 else match.group()


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Returns the text with secrets, tokens, URL passwords, email addresses and phone numbers hidden."""
    for secret in secrets:
        text = text.replace(secret, "[secret]")
    text = _URL_PASSWORD.sub(r"\1:[password]@", text)
    text = _BOT_PATH.sub("/bot[token]", text)
    text = _TOKEN.sub("[token]", text)
    text = _EMAIL.sub("[email]", text)
    return _PHONE.sub(_phone, text)


def _statement(call: functools.partial[Any]) -> str:
    # aiosqlite logs each database call as a partial: the SQL may be shown, its parameters never.
    name = getattr(call.func, "__qualname__", type(call.func).__name__)
    sql = call.args[0] if call.args and isinstance(call.args[0], str) else None
    return f"{name}({sql!r})" if sql is not None else f"{name}(…)"


def _library_argument(value: object) -> object:
    """Replaces what a library logs as a payload (a request, a reply, an update) by its kind."""
    if isinstance(value, functools.partial):
        return _statement(value)
    if isinstance(value, Mapping | list | tuple | set | frozenset) or hasattr(value, "to_dict"):
        # Telegram's parameters, results and updates carry what people wrote, which no pattern can spot.
        return f"[{type(value).__name__} withheld]"
    return value


class Redactor(logging.Filter):
    """Rewrites every record into its final, redacted message; never drops a line."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Hides these values wherever they appear in a later line."""
        self._secrets.update(value for value in secrets if len(value) >= SHORTEST_SECRET)

    def filter(self, record: logging.LogRecord) -> bool:
        """Redacts the record in place, once, however many handlers it passes through."""
        if getattr(record, "redacted", False):
            return True
        secrets = sorted(self._secrets, key=len, reverse=True)  # a longer secret may contain a shorter one
        if isinstance(record.args, tuple) and not _from_project(record.name):
            record.args = tuple(_library_argument(arg) for arg in record.args)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not break the caller; logging itself would carry on
            message = f"{record.msg} (with arguments that do not fit it)"
        record.msg = redact(message, secrets)
        record.args = None
        if record.exc_info:
            record.exc_text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_info = None  # no later formatter may render the unredacted traceback again
        if record.exc_text:
            record.exc_text = redact(record.exc_text, secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, secrets)
        record.redacted = True
        return True


def _from_project(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in PROJECT_LOGGERS)


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever sys.stderr is at the time, as logging's last-resort handler does."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        """The current standard error."""
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging(verbose: bool, debug_libraries: bool, secrets: Iterable[str] = ()) -> Redactor:
    """Sends log lines to stderr at the chosen detail, through a redactor on every root handler."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(handler)  # configured again in the same process: one stderr handler only
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    redactor = Redactor(secrets)
    for each in root.handlers:
        for old in [f for f in each.filters if isinstance(f, Redactor)]:
            each.removeFilter(old)
        each.addFilter(redactor)
    # Libraries inherit the root level: WARNING unless asked for, since their debug lines are long and many.
    root.setLevel(logging.DEBUG if debug_libraries else logging.WARNING)
    for name in PROJECT_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose or debug_libraries else logging.NOTSET)
    return redactor


def register_secrets(secrets: Iterable[str]) -> None:
    """Hides these values, learnt after start-up, in every later line of every root handler."""
    values = tuple(secrets)
    for handler in logging.getLogger().handlers:
        for each in handler.filters:
            if isinstance(each, Redactor):
                each.add(values)
