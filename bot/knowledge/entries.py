"""Turning answers, routes, subjects, providers, synonyms and messages files into model entries."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar

from bot.knowledge.fields import EMAIL_FORMAT, Entry, Report, Spot
from bot.knowledge.marked import MarkedList, MarkedMap
from bot.knowledge.model import (
    TOPICS,
    AnswerEntry,
    AskedQuestion,
    DigestSettings,
    Funding,
    Origin,
    Phase,
    Provider,
    Route,
    StudyMode,
    Subject,
)

STRUCTURED = ("bursary_for_subject", "route_details", "provider_details")
ANSWER_FIELDS = (
    "id", "topic", "question", "examples", "keywords", "answer", "follow_ups", "structured", "sources",
    "reviewed", "not_when",
)  # fmt: skip
ROUTE_TEXTS = ("name", "summary", "suits", "entry", "length", "money", "award", "apply")
ROUTE_FIELDS = (
    "id", *ROUTE_TEXTS, "aliases", "topic", "funding", "needs_degree", "phases", "modes", "bursary_eligible",
    "needs_teaching_experience", "lives_in", "visa", "sources", "reviewed",
)  # fmt: skip
SUBJECT_FIELDS = ("id", "name", "aliases", "phases")
PROVIDER_FIELDS = (
    "id", "name", "kind", "accreditation", "region", "town", "lat", "lon", "phases", "subjects", "routes",
    "website", "email", "phone", "digest", "notes", "unverified", "sources", "reviewed",
)  # fmt: skip
DIGEST_FIELDS = ("emails", "telegram_chat_id", "frequency", "weekday", "time", "format")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
TIME_FORMAT = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")
PLACEHOLDER_DOMAIN = ".example"
# Great Britain, generously boxed: a provider outside it has its latitude and longitude mixed up or mistyped.
LATITUDES = (49.8, 60.9)
LONGITUDES = (-8.7, 1.8)


class _Located(Protocol):
    @property
    def origin(self) -> Origin: ...


T = TypeVar("T", bound=_Located)


def _items(report: Report, file: str, data: object, key: str) -> Iterator[MarkedMap]:
    """Yields each entry of a file shaped as `key: [ {...}, ... ]`, reporting anything else in the file."""
    if not isinstance(data, MarkedMap):
        report.error(Spot(file, 1), f"must be a mapping with one key, {key}:")
        return
    for other in data:
        if other != key:
            report.error(
                Spot(file, data.line_of(other), None, str(other)), f"unknown top-level key; only {key}:"
            )
    entries = data.get(key)
    if not isinstance(entries, MarkedList):
        report.error(
            Spot(file, data.line_of(key), None, key), "must be a list of entries, each starting with - id:"
        )
        return
    for index, item in enumerate(entries):
        if isinstance(item, MarkedMap):
            yield item
        else:
            report.error(
                Spot(file, entries.line_of(index), None, key), "each entry must be a mapping of fields"
            )


def _register(entry: Entry, registry: dict[str, T], ident: str | None, item: T) -> None:
    if ident is None:
        return
    if ident in registry:
        first = registry[ident].origin
        entry.error("id", f"id {ident!r} is already used by the entry at {first.file}:{first.line}")
        return
    registry[ident] = item


def read_entries(
    report: Report,
    file: str,
    data: object,
    key: str,
    registry: dict[str, T],
    build: Callable[[Entry], tuple[str | None, T]],
    known: tuple[str, ...],
) -> None:
    """Reads every entry of a list-shaped file into registry, reporting duplicates and unknown fields."""
    for item in _items(report, file, data, key):
        entry = Entry(report, file, item, known)
        ident, built = build(entry)
        entry.finish()
        _register(entry, registry, ident, built)


def _topic(entry: Entry) -> str:
    topic = entry.text("topic")
    if topic is not None and topic not in TOPICS:
        entry.error("topic", f"{topic!r} is not a known topic")
    return topic or ""


def build_answer(entry: Entry) -> tuple[str | None, AnswerEntry]:
    """Reads one answer entry."""
    ident = entry.ident()
    topic = _topic(entry)
    examples = entry.texts("examples", required=True)
    if 0 < len(examples) < 3:
        entry.warning("examples", f"has {len(examples)} example(s): give at least 3 ways people ask this")
    follow_ups = entry.refs("follow_ups")
    for target, spot in follow_ups:
        entry.report.refer("answer", target, spot)
    structured = entry.choice("structured", STRUCTURED, required=False)
    answer = AnswerEntry(
        id=ident or "",
        topic=topic,
        question=entry.text("question") or "",
        examples=examples,
        keywords=entry.texts("keywords"),
        answer=entry.text("answer") or "",
        follow_ups=tuple(target for target, _ in follow_ups),
        structured=structured,
        sources=entry.urls("sources", required=topic != "out_of_scope"),
        reviewed=entry.reviewed(),
        origin=Origin(entry.file, entry.data.line),
        not_when=entry.texts("not_when"),
    )
    return ident, answer


def build_route(entry: Entry) -> tuple[str | None, Route]:
    """Reads one route entry."""
    ident = entry.ident()
    texts = {name: entry.text(name) or "" for name in ROUTE_TEXTS}
    route = Route(
        id=ident or "",
        aliases=entry.texts("aliases"),
        topic=_topic(entry),
        funding=entry.member("funding", Funding, Funding.FEE),
        needs_degree=entry.flag("needs_degree"),
        phases=entry.members("phases", Phase),
        modes=entry.members("modes", StudyMode),
        bursary_eligible=entry.flag("bursary_eligible"),
        needs_teaching_experience=entry.flag("needs_teaching_experience"),
        lives_in=entry.choice("lives_in", ("england", "outside_england", "any")) or "",
        visa=entry.choice("visa", ("student", "skilled_worker", "none")) or "",
        sources=entry.urls("sources"),
        reviewed=entry.reviewed(),
        origin=Origin(entry.file, entry.data.line),
        **texts,
    )
    return ident, route


def build_subject(entry: Entry) -> tuple[str | None, Subject]:
    """Reads one subject entry."""
    ident = entry.ident()
    name = entry.text("name")
    aliases = entry.refs("aliases")
    # Every way of naming a subject is noted, so that names two subjects share can be found.
    for field, value in (("id", ident), ("name", name)):
        if value is not None:
            entry.report.refer("subject name", value, entry.spot(field))
    for alias, spot in aliases:
        entry.report.refer("subject name", alias, spot)
    subject = Subject(
        id=ident or "",
        name=name or "",
        aliases=tuple(alias for alias, _ in aliases),
        phases=entry.members("phases", Phase),
        origin=Origin(entry.file, entry.data.line),
    )
    return ident, subject


def build_provider(entry: Entry) -> tuple[str | None, Provider]:
    """Reads one provider entry."""
    ident = entry.ident()
    region = entry.text("region")
    if region is not None:
        entry.report.refer("region", region, entry.spot("region"))
    offered = {name: entry.refs(name, required=True) for name in ("routes", "subjects")}
    for kind, name in (("route", "routes"), ("subject", "subjects")):
        for target, spot in offered[name]:
            entry.report.refer(kind, target, spot)
    provider = Provider(
        id=ident or "",
        name=entry.text("name") or "",
        kind=entry.choice("kind", ("university", "scitt", "school_partnership", "national")) or "",
        accreditation=entry.choice("accreditation", ("accredited", "partner", "unverified")) or "",
        region=region or "",
        town=entry.text("town") or "",
        lat=_coordinate(entry, "lat", LATITUDES),
        lon=_coordinate(entry, "lon", LONGITUDES),
        phases=entry.members("phases", Phase),
        subjects=tuple(target for target, _ in offered["subjects"]),
        routes=tuple(target for target, _ in offered["routes"]),
        website=entry.url("website") or "",
        email=_email(entry, "email"),
        phone=entry.text("phone", required=False),
        digest=_digest(entry),
        notes=entry.text("notes", required=False) or "",
        unverified=entry.text("unverified", required=False),
        sources=entry.urls("sources"),
        reviewed=entry.reviewed(),
        origin=Origin(entry.file, entry.data.line),
    )
    return ident, provider


def _coordinate(entry: Entry, name: str, bounds: tuple[float, float]) -> float:
    value = entry.number(name)
    if value is None:
        return 0.0
    if not bounds[0] <= value <= bounds[1]:
        entry.error(name, f"{value} is outside Great Britain ({bounds[0]} to {bounds[1]})")
    return value


def _email(entry: Entry, name: str) -> str | None:
    value = entry.text(name, required=False)
    if value is not None and not EMAIL_FORMAT.fullmatch(value):
        entry.error(name, f"{value!r} is not an email address")
    return value


def _digest(entry: Entry) -> DigestSettings:
    data = entry.raw("digest", required=True)
    if not isinstance(data, MarkedMap):
        if data is not None:
            entry.error("digest", "must be a mapping of digest settings")
        return DigestSettings((), None, "weekly", None, "09:00", "full")
    line = entry.data.line_of("digest")
    digest = Entry(entry.report, entry.file, data, DIGEST_FIELDS, entry=entry.id, prefix="digest.", line=line)
    settings = DigestSettings(
        emails=_digest_emails(digest),
        telegram_chat_id=_chat_id(digest),
        frequency=digest.choice("frequency", ("daily", "weekly")) or "weekly",
        weekday=_weekday(digest),
        time=_time(digest),
        format=digest.choice("format", ("full", "summary")) or "full",
    )
    if not settings.emails and settings.telegram_chat_id is None:
        digest.warning(
            None, "has neither emails nor telegram_chat_id: referrals to this provider cannot be sent"
        )
    digest.finish()
    return settings


def _digest_emails(digest: Entry) -> tuple[str, ...]:
    emails: list[str] = []
    for address, spot in digest.refs("emails"):
        if not EMAIL_FORMAT.fullmatch(address):
            digest.report.error(spot, f"{address!r} is not an email address")
            continue
        if address.casefold().endswith(PLACEHOLDER_DOMAIN):
            digest.report.placeholders.append((address, spot))
        emails.append(address)
    return tuple(emails)


def _chat_id(digest: Entry) -> int | None:
    value = digest.raw("telegram_chat_id", required=False)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    digest.error("telegram_chat_id", f"must be a whole number (a Telegram chat id) or null; found {value!r}")
    return None


def _weekday(digest: Entry) -> str | None:
    return digest.choice("weekday", WEEKDAYS, required=digest.data.get("frequency") == "weekly")


def _time(digest: Entry) -> str:
    value = digest.text("time")
    if value is not None and not TIME_FORMAT.fullmatch(value):
        digest.error("time", f'{value!r} must be a 24-hour time in quotes, like "09:00"')
        return "09:00"
    return value or "09:00"


ASKED_FIELDS = ("answer", "text", "url")


def read_asked(report: Report, file: str, data: object) -> list[tuple[str, AskedQuestion]]:
    """Reads asked.yaml: real questions, each with the page it was asked on and the answer that fits it."""
    found: list[tuple[str, AskedQuestion]] = []
    for item in _items(report, file, data, "asked"):
        entry = Entry(report, file, item, ASKED_FIELDS)
        # The question is kept as it was written, braces and all: it is only matched against, never shown.
        target, text, url = (entry.raw(name, required=True) for name in ASKED_FIELDS)
        entry.finish()
        if target is not None and not isinstance(target, str):
            entry.error("answer", "must be one answer id")
        elif text is not None and not (isinstance(text, str) and text.strip()):
            entry.error("text", "must be the question as it was asked, in quotes")
        elif url is not None and not (isinstance(url, str) and url.startswith(("https://", "http://"))):
            entry.error("url", "must be the address of the page the question was asked on")
        elif isinstance(target, str) and isinstance(text, str) and isinstance(url, str):
            report.refer("answer", target, entry.spot("answer"))
            found.append((target, AskedQuestion(text, url, Origin(file, entry.spot("text").line or 0))))
    return found


def read_synonyms(
    report: Report, file: str, data: object
) -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    """Reads synonyms.yaml: canonical word -> the variants people type, and the stop words."""
    if not isinstance(data, MarkedMap):
        report.error(Spot(file, 1), "must be a mapping with synonyms: and stop_words:")
        return {}, frozenset()
    top = Entry(report, file, data, ("synonyms", "stop_words"))
    synonyms: dict[str, tuple[str, ...]] = {}
    table = top.raw("synonyms", required=True)
    if isinstance(table, MarkedMap):
        words = Entry(report, file, table, (), prefix="synonyms.")
        synonyms = {word: words.texts(word, required=True) for word in _text_keys(words)}
    elif table is not None:
        top.error("synonyms", "must be a mapping of word: [variants]")
    stop_words = frozenset(word.casefold() for word in top.texts("stop_words", required=True))
    top.finish()
    return synonyms, stop_words


def read_messages(report: Report, file: str, data: object, namespace: str) -> dict[str, str]:
    """Reads one messages file: each key becomes "<file stem>.<key>"."""
    if not isinstance(data, MarkedMap):
        report.error(Spot(file, 1), "must be a mapping of message names to texts")
        return {}
    entry = Entry(report, file, data, ())
    messages: dict[str, str] = {}
    for key in _text_keys(entry):
        text = entry.text(key)
        if text is not None:
            messages[f"{namespace}.{key}"] = text
    return messages


def _text_keys(entry: Entry) -> list[str]:
    """Returns the keys of a mapping that are words, reporting the others (numbers, dates, true/false)."""
    for key in entry.data:
        if not isinstance(key, str):
            entry.error(
                str(key), "a name must be a word, not a number, date or true/false", entry.data.line_of(key)
            )
    return [key for key in entry.data if isinstance(key, str)]
