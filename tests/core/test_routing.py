"""Reading turns: commands, payloads and cleaning text."""

from __future__ import annotations

import pytest

from bot.core.routing import MAX_TEXT, clean_text, make_payload, parse_command, parse_payload


def test_commands_are_read_with_their_arguments() -> None:
    command = parse_command("/start src_uni_fair")
    assert command is not None and (command.name, command.args) == ("start", "src_uni_fair")
    command = parse_command("/Help@careers_bot")
    assert command is not None and command.name == "help"
    assert parse_command("how do I /start") is None
    assert parse_command("/") is None


def test_payloads_are_validated() -> None:
    press = parse_payload("ask:e:bursary-amounts")
    assert press is not None and (press.journey, press.action) == ("ask", "e:bursary-amounts")
    for bad in ["", "ASK:x", "ask e", "a" * 70, "ask:<script>", "ask:é"]:
        assert parse_payload(bad) is None, bad


def test_make_payload_refuses_what_cannot_be_sent() -> None:
    assert make_payload("pref", "subject", "physics") == "pref:subject:physics"
    with pytest.raises(ValueError, match="invalid"):
        make_payload("pref", "x" * 80)


def test_clean_text_removes_control_characters_and_cuts_long_text() -> None:
    assert clean_text("  a\x00b\x1bc\u200bd \n") == "abcd"
    assert clean_text("line one\nline two") == "line one\nline two"
    assert len(clean_text("y" * 50_000)) == MAX_TEXT


def test_clean_text_treats_plain_and_accented_text_alike() -> None:
    assert clean_text("a\rb\x7fc\td") == "abc\td"
    assert clean_text("é\rb\x7fc\td\x85") == "ébc\td"
    assert clean_text("cafe\u0301") == "café"  # accented text is put in composed form
