"""The quality benchmark: the bot's question matching on labelled questions, beside its signals alone and
simple baselines.

Run it as `python bench/quality.py [--part tune|test|synthetic] [--dev PATH] [--misses] [--config PATH]`.
Over both parts of the real questions (tests/data/real_questions.yaml) and the synthetic set, it asks the
bot's matcher (as `careers-bot ask` does) and scores the verdicts; then does the same for the bot's lexical
matcher alone, its sentence-embedding model alone (nearest phrasing), BM25 over every phrasing, and rapidfuzz
WRatio over the canonical questions. The tuning part's questions are also asked questions in
knowledge/asked.yaml, so each is scored by systems built without its own page's questions (bench/heldout.py).
With --config, the matcher runs on the settings and knowledge that config file names.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import yaml
from rapidfuzz import fuzz, process, utils

if TYPE_CHECKING:
    from bot.config import MatchingConfig
    from bot.knowledge.model import Knowledge
    from bot.matching.decide import Match
    from bot.matching.matcher import Matcher

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script, the bench package sits beside this file's folder
    sys.path.insert(0, str(ROOT))
DEFAULT_DEV = ROOT / "tests" / "data" / "dev_questions.yaml"
OUT_OF_SCOPE = "out_of_scope"
UNANSWERED = "none"
REAL = ROOT / "tests" / "data" / "real_questions.yaml"
DECLINING = frozenset({"out_of_scope", "no_match"})
TOP_K = 3
# The bar the quality gate holds the bot to on the real questions' test part (tests/quality/test_real_set.py).
# scripts/fit_matching.py refuses settings that miss the last two on the tuning part.
TOP1_GATE = 0.70
TOP3_GATE = 0.85
DECLINED_GATE = 0.80
WRONG_CEILING = 0.05
PARTS = ("tune", "test", "synthetic")
# The lexical matcher's thresholds before the semantic signal came in, for comparing against today's.
LEXICAL_SETTINGS = {"answer_threshold": 0.60, "answer_margin": 0.04, "suggest_threshold": 0.38}


@dataclass(frozen=True, slots=True)
class DevQuestion:
    """One labelled question: the entry that answers it, and any others that would do."""

    text: str
    expect: str
    also: tuple[str, ...] = ()
    split: str = ""  # tune or test, for the real questions
    url: str = ""  # the page a real question was asked on

    @property
    def unanswerable(self) -> bool:
        """True for a question about training to teach that no entry answers yet."""
        return self.expect == UNANSWERED

    @property
    def accepted(self) -> frozenset[str]:
        """The entry ids that count as a right answer."""
        return frozenset((self.expect, *self.also))

    @property
    def off_topic(self) -> bool:
        """True when the bot should decline the question."""
        return self.expect == OUT_OF_SCOPE


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one system made of one question: its status and its ranked entries, best first."""

    status: str
    entries: tuple[str, ...]
    best_topic: str | None

    @property
    def declined(self) -> bool:
        """True when the system would not give an in-scope answer."""
        return self.status in DECLINING or self.best_topic == OUT_OF_SCOPE


@dataclass(frozen=True, slots=True)
class Phrasing:
    """One way of asking for an entry: its canonical question or one of its examples."""

    entry: str
    topic: str
    text: str
    canonical: bool


@dataclass(frozen=True, slots=True)
class Scores:
    """The figures for one system over one set of questions; a rate is None when nothing counts."""

    questions: int
    top1: float | None
    top3: float | None
    declined: float | None
    wrong: float | None


Ranker = Callable[[Sequence[str]], list[Verdict]]


def load_dev_set(path: Path, split: str | None = None) -> list[DevQuestion]:
    """Reads the labelled questions from the YAML file; with split, only that part of the real questions."""
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]
    found = [
        DevQuestion(
            str(r["text"]),
            str(r["expect"]),
            tuple(r.get("also") or ()),
            str(r.get("split", "")),
            str(r.get("url", "")),
        )
        for r in rows
    ]
    return [q for q in found if split is None or q.split == split]


def load_phrasings(knowledge: Knowledge) -> list[Phrasing]:
    """Returns every entry's canonical question, examples and asked questions."""
    found: list[Phrasing] = []
    for entry in knowledge.answers.values():
        found.append(Phrasing(entry.id, entry.topic, entry.question, canonical=True))
        found.extend(Phrasing(entry.id, entry.topic, example, canonical=False) for example in entry.examples)
        found.extend(Phrasing(entry.id, entry.topic, asked.text, canonical=False) for asked in entry.asked)
    return found


