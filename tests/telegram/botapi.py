"""A loopback Telegram Bot API server: feeds the bot updates and checks and records what it sends.

It speaks HTTP/1.1 with keep-alive over asyncio streams, answers the methods the bot uses, and
refuses what Telegram refuses (over-long text, bad HTML, oversized callback data). With a flood
limit set it answers 429 to any send beyond 30 in a rolling second, or 20 a minute in a group, as
Telegram does. Faults (429 with retry_after, 5xx, a proxy's HTML 502 page, 403, 400, slow answers
and hangs) can be planned per method and chat.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import html
import itertools
import json
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

TOKEN = "123456:TEST-token_for-loopback"
BOT_USER = {
    "id": 900001,
    "is_bot": True,
    "first_name": "Careers test bot",
    "username": "careers_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
MAX_TEXT = 4096
WAIT = 40.0  # generous: the suite must pass on a loaded two-core machine
MAX_CALLBACK_BYTES = 64
_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre"}
_TAGS |= {"blockquote", "tg-emoji"}
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)(?:\s[^<>]*)?>")
BLOCKED = "Forbidden: bot was blocked by the user"
SENDS = frozenset({"sendMessage", "sendDocument", "sendChatAction", "sendPhoto", "editMessageText"})
FLOOD = "Too Many Requests: retry after 1"
NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


class ApiError(Exception):
    """An error answer, shaped as Telegram shapes it."""

    def __init__(
        self, status: int, description: str, retry_after: float | None = None, page: str | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.page = page  # an HTML page sent instead of JSON, as a proxy in front of Telegram does

    def body(self) -> dict[str, Any]:
        """The JSON body Telegram sends with this error."""
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass
class Fault:
    """A planned misbehaviour for the next `times` matching calls."""

    method: str
    times: int
    status: int = 0  # 0: answer normally (after any delay)
    description: str = ""
    retry_after: float | None = None
    delay: float = 0.0
    chat_id: int | None = None
    html: bool = False  # answer with nginx's HTML error page instead of Telegram's JSON


@dataclass(frozen=True)
class Call:
    """One request the bot made, with its outcome."""

    method: str
    params: dict[str, Any]
    status: int


@dataclass(frozen=True)
class Sent:
    """One message the server accepted from the bot."""

    method: str
    chat_id: int
    message_id: int
    text: str  # as the person sees it: entities parsed
    buttons: tuple[tuple[str, str], ...] = ()
    filename: str | None = None
    content: bytes | None = None


@dataclass(frozen=True)
class Upload:
    """A file sent in a multipart request."""

    filename: str
    content: bytes


def parse_html(text: str) -> str:
    """Returns the text a person sees, or raises ApiError like Telegram does for bad HTML."""
    out: list[str] = []
    open_tags: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            found = _TAG.match(text, i)
            offset = len(text[:i].encode("utf-8"))
            if found is None or found.group(2).lower() not in _TAGS:
                raise ApiError(
                    400, f"Bad Request: can't parse entities: Unsupported start tag at byte offset {offset}"
                )
            name = found.group(2).lower()
            if found.group(1):
                if not open_tags or open_tags.pop() != name:
                    raise ApiError(
                        400, f"Bad Request: can't parse entities: Unmatched end tag at byte offset {offset}"
                    )
            else:
                open_tags.append(name)
            i = found.end()
        elif ch == "&":
            found = _ENTITY.match(text, i)
            if found is None:
                offset = len(text[:i].encode("utf-8"))
                raise ApiError(
                    400, f"Bad Request: can't parse entities: Unescaped '&' at byte offset {offset}"
                )
            out.append(html.unescape(found.group()))
            i = found.end()
        else:
            out.append(ch)
            i += 1
    if open_tags:
        raise ApiError(
            400,
            f"Bad Request: can't parse entities: Can't find end tag for start tag {open_tags[-1]}",
        )
    return "".join(out)


def utf16_length(text: str) -> int:
    """Measures text as Telegram does."""
    return len(text.encode("utf-16-le")) // 2


def parse_buttons(raw: Any) -> tuple[tuple[str, str], ...]:
    """Reads an inline keyboard, refusing labels and callback data Telegram would refuse."""
    if raw in (None, ""):
        return ()
    markup = json.loads(raw) if isinstance(raw, str) else raw
    buttons: list[tuple[str, str]] = []
    for row in markup.get("inline_keyboard", []):
        for button in row:
            label, data = button.get("text", ""), button.get("callback_data", "")
            if not label:
                raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
            if not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            buttons.append((label, data))
    return tuple(buttons)


class BotApiServer:
    """Serves the Bot API on 127.0.0.1 for one token; start() it, then point the bot at base_url."""

    def __init__(self, token: str = TOKEN, flood_limit: bool = False) -> None:
        self.token = token
        self.flood_limit = flood_limit  # 30 sends in any rolling second; 20 a minute in a group
        self.send_times: list[tuple[float, int | None]] = []  # (arrival, chat) of every send request
        self._recent_sends: deque[float] = deque()
        self._group_sends: dict[int, deque[float]] = {}
        self.calls: list[Call] = []
        self.arrived: list[str] = []  # methods in the order their requests came in, before answering
        self.sent: list[Sent] = []
        self._by_chat: dict[int, list[Sent]] = {}
        self._chat_waiters: dict[int, list[tuple[int, asyncio.Future[None]]]] = {}
        self.commands: list[dict[str, str]] = []
        self.webhook: dict[str, Any] = {}
        self.blocked: set[int] = set()
        self.faults: list[Fault] = []
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self.confirmed = 0  # the highest update_id the bot has acknowledged (with a later offset)
        self._message_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        """The port the server listens on."""
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def base_url(self) -> str:
        """The base URL to give the bot (the token is appended by the library)."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> None:
        """Starts listening on a free loopback port."""
        self._server = await asyncio.start_server(self._serve_connection, "127.0.0.1", 0)

    async def stop(self) -> None:
        """Stops listening and drops every open connection."""
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    # Feeding updates and planning faults.

    async def push(self, update: dict[str, Any]) -> int:
        """Queues one update for getUpdates and returns its update_id."""
        update_id = next(self._update_ids)
        async with self._changed:
            self._updates.append({"update_id": update_id, **update})
            self._changed.notify_all()
        return update_id

    def plan(self, fault: Fault) -> None:
        """Makes the next matching calls misbehave."""
        self.faults.append(fault)

    # Reading what happened.

    def to_chat(self, chat_id: int) -> list[Sent]:
        """The messages accepted for one chat, in order."""
        return list(self._by_chat.get(chat_id, ()))

    def most_sends_in(self, seconds: float, chats: Iterable[int] | None = None) -> int:
        """The most send requests that arrived within any window of this many seconds."""
        wanted = None if chats is None else set(chats)
        times = [at for at, chat in self.send_times if wanted is None or chat in wanted]
        most, start = 0, 0
        for end, at in enumerate(times):
            while at - times[start] >= seconds:
                start += 1
            most = max(most, end - start + 1)
        return most

    def called(self, method: str, status: int | None = None) -> list[Call]:
        """The calls of one method, optionally only those answered with one status."""
        return [c for c in self.calls if c.method == method and (status is None or c.status == status)]

    async def wait_for(self, predicate: Callable[[], bool], within: float = WAIT) -> None:
        """Waits until the predicate holds, re-checking whenever a call or update arrives."""
        async with asyncio.timeout(within):
            async with self._changed:
                await self._changed.wait_for(predicate)

    async def wait_for_messages(self, chat_id: int, count: int, within: float = WAIT) -> list[Sent]:
        """Waits until a chat has at least `count` accepted messages and returns them."""
        # A future per waiting chat, not the shared condition: hundreds of chats wait at once in the bench.
        if len(self._by_chat.get(chat_id, ())) < count:
            arrived = asyncio.get_running_loop().create_future()
            self._chat_waiters.setdefault(chat_id, []).append((count, arrived))
            async with asyncio.timeout(within):
                await arrived
        return self.to_chat(chat_id)

    # HTTP.

    async def _serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                status, body, headers = await self._answer(*request)
                writer.write(_response(status, body, headers))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._connections.discard(task)
            writer.close()

    async def _answer(
        self, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any] | str, dict[str, str]]:
        path = urlsplit(target).path
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return 401, ApiError(401, "Unauthorized").body(), {}
        method = path[len(prefix) :]
        arrived = time.monotonic()
        async with self._changed:
            self.arrived.append(method)
            self._changed.notify_all()
        params = _params(headers, body, urlsplit(target).query)
        try:
            self._count_send(method, params, arrived)
            result = await self._call(method, params)
        except ApiError as exc:
            await self._record(Call(method, params, exc.status))
            if exc.page is not None:
                return exc.status, exc.page, {"Content-Type": "text/html"}
            return exc.status, exc.body(), {}
        await self._record(Call(method, params, 200))
        return 200, {"ok": True, "result": result}, {}

    def _count_send(self, method: str, params: dict[str, Any], arrived: float) -> None:
        """Refuses a send beyond Telegram's flood limits; every send request counts, refused or not."""
        if method not in SENDS:
            return
        chat_id = int(params["chat_id"]) if "chat_id" in params else None
        self.send_times.append((arrived, chat_id))
        if not self.flood_limit:
            return
        over = _crowded(self._recent_sends, arrived, 1.0, 30)
        if chat_id is not None and chat_id < 0:
            over = _crowded(self._group_sends.setdefault(chat_id, deque()), arrived, 60.0, 20) or over
        if over:
            raise ApiError(429, FLOOD, retry_after=1)

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    async def _call(self, method: str, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"]) if "chat_id" in params else None
        fault = self._next_fault(method, chat_id)
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status:
                description = fault.description or "Internal Server Error"
                page = NGINX_502 if fault.html else None
                raise ApiError(fault.status, description, fault.retry_after, page)
        if chat_id is not None and chat_id in self.blocked:
            raise ApiError(403, BLOCKED)
        handler = getattr(self, "_" + re.sub(r"([A-Z])", r"_\1", method).lower(), None)
        if handler is None:
            raise ApiError(404, "Not Found")
        return await handler(params)

    def _next_fault(self, method: str, chat_id: int | None) -> Fault | None:
        for fault in self.faults:
            if fault.method == method and fault.times > 0 and fault.chat_id in (None, chat_id):
                fault.times -= 1
                return fault
        return None

    # Bot API methods.

    def _keep(self, sent: Sent) -> None:
        """Stores an accepted message; waiters wake when the call itself is recorded."""
        self.sent.append(sent)
        kept = self._by_chat.setdefault(sent.chat_id, [])
        kept.append(sent)
        waiting = self._chat_waiters.pop(sent.chat_id, [])
        for count, arrived in waiting:
            if len(kept) >= count and not arrived.done():
                arrived.set_result(None)
        still = [(count, arrived) for count, arrived in waiting if not arrived.done()]
        if still:
            self._chat_waiters[sent.chat_id] = still

    async def _get_me(self, params: dict[str, Any]) -> Any:
        return BOT_USER

    async def _get_updates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        wait = float(params.get("timeout") or 0)
        async with self._changed:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if offset - 1 > self.confirmed:
                self.confirmed = offset - 1
                self._changed.notify_all()
            if not self._updates and wait > 0:
                try:
                    async with asyncio.timeout(wait):
                        await self._changed.wait_for(lambda: bool(self._updates))
                except TimeoutError:
                    pass
            return self._updates[:limit]

    async def _send_message(self, params: dict[str, Any]) -> Any:
        text = params.get("text", "")
        shown = parse_html(text) if params.get("parse_mode") == "HTML" else text
        if not shown.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_length(shown) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        buttons = parse_buttons(params.get("reply_markup"))
        chat_id = int(params["chat_id"])
        sent = Sent("sendMessage", chat_id, next(self._message_ids), shown, buttons)
        self._keep(sent)
        return _message(sent)

    async def _send_document(self, params: dict[str, Any]) -> Any:
        upload = params.get("document")
        if not isinstance(upload, Upload):
            raise ApiError(400, "Bad Request: there is no document in the request")
        chat_id = int(params["chat_id"])
        sent = Sent("sendDocument", chat_id, next(self._message_ids), "", (), upload.filename, upload.content)
        self._keep(sent)
        return {
            **_message(sent),
            "document": {
                "file_id": f"file{sent.message_id}",
                "file_unique_id": f"unique{sent.message_id}",
                "file_name": upload.filename,
                "file_size": len(upload.content),
            },
        }

    async def _edit_message_text(self, params: dict[str, Any]) -> Any:
        text = params.get("text", "")
        shown = parse_html(text) if params.get("parse_mode") == "HTML" else text
        if utf16_length(shown) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        chat_id = int(params.get("chat_id") or 0)
        return _message(Sent("editMessageText", chat_id, int(params.get("message_id") or 0), shown))

    async def _answer_callback_query(self, params: dict[str, Any]) -> Any:
        return True

    async def _send_chat_action(self, params: dict[str, Any]) -> Any:
        return True

    async def _set_my_commands(self, params: dict[str, Any]) -> Any:
        commands = params.get("commands", "[]")
        self.commands = json.loads(commands) if isinstance(commands, str) else commands
        return True

    async def _delete_my_commands(self, params: dict[str, Any]) -> Any:
        self.commands = []
        return True

    async def _set_webhook(self, params: dict[str, Any]) -> Any:
        self.webhook = dict(params)
        return True

    async def _delete_webhook(self, params: dict[str, Any]) -> Any:
        self.webhook = {}
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> Any:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }

    async def _close(self, params: dict[str, Any]) -> Any:
        return True

    async def _log_out(self, params: dict[str, Any]) -> Any:
        return True


