"""Chooses the structured answer for a matched entry from what the person said and told us."""

from __future__ import annotations

from bot.core.journey import Context
from bot.core.session import Session
from bot.knowledge.model import AnswerEntry
from bot.knowledge.structured import bursary_answer, provider_answer, route_answer
from bot.matching.decide import Match


def structured_answer(ctx: Context, entry: AnswerEntry, found: Match | None, session: Session) -> str | None:
    """Returns the tailored answer text, or None to use the entry's own text."""
    knowledge = ctx.content.knowledge
    entities = found.entities if found is not None else None
    if entry.structured == "bursary_for_subject":
        subjects = list(entities.subjects) if entities else []
        profile = session.data.get("profile")
        if not subjects and isinstance(profile, dict) and isinstance(profile.get("subjects"), list):
            subjects = [str(s) for s in profile["subjects"]]
        return bursary_answer(knowledge, subjects, ctx.clock.now().date())
    if entry.structured == "route_details" and entities and entities.routes:
        route = knowledge.routes.get(entities.routes[0])
        return route_answer(knowledge, route) if route else None
    if entry.structured == "provider_details" and entities and entities.providers:
        provider = knowledge.providers.get(entities.providers[0])
        return provider_answer(knowledge, provider) if provider else None
    return None