def wratio_ranker(phrasings: Sequence[Phrasing]) -> Ranker:
    """A baseline: WRatio against the in-scope canonical questions, no synonyms or thresholds."""
    canonical = [p for p in phrasings if p.canonical and p.topic != OUT_OF_SCOPE]
    choices = [p.text for p in canonical]

    def rank(questions: Sequence[str]) -> list[Verdict]:
        verdicts = []
        for question in questions:
            hits = process.extract(
                question, choices, scorer=fuzz.WRatio, processor=utils.default_process, limit=TOP_K
            )
            entries = tuple(canonical[index].entry for _, _, index in hits)
            # Without thresholds every question gets an answer: this baseline never declines.
            verdicts.append(Verdict("answered", entries, canonical[hits[0][2]].topic if hits else None))
        return verdicts

    return rank


def bm25_ranker(phrasings: Sequence[Phrasing]) -> Ranker | str:
    """A baseline: BM25 over every phrasing (lower-cased whitespace tokens), best phrasing per entry."""
    try:
        from rank_bm25 import BM25Okapi
    except ImportError:
        return "not installed (rank-bm25)"
    model = BM25Okapi([p.text.lower().split() for p in phrasings])

    def rank(questions: Sequence[str]) -> list[Verdict]:
        return [_pooled(phrasings, list(model.get_scores(q.lower().split()))) for q in questions]

    return rank


def rankers_for(knowledge: Knowledge, config: MatchingConfig) -> dict[str, Ranker | str]:
    """The bot and every baseline, built on this knowledge."""
    from bot.matching.matcher import Matcher

    phrasings = load_phrasings(knowledge)
    return {
        **matcher_rankers(Matcher(knowledge, config)),
        "bm25": bm25_ranker(phrasings),
        "wratio": wratio_ranker(phrasings),
    }


def matcher_rankers(matcher: Matcher) -> dict[str, Ranker]:
    """The bot itself, and its own signals on their own: its lexical matcher with the settings it had before
    the semantic signal, and plain nearest-neighbour search with its sentence-embedding model."""
    from bot.config import LEXICAL_ONLY

    lexical = replace(matcher.config, fusion=LEXICAL_ONLY, **LEXICAL_SETTINGS)

    def bot_rank(questions: Sequence[str]) -> list[Verdict]:
        return [_verdict_from_match(matcher.match(q)) for q in questions]

    def lexical_rank(questions: Sequence[str]) -> list[Verdict]:
        return [_verdict_from_match(matcher.decide(matcher.read(q), lexical)) for q in questions]

    def semantic_rank(questions: Sequence[str]) -> list[Verdict]:
        entries = matcher.index.entries
        starts = np.array([e.phrasings[0] for e in entries], dtype=np.intp)
        verdicts = []
        for question in questions:
            pieces = matcher.read(question).pieces
            cosines = pieces[0].cosines if pieces else None
            # The baseline stays the nearest phrasing alone, whatever likeness the bot fuses.
            likeness = None if cosines is None else np.maximum.reduceat(cosines, starts)
            if likeness is None:
                verdicts.append(Verdict("no_match", (), None))
                continue
            ranked = sorted(range(len(entries)), key=lambda e: (-likeness[e], entries[e].id))[:TOP_K]
            top = entries[ranked[0]].topic
            status = "out_of_scope" if top == OUT_OF_SCOPE else "answered"
            verdicts.append(Verdict(status, tuple(entries[e].id for e in ranked), top))
        return verdicts

    return {"bot": bot_rank, "lexical": lexical_rank, "semantic": semantic_rank}


def _verdict_from_match(match: Match) -> Verdict:
    best = [match.best.entry] if match.best else []
    entries = tuple(best + [a.entry for a in match.alternatives])
    return Verdict(str(match.status), entries, match.best.topic if match.best else None)


def _pooled(phrasings: Sequence[Phrasing], scores: Sequence[float]) -> Verdict:
    """Ranks entries by their best-scoring phrasing; nothing in common at all counts as no match."""
    best: dict[str, float] = {}
    topics: dict[str, str] = {}
    for phrasing, score in zip(phrasings, scores, strict=True):
        if score > best.get(phrasing.entry, float("-inf")):
            best[phrasing.entry] = score
            topics[phrasing.entry] = phrasing.topic
    ranked = sorted(best, key=lambda e: (-best[e], e))
    if not ranked or best[ranked[0]] <= 0:
        return Verdict("no_match", (), None)
    top = ranked[0]
    status = "out_of_scope" if topics[top] == OUT_OF_SCOPE else "answered"
    return Verdict(status, tuple(ranked[:TOP_K]), topics[top])


