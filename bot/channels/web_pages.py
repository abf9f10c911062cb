"""The web channel's HTML: replies as fragments, and the chat and compare pages around them.

Every word comes from knowledge/messages (web.yaml for the page itself); every value is escaped here,
so nothing a person types or a knowledge file holds can add markup to a page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from html import escape

from bot.core.types import Reply
from handlers.compare import PHASES, CompareRequest, Comparison, FormProblem, RouteLine

__all__ = [
    "Entry",
    "PageParts",
    "chat_page",
    "compare_page",
    "entry_html",
    "error_page",
    "reply_buttons",
    "reply_html",
]

Say = Callable[..., str]
URL = re.compile(r"https://[^\s<>\"')]+[^\s<>\"').,;:!?]")
DATA_LINK = "/mydata.json"
CURRENT = ' aria-current="page"'
SELECTED = " selected"


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the transcript: what the person said, or a bot reply (HTML) and its buttons."""

    by_person: bool
    html: str
    buttons: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class PageParts:
    """What every page needs: the words, the service name, and the visitor's CSRF token."""

    say: Say
    service: str
    csrf: str
    embed: bool = False


def _text_html(text: str) -> str:
    """Escapes text, links https addresses and keeps its paragraphs and line breaks."""
    paragraphs = [p.strip("\n") for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join(f"<p>{_link(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def _link(text: str) -> str:
    out: list[str] = []
    last = 0
    for found in URL.finditer(text):
        out.append(escape(text[last : found.start()], quote=False))
        url = escape(found.group(), quote=True)
        out.append(f'<a href="{url}" rel="noopener noreferrer">{url}</a>')
        last = found.end()
    out.append(escape(text[last:], quote=False))
    return "".join(out)


def reply_html(reply: Reply, say: Say) -> str:
    """Returns one reply as an HTML fragment (its buttons are sent apart)."""
    body = _text_html(reply.text)
    if reply.attachment is not None:
        body += f'<p><a href="{DATA_LINK}" download>{escape(say("web.download_data"))}</a></p>'
    return body


def reply_buttons(reply: Reply) -> tuple[tuple[str, str], ...]:
    """Returns a reply's buttons as (label, payload) pairs."""
    return tuple((button.label, button.payload) for button in reply.buttons)


def person_html(text: str) -> str:
    """Returns what a person typed (or the label they pressed) as an HTML fragment."""
    return _text_html(text)


def _buttons_html(buttons: Sequence[tuple[str, str]], say: Say) -> str:
    if not buttons:
        return ""
    items = "".join(
        f'<button type="submit" class="choice" form="chat-form" name="payload" value="{escape(payload)}">'
        f"{escape(label)}</button>"
        for label, payload in buttons
    )
    return f'<div class="choices" role="group" aria-label="{escape(say("web.choices_label"))}">{items}</div>'


def entry_html(entry: Entry, say: Say, with_buttons: bool) -> str:
    """Returns one transcript line as it sits in the log, buttons included when they still apply."""
    who, css = ("web.you_said", "person") if entry.by_person else ("web.bot_said", "bot")
    buttons = _buttons_html(entry.buttons, say) if with_buttons else ""
    return (
        f'<div class="message {css}"><span class="visually-hidden">{escape(say(who))}: </span>'
        f'<div class="bubble">{entry.html}</div>{buttons}</div>'
    )


def _layout(parts: PageParts, title: str, body: str, current: str) -> str:
    say = parts.say
    head = (
        f'<!DOCTYPE html><html lang="{escape(say("web.lang"))}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} - {escape(parts.service)}</title>"
        f'<meta name="csrf-token" content="{escape(parts.csrf)}">'
        '<link rel="stylesheet" href="/static/style.css">'
        '<script src="/static/chat.js" defer></script></head>'
    )
    if parts.embed:
        return f'{head}<body class="embed"><main id="main">{body}</main></body></html>'
    nav = "".join(
        f'<li><a href="{href}"{CURRENT if href == current else ""}>{escape(say(key))}</a></li>'
        for href, key in (("/", "web.nav_chat"), ("/compare", "web.nav_compare"))
    )
    return (
        f'{head}<body><a class="skip-link" href="#main">{escape(say("web.skip_link"))}</a>'
        f'<header class="header"><div class="width"><a class="service" href="/">{escape(parts.service)}</a>'
        f'<nav aria-label="{escape(say("web.nav_label"))}"><ul>{nav}</ul></nav></div></header>'
        f'<div class="width"><p class="cookie-notice">{escape(say("web.cookie_notice"))}</p>'
        f'<main id="main">{body}</main></div>'
        f'<footer class="footer"><div class="width"><p>{escape(say("web.footer"))}</p></div></footer>'
        "</body></html>"
    )


def chat_page(parts: PageParts, transcript: Sequence[Entry], max_chars: int) -> str:
    """Returns the chat page: the transcript so far and a form that works with or without JavaScript."""
    say = parts.say
    last_bot = max((i for i, e in enumerate(transcript) if not e.by_person), default=-1)
    lines = "".join(entry_html(e, say, i == last_bot) for i, e in enumerate(transcript))
    action = "/embed" if parts.embed else "/chat"
    body = (
        f"<h1>{escape(say('web.chat_title'))}</h1>"
        f'<p class="intro">{escape(say("web.chat_intro"))}</p>'
        f'<div id="transcript" class="transcript" role="log" aria-live="polite" '
        f'aria-label="{escape(say("web.transcript_label"))}" tabindex="-1">{lines}</div>'
        f'<p id="status" class="status" role="status"></p>'
        f'<form id="chat-form" class="chat-form" method="post" action="{action}" data-api="/api/chat" '
        f'data-you="{escape(say("web.you_said"))}" data-bot="{escape(say("web.bot_said"))}" '
        f'data-choices="{escape(say("web.choices_label"))}" data-sending="{escape(say("web.sending"))}" '
        f'data-failed="{escape(say("web.send_failed"))}">'
        f'<input type="hidden" name="csrf" value="{escape(parts.csrf)}">'
        f'<label for="text">{escape(say("web.input_label"))}</label>'
        f'<p id="text-hint" class="hint">{escape(say("web.input_hint", max=max_chars))}</p>'
        f'<div class="row"><textarea id="text" name="text" rows="2" maxlength="{max_chars}" '
        f'aria-describedby="text-hint" autocomplete="off"></textarea>'
        f'<button type="submit" class="button" name="send" value="1">{escape(say("web.send"))}</button></div>'
        "</form>"
        f'<noscript><p class="hint">{escape(say("web.no_script_note"))}</p></noscript>'
    )
    return _layout(parts, say("web.chat_title"), body, "/")


def error_page(parts: PageParts, title_key: str, text_key: str, **params: object) -> str:
    """Returns a plain page saying what went wrong and where to go next."""
    say = parts.say
    body = f"<h1>{escape(say(title_key))}</h1><p>{escape(say(text_key, **params))}</p>"
    return _layout(parts, say(title_key), body, "")


# The compare page


def compare_page(
    parts: PageParts,
    request: CompareRequest,
    subjects: Iterable[tuple[str, str]],
    result: Comparison | None,
    max_miles: int,
) -> str:
    """Returns the compare page: the form (with any problems) and, once complete, the shortlist."""
    say = parts.say
    problems = result.problems if result is not None else ()
    body = (
        f'<h1>{escape(say("web.compare_title"))}</h1><p class="intro">{escape(say("web.compare_intro"))}</p>'
    )
    if problems:
        body += _error_summary(say, problems)
    # The answer comes before the form that asked for it, so it is the first thing read after the heading.
    if result is not None and not problems:
        body += _results(say, result)
    body += _compare_form(say, request, subjects, problems, max_miles)
    title = say("web.compare_title")
    if problems:
        title = f"{say('web.compare_errors_title')}: {title}"
    return _layout(parts, title, body, "/compare")


def _problem_text(say: Say, problem: FormProblem) -> str:
    return say(problem.key, **dict(problem.params))


def _error_summary(say: Say, problems: Sequence[FormProblem]) -> str:
    items = "".join(
        f'<li><a href="#{_field_id(p.field)}">{escape(_problem_text(say, p))}</a></li>' for p in problems
    )
    return (
        '<div class="error-summary" role="alert" tabindex="-1" id="error-summary">'
        f"<h2>{escape(say('web.compare_errors_title'))}</h2><ul>{items}</ul></div>"
    )


def _field_id(name: str) -> str:
    return "phase-primary" if name == "phase" else name


def _field_error(say: Say, name: str, problems: Sequence[FormProblem]) -> str:
    for problem in problems:
        if problem.field == name:
            return f'<p id="{name}-error" class="error">{escape(_problem_text(say, problem))}</p>'
    return ""


def _described(name: str, error: str) -> str:
    return f"{name}-hint {name}-error" if error else f"{name}-hint"


def _compare_form(
    say: Say,
    request: CompareRequest,
    subjects: Iterable[tuple[str, str]],
    problems: Sequence[FormProblem],
    max_miles: int,
) -> str:
    place_error = _field_error(say, "place", problems)
    subject_error = _field_error(say, "subject", problems)
    phase_error = _field_error(say, "phase", problems)
    miles_error = _field_error(say, "miles", problems)
    options = f'<option value="">{escape(say("web.compare_subject_any"))}</option>' + "".join(
        f'<option value="{escape(sid)}"{SELECTED if sid == request.subject else ""}>{escape(name)}</option>'
        for sid, name in subjects
    )
    radios = "".join(
        f'<div class="radio"><input type="radio" id="phase-{p.value}" name="phase" value="{p.value}"'
        f"{' checked' if request.phase == p.value else ''}>"
        f'<label for="phase-{p.value}">{escape(say(f"web.compare_phase_{p.value}"))}</label></div>'
        for p in PHASES
    )
    phase_described = ' aria-describedby="phase-error"' if phase_error else ""
    return (
        '<form class="compare-form" method="get" action="/compare" novalidate>'
        f'<div class="field"><label for="place">{escape(say("web.compare_place_label"))}</label>'
        f'<p id="place-hint" class="hint">{escape(say("web.compare_place_hint"))}</p>{place_error}'
        f'<input type="text" id="place" name="place" value="{escape(request.place)}" '
        f'autocomplete="postal-code" aria-describedby="{_described("place", place_error)}"></div>'
        f'<div class="field"><label for="subject">{escape(say("web.compare_subject_label"))}</label>'
        f'<p id="subject-hint" class="hint">{escape(say("web.compare_subject_hint"))}</p>{subject_error}'
        f'<select id="subject" name="subject" aria-describedby="{_described("subject", subject_error)}">'
        f"{options}</select></div>"
        f'<fieldset class="field"{phase_described}><legend>{escape(say("web.compare_phase_label"))}</legend>'
        f"{phase_error}{radios}</fieldset>"
        f'<div class="field"><label for="miles">{escape(say("web.compare_miles_label"))}</label>'
        f'<p id="miles-hint" class="hint">{escape(say("web.compare_miles_hint", max=max_miles))}</p>'
        f"{miles_error}"
        f'<input type="text" inputmode="numeric" id="miles" name="miles" class="short" '
        f'value="{escape(request.miles)}" aria-describedby="{_described("miles", miles_error)}"></div>'
        f'<button type="submit" class="button">{escape(say("web.compare_submit"))}</button></form>'
    )


def _route_html(route: RouteLine) -> str:
    lines = "".join(f"<li>{escape(line)}</li>" for line in (*route.reasons, *route.money))
    return f"<li><h4>{escape(route.name)}</h4><ul class='bullets'>{lines}</ul></li>"


def _results(say: Say, result: Comparison) -> str:
    notices = "".join(f'<p class="notice">{escape(n)}</p>' for n in result.notices)
    routes = "".join(_route_html(r) for r in result.routes)
    html = (
        f'<section class="results" aria-labelledby="results-title" id="results">'
        f'<h2 id="results-title" tabindex="-1">{escape(say("web.compare_results"))}</h2>{notices}'
        f'<h3>{escape(say("web.compare_routes_heading"))}</h3><ol class="routes">{routes}</ol>'
    )
    if result.closed:
        closed = "".join(_route_html(r) for r in result.closed)
        html += f'<h3>{escape(say("web.compare_closed_heading"))}</h3><ul class="routes closed">{closed}</ul>'
    html += _providers_html(say, result)
    if result.notes:
        notes = "".join(f"<li>{escape(n)}</li>" for n in result.notes)
        html += f'<h3>{escape(say("web.compare_notes_heading"))}</h3><ul class="bullets">{notes}</ul>'
    method = "".join(_text_html(text) for text in result.method)
    html += (
        f'<p><a class="button" href="/">{escape(say("web.compare_carry_on"))}</a></p>'
        f'<p class="hint">{escape(say("web.compare_carry_on_hint"))}</p>'
        f"<details><summary>{escape(say('web.compare_how_heading'))}</summary>{method}</details></section>"
    )
    return html


def _providers_html(say: Say, result: Comparison) -> str:
    where = {"miles": result.miles, "place": result.place}
    if not result.providers:
        return f"<h3>{escape(say('web.compare_providers_heading', **where))}</h3>" + (
            f"<p>{escape(say('web.compare_providers_none', **where))}</p>"
        )
    items = "".join(
        f'<li class="provider" data-provider="{escape(p.provider_id)}">'
        f'<h4><a href="{escape(p.website)}" rel="noopener noreferrer">{escape(p.title)}</a></h4>'
        f"<p>{escape(p.distance)}</p><p>{escape(p.offers)}</p></li>"
        for p in result.providers
    )
    html = (
        f"<h3>{escape(say('web.compare_providers_heading', **where))}</h3><ol class='providers'>{items}</ol>"
    )
    if result.more_providers:
        html += f"<p>{escape(say('web.compare_more_providers', count=result.more_providers))}</p>"
    return html
