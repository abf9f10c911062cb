"""`careers-bot -v --debug-libraries web`: the web server's lines go through the bot's redacting handler."""

from __future__ import annotations

from pathlib import Path

from conftest import Visitor
from webserver import WebServer


def test_the_web_servers_lines_come_through_the_redacting_handler(tmp_path: Path) -> None:
    server = WebServer(tmp_path / "verbose", secret=None, options=("-v", "--debug-libraries"))
    try:
        person = Visitor(server.url)
        person.open()
        assert (
            person.post({"text": "my email is alex.morgan@example.com, phone 07700 900456"}).status_code
            == 200
        )
        person.close()
    finally:
        server.stop()
    log = server.output()
    # In the bot's own format, so through the root handler (not uvicorn's own), at the level asked for.
    assert " INFO uvicorn.error: Uvicorn running on http://127.0.0.1:" in log, log
    key = (tmp_path / "verbose" / "web-secret").read_text(encoding="ascii").strip()
    for private in (key, "alex.morgan", "900456"):
        assert private not in log