def _message(sent: Sent) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message_id": sent.message_id,
        "date": int(time.time()),
        "chat": {"id": sent.chat_id, "type": "private"},
        "from": BOT_USER,
    }
    if sent.text:
        body["text"] = sent.text
    if sent.buttons:
        rows = [[{"text": label, "callback_data": data}] for label, data in sent.buttons]
        body["reply_markup"] = {"inline_keyboard": rows}
    return body


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, dict[str, str], bytes] | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    _, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = await _read_chunked(reader)
    else:
        body = await reader.readexactly(int(headers.get("content-length") or 0))
    return target, headers, body


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        chunk = await reader.readexactly(size + 2)
        if size == 0:
            return b"".join(chunks)
        chunks.append(chunk[:-2])


def _params(headers: dict[str, str], body: bytes, query: str) -> dict[str, Any]:
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    kind = headers.get("content-type", "")
    if kind.startswith("application/json") and body:
        params.update(json.loads(body))
    elif kind.startswith("application/x-www-form-urlencoded"):
        params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    elif kind.startswith("multipart/form-data"):
        params.update(_multipart(kind, body))
    return params


def _multipart(kind: str, body: bytes) -> dict[str, Any]:
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    whole = parser.parsebytes(b"Content-Type: " + kind.encode("latin-1") + b"\r\n\r\n" + body)
    fields: dict[str, Any] = {}
    for part in whole.iter_parts():
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        fields[str(name)] = Upload(filename, content) if filename else content.decode("utf-8")
    return fields


