"""Rate limits, /mydata and /forget, and staff commands on the web channel, each on its own server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import Visitor, text_of
from webserver import SECRET, WebServer

from bot.channels.web_security import Signer


@pytest.fixture
def strict(tmp_path: Path) -> Iterator[WebServer]:
    """A server that lets each browser send 3 messages a minute and each address 12 requests."""
    server = WebServer(tmp_path / "strict", per_cookie_per_minute=3, per_ip_per_minute=12)
    yield server
    server.stop()


def test_a_browser_sending_too_fast_is_told_to_wait(strict: WebServer) -> None:
    person = Visitor(strict.url)
    person.open()
    statuses = [person.post({"text": "is the physics bursary taxed?"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = person.post({"text": "hello"})
    assert refused.headers["retry-after"] == "60"
    assert "wait a minute" in refused.json()["replies"][0]["html"]
    # Another browser on the same address still gets answers.
    other = Visitor(strict.url)
    other.open()
    assert other.post({"text": "hello"}).status_code == 200
    person.close()
    other.close()


def test_one_address_making_too_many_requests_is_told_to_wait(strict: WebServer) -> None:
    answers = [httpx.get(f"{strict.url}/compare", timeout=10) for _ in range(14)]
    assert [a.status_code for a in answers].count(429) >= 1
    last = answers[-1]
    assert last.status_code == 429 and "wait a minute" in last.text
    assert httpx.get(f"{strict.url}/healthz", timeout=10).status_code == 200


def test_mydata_shows_and_forget_erases_a_web_visitors_data(web: WebServer, visitor: Visitor) -> None:
    visitor.open()
    visitor.say("how much is the physics bursary?")
    shown = visitor.say("/mydata")
    assert 'href="/mydata.json"' in shown[-1]["html"]
    held = visitor.http.get("/mydata.json")
    assert held.headers["content-disposition"].startswith("attachment")
    turns = [t["text"] for t in held.json()["turns"]]
    assert "how much is the physics bursary?" in turns
    asked = visitor.say("/forget")
    visitor.press(asked, "delete")
    after = visitor.http.get("/mydata.json").json()
    assert "how much is the physics bursary?" not in [t.get("text") for t in after.get("turns", [])]
    transcript = visitor.open()["transcript"]
    assert [line["from"] for line in transcript] == ["bot"], "the transcript went too: only a greeting"


def test_mydata_json_for_a_new_browser_holds_nothing(web: WebServer) -> None:
    assert httpx.get(f"{web.url}/mydata.json", timeout=10).json() == {}


def _as(server: WebServer, visitor_id: str) -> Visitor:
    person = Visitor(server.url)
    person.http.cookies.set("careers_bot_id", Signer(SECRET.encode()).cookie(visitor_id), domain="127.0.0.1")
    person.open()
    return person


def test_staff_commands_work_only_for_configured_web_ids(tmp_path: Path, web: WebServer) -> None:
    someone = Visitor(web.url)
    someone.open()
    my_id = someone.say("/myid")[0]["html"]
    visitor_id = text_of(my_id).split("id is ")[1].split(".")[0]
    denied = text_of(someone.say("/stats")[0]["html"])
    someone.close()
    server = WebServer(tmp_path / "admin", admin_ids=[visitor_id])
    try:
        admin = _as(server, visitor_id)
        allowed = text_of(admin.say("/stats")[0]["html"])
        assert allowed != denied
        # "staff" is a terminal admin; the same id on the web is nobody special.
        staff = _as(server, "staff")
        assert text_of(staff.say("/stats")[0]["html"]) == denied
        admin.close()
        staff.close()
    finally:
        server.stop()
