"""Loading a knowledge folder into the frozen Knowledge the bot serves, or refusing with every problem."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from types import MappingProxyType

from bot.errors import KnowledgeError
from bot.knowledge.checks import examine
from bot.knowledge.model import Knowledge

log = logging.getLogger(__name__)


def load_knowledge(folder: Path, today: date | None = None) -> Knowledge:
    """Reads and checks every knowledge file; raises KnowledgeError with all problems if any is an error."""
    drafts = examine(folder, today)
    problems = drafts.report.problems
    if any(problem.severity == "error" for problem in problems):
        raise KnowledgeError(problems)
    if problems:
        log.info("knowledge in %s loaded with %d warning(s)", folder, len(problems))
    return Knowledge(
        facts=MappingProxyType(drafts.facts),
        subjects=MappingProxyType(drafts.subjects),
        routes=MappingProxyType(drafts.routes),
        providers=MappingProxyType(drafts.providers),
        answers=MappingProxyType(drafts.answers),
        synonyms=MappingProxyType(drafts.synonyms),
        stop_words=drafts.stop_words,
        messages=MappingProxyType(drafts.messages),
        version=drafts.version,
    )
