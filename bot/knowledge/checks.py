"""Checking a knowledge folder as a whole: every file read, then every reference between files resolved."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

from bot.errors import Problem
from bot.knowledge.fields import Report, Spot, hint
from bot.knowledge.reading import Drafts, read_folder
from bot.knowledge.required import MESSAGE_KEYS

ALL_SUBJECTS = "all"


def examine(folder: Path, today: date | None = None, regions: Sequence[str] | None = None) -> Drafts:
    """Reads a knowledge folder and checks it whole; drafts.report.problems holds every error and warning."""
    drafts = read_folder(folder, today or date.today())
    report = drafts.report
    _check_values(drafts)
    _check_messages(drafts)
    _check_names(report, "answer", drafts.answers, _broken(report, "answers/"), "answer")
    _check_names(report, "route", drafts.routes, _broken(report, "routes.yaml"), "route")
    subjects = {*drafts.subjects, ALL_SUBJECTS}
    _check_names(report, "subject", subjects, _broken(report, "subjects.yaml"), "subject")
    if regions is not None:
        _check_names(report, "region", regions, False, "region in config.yaml")
    _check_subject_names(report)
    _tell_placeholders(report)
    report.problems.sort(key=lambda p: (p.file, p.line or 0))
    return drafts


def check_knowledge(
    folder: Path, today: date | None = None, regions: Sequence[str] | None = None
) -> list[Problem]:
    """Returns every error and warning in a knowledge folder, in file and line order."""
    return examine(folder, today, regions).report.problems


def _broken(report: Report, prefix: str) -> bool:
    return any(file.startswith(prefix) for file in report.broken)


def _check_values(drafts: Drafts) -> None:
    report = drafts.report
    for path, spot in report.refs["value"]:
        if path in drafts.facts or f"values/{path.split('.')[0]}.yaml" in report.broken:
            continue
        if any(path.startswith(prefix) for prefix in report.undefined):
            continue
        report.error(spot, f"{{{path}}} is not a figure in values/{hint(path, drafts.facts)}")


def _check_messages(drafts: Drafts) -> None:
    """Every message the code says must be written: otherwise a person would read "[key]" instead."""
    missing: dict[str, list[str]] = {}
    for key in sorted(MESSAGE_KEYS - drafts.messages.keys()):
        stem, _, name = key.partition(".")
        missing.setdefault(stem, []).append(name)
    written = {key.partition(".")[0] for key in drafts.messages}
    for stem, names in missing.items():
        spot = Spot(f"messages/{stem}.yaml", None)
        if spot.file in drafts.report.broken:
            continue  # the file did not parse; that error is enough
        if stem not in written:
            drafts.report.error(spot, f"missing: the bot needs the {len(names)} messages of this file")
            continue
        for name in names:
            drafts.report.error(spot, f"message {name!r} is missing, and the bot says it")


def _check_names(report: Report, kind: str, known: Collection[str], skip: bool, what: str) -> None:
    if skip:
        return  # the file defining them did not parse; that error is enough
    for name, spot in report.refs[kind]:
        if name not in known:
            report.error(spot, f"{name!r} is not a known {what}{hint(name, known)}")


def _tell_placeholders(report: Report) -> None:
    """One warning for every placeholder address, so a fresh copy's list does not hide a new problem."""
    found = report.placeholders
    if len(found) == 1:
        address, spot = found[0]
        report.warning(
            spot, f"{address!r} is a placeholder: digests are held back until you enter the real one"
        )
    elif found:
        lines = ", ".join(str(spot.line) for _address, spot in found)
        first = found[0][1]
        message = (
            f"{len(found)} digest addresses are placeholders ending in .example (lines {lines}): "
            "digests are held back until you enter the providers' real addresses"
        )
        report.warning(replace(first, entry=None, field=None), message)


def _check_subject_names(report: Report) -> None:
    owners: dict[str, str | None] = {}
    for name, spot in report.refs["subject name"]:
        key = " ".join(name.casefold().replace("-", " ").split())
        owner = owners.setdefault(key, spot.entry)
        if owner != spot.entry:
            report.error(
                spot, f"{name!r} also names subject {owner!r}: the bot could not tell which is meant"
            )
