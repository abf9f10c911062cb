"""A request for a person reaches the handoff hook a deployment provides, and the person hears so."""

from __future__ import annotations

from bot.app import build_journeys
from bot.config import Config
from bot.core.clock import FixedClock
from bot.core.content import Content, ContentHolder
from bot.core.engine import Engine
from bot.core.handoff import HandoffRequest
from bot.core.types import Turn
from bot.storage.memory import MemoryStore
from tests.conftest import TODAY


class RecordingInbox:
    """An advisers' inbox that keeps what it is sent and says whether someone will reply."""

    def __init__(self, answers: bool) -> None:
        self.answers = answers
        self.requests: list[HandoffRequest] = []

    async def request(self, request: HandoffRequest) -> bool:
        """Keeps the request."""
        self.requests.append(request)
        return self.answers


async def _say(config: Config, content: Content, inbox: RecordingInbox, text: str) -> str:
    store = MemoryStore()
    await store.open()
    engine = Engine(config, ContentHolder(config, content), store, build_journeys(), FixedClock(TODAY), inbox)
    replies = await engine.handle(Turn(channel="test", user_id="p1", text=text))
    await store.close()
    return "\n".join(r.text for r in replies)


async def test_a_request_for_a_person_reaches_the_inbox(config: Config, content: Content) -> None:
    inbox = RecordingInbox(answers=True)
    text = await _say(config, content, inbox, "I want to speak to someone")
    assert [(r.channel, r.user_id, r.text) for r in inbox.requests] == [
        ("test", "p1", "I want to speak to someone")
    ]
    assert content.knowledge.messages["smalltalk.person_passed_on"] in text
    assert "0800 389 2500" in text


async def test_an_inbox_that_cannot_reply_leaves_only_the_advisers_contacts(
    config: Config, content: Content
) -> None:
    inbox = RecordingInbox(answers=False)
    text = await _say(config, content, inbox, "can I talk to a human please")
    assert len(inbox.requests) == 1
    assert content.knowledge.messages["smalltalk.person_passed_on"] not in text
    assert "0800 389 2500" in text


async def test_a_question_is_not_passed_on(config: Config, content: Content) -> None:
    inbox = RecordingInbox(answers=True)
    await _say(config, content, inbox, "how much is the physics bursary?")
    assert inbox.requests == []
