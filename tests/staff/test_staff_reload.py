"""/reload, the folder watcher and SIGHUP: a good edit is served next, a broken one changes nothing."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import signal
from dataclasses import replace
from pathlib import Path
from typing import TextIO

import pytest

from bot.commands.chat import chat_in_terminal
from bot.config import Config, ReloadConfig
from bot.core.clock import FixedClock
from bot.core.content import Content, ContentHolder
from bot.core.engine import Engine
from bot.core.journey import Context
from bot.core.types import Reply, Status
from bot.core.watch import ReloadResult, install_sighup_reload, start_reloading, watch_knowledge
from bot.errors import Problem
from bot.storage.memory import MemoryStore
from handlers.admin import MAX_PROBLEMS, problem_lines
from tests.conftest import TODAY, Chat
from tests.staff.conftest import BURSARIES, edit_physics_bursary

QUESTION = "how much is the physics bursary"
PHYSICS_FACT = "bursaries.2026-27.physics.bursary"
WAIT = 10.0  # seconds; generous, as a slow machine must not fail these


def _answer(replies: list[Reply]) -> str:
    return "\n".join(reply.text for reply in replies)


@pytest.fixture
def editor(copy_engine: Engine) -> Chat:
    """Staff talking to the engine that serves the editable knowledge copy."""
    return Chat(copy_engine, user_id="staff", channel="terminal")


async def test_reload_after_a_good_edit_changes_the_next_answer(
    editor: Chat, knowledge_copy: Path, holder: ContentHolder
) -> None:
    before = _answer(await editor.say(QUESTION))
    assert "£29,000" in before and "£29,500" not in before
    old_version = holder.current.knowledge.version
    edit_physics_bursary(knowledge_copy, "29500")

    reply = (await editor.say("/reload"))[0]

    new_version = holder.current.knowledge.version
    assert new_version != old_version
    assert reply.status is Status.INFO and new_version in reply.text
    assert "£29,500" in _answer(await editor.say(QUESTION))


async def test_reload_of_broken_yaml_reports_file_and_line_and_keeps_the_old_answer(
    editor: Chat, knowledge_copy: Path, holder: ContentHolder
) -> None:
    old_version = holder.current.knowledge.version
    line = edit_physics_bursary(knowledge_copy, "29500: oops")

    reply = (await editor.say("/reload"))[0]

    assert reply.status is Status.ERROR
    assert f"{BURSARIES}:{line}" in reply.text
    assert old_version in reply.text
    assert holder.current.knowledge.version == old_version
    after = _answer(await editor.say(QUESTION))
    assert "£29,000" in after and "£29,500" not in after


async def test_a_non_admin_cannot_reload(
    config: Config, holder: ContentHolder, store: MemoryStore, copy_engine: Engine, knowledge_copy: Path
) -> None:
    old_version = holder.current.knowledge.version
    edit_physics_bursary(knowledge_copy, "29500")
    visitor = Chat(copy_engine, user_id="visitor", channel="terminal")

    await visitor.say("/reload")

    assert holder.current.knowledge.version == old_version
    assert "£29,000" in _answer(await visitor.say(QUESTION))


def test_a_long_list_of_problems_is_cut_after_twenty_errors(
    config: Config, content: Content, store: MemoryStore
) -> None:
    ctx = Context(content, store, config, FixedClock(TODAY), "terminal", "staff", None, is_admin=True)
    errors = [Problem("error", "answers/a.yaml", n, "e", "answer", f"problem {n}") for n in range(1, 26)]
    warnings = [Problem("warning", "answers/b.yaml", 1, "w", None, "stale")]

    text = problem_lines(ctx, (*warnings, *errors))

    lines = text.splitlines()
    assert len(lines) == MAX_PROBLEMS + 1
    assert lines[0] == "answers/a.yaml:1: error: entry 'e': field 'answer': problem 1"
    assert "stale" not in text
    assert "5" in lines[-1] and "problem" not in lines[-1]


async def _next(results: asyncio.Queue[ReloadResult]) -> ReloadResult:
    return await asyncio.wait_for(results.get(), WAIT)


async def test_the_watcher_reloads_a_good_edit_and_refuses_a_broken_one(
    holder: ContentHolder, knowledge_copy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    results: asyncio.Queue[ReloadResult] = asyncio.Queue()
    watcher = asyncio.create_task(watch_knowledge(holder, 0.05, results.put_nowait))
    await asyncio.sleep(0.5)  # lets the watcher take its first look at the folder
    try:
        edit_physics_bursary(knowledge_copy, "29500")
        good = await _next(results)
        assert good.ok and good.version == holder.current.knowledge.version
        assert holder.current.knowledge.facts[PHYSICS_FACT].value == 29500

        (knowledge_copy / BURSARIES).write_text("2026-27: [broken\n", encoding="utf-8")
        with caplog.at_level(logging.ERROR, logger="bot.core.watch"):
            bad = await _next(results)
        assert not bad.ok and bad.version == good.version
        assert any(p.file == BURSARIES and p.line is not None for p in bad.problems)
        assert any(BURSARIES in record.getMessage() for record in caplog.records)
        assert holder.current.knowledge.facts[PHYSICS_FACT].value == 29500
    finally:
        watcher.cancel()
    with pytest.raises(asyncio.CancelledError):
        await watcher
    assert results.empty()


async def test_sighup_reloads_the_knowledge(holder: ContentHolder, knowledge_copy: Path) -> None:
    results: asyncio.Queue[ReloadResult] = asyncio.Queue()
    before = signal.getsignal(signal.SIGHUP)
    handle = install_sighup_reload(holder, asyncio.get_running_loop(), results.put_nowait)
    try:
        edit_physics_bursary(knowledge_copy, "29500")
        os.kill(os.getpid(), signal.SIGHUP)
        result = await _next(results)
    finally:
        handle.cancel()
    assert result.ok
    assert holder.current.knowledge.facts[PHYSICS_FACT].value == 29500
    assert signal.getsignal(signal.SIGHUP) == before


async def test_start_reloading_watches_when_configured_and_stops_on_cancel(
    holder: ContentHolder, copy_config: Config, knowledge_copy: Path
) -> None:
    results: asyncio.Queue[ReloadResult] = asyncio.Queue()
    settings = type(copy_config.reload)(watch=True, poll_seconds=0.05)
    before = signal.getsignal(signal.SIGHUP)
    reloading = start_reloading(holder, settings, results.put_nowait)
    await asyncio.sleep(0.5)
    try:
        edit_physics_bursary(knowledge_copy, "29500")
        assert (await _next(results)).ok
    finally:
        reloading.cancel()
    await asyncio.sleep(0.2)
    edited = (knowledge_copy / BURSARIES).read_text(encoding="utf-8")
    (knowledge_copy / BURSARIES).write_text(edited.replace("29500", "29600"), encoding="utf-8")
    await asyncio.sleep(0.5)
    assert results.empty(), "a cancelled watcher must not reload"
    assert signal.getsignal(signal.SIGHUP) == before


async def test_the_terminal_chat_picks_up_a_knowledge_edit(
    copy_config: Config, knowledge_copy: Path, tmp_path: Path
) -> None:
    config = replace(copy_config, reload=ReloadConfig(watch=True, poll_seconds=0.05))
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "r") as stdin, os.fdopen(write_end, "w") as typed:
        out = io.StringIO()
        chat = asyncio.create_task(chat_in_terminal(config, tmp_path / "bot.sqlite3", "me", stdin, out))
        await _ask_until(typed, out, "£29,000")
        edit_physics_bursary(knowledge_copy, "29500")
        await _ask_until(typed, out, "£29,500")
        typed.close()
        await asyncio.wait_for(chat, WAIT)


async def _ask_until(typed: TextIO, out: io.StringIO, wanted: str) -> None:
    """Asks the question in the terminal until the answer shows the wanted figure."""
    async with asyncio.timeout(WAIT):
        while wanted not in out.getvalue():
            typed.write(QUESTION + "\n")
            typed.flush()
            await asyncio.sleep(0.2)
