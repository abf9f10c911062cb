"""Reading every file of a knowledge folder into draft entries, noting each problem and reference."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from pathlib import Path

from bot.knowledge import entries
from bot.knowledge.facts import read_values
from bot.knowledge.fields import Report, Spot
from bot.knowledge.marked import parse
from bot.knowledge.model import AnswerEntry, AskedQuestion, Fact, Provider, Route, Subject

FOLDERS = ("values", "answers", "messages")
FILES = ("routes.yaml", "subjects.yaml", "providers.yaml", "synonyms.yaml")
# Read when present: a folder without them is complete.
OPTIONAL_FILES = ("asked.yaml",)
GEO_FILES = ("gb_postcode_districts.csv", "gb_places.csv", "gb_areas.csv", "ATTRIBUTION.md")
SUFFIX = ".yaml"


@dataclass
class Drafts:
    """Everything read from a knowledge folder, before cross-references are checked."""

    report: Report
    files: int = 0
    version: str = ""
    facts: dict[str, Fact] = field(default_factory=dict)
    subjects: dict[str, Subject] = field(default_factory=dict)
    routes: dict[str, Route] = field(default_factory=dict)
    providers: dict[str, Provider] = field(default_factory=dict)
    answers: dict[str, AnswerEntry] = field(default_factory=dict)
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    stop_words: frozenset[str] = frozenset()
    messages: dict[str, str] = field(default_factory=dict)
    asked: list[tuple[str, AskedQuestion]] = field(default_factory=list)  # answer id, real question


def read_folder(folder: Path, today: date) -> Drafts:
    """Reads every knowledge file under folder; problems and references are left in drafts.report."""
    drafts = Drafts(Report(today))
    paths = _knowledge_files(folder, drafts.report)
    contents = {path.relative_to(folder).as_posix(): path.read_bytes() for path in paths}
    geo = {f"geo/{path.name}": path.read_bytes() for path in _geo_files(folder, drafts.report)}
    drafts.version = _version(contents | geo)
    for file, raw in contents.items():
        _read_file(drafts, file, raw)
    drafts.files = len(contents)
    _attach_asked(drafts)
    return drafts


def _attach_asked(drafts: Drafts) -> None:
    """Gives each answer the real questions asked.yaml files under it; unknown ids are reported elsewhere."""
    grouped: dict[str, list[AskedQuestion]] = {}
    for answer, question in drafts.asked:
        grouped.setdefault(answer, []).append(question)
    for answer, questions in grouped.items():
        if answer in drafts.answers:
            drafts.answers[answer] = replace(drafts.answers[answer], asked=tuple(questions))


def _version(contents: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for file in sorted(contents):
        digest.update(file.encode() + b"\0" + contents[file] + b"\0")
    return digest.hexdigest()[:12]


def _knowledge_files(folder: Path, report: Report) -> list[Path]:
    paths: list[Path] = []
    for name in FOLDERS:
        found = sorted((folder / name).glob("*")) if (folder / name).is_dir() else []
        for other in (p for p in found if p.suffix != SUFFIX):
            report.warning(Spot(f"{name}/{other.name}", None), f"ignored: only {SUFFIX} files are read")
        yaml_files = [p for p in found if p.suffix == SUFFIX and p.is_file()]
        if not yaml_files:
            report.error(Spot(f"{name}/", None), f"missing: the folder must hold at least one {SUFFIX} file")
        paths += yaml_files
    for name in FILES:
        if (folder / name).is_file():
            paths.append(folder / name)
        else:
            report.error(Spot(name, None), "missing: this file is required")
    paths += [folder / name for name in OPTIONAL_FILES if (folder / name).is_file()]
    return paths


def _geo_files(folder: Path, report: Report) -> list[Path]:
    present: list[Path] = []
    for name in GEO_FILES:
        path = folder / "geo" / name
        if path.is_file():
            present.append(path)
        else:
            report.error(Spot(f"geo/{name}", None), "missing: the place list needs this file")
    return present


def _read_file(drafts: Drafts, file: str, raw: bytes) -> None:
    report = drafts.report
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        report.error(Spot(file, line), "is not UTF-8 text: save it as UTF-8")
        report.broken.add(file)
        return
    data, flaws = parse(text)
    for flaw in flaws:
        report.error(Spot(file, flaw.line), flaw.message)
    if data is None:
        if not flaws:
            report.error(Spot(file, 1), "is empty")
        report.broken.add(file)
        return
    _dispatch(drafts, file, data)


def _dispatch(drafts: Drafts, file: str, data: object) -> None:
    report = drafts.report
    folder, _, name = file.rpartition("/")
    stem = name.removesuffix(SUFFIX)
    read = partial(entries.read_entries, report, file, data)
    if folder == "values":
        drafts.facts.update(read_values(stem, file, data, report))
    elif folder == "messages":
        drafts.messages.update(entries.read_messages(report, file, data, stem))
    elif folder == "answers":
        read("answers", drafts.answers, entries.build_answer, entries.ANSWER_FIELDS)
    elif name == "routes.yaml":
        read("routes", drafts.routes, entries.build_route, entries.ROUTE_FIELDS)
    elif name == "subjects.yaml":
        read("subjects", drafts.subjects, entries.build_subject, entries.SUBJECT_FIELDS)
    elif name == "providers.yaml":
        read("providers", drafts.providers, entries.build_provider, entries.PROVIDER_FIELDS)
    elif name == "synonyms.yaml":
        drafts.synonyms, drafts.stop_words = entries.read_synonyms(report, file, data)
    elif name == "asked.yaml":
        drafts.asked = entries.read_asked(report, file, data)
