"""The `careers-bot ask` subcommand: shows how the matcher reads a question, for staff and for scripts."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TextIO

from bot.config import MatchingConfig, load_config
from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import Knowledge
from bot.matching.decide import OUT_OF_SCOPE_TOPIC, Candidate, Match
from bot.matching.matcher import SEMANTIC_TOP, Matcher


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the ask subcommand."""
    parser = subparsers.add_parser(
        "ask",
        help="show how the bot would match a question",
        description="Matches a question against the answers and explains the result, or prints JSON lines.",
    )
    parser.add_argument("question", nargs="?", default=None, metavar="QUESTION", help="the question to match")
    parser.add_argument("--json", action="store_true", help="print one JSON object per question")
    parser.add_argument(
        "--batch", type=str, default=None, metavar="FILE", help='questions, one a line ("-" for stdin)'
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Matches the question or the batch and prints the results; returns 2 on a usage error."""
    if (args.question is None) == (args.batch is None):
        print("careers-bot ask: give either a QUESTION or --batch FILE", file=sys.stderr)
        return 2
    if args.batch is not None and not args.json:
        print("careers-bot ask: --batch needs --json", file=sys.stderr)
        return 2
    config = load_config(args.config)
    knowledge = load_knowledge(config.knowledge_dir)
    matcher = Matcher(knowledge, config.matching)
    if args.batch is None:
        return ask_one(matcher, args.question, args.json, sys.stdout)
    try:
        with _open(args.batch) as lines:
            write_json_lines(matcher, _questions(lines), sys.stdout)
    except OSError as exc:
        print(f"careers-bot ask: cannot read {args.batch}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


def ask_one(matcher: Matcher, question: str, as_json: bool, out: TextIO) -> int:
    """Prints the verdict on one question as JSON or as an explanation; returns 0."""
    if as_json:
        write_json_lines(matcher, [question], out)
    else:
        out.write(explain(matcher.match(question), matcher.knowledge, matcher.config))
    return 0


def write_json_lines(matcher: Matcher, questions: Iterable[str], out: TextIO) -> None:
    """Writes one JSON object per question, in order."""
    for question in questions:
        out.write(json.dumps(as_record(matcher.match(question)), ensure_ascii=False) + "\n")


def as_record(match: Match) -> dict[str, object]:
    """Returns the JSON shape of a verdict that scripts rely on."""
    best = match.best
    return {
        "question": match.question,
        "status": str(match.status),
        "topic": best.topic if best else None,
        "entry": best.entry if best else None,
        "score": round(best.score, 3) if best else None,
        "alternatives": [
            {"entry": a.entry, "topic": a.topic, "score": round(a.score, 3)} for a in match.alternatives
        ],
    }


def explain(match: Match, knowledge: Knowledge, config: MatchingConfig) -> str:
    """Returns a plain explanation of a verdict for staff checking their content."""
    lines = [f"Question: {match.question}", f"Status:   {match.status}"]
    if match.best is None:
        lines.append("No entry scored: the message has no words the answers use.")
    else:
        lines.extend(_explain_best(match, match.best, knowledge, config))
    lines.extend(f"Alternative: {_describe(c)}" for c in match.alternatives)
    lines.extend(f"Also asked: {_describe(c)}" for c in match.other_questions)
    lines.append(f"Entities: {_entities(match)}")
    return "\n".join(lines) + "\n"


def _explain_best(match: Match, best: Candidate, knowledge: Knowledge, config: MatchingConfig) -> list[str]:
    entry = knowledge.answers.get(best.entry)
    lines = [
        f"Best:     {_describe(best)}",
        f"          canonical question: {entry.question if entry else '?'}",
        f"          closest in words: {best.phrasing or '(no words in common)'} (lexical {best.lexical:.3f})",
        f"          closest in meaning: {best.semantic_phrasing or '-'} (cosine {best.semantic:.3f})",
        f"Score:    {best.score:.3f} = {config.fusion.lexical_weight:g} x lexical + "
        f"{_semantic_weight(best, config):g} x likeness (the mean cosine of its "
        f"{SEMANTIC_TOP} closest phrasings, above {config.fusion.semantic_floor:g}, scaled to 0-1)",
        f"          answer at {config.answer_threshold:.2f} or more and {config.answer_margin:.2f} ahead; "
        f"suggest at {config.suggest_threshold:.2f} or more",
    ]
    if match.runner_up is not None:
        margin = best.score - match.runner_up.score
        lines.append(f"Runner-up: {_describe(match.runner_up)}, {margin:.3f} behind")
    if match.part and match.part != match.question:
        lines.append(f"Matched on the part: {match.part}")
    return lines


def _semantic_weight(candidate: Candidate, config: MatchingConfig) -> float:
    fusion = config.fusion
    return fusion.out_of_scope_weight if candidate.topic == OUT_OF_SCOPE_TOPIC else fusion.semantic_weight


def _describe(candidate: Candidate) -> str:
    return (
        f"{candidate.entry} (topic {candidate.topic}, score {candidate.score:.3f}: "
        f"lexical {candidate.lexical:.3f}, cosine {candidate.semantic:.3f})"
    )


def _entities(match: Match) -> str:
    found = match.entities
    parts = [
        f"subjects {', '.join(found.subjects)}" if found.subjects else "",
        f"routes {', '.join(found.routes)}" if found.routes else "",
        f"degree class {found.degree_class}" if found.degree_class else "",
        f"academic year {found.academic_year}" if found.academic_year else "",
        f"providers {', '.join(found.providers)}" if found.providers else "",
    ]
    return "; ".join(p for p in parts if p) or "none"


def _open(name: str) -> AbstractContextManager[TextIO]:
    if name == "-":
        return nullcontext(sys.stdin)
    return Path(name).open(encoding="utf-8", errors="replace")


def _questions(lines: Iterable[str]) -> Iterator[str]:
    for line in lines:
        question = line.rstrip("\r\n")
        if question.strip():
            yield question
