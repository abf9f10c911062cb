"""Building one provider's referral digest (subject, plain text, HTML and CSV) from referrals, with no I/O."""

from __future__ import annotations

import html
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from bot.knowledge.model import Knowledge, Provider
from bot.knowledge.values import render
from bot.referrals.model import Referral
from bot.spreadsheet import write_rows

__all__ = ["MESSAGE_ID_DOMAIN", "Digest", "build_digest", "format_local_time"]

# The right-hand side of every digest's Message-ID: fixed, so a re-sent digest carries the same header.
MESSAGE_ID_DOMAIN = "digest.careers-bot.invalid"

_CONTACT_LABELS = ("label_name", "label_email", "label_phone", "label_telegram")
_CONSENT_LABELS = ("label_consented", "label_consent_version", "label_campaign", "label_reference")

Row = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Digest:
    """One digest, ready for any sink: the same id, subject and Message-ID however often it is sent."""

    digest_id: str
    provider_id: str
    referral_ids: tuple[str, ...]
    created_at: datetime
    subject: str
    text: str
    html: str
    csv: bytes
    csv_name: str
    message_id: str


def build_digest(
    knowledge: Knowledge,
    provider: Provider,
    referrals: Sequence[Referral],
    digest_id: str,
    created_at: datetime,
    tz: tzinfo,
) -> Digest:
    """Returns the digest of these referrals for the provider, in the provider's chosen format."""
    words = _Words(knowledge, tz)
    people = [_person(words, referral) for referral in referrals]
    full = provider.digest.format != "summary"
    shown = people if full else [p.without_preferences() for p in people]
    count = len(referrals)
    subject = words.counted("subject", count, provider=provider.name, digest_id=digest_id)
    made = format_local_time(knowledge, created_at, tz)
    head = _Head(
        title=words.say("heading", provider=provider.name),
        intro=words.counted("intro", count),
        notes=(
            words.say("attachment_note" if full else "summary_note"),
            words.say("privacy"),
            words.say("reference", digest_id=digest_id, time=made),
        ),
        footer=words.say("footer"),
    )
    return Digest(
        digest_id=digest_id,
        provider_id=provider.id,
        referral_ids=tuple(r.id for r in referrals),
        created_at=created_at,
        subject=subject,
        text=_plain_text(words, head, shown),
        html=_html(words, subject, head, shown),
        csv=_csv(words, referrals, people, tz),
        csv_name=words.say("attachment_name", digest_id=digest_id),
        message_id=f"<{digest_id}@{MESSAGE_ID_DOMAIN}>",
    )


def format_local_time(knowledge: Knowledge, at: datetime, tz: tzinfo) -> str:
    """Returns an instant as people read it in the local time zone, e.g. "09:30 on 1 July 2026"."""
    local = at.astimezone(tz)
    return render(
        knowledge,
        knowledge.messages.get("digest.time_format", "{hour}:{minute} {day} {month} {year}"),
        hour=f"{local:%H}",
        minute=f"{local:%M}",
        day=local.day,
        month=f"{local:%B}",
        year=local.year,
    )


class _Words:
    """The digest's wording from messages/digest.yaml, with the local time zone for times."""

    def __init__(self, knowledge: Knowledge, tz: tzinfo) -> None:
        self.knowledge = knowledge
        self.tz = tz

    def say(self, key: str, **params: object) -> str:
        template = self.knowledge.messages.get(f"digest.{key}", f"[digest.{key}]")
        return render(self.knowledge, template, **params)

    def counted(self, key: str, count: int, **params: object) -> str:
        return self.say(f"{key}_one" if count == 1 else f"{key}_many", count=count, **params)

    def known(self, key: str) -> str | None:
        found = self.knowledge.messages.get(f"digest.{key}")
        return None if found is None else render(self.knowledge, found)


