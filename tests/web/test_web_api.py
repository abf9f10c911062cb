"""The web channel's contract over real HTTP: /api/chat, the cookie, /healthz and the no-script form."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest
from conftest import Visitor, text_of
from webserver import WebServer

from bot.config import Config
from bot.core.content import Content
from bot.core.types import Turn


async def engine_texts(config: Config, content: Content, steps: list[tuple[str, str]]) -> list[list[str]]:
    """What the engine itself replies on another channel to the same steps, as plain words."""
    from bot.app import build_journeys
    from bot.core.clock import SystemClock
    from bot.core.content import ContentHolder
    from bot.core.engine import Engine
    from bot.storage.memory import MemoryStore

    store = MemoryStore()
    await store.open()
    engine = Engine(config, ContentHolder(config, content), store, build_journeys(), SystemClock())
    out: list[list[str]] = []
    for kind, value in steps:
        turn = Turn(channel="other", user_id="p", text=value if kind == "text" else "", payload=None)
        if kind == "payload":
            turn = Turn(channel="other", user_id="p", payload=value)
        replies = await engine.handle(turn)
        out.append([" ".join(r.text.split()) for r in replies])
    await store.close()
    return out


def words(reply: dict[str, Any]) -> str:
    return html.unescape(text_of(reply["html"]))


def test_health_reports_ok(web: WebServer) -> None:
    response = httpx.get(f"{web.url}/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_the_first_visit_sets_a_signed_http_only_lax_cookie_and_greets(visitor: Visitor) -> None:
    response = visitor.http.get("/api/chat")
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Path=/" in cookie
    data = response.json()
    assert [line["from"] for line in data["transcript"]] == ["bot"]
    assert data["transcript"][0]["buttons"], "the greeting offers the menu"
    assert all(set(b) == {"label", "payload"} for b in data["transcript"][0]["buttons"])
    # A second load is the same visitor: no new cookie, the same transcript.
    again = visitor.http.get("/api/chat")
    assert "set-cookie" not in again.headers
    assert again.json()["transcript"] == data["transcript"]


async def test_a_question_and_a_button_get_the_same_answers_as_on_any_other_channel(
    visitor: Visitor, config: Config, content: Content
) -> None:
    visitor.open()
    asked = visitor.say("how much is the physics bursary?")
    assert all(set(r) == {"html", "buttons"} for r in asked)
    payload = asked[-1]["buttons"][0]["payload"]
    pressed = visitor.press(asked, asked[-1]["buttons"][0]["label"])
    expected = await engine_texts(
        config, content, [("text", "how much is the physics bursary?"), ("payload", payload)]
    )
    assert [words(r) for r in asked] == expected[0]
    assert [words(r) for r in pressed] == expected[1]


def test_reloading_resumes_with_the_transcript(visitor: Visitor) -> None:
    visitor.open()
    asked = visitor.say("can I train with a 2:2 in history")
    label = asked[-1]["buttons"][0]["label"]
    pressed = visitor.press(asked, label)
    transcript = visitor.open()["transcript"]
    people = [html.unescape(text_of(line["html"])) for line in transcript if line["from"] == "person"]
    assert people == ["can I train with a 2:2 in history", label]
    assert transcript[-len(pressed) :] == [{"from": "bot", **r} for r in pressed]


def test_a_reply_escapes_what_the_person_typed(visitor: Visitor) -> None:
    visitor.open()
    visitor.say("<script>alert(1)</script> bursary?")
    transcript = visitor.open()["transcript"]
    mine = [line["html"] for line in transcript if line["from"] == "person"][-1]
    assert "<script>" not in mine and "&lt;script&gt;" in mine


@pytest.mark.parametrize(
    "headers",
    [{"X-CSRF-Token": ""}, {"X-CSRF-Token": "0" * 43}, {"Origin": "https://evil.example.net"}],
    ids=["no token", "wrong token", "another site"],
)
def test_a_post_without_this_pages_token_or_from_another_site_is_refused(
    visitor: Visitor, headers: dict[str, str]
) -> None:
    visitor.open()
    response = visitor.post({"text": "hello"}, **headers)
    assert response.status_code == 403
    assert response.json()["error"] == "session_expired"
    assert visitor.open()["transcript"][-1]["from"] == "bot", "nothing reached the engine"


def test_another_visitors_token_does_not_work(web: WebServer, visitor: Visitor) -> None:
    other = Visitor(web.url)
    other.open()
    visitor.open()
    visitor.csrf = other.csrf
    assert visitor.post({"text": "hello"}).status_code == 403
    other.close()


def test_a_post_with_no_cookie_is_refused(web: WebServer, visitor: Visitor) -> None:
    visitor.open()
    fresh = httpx.post(
        f"{web.url}/api/chat", json={"text": "hi"}, headers={"X-CSRF-Token": visitor.csrf}, timeout=10
    )
    assert fresh.status_code == 403


def test_a_tampered_cookie_gets_a_new_identity(web: WebServer, visitor: Visitor) -> None:
    visitor.open()
    value = visitor.http.cookies["careers_bot_id"]
    forged = httpx.get(f"{web.url}/api/chat", cookies={"careers_bot_id": "x" + value}, timeout=10)
    assert "set-cookie" in forged.headers


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"text": "x" * 1001}, 413, "too_long"),
        ({"text": "   "}, 400, "empty_message"),
        ({"text": "a", "payload": "b"}, 400, "bad_request"),
        ({"payload": "p" * 65}, 400, "bad_request"),
        (["not", "an", "object"], 400, "bad_request"),
    ],
    ids=["too long", "empty", "both", "long payload", "not an object"],
)
def test_bad_messages_get_a_clear_answer(visitor: Visitor, body: Any, status: int, error: str) -> None:
    visitor.open()
    response = visitor.http.post(
        "/api/chat", content=httpx.Request("POST", "/", json=body).content, headers=_json(visitor)
    )
    assert response.status_code == status
    data = response.json()
    assert data["error"] == error
    assert data["replies"][0]["html"].startswith("<p>")


def test_a_body_far_over_the_limit_is_not_read(visitor: Visitor) -> None:
    visitor.open()
    response = visitor.http.post("/api/chat", content=b"{" + b" " * 200_000 + b"}", headers=_json(visitor))
    assert response.status_code == 413
    assert response.json()["error"] == "too_long"


def test_a_form_post_needs_json_on_the_api(visitor: Visitor) -> None:
    visitor.open()
    response = visitor.http.post("/api/chat", data={"text": "hi"}, headers={"X-CSRF-Token": visitor.csrf})
    assert response.status_code == 415


def _json(visitor: Visitor) -> dict[str, str]:
    return {"X-CSRF-Token": visitor.csrf, "Content-Type": "application/json"}


def test_the_page_works_without_javascript(visitor: Visitor) -> None:
    page = visitor.http.get("/")
    assert page.status_code == 200
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    assert 'role="log"' in page.text and '<label for="text">Type your question</label>' in page.text
    sent = visitor.http.post(
        "/chat", data={"csrf": token.group(1), "text": "how much is the physics bursary?"}
    )
    assert sent.status_code == 303
    assert sent.headers["location"].startswith("/")
    after = visitor.http.get("/").text
    assert "how much is the physics bursary?" in after
    button = re.findall(
        r'<button type="submit" class="choice" form="chat-form" name="payload" value="([^"]+)"', after
    )
    assert button, "the latest reply's buttons are real buttons in the form"
    pressed = visitor.http.post("/chat", data={"csrf": token.group(1), "payload": html.unescape(button[0])})
    assert pressed.status_code == 303
    assert visitor.http.get("/").text.count('class="message person"') == 2


def test_a_form_post_without_the_token_is_refused(visitor: Visitor) -> None:
    visitor.http.get("/")
    response = visitor.http.post("/chat", data={"text": "hi"})
    assert response.status_code == 403
    assert "reload the page" in response.text


def test_every_page_has_a_strict_content_security_policy(web: WebServer, visitor: Visitor) -> None:
    for path in ("/", "/compare", "/embed", "/api/chat", "/healthz", "/widget.js", "/static/style.css"):
        policy = visitor.http.get(path).headers["content-security-policy"]
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, path
        assert "script-src 'self'" in policy, path
    assert "frame-ancestors 'none'" in visitor.http.get("/").headers["content-security-policy"]
    embed = visitor.http.get("/embed").headers["content-security-policy"]
    assert "frame-ancestors 'self' https://partner.example.org" in embed


def test_pages_hold_no_inline_script_or_style(visitor: Visitor) -> None:
    for path in ("/", "/compare", "/embed", "/compare?place=Sheffield&phase=secondary"):
        page = visitor.http.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), path
        assert "<style" not in page and " style=" not in page and " on" + "click=" not in page, path


def test_the_widget_is_one_script_with_its_words(visitor: Visitor) -> None:
    response = visitor.http.get("/widget.js")
    assert response.headers["content-type"].startswith("text/javascript")
    assert "__WORDS__" not in response.text and "Open the chat" in response.text


def test_an_unknown_page_is_a_plain_not_found_page(visitor: Visitor) -> None:
    response = visitor.http.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.text and "Traceback" not in response.text
    assert visitor.http.get("/static/../config.yaml").status_code == 404
