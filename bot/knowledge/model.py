"""Typed, frozen views of the knowledge files; nothing else in the code reads YAML nodes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

TOPICS: tuple[str, ...] = (
    "routes_overview", "pgce_university", "scitt", "school_direct_fee", "school_direct_salaried",
    "teacher_apprenticeship_postgrad", "teacher_degree_apprenticeship", "teach_first", "undergraduate_qts",
    "assessment_only", "international_iqts", "part_time", "bursary_amounts", "scholarships",
    "bursary_eligibility", "student_finance_loans", "trainee_salary", "teacher_pay", "entry_degree_class",
    "entry_gcse", "gcse_equivalency", "ske", "no_degree", "career_changer", "age", "school_experience",
    "application_process", "application_timing", "references_interview", "dbs_health",
    "primary_vs_secondary", "subject_choice", "send_specialism", "early_career_induction",
    "qts_pgce_difference", "workload_wellbeing", "location_region", "disability_support", "out_of_scope",
    "early_years_fe",
)  # fmt: skip


class Phase(StrEnum):
    """The age phase a person wants to teach or a provider trains for."""

    PRIMARY = "primary"
    SECONDARY = "secondary"
    SPECIAL = "special"
    FURTHER_EDUCATION = "further_education"
    EARLY_YEARS = "early_years"


class Funding(StrEnum):
    """How a route is paid for, as the Find service classifies courses."""

    FEE = "fee"
    SALARY = "salary"
    APPRENTICESHIP = "apprenticeship"


class StudyMode(StrEnum):
    """Full or part time."""

    FULL_TIME = "full_time"
    PART_TIME = "part_time"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a piece of knowledge was written: file relative to the knowledge folder, and line."""

    file: str
    line: int


@dataclass(frozen=True, slots=True)
class Fact:
    """One value from values/*.yaml with the source and academic year it carries."""

    path: str
    value: str | int | float | date
    unit: str | None
    source: str
    academic_year: str | None
    reviewed: date | None
    origin: Origin


@dataclass(frozen=True, slots=True)
class Subject:
    """A teaching subject, with the other names people use for it."""

    id: str
    name: str
    aliases: tuple[str, ...]
    phases: tuple[Phase, ...]
    origin: Origin


@dataclass(frozen=True, slots=True)
class Route:
    """A route into teaching, with what the shortlist needs to judge fit."""

    id: str
    name: str
    aliases: tuple[str, ...]  # other names people use, e.g. "pgce", "uni route"
    topic: str
    summary: str
    suits: str
    entry: str
    length: str
    money: str
    award: str
    apply: str
    funding: Funding
    needs_degree: bool
    phases: tuple[Phase, ...]
    modes: tuple[StudyMode, ...]
    bursary_eligible: bool
    needs_teaching_experience: bool
    lives_in: str  # "england", "outside_england" or "any"
    visa: str  # "student", "skilled_worker" or "none"
    sources: tuple[str, ...]
    reviewed: date
    origin: Origin


@dataclass(frozen=True, slots=True)
class DigestSettings:
    """Where and how often a provider receives referral digests."""

    emails: tuple[str, ...]
    telegram_chat_id: int | None
    frequency: str  # "daily" or "weekly"
    weekday: str | None  # for weekly digests, e.g. "monday"
    time: str  # local time "HH:MM"
    format: str  # "full" or "summary"


@dataclass(frozen=True, slots=True)
class Provider:
    """A teacher-training provider a person can be referred to."""

    id: str
    name: str
    kind: str  # "university", "scitt", "school_partnership", "national"
    accreditation: str  # "accredited", "partner" or "unverified"
    region: str
    town: str
    lat: float
    lon: float
    phases: tuple[Phase, ...]
    subjects: tuple[str, ...]  # subject ids; ("all",) for every subject of its phases
    routes: tuple[str, ...]
    website: str
    email: str | None
    phone: str | None
    digest: DigestSettings
    notes: str
    unverified: str | None  # why a claim about it is not confirmed, if any
    sources: tuple[str, ...]
    reviewed: date
    origin: Origin


@dataclass(frozen=True, slots=True)
class AskedQuestion:
    """A question a person really asked on a public page, word for word: one more way of asking an entry."""

    text: str
    url: str  # the page it was asked on
    origin: Origin


@dataclass(frozen=True, slots=True)
class AnswerEntry:
    """One answer: its canonical question, the ways people ask it, and the reply text."""

    id: str
    topic: str
    question: str
    examples: tuple[str, ...]
    keywords: tuple[str, ...]
    answer: str  # may hold {value.paths}; resolved at render time
    follow_ups: tuple[str, ...]  # answer entry ids offered as buttons
    structured: str | None  # name of a structured answer, e.g. "bursary_for_subject"
    sources: tuple[str, ...]
    reviewed: date
    origin: Origin
    not_when: tuple[str, ...] = ()  # words that mean this entry is not what is being asked
    asked: tuple[AskedQuestion, ...] = ()  # real questions it answers, from asked.yaml


@dataclass(frozen=True, slots=True)
class Knowledge:
    """Everything loaded from the knowledge folder, checked and ready to use."""

    facts: Mapping[str, Fact]
    subjects: Mapping[str, Subject]
    routes: Mapping[str, Route]
    providers: Mapping[str, Provider]
    answers: Mapping[str, AnswerEntry]
    synonyms: Mapping[str, tuple[str, ...]]  # canonical word -> variants people type
    stop_words: frozenset[str]
    messages: Mapping[str, str]
    version: str = ""  # a digest of the files, to tell reloads apart
    topics: tuple[str, ...] = field(default=TOPICS)
