"""The compare page over HTTP: the same impartial shortlist as the chat, and clear answers to bad input."""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path

from conftest import Visitor, text_of

from bot.config import Config
from bot.core.content import Content
from bot.knowledge.model import Phase
from bot.shortlist.profile import Profile
from bot.shortlist.rank import build_shortlist

ROOT = Path(__file__).resolve().parents[2]


def _my_id(visitor: Visitor) -> str:
    visitor.open()
    said = text_of(visitor.say("/myid")[0]["html"])
    return said.split("id is ")[1].split(".")[0]


def test_the_page_lists_providers_in_the_shortlists_fair_order_for_this_visitor(
    visitor: Visitor, config: Config, content: Content
) -> None:
    visitor_id = _my_id(visitor)
    page = visitor.http.get("/compare", params={"place": "S1", "subject": "physics", "phase": "secondary"})
    assert page.status_code == 200
    shown = re.findall(r'data-provider="([^"]+)"', page.text)
    place = content.gazetteer.resolve("S1")[0]
    profile = Profile(
        subjects=("physics",),
        phase=Phase.SECONDARY,
        place=place,
        travel_miles=float(config.shortlist.default_travel_miles),
    )
    expected = build_shortlist(
        content.knowledge, profile, f"web:{visitor_id}", config.shortlist.max_providers, date.today()
    )
    assert shown == [fit.provider_id for fit in expected.providers]
    assert shown, "Sheffield has physics providers nearby"
    routes = [html.unescape(r) for r in re.findall(r"<ol class=\"routes\">(.*?)</ol>", page.text)]
    for fit in expected.eligible_routes:
        assert content.knowledge.routes[fit.route_id].name in routes[0]


def test_a_place_nobody_knows_is_named_in_the_error(visitor: Visitor) -> None:
    page = visitor.http.get("/compare", params={"place": "Qwxzy", "phase": "secondary", "miles": "900"})
    words = html.unescape(text_of(page.text))
    assert 'We could not find "Qwxzy"' in words
    assert "from 1 to 150 miles" in words
    assert 'value="Qwxzy"' in page.text, "what was typed is kept"
    assert 'id="results"' not in page.text


def test_a_subject_typed_in_the_address_is_read_like_the_chat_reads_it(visitor: Visitor) -> None:
    page = visitor.http.get(
        "/compare", params={"place": "Brighton", "subject": "maths", "phase": "secondary"}
    )
    assert 'id="results"' in page.text


def test_every_web_message_the_code_uses_is_in_the_knowledge(content: Content) -> None:
    used: set[str] = set()
    for path in [*(ROOT / "bot/channels").glob("web*.py"), ROOT / "handlers/compare.py"]:
        used |= set(re.findall(r'"((?:web|preferences)\.[a-z_]+)"', path.read_text(encoding="utf-8")))
    used |= {f"web.compare_phase_{phase}" for phase in ("primary", "secondary")}
    missing = sorted(key for key in used if key not in content.knowledge.messages)
    assert len(used) > 40 and missing == []
