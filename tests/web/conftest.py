"""Fixtures for the web channel: a real `careers-bot web` process and HTTP clients that keep cookies."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from webserver import WebServer


@pytest.fixture(scope="session")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """One web server shared by the tests that do not change its settings."""
    server = WebServer(tmp_path_factory.mktemp("web"), allowed_origins=["https://partner.example.org"])
    yield server
    server.stop()


class Visitor:
    """One browser's cookie jar talking to the server like the page's script does."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=10.0, follow_redirects=False)
        self.csrf = ""

    def open(self) -> dict[str, Any]:
        """Loads the transcript (as a page load would) and keeps the CSRF token."""
        response = self.http.get("/api/chat")
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        self.csrf = data["csrf"]
        return data

    def post(self, body: dict[str, Any], **headers: str) -> httpx.Response:
        """Sends one message or press as JSON with the CSRF token."""
        sent = {"X-CSRF-Token": self.csrf, "Content-Type": "application/json", **headers}
        return self.http.post("/api/chat", json=body, headers=sent)

    def say(self, text: str) -> list[dict[str, Any]]:
        """Sends text and returns the replies, failing on any error status."""
        response = self.post({"text": text})
        assert response.status_code == 200, response.text
        replies: list[dict[str, Any]] = response.json()["replies"]
        return replies

    def press(self, replies: list[dict[str, Any]], label_part: str) -> list[dict[str, Any]]:
        """Presses the first shown button whose label contains label_part."""
        for reply in reversed(replies):
            for button in reply["buttons"]:
                if label_part.casefold() in button["label"].casefold():
                    response = self.post({"payload": button["payload"]})
                    assert response.status_code == 200, response.text
                    found: list[dict[str, Any]] = response.json()["replies"]
                    return found
        raise AssertionError(f"no button like {label_part!r}")

    def close(self) -> None:
        """Closes the connection pool."""
        self.http.close()


@pytest.fixture
def visitor(web: WebServer) -> Iterator[Visitor]:
    """A new visitor of the shared server."""
    person = Visitor(web.url)
    yield person
    person.close()


def text_of(html: str) -> str:
    """Returns the words of an HTML fragment, tags removed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def folder_of(server: WebServer) -> Path:
    """Returns the folder holding a server's config and database."""
    return server.folder
