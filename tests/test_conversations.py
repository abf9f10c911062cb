"""Scripted conversations, written as YAML stories, run through the real engine and knowledge."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import Chat

STORIES = sorted((Path(__file__).parent / "conversations").glob("*.yaml"))
STEP_KEYS = {"say", "press", "tap", "status", "entry", "contains", "not_contains", "buttons", "note"}


def _load(path: Path) -> dict[str, Any]:
    story = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(story, dict) and isinstance(story.get("steps"), list), f"{path.name}: needs steps"
    return story


@pytest.mark.parametrize("path", STORIES, ids=[p.stem for p in STORIES])
async def test_story(chat: Chat, path: Path) -> None:
    story = _load(path)
    chat.user_id = str(story.get("user", path.stem))
    chat.channel = str(story.get("channel", chat.channel))
    for number, step in enumerate(story["steps"], start=1):
        unknown = set(step) - STEP_KEYS
        assert not unknown, f"{path.name} step {number}: unknown keys {unknown}"
        replies = await _act(chat, step)
        where = f"{path.name} step {number} ({step.get('say') or step.get('press') or step.get('tap')!r})"
        _check(step, replies, where)


async def _act(chat: Chat, step: dict[str, Any]) -> list[Any]:
    if "say" in step:
        return await chat.say(str(step["say"]))
    if "press" in step:
        return await chat.press(str(step["press"]))
    return await chat.tap(str(step["tap"]))


def _check(step: dict[str, Any], replies: list[Any], where: str) -> None:
    text = "\n".join(r.text for r in replies)
    labels = [b.label for r in replies for b in r.buttons]
    if "status" in step:
        statuses = [str(r.status) for r in replies]
        assert step["status"] in statuses, f"{where}: status {statuses}, wanted {step['status']}\n{text}"
    if "entry" in step:
        entries = [r.entry for r in replies]
        assert step["entry"] in entries, f"{where}: entries {entries}, wanted {step['entry']}\n{text}"
    for part in step.get("contains", []):
        assert str(part).casefold() in text.casefold(), f"{where}: {part!r} not in\n{text}"
    for part in step.get("not_contains", []):
        assert str(part).casefold() not in text.casefold(), f"{where}: {part!r} should not be in\n{text}"
    for label in step.get("buttons", []):
        assert any(str(label).casefold() in x.casefold() for x in labels), (
            f"{where}: no button {label!r} in {labels}"
        )
