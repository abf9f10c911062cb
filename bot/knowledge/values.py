"""Showing facts as people read them, and filling {placeholders} in answer and message texts."""

from __future__ import annotations

import logging
import re
from datetime import date

from bot.knowledge.model import Fact, Knowledge

log = logging.getLogger(__name__)

# {bursaries.current.physics.bursary} names a fact; {name} (no dot) is filled in by the bot as it talks.
PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_][A-Za-z0-9_-]*)*)\}")


def _number(value: int | float) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}".rstrip("0")
    return f"{int(value):,}"


def _money(value: int | float) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"£{value:,.2f}"
    return f"£{int(value):,}"


def format_fact(fact: Fact) -> str:
    """Returns a fact as a person reads it: £29,000, £69.60, 4%, 24 weeks, 6 October 2026."""
    value = fact.value
    if isinstance(value, date):
        return f"{value.day} {value:%B} {value.year}"
    if isinstance(value, str):
        return value
    if fact.unit == "gbp":
        return _money(value)
    if fact.unit == "percent":
        return f"{_number(value)}%"
    if fact.unit:
        return f"{_number(value)} {fact.unit}"
    return _number(value)


def render(knowledge: Knowledge, template: str, **params: object) -> str:
    """Fills a text's {value.paths} from the facts and {names} from params; gaps show as [missing: ...]."""
    if "{" not in template:  # most button labels and short messages have nothing to fill
        return template
    return _fill(knowledge, template, params, [])


def _fill(knowledge: Knowledge, template: str, params: dict[str, object], gaps: list[str]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if "." in name:
            fact = knowledge.facts.get(name)
            if fact is not None:
                return format_fact(fact)
        elif name in params:
            return str(params[name])
        log.warning("no value for {%s} in text starting %r", name, template[:60])
        gaps.append(name)
        return f"[missing: {name}]"

    return PLACEHOLDER.sub(fill, template)


def message(knowledge: Knowledge, key: str, **params: object) -> str:
    """Returns a fixed message (e.g. "core.greeting") with its placeholders filled."""
    template = knowledge.messages.get(key)
    if template is None:
        log.warning("no message called %r in the knowledge files", key)
        return f"[{key}]"
    return render(knowledge, template, **params)


def whole_message(knowledge: Knowledge, key: str, **params: object) -> str | None:
    """Returns a fixed message with every placeholder filled, or None when it or a value in it is missing."""
    template = knowledge.messages.get(key)
    if template is None:
        log.warning("no message called %r in the knowledge files", key)
        return None
    gaps: list[str] = []
    text = _fill(knowledge, template, dict(params), gaps)
    return None if gaps else text