def top1(question: DevQuestion, verdict: Verdict) -> bool:
    """True when the best entry is one the label accepts."""
    return bool(verdict.entries) and verdict.entries[0] in question.accepted


def top3(question: DevQuestion, verdict: Verdict) -> bool:
    """True when an accepted entry is among the first three offered."""
    return any(e in question.accepted for e in verdict.entries[:TOP_K])


def confidently_wrong(question: DevQuestion, verdict: Verdict) -> bool:
    """True when the system answers outright with an entry the label does not accept."""
    if verdict.status != "answered":
        return False
    return question.off_topic or question.unanswerable or not top1(question, verdict)


def score(pairs: Sequence[tuple[DevQuestion, Verdict]]) -> Scores:
    """Computes top-1, top-3, off-topic declined and confidently wrong over the pairs.

    Questions no entry answers yet count only against confident wrong answers.
    """
    in_scope = [(q, v) for q, v in pairs if not q.off_topic and not q.unanswerable]
    off_topic = [v for q, v in pairs if q.off_topic]
    return Scores(
        questions=len(pairs),
        top1=_share(top1(q, v) for q, v in in_scope),
        top3=_share(top3(q, v) for q, v in in_scope),
        declined=_share(v.declined for v in off_topic),
        wrong=_share(confidently_wrong(q, v) for q, v in pairs),
    )


def _share(flags: Iterable[bool]) -> float | None:
    values = list(flags)
    return sum(values) / len(values) if values else None


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.1%}"


def overall_table(names: Sequence[str], results: dict[str, Scores | str]) -> str:
    """The headline figures for every system, side by side."""
    rows = [("top-1 (in scope)", "top1"), ("top-3 (in scope)", "top3")]
    rows += [("off-topic declined", "declined"), ("confidently wrong (all)", "wrong")]
    lines = [_row("", names)]
    for label, field in rows:
        cells = [r if isinstance(r, str) else _pct(getattr(r, field)) for r in (results[n] for n in names)]
        lines.append(_row(label, cells))
    return "\n".join(lines)


def topic_table(
    dev: Sequence[DevQuestion], answers: dict[str, Sequence[Verdict]], topic_of: dict[str, str]
) -> str:
    """Per topic of the expected entry: the bot's top-1, top-3 and wrong answers, and baselines' top-1."""
    groups: dict[str, list[int]] = defaultdict(list)
    for index, question in enumerate(dev):
        topic = "(no entry answers yet)" if question.unanswerable else topic_of.get(question.expect, "?")
        groups[OUT_OF_SCOPE if question.off_topic else topic].append(index)
    baselines = [n for n in answers if n != "bot"]
    head = ["n", "bot top-1", "bot top-3", "bot wrong", *(f"{n} top-1" for n in baselines)]
    lines = [_row("topic", head, first=32)]
    for topic in sorted(groups):
        lines.append(_row(topic, _topic_cells(dev, groups[topic], answers, baselines), first=32))
    lines.append("(out_of_scope row: 'top-1' columns show the share declined)")
    return "\n".join(lines)


def _topic_cells(
    dev: Sequence[DevQuestion],
    indexes: list[int],
    answers: dict[str, Sequence[Verdict]],
    baselines: list[str],
) -> list[str]:
    pairs = {name: [(dev[i], verdicts[i]) for i in indexes] for name, verdicts in answers.items()}
    bot = score(pairs["bot"])
    off = dev[indexes[0]].off_topic
    cells = [str(len(indexes)), _pct(bot.declined if off else bot.top1), _pct(None if off else bot.top3)]
    cells.append(_pct(bot.wrong))
    for name in baselines:
        figures = score(pairs[name])
        cells.append(_pct(figures.declined if off else figures.top1))
    return cells


def _row(label: str, cells: Sequence[str], first: int = 26) -> str:
    return label.ljust(first) + "".join(c.rjust(14) for c in cells)


def misses(dev: Sequence[DevQuestion], verdicts: Sequence[Verdict]) -> str:
    """One line per question the bot got wrong at top-1 (or failed to decline)."""
    lines = []
    for question, verdict in zip(dev, verdicts, strict=True):
        ok = verdict.declined if question.off_topic else top1(question, verdict)
        if not ok:
            shown = ", ".join(verdict.entries) or "nothing"
            lines.append(f"- [{question.expect}] {question.text}\n    {verdict.status}: {shown}")
    return "\n".join(lines) if lines else "(none)"