@dataclass(frozen=True, slots=True)
class _Person:
    """One person's details as labelled rows: who they are, what they want, and their consent."""

    contact: tuple[Row, ...]
    preferences: tuple[Row, ...]
    consent: tuple[Row, ...]

    def rows(self) -> tuple[Row, ...]:
        return self.contact + self.preferences + self.consent

    def without_preferences(self) -> _Person:
        return _Person(self.contact, (), self.consent)


@dataclass(frozen=True, slots=True)
class _Head:
    """The text around the people: heading, introduction, notes and footer."""

    title: str
    intro: str
    notes: tuple[str, ...]
    footer: str


Reader = Callable[[_Words, Mapping[str, Any]], str | None]


def _person(words: _Words, referral: Referral) -> _Person:
    missing = words.say("not_given")
    handle = referral.telegram_handle
    contact = (
        (words.say("label_name"), referral.name),
        (words.say("label_email"), referral.email or missing),
        (words.say("label_phone"), referral.phone or missing),
        (words.say("label_telegram"), f"@{handle.lstrip('@')}" if handle else missing),
    )
    consent = (
        (words.say("label_consented"), format_local_time(words.knowledge, referral.consented_at, words.tz)),
        (words.say("label_consent_version"), referral.consent_version),
        (words.say("label_campaign"), referral.campaign or missing),
        (words.say("label_reference"), referral.id),
    )
    return _Person(contact, _preference_rows(words, referral.preferences), consent)


def _preference_rows(words: _Words, preferences: Mapping[str, Any]) -> tuple[Row, ...]:
    rows: list[Row] = []
    for label, _keys, read in _PREFERENCES:
        value = read(words, preferences)
        if value:
            rows.append((words.say(label), value))
    other = _other_answers(preferences)
    if other:
        rows.append((words.say("label_other"), other))
    return tuple(rows)