def _crowded(times: deque[float], now: float, window: float, limit: int) -> bool:
    """Records one more request at `now`; True when the window already held `limit` of them."""
    while times and now - times[0] >= window:
        times.popleft()
    times.append(now)
    return len(times) > limit


def _response(status: int, body: dict[str, Any] | str, headers: dict[str, str]) -> bytes:
    payload = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
    reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
    reason |= {429: "Too Many Requests", 502: "Bad Gateway"}
    head = {"Content-Type": "application/json", **headers}
    lines = [
        f"HTTP/1.1 {status} {reason.get(status, 'Error')}",
        *(f"{k}: {v}" for k, v in head.items()),
        f"Content-Length: {len(payload)}",
        "Connection: keep-alive",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload


@dataclass
class Person:
    """Someone writing to the bot; builds the updates Telegram would deliver for them."""

    user_id: int
    first_name: str = "Sam"
    username: str | None = None
    chat_id: int | None = None  # a group chat id, when they write in a group
    chat_type: str = "private"
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def chat(self) -> dict[str, Any]:
        """The chat their messages are in."""
        if self.chat_type == "private":
            return {"id": self.user_id, "type": "private", "first_name": self.first_name}
        return {"id": self.chat_id, "type": self.chat_type, "title": "Staff room"}

    @property
    def user(self) -> dict[str, Any]:
        """Their Telegram user."""
        user: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        return user

    def _message(self, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": self.chat,
            "from": self.user,
            **content,
        }

    def text(self, text: str) -> dict[str, Any]:
        """An update carrying typed text (a command when it starts with /)."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_length(command)}]
        return {"message": self._message(**content)}

    def edited(self, text: str) -> dict[str, Any]:
        """An update saying an earlier message was edited."""
        return {"edited_message": {**self._message(text=text), "edit_date": int(time.time())}}

    def sticker(self) -> dict[str, Any]:
        """An update carrying a sticker."""
        sticker = {
            "file_id": "sticker1",
            "file_unique_id": "s1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return {"message": self._message(sticker=sticker)}

    def photo(self) -> dict[str, Any]:
        """An update carrying a photo."""
        size = {"file_id": "photo1", "file_unique_id": "p1", "width": 90, "height": 90}
        return {"message": self._message(photo=[size])}

    def location(self) -> dict[str, Any]:
        """An update carrying a shared location."""
        return {"message": self._message(location={"latitude": 53.38, "longitude": -1.47})}

    def press(self, data: str, on: Sent | None = None) -> dict[str, Any]:
        """An update for pressing a button with this callback data under one of the bot's messages."""
        shown = on or Sent("sendMessage", self.user_id, 1, "…")
        message = {**_message(shown), "chat": self.chat}
        query = {
            "id": f"q{self.user_id}-{next(self._ids)}",
            "from": self.user,
            "chat_instance": f"ci{self.user_id}",
            "data": data,
            "message": message,
        }
        return {"callback_query": query}