LEGEND = """lexical: the bot's word-overlap matcher alone, with its thresholds from before the semantic signal
semantic: the nearest phrasing by the bot's sentence-embedding model; declines when a refusal is nearest
bm25, wratio: simple baselines (wratio never declines)"""


def evaluate(
    dev: Sequence[DevQuestion], rankers: dict[str, Ranker | str]
) -> tuple[dict[str, Sequence[Verdict]], dict[str, Scores | str]]:
    """Runs the bot and every other ranker over the questions and scores them."""
    texts = [q.text for q in dev]
    answers: dict[str, Sequence[Verdict]] = {}
    results: dict[str, Scores | str] = {}
    for name, ranker in rankers.items():
        if isinstance(ranker, str):
            results[name] = ranker
            continue
        answers[name] = ranker(texts)
        results[name] = score(list(zip(dev, answers[name], strict=True)))
    return answers, results


def evaluate_held_out(
    dev: Sequence[DevQuestion], knowledge: Knowledge, config: MatchingConfig
) -> tuple[dict[str, Sequence[Verdict]], dict[str, Scores | str]]:
    """Scores the tuning part with every system built without the asked questions of each question's pages."""
    from bench.heldout import FOLDS, fold_of, without_fold

    answers: dict[str, list[Verdict | None]] = {}
    results: dict[str, Scores | str] = {}
    for fold in range(FOLDS):
        chosen = [i for i, q in enumerate(dev) if fold_of(q.url) == fold]
        part, _ = evaluate([dev[i] for i in chosen], rankers_for(without_fold(knowledge, fold), config))
        for name, verdicts in part.items():
            merged = answers.setdefault(name, [None] * len(dev))
            for index, verdict in zip(chosen, verdicts, strict=True):
                merged[index] = verdict
    whole = {name: [v for v in verdicts if v is not None] for name, verdicts in answers.items()}
    for name, verdicts in whole.items():
        results[name] = score(list(zip(dev, verdicts, strict=True)))
    return dict(whole), results


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the bot and the baselines over both parts of the real questions and the synthetic set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--dev", type=Path, default=DEFAULT_DEV, help="the synthetic questions (YAML)")
    parser.add_argument(
        "--misses", action="store_true", help="also list the real tuning questions the bot got wrong"
    )
    parser.add_argument(
        "--part", choices=PARTS, action="append", help="score only this set (repeat for more; default: all)"
    )
    parser.add_argument(
        "--config", type=Path, default=ROOT / "config.yaml", help="the config file (default: config.yaml)"
    )
    args = parser.parse_args(argv)
    from bot.config import load_config
    from bot.errors import BotError
    from bot.knowledge.loader import load_knowledge

    try:
        config = load_config(args.config, environ={})
        knowledge = load_knowledge(config.knowledge_dir)
        rankers = rankers_for(knowledge, config.matching)
    except BotError as exc:  # a missing model, or knowledge with errors (`careers-bot check` lists them)
        print(f"quality: {exc}", file=sys.stderr)
        return 2
    sets = {
        "tune": ("Real questions, tuning part (each page held out)", lambda: load_dev_set(REAL, "tune")),
        "test": ("Real questions, test part", lambda: load_dev_set(REAL, "test")),
        "synthetic": (f"Synthetic set ({args.dev.name})", lambda: load_dev_set(args.dev)),
    }
    topic_of = {e.id: e.topic for e in knowledge.answers.values()}
    for part in args.part or PARTS:
        title, load = sets[part]
        dev = load()
        if part == "tune":
            answers, results = evaluate_held_out(dev, knowledge, config.matching)
        else:
            answers, results = evaluate(dev, rankers)
        in_scope = sum(not q.off_topic and not q.unanswerable for q in dev)
        unanswered = sum(q.unanswerable for q in dev)
        print(
            f"{title}: {in_scope} answerable, {len(dev) - in_scope - unanswered} to decline, "
            f"{unanswered} no entry answers yet\n"
        )
        print(overall_table(list(results), results))
        statuses = sorted({v.status for v in answers["bot"]})
        counts = ", ".join(f"{s} {sum(v.status == s for v in answers['bot'])}" for s in statuses)
        print(f"Bot statuses: {counts}\n")
        if part == "test":
            print(topic_table(dev, answers, topic_of) + "\n")
        if args.misses and part == "tune":
            print("Bot misses:\n" + misses(dev, answers["bot"]) + "\n")
    print(LEGEND)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
