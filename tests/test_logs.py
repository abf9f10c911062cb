"""The redactor on the log handlers, and the detail -v and --debug-libraries choose."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import aiosqlite
import pytest

from bot.cli import main
from bot.logs import FORMAT, Redactor, configure_logging, redact, register_secrets

TOKEN = "7012345678:AAHf3kQ9x_Zr7LmN2pQvW8yT5uE1oB4cD6s"


@pytest.fixture
def root() -> Iterator[logging.Logger]:
    """The root logger, put back as it was after the test."""
    logger = logging.getLogger()
    handlers, level = list(logger.handlers), logger.level
    levels = {name: logging.getLogger(name).level for name in ("bot", "handlers")}
    yield logger
    for handler in logger.handlers:
        if handler not in handlers:
            logger.removeHandler(handler)
    for handler in handlers:
        for each in [f for f in handler.filters if isinstance(f, Redactor)]:
            handler.removeFilter(each)
    logger.setLevel(level)
    for name, was in levels.items():
        logging.getLogger(name).setLevel(was)


class Captured:
    """A real stream handler with the redactor, on one logger, and what it wrote."""

    def __init__(self, logger: logging.Logger, secrets: tuple[str, ...] = ()) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(logging.Formatter(FORMAT))
        self.handler.addFilter(Redactor(secrets))
        self.logger = logger
        logger.addHandler(self.handler)
        logger.setLevel(logging.DEBUG)

    def text(self) -> str:
        """Everything written so far; the handler is taken off the logger."""
        self.logger.removeHandler(self.handler)
        self.logger.setLevel(logging.NOTSET)
        return self.stream.getvalue()


@pytest.fixture
def captured(request: pytest.FixtureRequest) -> Iterator[Captured]:
    """Captures one test-named logger's lines through the redactor."""
    capture = Captured(logging.getLogger(f"tests.logs.{request.node.name}"), ("s3cret-hook",))
    yield capture
    capture.text()


def test_telegram_tokens_are_hidden_in_urls_and_text() -> None:
    url = f"https://api.telegram.org/bot{TOKEN}/getUpdates"
    assert (
        redact(f"Set Bot API URL: {url}") == "Set Bot API URL: https://api.telegram.org/bot[token]/getUpdates"
    )
    assert redact(f"token is {TOKEN}.") == "token is [token]."
    # Any /bot<id>:<key> path, even one too short to look like a real token.
    assert (
        redact("POST http://127.0.0.1:81/bot123456:short/getMe")
        == "POST http://127.0.0.1:81/bot[token]/getMe"
    )


def test_database_url_passwords_are_hidden_but_the_rest_of_the_url_kept() -> None:
    line = "connecting to postgresql://careers:pa55-w0rd@db.internal:5432/careers"
    assert redact(line) == "connecting to postgresql://careers:[password]@db.internal:5432/careers"
    assert redact("postgresql://careers@db.internal/careers") == "postgresql://careers@db.internal/careers"


@pytest.mark.parametrize(
    "private",
    ["alex.morgan@example.com", "a+b@mail.example.co.uk", "alex@example"],
)
def test_email_addresses_are_hidden(private: str) -> None:
    assert redact(f"sent to {private}, then") == "sent to [email], then"


@pytest.mark.parametrize(
    "private",
    ["07700 900456", "07700900456", "+447700900456", "+44 7700 900456", "(020) 7946 0958", "+1 415-555-2671"],
)
def test_phone_numbers_are_hidden(private: str) -> None:
    assert redact(f"phone {private} given") == "phone [phone] given"


@pytest.mark.parametrize(
    "plain",
    [
        "update 123456789 failed",
        "score 0.945 (lexical 0.900)",
        "purged before 2026-12-02",
        "chat -1001234567890",
    ],
)
def test_ids_scores_and_dates_are_left_alone(plain: str) -> None:
    assert redact(plain) == plain


def test_named_secrets_are_hidden_and_the_line_is_kept(captured: Captured) -> None:
    captured.logger.warning("webhook secret %s refused", "s3cret-hook")
    assert captured.text().endswith(
        " WARNING tests.logs.test_named_secrets_are_hidden_and_the_line_is_kept: "
        "webhook secret [secret] refused\n"
    )


