"""The web channel: the chat page, the widget, the compare page and the JSON chat API, on Starlette.

A visitor is a random id in a signed, HttpOnly, SameSite=Lax cookie; their turns go to the same engine
and store as every other channel, under channel "web". The transcript kept to redraw a reloaded page
lives in memory, bounded; the conversation itself (journey, step, answers) lives in the store.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.app import App, open_app
from bot.channels.web_pages import (
    Entry,
    PageParts,
    chat_page,
    compare_page,
    error_page,
    person_html,
    reply_buttons,
    reply_html,
)
from bot.channels.web_security import RateLimiter, Signer, load_secret
from bot.config import Config, Database
from bot.core.routing import make_payload
from bot.core.types import Reply, Status, Turn
from bot.knowledge.values import message
from bot.logs import register_secrets
from handlers.compare import CompareRequest, compare_routes

__all__ = ["CHANNEL", "COOKIE", "WebChannel", "build_web_app", "run_web"]

log = logging.getLogger(__name__)

CHANNEL = "web"
COOKIE = "careers_bot_id"
CSRF_HEADER = "x-csrf-token"
STATIC = Path(__file__).resolve().parent / "web_static"
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
FORGET_YES = make_payload("privacy", "forget:yes")
MAX_VISITORS = 20_000  # transcripts kept in memory; the oldest go first (the store keeps the conversation)
BODY_SLACK = 2048  # bytes allowed beyond the longest message for JSON quoting and the payload field
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}"
)

StartBackground = Callable[[App], Any]


@dataclass(frozen=True, slots=True)
class _Refusal:
    """Why a request was not passed to the engine: the HTTP status and the message key to show."""

    status: int
    key: str
    params: tuple[tuple[str, str], ...] = ()


class Transcripts:
    """The recent lines of each visitor's chat, to redraw the page on reload; bounded in people and lines."""

    def __init__(self, lines: int, visitors: int = MAX_VISITORS) -> None:
        self._lines = lines
        self._visitors = visitors
        self._by_visitor: OrderedDict[str, deque[Entry]] = OrderedDict()

    def get(self, visitor: str) -> list[Entry]:
        """Returns the visitor's lines, oldest first."""
        found = self._by_visitor.get(visitor)
        if found is None:
            return []
        self._by_visitor.move_to_end(visitor)
        return list(found)

    def add(self, visitor: str, entries: list[Entry]) -> None:
        """Appends lines to the visitor's transcript."""
        lines = self._by_visitor.pop(visitor, None) or deque(maxlen=self._lines)
        lines.extend(entries)
        self._by_visitor[visitor] = lines
        while len(self._by_visitor) > self._visitors:
            self._by_visitor.popitem(last=False)

    def forget(self, visitor: str) -> None:
        """Drops the visitor's transcript (after /forget)."""
        self._by_visitor.pop(visitor, None)

    def label_of(self, visitor: str, payload: str) -> str | None:
        """Returns the label of a button last shown to the visitor with this payload."""
        for entry in reversed(self.get(visitor)):
            if entry.by_person:
                return None
            for label, shown in entry.buttons:
                if shown == payload:
                    return label
        return None


