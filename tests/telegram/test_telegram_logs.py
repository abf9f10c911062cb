"""`careers-bot -v --debug-libraries telegram` keeps the token and a referral's details out of its stderr."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import yaml
from botapi import WAIT, BotApiServer, Person, Sent
from test_telegram_process import delivered, write_config

ROOT = Path(__file__).resolve().parents[2]
# Shaped like a token from @BotFather, so the pattern for tokens is tried as well as the named secret.
TOKEN = "7012345678:AAHf3kQ9x_Zr7LmN2pQvW8yT5uE1oB4cD6s"
NAME, EMAIL, PHONE = "Alex Morgan", "alex.morgan@example.com", "07700 900456"
# The referral journey of tests/conversations/refer-brighton-two-providers.yaml; ">" presses a button.
JOURNEY = (
    "/shortlist",
    "physics",
    "> Secondary",
    "Brighton",
    "> 40 miles",
    "> 2:1",
    "> All three",
    "> No",
    "> Full time",
    "> Not sure yet",
    "> No",
    "> Put me in touch",
    "> University of Sussex",
    "> Done choosing",
    NAME,
    EMAIL,
    PHONE,
    "> Yes, share my details",
)


def button(chat: list[Sent], label: str) -> tuple[Sent, str]:
    """The latest message with a button labelled so, and that button's data."""
    for sent in reversed(chat):
        for shown, data in sent.buttons:
            if shown.startswith(label):
                return sent, data
    raise AssertionError(f"no button {label!r} in {[s.text[:40] for s in chat[-3:]]}")


async def walk(server: BotApiServer, person: Person, database: Path) -> list[Sent]:
    """Takes the person through the journey, each step once the last one's replies have all gone out."""
    for step in JOURNEY:
        chat = server.to_chat(person.user_id)
        if step.startswith("> "):
            on, data = button(chat, step[2:])
            await server.push(person.press(data, on=on))
        else:
            await server.push(person.text(step))
        await server.wait_for_messages(person.user_id, len(chat) + 1, WAIT * 2)
        await delivered(database)
    return server.to_chat(person.user_id)


async def test_verbose_library_logs_hide_the_token_and_the_referral(tmp_path: Path) -> None:
    server = BotApiServer(token=TOKEN)
    await server.start()
    config = write_config(tmp_path, server)
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings["matching"]["embedding_cache"] = str(ROOT / "data" / "cache")  # warm: no minute of embedding
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    err = tmp_path / "stderr.log"
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN}
    env.pop("TELEGRAM_WEBHOOK_SECRET", None)
    try:
        with err.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "-v",
                "--debug-libraries",
                "--config",
                str(config),
                "telegram",
                cwd=ROOT,
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=out,
            )
        try:
            await server.wait_for(lambda: "getUpdates" in server.arrived, WAIT * 2)
            chat = await walk(server, Person(401, "Alex"), tmp_path / "bot.sqlite3")
        finally:
            process.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(process.wait(), WAIT)
    finally:
        await server.stop()
    log = err.read_text(encoding="utf-8")
    assert code == 0, log
    assert any(NAME in sent.text for sent in chat), (
        "the bot did show the name back, so it could have logged it"
    )
    assert any("Yes, share my details" in label for s in chat for label, _ in s.buttons)
    # Library debug lines are there, redacted: without them this test could not fail.
    assert "telegram.Bot: Set Bot API URL: http://127.0.0.1:" in log and "/bot[secret]" in log
    assert "aiosqlite: executing" in log and "INSERT" in log
    assert "httpx: HTTP Request: POST" in log
    for private in (TOKEN, TOKEN.split(":")[1], NAME, "Morgan", EMAIL, PHONE, "7700900456", "900456"):
        assert private not in log, f"{private!r} reached stderr"