def test_too_short_a_secret_would_blank_ordinary_words_so_is_not_used() -> None:
    redactor = Redactor(["abc", "long-enough"])
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "abc and long-enough", None, None)
    assert redactor.filter(record) and record.msg == "abc and [secret]"


def test_exception_text_and_traceback_are_redacted(captured: Captured) -> None:
    try:
        raise ValueError(f"no chat for alex.morgan@example.com with /bot{TOKEN}/sendMessage")
    except ValueError:
        captured.logger.exception("delivery failed for %s", "07700 900456")
    text = captured.text()
    assert "delivery failed for [phone]" in text
    assert (
        "Traceback (most recent call last)" in text
        and "ValueError: no chat for [email] with /bot[token]" in text
    )
    assert "alex.morgan" not in text and TOKEN not in text and "900456" not in text


def test_a_record_is_redacted_once_for_every_handler(captured: Captured) -> None:
    second = io.StringIO()
    plain = logging.StreamHandler(second)  # a handler without the redactor, after one with it
    captured.logger.addHandler(plain)
    captured.logger.info("from alex.morgan@example.com")
    captured.logger.removeHandler(plain)
    assert "from [email]" in captured.text() and second.getvalue() == "from [email]\n"


def test_libraries_payloads_are_withheld_but_the_projects_arguments_kept() -> None:
    library = Captured(logging.getLogger("telegram.Bot"))
    logging.getLogger("telegram.Bot").debug(
        "Calling Bot API endpoint `%s` with parameters `%s`", "sendMessage", {"text": "Thanks, Alex Morgan"}
    )
    assert "endpoint `sendMessage` with parameters `[dict withheld]`" in library.text()
    project = Captured(logging.getLogger("bot.referrals.delivery"))
    logging.getLogger("bot.referrals.delivery").warning("refused %s", ["alex@example.com", "provider"])
    assert "refused ['[email]', 'provider']" in project.text()


async def test_aiosqlite_lines_keep_the_sql_and_never_the_parameters(tmp_path: Path) -> None:
    library = Captured(logging.getLogger("aiosqlite"))
    try:
        async with aiosqlite.connect(tmp_path / "people.sqlite3") as db:
            await db.execute("CREATE TABLE person (name TEXT, email TEXT)")
            await db.execute("INSERT INTO person VALUES (?, ?)", ("Alex Morgan", "someone@example.org"))
            await db.executemany("INSERT INTO person VALUES (?, ?)", [("Sam Jones", "sam@example.org")])
    finally:
        text = library.text()
    assert "executing Connection.execute('INSERT INTO person VALUES (?, ?)')" in text
    assert "Connection.executemany('INSERT INTO person VALUES (?, ?)')" in text
    assert "Alex" not in text and "Sam Jones" not in text and "example.org" not in text


def test_verbose_is_the_projects_detail_only(root: logging.Logger) -> None:
    configure_logging(verbose=True, debug_libraries=False, secrets=("s3cret-hook",))
    assert logging.getLogger("bot.core.engine").isEnabledFor(logging.DEBUG)
    assert logging.getLogger("handlers.refer").isEnabledFor(logging.DEBUG)
    for library in ("telegram.Bot", "httpx", "httpcore.http11", "aiosqlite", "uvicorn.error", "asyncio"):
        assert logging.getLogger(library).getEffectiveLevel() == logging.WARNING, library


def test_debug_libraries_opens_every_logger_and_keeps_the_redactor(root: logging.Logger) -> None:
    configure_logging(verbose=False, debug_libraries=True)
    for name in ("bot", "telegram.Bot", "httpx", "aiosqlite", "uvicorn.error"):
        assert logging.getLogger(name).isEnabledFor(logging.DEBUG), name
    assert root.handlers and all(any(isinstance(f, Redactor) for f in h.filters) for h in root.handlers)
    register_secrets(["learnt-later-key"])
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "key %s", ("learnt-later-key",), None)
    assert root.handlers[0].filter(record) and record.getMessage() == "key [secret]"


def test_the_command_line_redacts_the_environments_secrets(
    root: logging.Logger, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", "mail-pa55word")
    monkeypatch.setenv("CAREERS_BOT_DB_PASSWORD", "db-pa55word")
    assert main(["-v", "check"]) == 0
    logging.getLogger("bot.tests").warning("tried %s and %s", "mail-pa55word", "db-pa55word")
    assert "tried [secret] and [secret]" in capsys.readouterr().err
