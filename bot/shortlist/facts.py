"""Finding what people say about themselves in any message: subjects, degree, GCSEs, place, money, job, age.

The finders read one message and return the facts as a partial Profile, so they can be merged into what
the person said before. A fact in a sentence about someone else ("my son has a 2:1") is returned apart,
to be kept only when the person says it is about them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

from bot.knowledge.model import Knowledge, Phase
from bot.matching.entities import degree_class
from bot.matching.intent import QUESTION_WORDS
from bot.matching.normalise import split_clauses, words
from bot.shortlist.geo import Gazetteer, Place
from bot.shortlist.money import start_year
from bot.shortlist.profile import Profile

__all__ = ["FactFinder", "Facts"]

DEGREE_CLASSES = {
    "first": "first",
    "2:1": "upper_second",
    "2:2": "lower_second",
    "third": "third",
    "none": "none",
}
# Words just before or after a subject that make it the subject of a degree rather than the one to teach.
DEGREE_CUES = frozenset(
    {
        "degree",
        "ba",
        "bsc",
        "ma",
        "msc",
        "mphil",
        "phd",
        "masters",
        "master",
        "studied",
        "graduated",
        "graduate",
        "2",
        "first",
        "1st",
        "third",
        "3rd",
        "upper",
        "lower",
        "hons",
        "honours",
        "doctorate",
        "undergrad",
        "read",
    }
)
TEACH_CUES = frozenset(
    {
        "teach",
        "teaching",
        "teacher",
        "train",
        "training",
        "trainee",
        "specialise",
        "specialising",
        "pgce",
        "interested",
        "passionate",
        "love",
        "like",
        "want",
        "wanting",
        "hoping",
        "hope",
        "considering",
    }
)
CUE_WINDOW = 5  # words before a subject name looked at for a cue
_SOMEONE_ELSE = re.compile(
    r"\bmy\s+(?:(?:eldest|youngest|oldest|older|younger|teenage|grown[- ]up|step)\s*)?"
    r"(?:son|daughter|child|kid|kids|children|partner|wife|husband|friend|brother|sister|niece|nephew|mum|mom|"
    r"dad|mother|father|boyfriend|girlfriend|fianc[eé]e?|cousin|colleague|student|grandson|granddaughter)\b"
    r"|\b(?:he|she)\s+(?:has|is|got|wants|would|lives|studied)\b"
)
_PHASES: tuple[tuple[Phase, re.Pattern[str]], ...] = (
    (Phase.EARLY_YEARS, re.compile(r"\bearly[\s-]+years\b|\beyfs\b|\bnursery\s+(?:teacher|teaching|age)")),
    (Phase.FURTHER_EDUCATION, re.compile(r"\bfurther\s+education\b|\bfe\s+(?:college|teach|lectur)")),
    (Phase.PRIMARY, re.compile(r"\bprimary\b|\bkey\s+stage\s+[12]\b|\bks[12]\b")),
    (Phase.SECONDARY, re.compile(r"\bsecondary\b|\bhigh\s+school\b|\bkey\s+stage\s+[345]\b|\bks[345]\b")),
)
_STUDYING = re.compile(
    r"\b(?:i'?m|i\s+am|currently)\s+(?:in\s+my\s+)?(?:final|last|third|second|first|3rd|2nd|1st)\s+year\b"
    r"|\bstill\s+(?:at\s+uni|at\s+university|studying)\b|\b(?:i'?m|i\s+am)\s+(?:currently\s+)?(?:studying|doing)\s+"
    r"(?:a|my|an)\s+(?:\w+\s+)?degree\b|\bgraduat(?:e|ing)\s+(?:next|this)\s+(?:year|summer)\b"
)
_MODE = re.compile(r"\b(part|full)[\s-]?time\b")
_WORKING_BEFORE = re.compile(r"\b(?:work|working|works|job|employed|employment|contract)\W+(?:\w+\W+){0,2}$")
_SALARY_YES = re.compile(
    r"\b(?:need|needs|have)\s+to\s+(?:earn|be\s+paid|keep\s+earning)\b|\bneed\s+(?:a|an)\s+(?:salary|income|wage)\b"
    r"|\bearn\s+while\s+(?:i|you)\s+(?:train|learn)\b|\bpaid\s+(?:to\s+train|while\s+(?:i|training))\b"
    r"|\bcan'?t\s+afford\s+(?:to\s+)?(?:stop\s+working|fees|to\s+pay|the\s+fees|a\s+year\s+without)\b"
    r"|\bsalaried\s+(?:route|course|training|option|place)s?\b|\bmortgage\s+to\s+pay\b"
)
_SALARY_NO = re.compile(
    r"\b(?:don'?t|do\s+not)\s+need\s+(?:a\s+)?(?:salary|to\s+earn|to\s+be\s+paid)\b|\bfee[\s-]paying\b"
    r"|\bhappy\s+to\s+pay\s+(?:the\s+)?fees\b"
)
_YEAR = re.compile(
    r"\b(?:start|starting|begin|train|training|from|in|for)\s+(?:in\s+)?(?:september\s+|sept\s+)?(20[2-4]\d)\b"
)
_NEXT_SEPTEMBER = re.compile(
    r"\b(?:start|starting|begin|train)\w*\s+(?:\w+\s+){0,2}?(?:next|this\s+coming)\s+(?:september|year)\b"
)
_AGE = re.compile(
    r"\b(?:i'?m|i\s+am|aged|age)\s+(\d{2})\b(?!\s*(?:miles|mile|%|k\b|minutes|hours|weeks|months|grand|pounds))"
    r"|\b(\d{2})\s*(?:years?\s+old|yrs?\s+old|yo\b|y/o\b)"
)
_JOB = re.compile(
    r"\b(?:work(?:ing|ed)?\s+(?:full[\s-]?time\s+|part[\s-]?time\s+)?as|i'?ve\s+been\s+(?:working\s+as|a|an)|"
    r"i\s+have\s+been\s+(?:working\s+as|a|an)|i'?m\s+currently|i\s+am\s+currently|currently\s+working\s+as|"
    r"i'?m|i\s+am|i\s+work\s+in|working\s+in|worked\s+in|i\s+work\s+for)\s+(?:an?\s+)?"
    r"(?P<job>[a-z][a-z\-]*(?:\s+[a-z][a-z\-]*){0,2})"
)
# Words that follow "I'm a" without naming a job.
_NOT_JOBS = frozenset(
    {
        "bit",
        "little",
        "lot",
        "graduate",
        "student",
        "parent",
        "mum",
        "dad",
        "mother",
        "father",
        "single",
        "career",
        "looking",
        "thinking",
        "interested",
        "wondering",
        "not",
        "very",
        "really",
        "from",
        "in",
        "at",
        "living",
        "based",
        "hoping",
        "planning",
        "considering",
        "trying",
        "keen",
        "currently",
        "still",
        "new",
        "year",
        "uk",
        "british",
        "qualified",
        "trainee",
        "going",
        "about",
        "so",
        "just",
        "also",
        "the",
        "my",
        "this",
        "that",
        "finishing",
        "studying",
        "doing",
        "teacher",
        "teaching",
        "carer",
        "full",
        "part",
        "retired",
        "unemployed",
        "england",
        "final",
        "second",
        "third",
        "first",
        "mature",
        "non",
        "international",
        "overseas",
        "an",
        "a",
        "happy",
        "able",
        "worried",
        "scared",
        "nervous",
        "unsure",
        "sure",
        "confused",
        "ready",
        "moving",
        "getting",
        "over",
        "under",
        "late",
        "early",
        "mid",
        "aged",
        "age",
        "old",
        "feeling",
        "finding",
        "sorry",
        "writing",
        "asking",
        "due",
        "unable",
        "allowed",
        "eligible",
        "willing",
        "on",
        "out",
        "into",
        "with",
        "without",
        "of",
    }
)
_JOB_END = frozenset(
    {"and", "but", "for", "in", "at", "with", "so", "who", "which", "because", "since", "of", "to"}
)
_CHANGER = re.compile(
    r"\bcareer[\s-]+chang(?:e|er|ing)\b|\bchang(?:e|ing)\s+(?:my\s+)?careers?\b|\bswitch(?:ing)?\s+(?:my\s+)?careers?\b"
    r"|\bleave\s+my\s+(?:job|career)\b|\bafter\s+\d+\s+years\s+(?:in|as|of)\b|\bmy\s+current\s+(?:job|career|role)\b"
)
_VISA = re.compile(
    r"\b(?:need|needs|require|would\s+need|will\s+need)\s+(?:a\s+)?(?:visa|sponsorship|skilled\s+worker\s+visa|student\s+visa)\b"
    r"|\b(?:i'?m|i\s+am)\s+not\s+(?:a\s+)?(?:british|uk\s+citizen|from\s+the\s+uk)\b|\bon\s+a\s+(?:student|tier\s*4|work)\s+visa\b"
)
_NO_VISA = re.compile(
    r"\b(?:don'?t|do\s+not|won'?t|will\s+not)\s+need\s+(?:a\s+)?visa\b|\b(?:i'?m|i\s+am)\s+(?:a\s+)?(?:british|uk\s+citizen)\b"
    r"|\bsettled\s+status\b|\bindefinite\s+leave\b|\bright\s+to\s+work\b"
)
_OVERSEAS = re.compile(
    r"\b(?:degree|qualification|qualifications|qualified|trained|studied|teaching\s+licen[cs]e)\s+(?:\w+\s+){0,2}?"
    r"(?:abroad|overseas|outside\s+(?:the\s+)?uk|in\s+another\s+country)\b|\b(?:overseas|foreign|international|"
    r"non[\s-]uk)\s+(?:degree|qualification|qualifications|teaching)\b"
)
_QTS = re.compile(
    r"\b(?:i\s+have|i'?ve\s+got|i\s+already\s+have|i'?ve\s+already\s+got|i\s+hold|already\s+(?:have|got|hold))\s+(?:my\s+)?qts\b"
    r"|\b(?:i'?m|i\s+am)\s+(?:already\s+)?(?:a\s+)?qualified\s+teacher\b|\balready\s+qualified\s+(?:as\s+a\s+)?teacher\b"
)
# Teaching already, without qualified teacher status: what assessment only asks for.
_TEACHES = re.compile(
    r"\bunqualified\s+teacher\b|\bteach(?:ing)?\s+(?:\w+\s+){0,3}?without\s+(?:qts|qualified\s+teacher\s+status)\b"
    r"|\b(?:i'?ve|i\s+have)\s+been\s+teaching\s+(?:for\s+)?\d+\s+years\b|\bcover\s+supervisor\b"
)
_NEVER_TAUGHT = re.compile(r"\b(?:never|not\s+yet|haven'?t\s+ever)\s+taught\b|\bno\s+teaching\s+experience\b")
_NO_QTS = re.compile(
    r"\b(?:don'?t|do\s+not)\s+have\s+(?:my\s+)?qts\b|\bnot\s+(?:yet\s+)?(?:a\s+)?qualified\s+teacher\b"
)
# Words that say a place is where the person lives or would train, not just a place they mention.
_HOME = re.compile(
    r"\b(?:live|lives|work|works|working|i'?m\s+an?\s+\w+(?:\s+\w+)?\s+(?:in|near)|i'?m\s+living|i\s+am\s+living|living|based|i'?m\s+from|i\s+am\s+from|moving|move|"
    r"relocat\w*|my\s+postcode|postcode|my\s+home|near\s+me|train\s+(?:in|near|around)|stay(?:ing)?\s+in|i'?m\s+in)\b"
    r"|\b[a-z]{1,2}\d[a-z\d]?\s?\d[a-z]{2}\b"
)
_GCSE = re.compile(r"\bgcses?\b|\bo[\s-]?levels?\b")
_GCSE_NO = re.compile(
    r"\b(?:no|not|don'?t|didn'?t|do\s+not|did\s+not|haven'?t|have\s+not|never|failed|fail|without|missing|lack|"
    r"got\s+a\s+[d-g3210]|got\s+an?\s+(?:e|f|u))\b"
)
_GCSE_PENDING = re.compile(
    r"\b(?:resit|resitting|re-sit|retake|retaking|re-take|waiting|awaiting|sitting|doing\s+it|results\s+in)\b"
)
_GCSE_ALL = re.compile(r"\ball\s+(?:three|3|my|the)\b|\benglish,?\s+maths\s+and\s+science\b")
GCSE_NAMES = {
    "english": r"\benglish\b",
    "maths": r"\bmaths?\b|\bmathematics\b",
    "science": r"\bscience\b|\bbiology\b|\bchemistry\b|\bphysics\b",
}


@dataclass(frozen=True, slots=True)
class Facts:
    """What one message says: facts about the person, and facts said about someone else."""

    mine: Profile
    someone_elses: Profile

    def __bool__(self) -> bool:
        return bool(self.mine.to_dict() or self.someone_elses.to_dict())


class FactFinder:
    """Knows the subject names and places and reads a person's facts out of what they write."""

    def __init__(self, knowledge: Knowledge, gazetteer: Gazetteer) -> None:
        self._gazetteer = gazetteer
        self._subjects: dict[tuple[str, ...], str] = {}
        for subject in knowledge.subjects.values():
            for name in (subject.name, subject.id.replace("-", " "), *subject.aliases):
                key = tuple(words(name))
                if key:
                    self._subjects.setdefault(key, subject.id)
        self._longest = max((len(k) for k in self._subjects), default=1)

    def find(self, text: str, today: date, bare_subjects: bool = False, bare_places: bool = False) -> Facts:
        """Returns the facts in a message.

        While we ask what they want to teach, a subject named on its own is one to teach; while we ask where
        they are, so is a place named on its own. Otherwise a place counts only when they say they live or
        train there, and a question ("what's the difference between primary and secondary?") tells us only
        what they have (a degree, GCSEs, a job), never what they want.
        """
        mine, theirs = Profile(), Profile()
        for clause in _sentences(text):
            found = self._clause(clause, today, bare_subjects, bare_places)
            if _SOMEONE_ELSE.search(clause.lower()):
                theirs = theirs.merged(found)
            else:
                mine = mine.merged(found)
        return Facts(mine, theirs)

    def place(self, text: str) -> Place | None:
        """Returns the place a message clearly mentions, or None."""
        return self._gazetteer.find_in_text(text)

    def _clause(self, clause: str, today: date, bare_subjects: bool, bare_places: bool) -> Profile:
        lowered = clause.lower()
        asking = _asks(lowered)
        teach, studied = self._subjects_in(clause, bare_subjects)
        found: dict[str, Any] = {}
        if teach and not asking:
            found["subjects"] = list(teach)
        if studied:
            found["degree_subject"] = studied[0]
        found.update(_degree(clause, lowered))
        if not asking:
            found.update(_phase(lowered, teach))
            found.update(_mode(lowered))
            found.update(_money(lowered))
            found.update(_start(lowered, today))
        found.update(_person(lowered))
        found.update(_gcses(lowered))
        profile = Profile.from_dict(found)
        place = self.place(clause) if bare_places or _HOME.search(lowered) else None
        if place is not None:
            return replace(profile, place=place)
        outside = self._gazetteer.outside_in_text(clause) or (
            self._gazetteer.outside(clause) if bare_places else None
        )
        if outside is None:
            return profile
        name, nation = outside
        return replace(profile, abroad=name, nation=nation, lives_in_england=False)

    def _subjects_in(self, clause: str, bare: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Returns (subjects to teach, subjects studied) named in one clause."""
        said = words(clause)
        teach: dict[str, None] = {}
        studied: dict[str, None] = {}
        i = 0
        while i < len(said):
            size, subject = self._subject_at(said, i)
            if not size:
                i += 1
                continue
            cue = _cue(said, i, i + size)
            if cue == "degree":
                studied.setdefault(subject, None)
            elif cue == "teach" or bare:
                teach.setdefault(subject, None)
            i += size
        return tuple(teach), tuple(studied)

    def _subject_at(self, said: list[str], start: int) -> tuple[int, str]:
        for size in range(min(self._longest, len(said) - start), 0, -1):
            found = self._subjects.get(tuple(said[start : start + size]))
            if found is not None:
                return size, found
        return 0, ""


def _asks(lowered: str) -> bool:
    """Whether a clause is a question rather than a statement."""
    said = words(lowered)
    return bool(said) and (said[0] in QUESTION_WORDS or lowered.rstrip().endswith("?"))


def _sentences(text: str) -> list[str]:
    """Splits at sentence ends and at "and my", so "I have a 2:1 and my son has a 2:2" is two pieces."""
    pieces = [p for clause in split_clauses(text) for p in re.split(r",?\s+(?:and|but)\s+(?=my\s)", clause)]
    return [p for p in pieces if p.strip()]


def _cue(said: list[str], start: int, end: int) -> str | None:
    """Which cue is nearest a subject name: "degree" (studied it), "teach" (wants to teach it) or None."""
    after = said[end : end + 2]
    if after[:1] and after[0] in ("degree", "graduate", "ba", "bsc", "hons", "honours", "undergraduate"):
        return "degree"
    if after[:1] and after[0] in (
        "teacher",
        "teaching",
        "pgce",
        "trainee",
        "specialism",
    ):
        return "teach"
    for word in reversed(said[max(0, start - CUE_WINDOW) : start]):
        if word in DEGREE_CUES:
            return "degree"
        if word in TEACH_CUES:
            return "teach"
    return None


def _degree(clause: str, lowered: str) -> dict[str, Any]:
    found = degree_class(clause)
    if found in DEGREE_CLASSES:
        return {"degree": DEGREE_CLASSES[found]}
    if _STUDYING.search(lowered):
        return {"degree": "studying"}
    if _OVERSEAS.search(lowered) and "degree" in lowered:
        return {"degree": "other", "overseas_qualification": True}
    return {}


def _phase(lowered: str, teach: tuple[str, ...]) -> dict[str, Any]:
    if "primary" in teach:
        return {"phase": Phase.PRIMARY.value}
    for phase, pattern in _PHASES:
        if pattern.search(lowered):
            return {"phase": phase.value}
    return {}


def _mode(lowered: str) -> dict[str, Any]:
    for match in _MODE.finditer(lowered):
        if not _WORKING_BEFORE.search(lowered[: match.start()]):
            return {"mode": f"{match.group(1)}_time"}
    return {}


def _money(lowered: str) -> dict[str, Any]:
    if _SALARY_NO.search(lowered):
        return {"needs_salary": False}
    if _SALARY_YES.search(lowered):
        return {"needs_salary": True}
    return {}


def _start(lowered: str, today: date) -> dict[str, Any]:
    first = start_year(today)
    year = _YEAR.search(lowered)
    if year is not None and int(year.group(1)) >= first:
        return {"start": "next_september" if int(year.group(1)) == first else "later"}
    if _NEXT_SEPTEMBER.search(lowered):
        return {"start": "next_september"}
    return {}


def _person(lowered: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    age = _AGE.search(lowered)
    if age is not None:
        found["age"] = int(age.group(1) or age.group(2))
    job = _job(lowered)
    if job is not None:
        found["current_job"] = job
    if job is not None or _CHANGER.search(lowered):
        found["career_changer"] = True
    if _NO_VISA.search(lowered):
        found["needs_visa"] = False
    elif _VISA.search(lowered):
        found["needs_visa"] = True
    if _OVERSEAS.search(lowered):
        found["overseas_qualification"] = True
    if _NEVER_TAUGHT.search(lowered):
        found["teaching_experience"] = False
    elif _TEACHES.search(lowered):
        found["teaching_experience"] = True
    if _NO_QTS.search(lowered):
        found["has_qts"] = False
    elif _QTS.search(lowered):
        found["has_qts"] = True
    return found


def _job(lowered: str) -> str | None:
    for match in _JOB.finditer(lowered):
        kept: list[str] = []
        for word in match.group("job").split():
            if word in _JOB_END:
                break
            kept.append(word)
        if kept and kept[0] not in _NOT_JOBS and not any(w in ("teacher", "teaching") for w in kept[:1]):
            return " ".join(kept)
    return None


def _gcses(lowered: str) -> dict[str, Any]:
    """GCSE results, piece by piece: "no maths GCSE but I have English" is two answers."""
    if not _GCSE.search(lowered):
        return {}
    found: dict[str, Any] = {}
    for piece in re.split(r"\bbut\b|\bwhile\b|\bthough\b|;", lowered):
        found.update(_gcse_piece(piece))
    return found


def _gcse_piece(piece: str) -> dict[str, Any]:
    status = "no" if _GCSE_NO.search(piece) else "pending" if _GCSE_PENDING.search(piece) else "yes"
    named = [name for name, pattern in GCSE_NAMES.items() if re.search(pattern, piece)]
    if _GCSE_ALL.search(piece) or (not named and status == "yes" and _GCSE.search(piece)):
        named = list(GCSE_NAMES)
    return {f"gcse_{name}": status for name in named}


def stated(profile: Profile) -> tuple[str, ...]:
    """Returns the names of the fields a profile states, in the order they are declared."""
    return tuple(f.name for f in fields(profile) if getattr(profile, f.name) not in (None, ()))