def _first(preferences: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if preferences.get(key) not in (None, "", [], {}):
            return preferences[key]
    return None


def _choice(prefix: str, *keys: str) -> Reader:
    def read(words: _Words, preferences: Mapping[str, Any]) -> str | None:
        value = _first(preferences, keys)
        if value is None:
            return None
        return words.known(f"{prefix}_{value}") or str(value)

    return read


def _flag(*keys: str) -> Reader:
    def read(words: _Words, preferences: Mapping[str, Any]) -> str | None:
        value = _first(preferences, keys)
        if isinstance(value, bool):
            return words.say("yes" if value else "no")
        return None if value is None else str(value)

    return read


def _subjects(words: _Words, preferences: Mapping[str, Any]) -> str | None:
    value = _first(preferences, ("subjects", "subject"))
    items = value if isinstance(value, list | tuple) else [] if value is None else [value]
    known = words.knowledge.subjects
    names = [known[item].name if item in known else str(item) for item in items]
    return ", ".join(names) or None


def _place(words: _Words, preferences: Mapping[str, Any]) -> str | None:
    value = _first(preferences, ("place",))
    if isinstance(value, Mapping):
        parts = [value.get(name) for name in ("name", "county", "region")]
        texts = [str(p) for p in parts if isinstance(p, str) and p]
        return ", ".join(dict.fromkeys(texts)) or None
    return None if value is None else str(value)


def _travel(words: _Words, preferences: Mapping[str, Any]) -> str | None:
    value = _first(preferences, ("travel_miles", "travel"))
    if isinstance(value, int | float) and not isinstance(value, bool):
        miles = int(value) if float(value).is_integer() else round(value, 1)
        return words.say("travel_miles", miles=miles)
    return None if value is None else str(value)


def _gcses(words: _Words, preferences: Mapping[str, Any]) -> str | None:
    nested = preferences.get("gcses")
    answers = nested if isinstance(nested, Mapping) else {}
    parts = []
    for subject in ("english", "maths", "science"):
        answer = preferences.get(f"gcse_{subject}", answers.get(subject))
        if answer is not None:
            shown = words.known(f"gcse_{answer}") or str(answer)
            parts.append(words.say(f"gcse_{subject}", answer=shown))
    return ", ".join(parts) or None


# Label key, the preference keys it reads, and how: the order people see them in.
_PREFERENCES: tuple[tuple[str, tuple[str, ...], Reader], ...] = (
    ("label_subjects", ("subjects", "subject"), _subjects),
    ("label_phase", ("phase",), _choice("phase", "phase")),
    ("label_place", ("place",), _place),
    ("label_travel_miles", ("travel_miles", "travel"), _travel),
    ("label_degree", ("degree",), _choice("degree", "degree")),
    ("label_gcses", ("gcses", "gcse_english", "gcse_maths", "gcse_science"), _gcses),
    ("label_needs_salary", ("needs_salary", "salary"), _flag("needs_salary", "salary")),
    ("label_mode", ("mode",), _choice("mode", "mode")),
    ("label_start", ("start",), _choice("start", "start")),
    ("label_needs_visa", ("needs_visa", "visa"), _flag("needs_visa", "visa")),
    ("label_lives_in_england", ("lives_in_england",), _flag("lives_in_england")),
    ("label_teaching_experience", ("teaching_experience",), _flag("teaching_experience")),
)
_READ_KEYS = frozenset(key for _label, keys, _read in _PREFERENCES for key in keys)


def _other_answers(preferences: Mapping[str, Any]) -> str:
    rest = {k: v for k, v in sorted(preferences.items()) if k not in _READ_KEYS and v not in (None, "")}
    return "; ".join(f"{k}: {json.dumps(v, ensure_ascii=False, default=str)}" for k, v in rest.items())


def _plain_text(words: _Words, head: _Head, people: Sequence[_Person]) -> str:
    blocks = [head.title, head.intro]
    for number, person in enumerate(people, start=1):
        lines = [words.say("person", number=number)]
        lines += [f"{label}: {value}" for label, value in person.rows()]
        blocks.append("\n".join(lines))
    blocks += [*head.notes, head.footer]
    return "\n\n".join(blocks) + "\n"


def _html(words: _Words, subject: str, head: _Head, people: Sequence[_Person]) -> str:
    e = html.escape
    parts = [
        '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">',
        f"<title>{e(subject)}</title></head>\n<body>",
        f"<h1>{e(head.title)}</h1>\n<p>{e(head.intro)}</p>",
    ]
    for number, person in enumerate(people, start=1):
        parts.append(f"<h2>{e(words.say('person', number=number))}</h2>\n<table>")
        parts += [f'<tr><th scope="row">{e(k)}</th><td>{e(v)}</td></tr>' for k, v in person.rows()]
        parts.append("</table>")
    parts += [f"<p>{e(note)}</p>" for note in head.notes]
    parts.append(f"<p><small>{e(head.footer)}</small></p>\n</body>\n</html>\n")
    return "\n".join(parts)


def _csv(words: _Words, referrals: Sequence[Referral], people: Sequence[_Person], tz: tzinfo) -> bytes:
    preference_labels = [words.say(label) for label, _keys, _read in _PREFERENCES]
    preference_labels.append(words.say("label_other"))
    header = [words.say(key) for key in (*_CONTACT_LABELS, *_CONSENT_LABELS)]
    header[len(_CONTACT_LABELS) : len(_CONTACT_LABELS)] = preference_labels
    buffer = io.StringIO()
    rows: list[list[str]] = [header]
    for referral, person in zip(referrals, people, strict=True):
        stated = dict(person.preferences)
        # A machine-readable time here, so the column sorts and imports cleanly.
        consented = referral.consented_at.astimezone(tz).isoformat(timespec="minutes")
        handle = (referral.telegram_handle or "").lstrip("@")
        row = [referral.name, referral.email or "", referral.phone or "", f"@{handle}" if handle else ""]
        row += [stated.get(label, "") for label in preference_labels]
        row += [consented, *(value for _label, value in person.consent[1:])]
        rows.append(row)
    write_rows(buffer, rows)
    # A byte-order mark makes spreadsheet programs read the file as UTF-8.
    return buffer.getvalue().encode("utf-8-sig")
