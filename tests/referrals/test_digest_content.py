"""Building a digest: what a provider reads in the text, the HTML and the CSV, in each format."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.knowledge.model import Knowledge
from bot.referrals.digest import MESSAGE_ID_DOMAIN, Digest, build_digest

from .conftest import NORTH, NOW, SOUTH, referral

LONDON = ZoneInfo("Europe/London")


def words(knowledge: Knowledge, key: str) -> str:
    """A digest message as written in messages/digest.yaml."""
    return knowledge.messages[f"digest.{key}"]


def csv_rows(digest: Digest) -> list[dict[str, str]]:
    """The digest's CSV read back as a spreadsheet program would."""
    return list(csv.DictReader(io.StringIO(digest.csv.decode("utf-8-sig"))))


def build(knowledge: Knowledge, provider_id: str, *numbers: int, **fields: object) -> Digest:
    people = [referral(n, provider_id, **fields) for n in numbers]
    return build_digest(knowledge, knowledge.providers[provider_id], people, "dg-test-1", NOW, LONDON)


def test_full_digest_lists_each_person_with_contact_preferences_and_consent(knowledge: Knowledge) -> None:
    digest = build(knowledge, NORTH, 1, 2)
    physics = knowledge.subjects["physics"].name
    for body in (digest.text, digest.html):
        for n in (1, 2):
            assert f"Person {n} Example" in body
            assert f"person{n}@people.test" in body
            assert f"@person{n}" in body
        assert physics in body
        assert words(knowledge, "degree_upper_second") in body
        assert words(knowledge, "label_needs_salary") in body
        assert "autumn-posters" in body
        assert "2026-11-1" in body
    assert digest.referral_ids == ("ref-1", "ref-2")


def test_subject_and_message_id_carry_the_digest_id(knowledge: Knowledge) -> None:
    digest = build(knowledge, NORTH, 1, 2)
    assert digest.subject.endswith("[digest dg-test-1]")
    assert "North SCITT" in digest.subject
    assert digest.message_id == f"<dg-test-1@{MESSAGE_ID_DOMAIN}>"
    assert build(knowledge, NORTH, 3).message_id == digest.message_id


def test_one_person_and_several_people_are_worded_differently(knowledge: Knowledge) -> None:
    one, two = build(knowledge, NORTH, 1), build(knowledge, NORTH, 1, 2)
    assert "1 person" in one.subject
    assert "2 people" in two.subject


def test_consent_time_is_shown_in_the_local_time_zone(knowledge: Knowledge) -> None:
    summer = datetime(2026, 7, 1, 8, 30, tzinfo=UTC)
    digest = build(knowledge, NORTH, 1, consented_at=summer)
    assert "09:30 on 1 July 2026" in digest.text
    assert csv_rows(digest)[0][words(knowledge, "label_consented")] == "2026-07-01T09:30+01:00"


def test_html_escapes_what_people_typed(knowledge: Knowledge) -> None:
    digest = build(knowledge, NORTH, 1, name="<script>alert(1)</script> & Co")
    assert "<script>" not in digest.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in digest.html
    assert "<script>alert(1)</script> & Co" in digest.text


def test_summary_format_leaves_preferences_out_of_the_body_but_not_the_csv(knowledge: Knowledge) -> None:
    digest = build(knowledge, SOUTH, 1)
    physics = knowledge.subjects["physics"].name
    assert physics not in digest.text
    assert physics not in digest.html
    assert words(knowledge, "summary_note") in digest.text
    assert "person1@people.test" in digest.text
    row = csv_rows(digest)[0]
    assert row[words(knowledge, "label_subjects")] == physics
    assert row[words(knowledge, "label_degree")] == words(knowledge, "degree_upper_second")


def test_csv_has_one_row_a_person_with_everything(knowledge: Knowledge) -> None:
    digest = build(knowledge, NORTH, 1, 2, 3)
    rows = csv_rows(digest)
    assert [r[words(knowledge, "label_name")] for r in rows] == [
        "Person 1 Example",
        "Person 2 Example",
        "Person 3 Example",
    ]
    assert [r[words(knowledge, "label_reference")] for r in rows] == ["ref-1", "ref-2", "ref-3"]
    assert rows[0][words(knowledge, "label_phone")] == "07700 900123"
    assert rows[0][words(knowledge, "label_telegram")] == "@person1"
    assert rows[0][words(knowledge, "label_campaign")] == "autumn-posters"
    assert digest.csv_name.endswith(".csv")
    assert "dg-test-1" in digest.csv_name


def test_only_the_preferences_a_person_stated_are_shown(knowledge: Knowledge) -> None:
    digest = build(knowledge, NORTH, 1, preferences={"phase": "primary", "travel_miles": 15.0})
    assert words(knowledge, "phase_primary") in digest.text
    assert "up to 15 miles" in digest.text
    assert words(knowledge, "label_degree") not in digest.text
    assert words(knowledge, "label_subjects") not in digest.text


def test_every_preference_kind_is_rendered_with_its_label(knowledge: Knowledge) -> None:
    preferences = {
        "subjects": ["mathematics", "chemistry"],
        "phase": "secondary",
        "place": {"name": "Rotherham", "county": "South Yorkshire", "region": "Yorkshire and The Humber"},
        "travel_miles": 12.5,
        "degree": "lower_second",
        "gcse_english": "yes",
        "gcse_maths": "pending",
        "needs_salary": False,
        "mode": "part_time",
        "start": "not_sure",
        "needs_visa": True,
        "favourite_colour": "green",
    }
    text = build(knowledge, NORTH, 1, preferences=preferences).text
    expected = {
        "label_subjects": f"{knowledge.subjects['mathematics'].name}, {knowledge.subjects['chemistry'].name}",
        "label_place": "Rotherham, South Yorkshire, Yorkshire and The Humber",
        "label_travel_miles": "up to 12.5 miles",
        "label_degree": words(knowledge, "degree_lower_second"),
        "label_needs_salary": words(knowledge, "no"),
        "label_mode": words(knowledge, "mode_part_time"),
        "label_start": words(knowledge, "start_not_sure"),
        "label_needs_visa": words(knowledge, "yes"),
    }
    for label, value in expected.items():
        assert f"{words(knowledge, label)}: {value}\n" in text
    assert words(knowledge, "gcse_pending") in text
    assert 'favourite_colour: "green"' in text


def test_spreadsheet_formulas_typed_by_people_are_neutralised(knowledge: Knowledge) -> None:
    digest = build(knowledge, NORTH, 1, name='=HYPERLINK("http://bad.test","x")', phone="+44 7700 900123")
    row = csv_rows(digest)[0]
    assert row[words(knowledge, "label_name")] == '\'=HYPERLINK("http://bad.test","x")'
    assert row[words(knowledge, "label_phone")] == "+44 7700 900123"


def test_the_words_come_from_the_messages_file(knowledge: Knowledge) -> None:
    messages = {**knowledge.messages, "digest.label_name": "Full name", "digest.heading": "For {provider}"}
    edited = replace(knowledge, messages=messages)
    digest = build(edited, NORTH, 1)
    assert "Full name: Person 1 Example" in digest.text
    assert digest.text.startswith("For North SCITT")
    assert "Full name" in csv_rows(digest)[0]
