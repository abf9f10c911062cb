"""/stats and /unanswered for staff; for anyone else the staff commands do not exist."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.core.content import Content
from bot.core.engine import Engine
from bot.core.types import Status
from bot.knowledge.values import message
from bot.storage.memory import MemoryStore
from tests.conftest import TODAY, Chat
from tests.staff.scripting import Visit, add_shortlist, play, referral

STAFF_COMMANDS = ["/reload", "/stats", "/unanswered"]


@pytest.mark.parametrize("command", STAFF_COMMANDS)
@pytest.mark.parametrize(
    ("channel", "user"),
    # "staff" is a terminal admin; the same id on any other channel is someone else.
    [("test", "tester"), ("terminal", "visitor"), ("telegram", "staff"), ("web", "staff"), ("test", "staff")],
)
async def test_anyone_else_gets_the_menu_and_the_attempt_is_logged(
    engine: Engine, channel: str, user: str, command: str, caplog: pytest.LogCaptureFixture
) -> None:
    person = Chat(engine, user_id=user, channel=channel)
    menu = await person.say("/menu")
    with caplog.at_level(logging.WARNING, logger="handlers.admin"):
        replies = await person.say(command)
    assert [(r.text, r.status, r.buttons) for r in replies] == [(r.text, r.status, r.buttons) for r in menu]
    logged = [r.getMessage() for r in caplog.records if r.name == "handlers.admin"]
    assert len(logged) == 1 and user in logged[0] and command.lstrip("/") in logged[0]


async def test_stats_count_today_and_the_last_seven_days_without_staff(
    engine: Engine, staff: Chat, store: MemoryStore, content: Content
) -> None:
    today, three_days_ago, ten_days_ago = (
        TODAY - timedelta(hours=1),
        TODAY - timedelta(days=3),
        TODAY - timedelta(days=10),
    )
    visits = [
        Visit("ana", "radio", today, ("how much is the physics bursary", "how do i teach")),
        Visit("ben", None, three_days_ago, ("what is a scitt",)),
        Visit("cat", None, ten_days_ago, ("can i train to teach if i have a 2:2",)),
        Visit("staff", None, today, ("what is a scitt",), channel="terminal"),
    ]
    script = await play(engine, visits)
    provider = next(iter(content.knowledge.providers.values()))
    await add_shortlist(store, "ana", today, "radio")
    await store.add_referral(referral("r1", "ana", provider.id, today, "radio"))
    await store.add_referral(referral("r2", "ben", provider.id, three_days_ago, None))
    engine.clock.at = TODAY  # type: ignore[attr-defined]

    reply = (await staff.say("/stats"))[0]

    assert reply.status is Status.INFO
    for who, days in ((["ana"], "today"), (["ana", "ben"], "week")):
        asked = [a for a in script.asked if a.user in who]
        answered = sum(a.status == "answered" for a in asked)
        referrals = len(who)
        providers = message(
            content.knowledge, "admin.stats_provider", provider=provider.name, count=referrals
        )
        expected = message(
            content.knowledge,
            "admin.stats_period",
            label="",
            people=len(who),
            questions=len(asked),
            answered_rate=f"{answered / len(asked):.0%}",
            shortlists=1,
            referrals=message(
                content.knowledge, "admin.stats_referrals", total=referrals, providers=providers
            ),
        ).strip()
        assert expected in reply.text, f"{days}: {expected!r} not in {reply.text!r}"


async def test_unanswered_groups_similar_questions_from_the_last_thirty_days(
    engine: Engine, staff: Chat
) -> None:
    bike = ("where can i park my bike", "where could I park my bike?")
    visits = [
        Visit("ana", None, TODAY - timedelta(days=2), (bike[0], "how much is the physics bursary")),
        Visit("ben", None, TODAY - timedelta(days=5), (bike[1], "how do i teach")),
        Visit("cat", None, TODAY - timedelta(days=6), ("how do I teach?", bike[0])),
        Visit("dev", None, TODAY - timedelta(days=45), ("what colour are the school gates",)),
        Visit(
            "staff",
            None,
            TODAY - timedelta(days=1),
            ("what colour are the staff room chairs",),
            channel="terminal",
        ),
    ]
    script = await play(engine, visits)
    unanswered = [
        a for a in script.asked if a.status in ("no_match", "suggested") and a.user not in ("dev", "staff")
    ]
    bikes = sum(a.text in bike for a in unanswered)
    assert bikes >= 2, "the script needs questions the bot cannot answer"

    reply = (await staff.say("/unanswered"))[0]

    assert reply.status is Status.INFO
    assert "staff room chairs" not in reply.text, "staff questions are left out"
    assert "school gates" not in reply.text, "only the last 30 days count"
    line = next(line for line in reply.text.splitlines() if "bike" in line)
    assert line.startswith(f"{bikes} ")
    assert sum(int(line.split()[0]) for line in reply.text.splitlines() if line[:1].isdigit()) == len(
        unanswered
    )