class WebChannel:
    """Carries one App's conversations over HTTP: turns in, reply fragments out, transcripts kept."""

    def __init__(self, app: App, signer: Signer, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.signer = signer
        web = app.config.web
        self.transcripts = Transcripts(web.transcript_turns)
        self.per_cookie = RateLimiter(web.per_cookie_per_minute, clock)
        self.per_ip = RateLimiter(web.per_ip_per_minute, clock)

    def say(self, key: str, **params: object) -> str:
        """Returns a fixed sentence from the current knowledge."""
        return message(self.app.content.current.knowledge, key, **params)

    def parts(self, visitor: str, embed: bool = False) -> PageParts:
        """Returns what a page for this visitor needs."""
        service = self.say("web.service_name", name=self.app.config.branding_name)
        return PageParts(say=self.say, service=service, csrf=self.signer.csrf(visitor), embed=embed)

    async def transcript(self, visitor: str) -> list[Entry]:
        """Returns the visitor's transcript, greeting them (or welcoming them back) when it is empty."""
        lines = self.transcripts.get(visitor)
        if lines:
            return lines
        replies = await self.app.engine.resume(CHANNEL, visitor)
        self.transcripts.add(visitor, [self._bot_entry(r) for r in replies])
        return self.transcripts.get(visitor)

    def refusal(self, visitor: str, text: str, payload: str | None) -> _Refusal | None:
        """Says why a message cannot be taken (too long, empty, too many), or None to take it."""
        limit = self.app.config.web.max_message_chars
        if payload is None and len(text) > limit:
            return _Refusal(413, "web.too_long", (("max", str(limit)),))
        if payload is None and not text.strip():
            return _Refusal(400, "web.empty_message")
        if payload is not None and (not payload or len(payload.encode("utf-8")) > 64):
            return _Refusal(400, "web.bad_request")
        if not self.per_cookie.allow(visitor):
            return _Refusal(429, "web.rate_limited")
        return None

    async def turn(self, visitor: str, text: str, payload: str | None) -> list[Entry]:
        """Passes one message or button press to the engine; returns the reply lines (also kept)."""
        said = self.transcripts.label_of(visitor, payload) if payload is not None else text
        if payload is None and text.strip().casefold() == "/myid":
            replies = [Reply(text=self.say("web.your_id", id=visitor), status=Status.INFO)]
        else:
            turn = Turn(channel=CHANNEL, user_id=visitor, text="" if payload else text, payload=payload)
            replies = await self.app.engine.handle(turn)
        entries = [self._bot_entry(r) for r in replies]
        if self._forgotten(visitor, payload or text, replies):
            self.transcripts.forget(visitor)
        else:
            person = [Entry(by_person=True, html=person_html(said))] if said else []
            self.transcripts.add(visitor, [*person, *entries])
        return entries

    def _forgotten(self, visitor: str, pressed: str, replies: list[Reply]) -> bool:
        confirmed = any(r.status == Status.CONFIRMED for r in replies)
        if not confirmed:
            return False
        if pressed == FORGET_YES:
            return True
        # A typed number or label picks a button; the engine resolved it against the same buttons.
        wanted = pressed.strip().rstrip(".").casefold()
        for entry in reversed(self.transcripts.get(visitor)):
            if entry.by_person:
                break
            for number, (label, payload) in enumerate(entry.buttons, start=1):
                if payload == FORGET_YES and wanted in (label.casefold(), str(number)):
                    return True
        return False

    def _bot_entry(self, reply: Reply) -> Entry:
        return Entry(by_person=False, html=reply_html(reply, self.say), buttons=reply_buttons(reply))

    def refused_entry(self, refusal: _Refusal) -> Entry:
        """Returns the line that tells the person why their message was not taken."""
        text = self.say(refusal.key, **dict(refusal.params))
        return Entry(by_person=False, html=person_html(text))


def entry_json(entry: Entry) -> dict[str, Any]:
    """Returns a bot line in the API's shape."""
    return {"html": entry.html, "buttons": [{"label": lb, "payload": pl} for lb, pl in entry.buttons]}


# Requests


class _Visit:
    """The visitor behind a request: an id from a valid cookie, or a new one to set."""

    def __init__(self, signer: Signer, request: Request) -> None:
        found = signer.visitor(request.cookies.get(COOKIE))
        self.known = found is not None
        self.id = found or signer.new_id()
        self._signer = signer
        self._secure = request.url.scheme == "https"

    def keep(self, response: Response, max_age: int) -> Response:
        """Sets the cookie on a response when the visitor is new."""
        if not self.known:
            response.set_cookie(
                COOKIE,
                self._signer.cookie(self.id),
                max_age=max_age,
                httponly=True,
                samesite="lax",
                secure=self._secure,
                path="/",
            )
        return response


def _same_origin(request: Request) -> bool:
    """A browser names the page a POST came from: it must be this site (the page or the widget's frame)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc == host


async def _body(request: Request, limit: int) -> bytes | None:
    """Reads the body up to limit bytes; None when it is longer."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return None
    data = bytearray()
    async for chunk in request.stream():
        data.extend(chunk)
        if len(data) > limit:
            return None
    return bytes(data)


def _json_message(data: bytes) -> tuple[str, str | None] | None:
    try:
        parsed = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(parsed, dict):
        return None
    text, payload = parsed.get("text"), parsed.get("payload")
    if isinstance(payload, str) and text is None:
        return "", payload
    if isinstance(text, str) and payload is None:
        return text, None
    return None


def _form_message(data: bytes) -> tuple[dict[str, str], tuple[str, str | None]]:
    try:
        fields = {k: v[0] for k, v in parse_qs(data.decode("utf-8"), keep_blank_values=True).items()}
    except UnicodeDecodeError:
        fields = {}
    payload = fields.get("payload")
    return fields, (("", payload) if payload else (fields.get("text", ""), None))


class _Handlers:
    """The routes' handlers, sharing one WebChannel."""

    def __init__(self, channel: WebChannel) -> None:
        self.channel = channel
        self.config = channel.app.config
        self.max_age = self.config.privacy.retention_days * 86400
        # A character is at most 6 bytes escaped in JSON, 9 in a form (%XX for each of 3 bytes).
        self.body_limit = self.config.web.max_message_chars * 6 + BODY_SLACK
        self.form_limit = self.config.web.max_message_chars * 9 + BODY_SLACK

    def visit(self, request: Request) -> _Visit:
        return _Visit(self.channel.signer, request)

    async def chat_page(self, request: Request) -> Response:
        """The chat page, with the transcript so far."""
        embed = request.url.path == "/embed"
        visit = self.visit(request)
        lines = await self.channel.transcript(visit.id)
        parts = self.channel.parts(visit.id, embed)
        page = chat_page(parts, lines, self.config.web.max_message_chars)
        return visit.keep(HTMLResponse(page), self.max_age)

    async def chat_form(self, request: Request) -> Response:
        """A message sent by the page's form without JavaScript: handled, then back to the page."""
        embed = request.url.path == "/embed"
        visit = self.visit(request)
        data = await _body(request, self.form_limit)
        if data is None:
            return self._refused_page(visit, self._too_long(), embed)
        fields, (text, payload) = _form_message(data)
        token = fields.get("csrf")
        if not visit.known or not _same_origin(request) or not self.channel.signer.csrf_ok(visit.id, token):
            return self._refused_page(visit, _Refusal(403, "web.session_expired"), embed)
        refusal = self.channel.refusal(visit.id, text, payload)
        if refusal is not None:
            self.channel.transcripts.add(visit.id, [self.channel.refused_entry(refusal)])
        else:
            await self.channel.turn(visit.id, text, payload)
        return RedirectResponse(f"{'/embed' if embed else '/'}#text", status_code=303)

    def _too_long(self) -> _Refusal:
        return _Refusal(413, "web.too_long", (("max", str(self.config.web.max_message_chars)),))

    def _refused_page(self, visit: _Visit, refusal: _Refusal, embed: bool = False) -> Response:
        parts = self.channel.parts(visit.id, embed)
        page = error_page(parts, "web.bad_request", refusal.key, **dict(refusal.params))
        return visit.keep(HTMLResponse(page, status_code=refusal.status), self.max_age)

    async def api_get(self, request: Request) -> Response:
        """GET /api/chat: the visitor's recent transcript and the token their POSTs must carry."""
        visit = self.visit(request)
        lines = await self.channel.transcript(visit.id)
        body = {
            "transcript": [
                {"from": "person", "html": e.html} if e.by_person else {"from": "bot", **entry_json(e)}
                for e in lines
            ],
            "csrf": self.channel.signer.csrf(visit.id),
        }
        return visit.keep(JSONResponse(body), self.max_age)

    async def api_post(self, request: Request) -> Response:
        """POST /api/chat: one message or button press in, the replies out."""
        visit = self.visit(request)
        token = request.headers.get(CSRF_HEADER)
        if not visit.known or not _same_origin(request) or not self.channel.signer.csrf_ok(visit.id, token):
            return self._api_refusal(visit, _Refusal(403, "web.session_expired"))
        if not request.headers.get("content-type", "").startswith("application/json"):
            return self._api_refusal(visit, _Refusal(415, "web.bad_request"))
        data = await _body(request, self.body_limit)
        if data is None:
            return self._api_refusal(visit, self._too_long())
        parsed = _json_message(data)
        if parsed is None:
            return self._api_refusal(visit, _Refusal(400, "web.bad_request"))
        text, payload = parsed
        refusal = self.channel.refusal(visit.id, text, payload)
        if refusal is not None:
            return self._api_refusal(visit, refusal)
        entries = await self.channel.turn(visit.id, text, payload)
        return JSONResponse({"replies": [entry_json(e) for e in entries]})

    def _api_refusal(self, visit: _Visit, refusal: _Refusal) -> Response:
        entry = self.channel.refused_entry(refusal)
        body = {"replies": [entry_json(entry)], "error": refusal.key.removeprefix("web.")}
        headers = {"Retry-After": "60"} if refusal.status == 429 else None
        return visit.keep(JSONResponse(body, status_code=refusal.status, headers=headers), self.max_age)

    async def mydata(self, request: Request) -> Response:
        """Everything held about the visitor, as a JSON file."""
        visit = self.visit(request)
        held = await self.channel.app.store.export_person(CHANNEL, visit.id) if visit.known else {}
        body = json.dumps(held, ensure_ascii=False, indent=2, default=str)
        headers = {"Content-Disposition": 'attachment; filename="mydata.json"', "Cache-Control": "no-store"}
        return Response(body, media_type="application/json", headers=headers)

    async def compare(self, request: Request) -> Response:
        """The compare page: the form, and the shortlist once place and age group are given."""
        visit = self.visit(request)
        query = request.query_params
        asked = CompareRequest(
            place=query.get("place", "")[:100],
            subject=query.get("subject", "")[:60],
            phase=query.get("phase", "")[:20],
            miles=query.get("miles", "")[:6],
        )
        content = self.channel.app.content.current
        shortlist = self.config.shortlist
        result = None
        if any(key in query for key in ("place", "phase")):
            today = self.channel.app.engine.clock.now().astimezone(ZoneInfo(self.config.timezone)).date()
            defaults = (shortlist.default_travel_miles, shortlist.max_travel_miles, shortlist.max_providers)
            result = compare_routes(content, asked, f"{CHANNEL}:{visit.id}", defaults, today)
        subjects = sorted(((s.id, s.name) for s in content.knowledge.subjects.values()), key=lambda s: s[1])
        page = compare_page(self.channel.parts(visit.id), asked, subjects, result, shortlist.max_travel_miles)
        # A form with something to fix is still a page to show, as a GOV.UK form would answer it.
        return visit.keep(HTMLResponse(page), self.max_age)

    async def widget(self, request: Request) -> Response:
        """The script a partner's page loads to show the chat in a corner."""
        words = {
            "open": self.channel.say("web.open_chat"),
            "close": self.channel.say("web.close_chat"),
            "title": self.channel.say("web.widget_title"),
        }
        code = (STATIC / "widget.js").read_text(encoding="utf-8")
        script = code.replace("__WORDS__", json.dumps(words))
        headers = {"Cache-Control": "public, max-age=300", "Cross-Origin-Resource-Policy": "cross-origin"}
        return Response(script, media_type=STATIC_TYPES[".js"], headers=headers)

    async def static(self, request: Request) -> Response:
        """The page's own stylesheet and script."""
        name = str(request.path_params["name"])
        path = STATIC / name
        if "/" in name or path.suffix not in STATIC_TYPES or not path.is_file():
            raise HTTPException(404)
        headers = {"Cache-Control": "public, max-age=300"}
        return Response(path.read_bytes(), media_type=STATIC_TYPES[path.suffix], headers=headers)

    async def no_icon(self, request: Request) -> Response:
        """Browsers ask for an icon; the plain design has none, and says so without an error."""
        return Response(status_code=204, headers={"Cache-Control": "public, max-age=86400"})

    async def health(self, request: Request) -> Response:
        """Reports that the server answers, with the knowledge version it serves."""
        version = self.channel.app.content.current.knowledge.version
        return JSONResponse({"status": "ok", "knowledge": version})


class _Guard:
    """Security headers on every response, and the per-address rate limit before anything runs."""

    def __init__(self, app: ASGIApp, channel: WebChannel) -> None:
        self.app = app
        self.channel = channel
        origins = " ".join(channel.app.config.web.allowed_origins)
        self.csp_page = CSP.format(ancestors="'none'")
        self.csp_embed = CSP.format(ancestors=f"'self' {origins}".strip())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        csp = self.csp_embed if path in ("/embed", "/static/chat.js", "/static/style.css") else self.csp_page

        async def with_headers(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                headers = list(msg.get("headers", []))
                headers += [
                    (b"content-security-policy", csp.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                ]
                if not path.startswith(("/static/", "/widget.js")):
                    headers.append((b"cache-control", b"no-store"))
                msg = {**msg, "headers": headers}
            await send(msg)

        client = scope.get("client")
        address = client[0] if client else "unknown"
        if path != "/healthz" and not self.channel.per_ip.allow(address):
            await self._too_many(path, with_headers)
            return
        await self.app(scope, receive, with_headers)

    async def _too_many(self, path: str, send: Callable[[Message], Awaitable[None]]) -> None:
        text = self.channel.say("web.rate_limited")
        if path.startswith("/api/"):
            body = json.dumps(
                {"replies": [{"html": f"<p>{text}</p>", "buttons": []}], "error": "rate_limited"}
            )
            kind = b"application/json"
        else:
            body, kind = text, b"text/plain; charset=utf-8"
        headers = [(b"content-type", kind), (b"retry-after", b"60")]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body.encode("utf-8")})


def build_web_app(app: App, key: bytes, clock: Callable[[], float] = time.monotonic) -> Starlette:
    """Returns the ASGI application serving the web channel for a running App."""
    channel = WebChannel(app, Signer(key), clock)
    handlers = _Handlers(channel)
    routes = [
        Route("/", handlers.chat_page, methods=["GET"]),
        Route("/chat", handlers.chat_form, methods=["POST"]),
        Route("/embed", handlers.chat_page, methods=["GET"]),
        Route("/embed", handlers.chat_form, methods=["POST"]),
        Route("/api/chat", handlers.api_get, methods=["GET"]),
        Route("/api/chat", handlers.api_post, methods=["POST"]),
        Route("/compare", handlers.compare, methods=["GET"]),
        Route("/mydata.json", handlers.mydata, methods=["GET"]),
        Route("/widget.js", handlers.widget, methods=["GET"]),
        Route("/static/{name}", handlers.static, methods=["GET"]),
        Route("/healthz", handlers.health, methods=["GET"]),
        Route("/favicon.ico", handlers.no_icon, methods=["GET"]),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        code = exc.status_code if isinstance(exc, HTTPException) else 500
        visit = handlers.visit(request)
        parts = channel.parts(visit.id)
        if code == 500:
            log.exception("a web request failed", exc_info=exc)
            page = error_page(parts, "web.server_error", "web.server_error")
        elif code == 405:
            page = error_page(parts, "web.bad_request", "web.bad_request")
        else:
            page = error_page(parts, "web.not_found", "web.not_found_text")
        return HTMLResponse(page, status_code=code if code in (404, 405) else 500)

    return Starlette(
        routes=routes,
        middleware=[Middleware(_Guard, channel=channel)],
        exception_handlers={404: not_found, 405: not_found, Exception: not_found},
    )


def run_web(
    config: Config, database: Database | None, start_background: StartBackground | None = None
) -> None:
    """Runs the web channel until SIGINT or SIGTERM."""
    asyncio.run(_serve(config, database, start_background))


async def _serve(config: Config, database: Database | None, start_background: StartBackground | None) -> None:
    import uvicorn

    key = load_secret(config.web.secret, config.web.secret_file)
    register_secrets([key.hex()])
    async with open_app(config, database=database) as app:
        asgi = build_web_app(app, key)
        server = uvicorn.Server(
            uvicorn.Config(
                asgi,
                host=config.web.listen,
                port=config.web.port,
                # Through the root handlers and their redactor, at the levels -v and --debug-libraries set.
                log_config=None,
                log_level=None,
                proxy_headers=True,
                access_log=False,
                lifespan="off",
            )
        )
        background = start_background(app) if start_background is not None else None
        # uvicorn stops cleanly on SIGINT and SIGTERM by itself.
        print(f"Web chat on http://{config.web.listen}:{config.web.port}/ (Ctrl-C stops it)", flush=True)
        try:
            await server.serve()
        finally:
            if background is not None:
                await background.stop()
