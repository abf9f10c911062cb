"""The web pages in a real headless Chromium: chat, buttons, reloading, the compare page, accessibility."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from browser import Browser
from webserver import WebServer

from tests.ports import free_port


@pytest.fixture
def browser() -> Iterator[Browser]:
    """A headless Chromium with JavaScript; the test fails if the page logged any console error."""
    chromium = Browser()
    yield chromium
    try:
        assert chromium.console_errors() == []
    finally:
        chromium.quit()


@pytest.fixture
def plain_browser() -> Iterator[Browser]:
    """A headless Chromium with JavaScript turned off."""
    chromium = Browser(javascript=False)
    yield chromium
    try:
        assert chromium.console_errors() == []
    finally:
        chromium.quit()


def bot_lines(browser: Browser) -> list[str]:
    return [line.text for line in browser.css("#transcript .message.bot .bubble")]


def person_lines(browser: Browser) -> list[str]:
    return [line.text for line in browser.css("#transcript .message.person .bubble")]


def ask(browser: Browser, text: str) -> None:
    """Types a question in the labelled box and presses Enter, then waits for the answer."""
    from selenium.webdriver.common.keys import Keys

    before = len(bot_lines(browser))
    box = browser.driver.find_element("id", "text")
    box.send_keys(text, Keys.ENTER)
    browser.wait_for(lambda: len(bot_lines(browser)) > before and not browser.css("#status:not(:empty)"))


def test_ask_press_a_button_and_resume_after_a_reload(web: WebServer, browser: Browser) -> None:
    browser.open(web.url + "/")
    label = browser.driver.find_element("css selector", "label[for=text]")
    assert label.text == "Type your question"
    assert browser.css("#transcript")[0].get_attribute("role") == "log"
    ask(browser, "how much is the physics bursary?")
    answer = bot_lines(browser)[-1]
    assert "£" in answer and "hysics" in answer
    buttons = browser.css("#transcript .choices button")
    assert buttons and all(b.tag_name == "button" for b in buttons)
    pressed = buttons[0].text
    before = len(bot_lines(browser))
    buttons[0].click()
    browser.wait_for(lambda: len(bot_lines(browser)) > before)
    assert person_lines(browser) == ["how much is the physics bursary?", pressed]
    assert browser.driver.switch_to.active_element.get_attribute("id") == "text", "focus goes back to the box"
    shown = bot_lines(browser)
    browser.driver.refresh()
    browser.wait_for(lambda: browser.css("#transcript .message"))
    assert person_lines(browser) == ["how much is the physics bursary?", pressed]
    assert bot_lines(browser) == shown
    assert len(browser.css("#transcript .choices")) == 1, "only the latest reply keeps its buttons"


def test_the_chat_works_without_javascript(web: WebServer, plain_browser: Browser) -> None:
    plain_browser.open(web.url + "/")
    box = plain_browser.driver.find_element("id", "text")
    box.send_keys("can I train with a 2:2 in history")
    plain_browser.click_and_load(
        plain_browser.driver.find_element("css selector", "button.button[name=send]")
    )
    plain_browser.wait_for(lambda: person_lines(plain_browser) == ["can I train with a 2:2 in history"])
    buttons = plain_browser.css("#transcript .choices button")
    pressed = buttons[0].text
    plain_browser.click_and_load(buttons[0])
    plain_browser.wait_for(lambda: len(person_lines(plain_browser)) == 2)
    assert person_lines(plain_browser)[-1] == pressed


def fill_compare(browser: Browser, place: str, subject: str, phase: str) -> None:
    from selenium.webdriver.support.ui import Select

    box = browser.driver.find_element("id", "place")
    box.clear()
    box.send_keys(place)
    if subject:
        Select(browser.driver.find_element("id", "subject")).select_by_visible_text(subject)
    if phase:
        browser.driver.find_element("id", f"phase-{phase}").click()
    browser.click_and_load(browser.driver.find_element("css selector", ".compare-form button[type=submit]"))
    browser.wait_for(lambda: browser.css("#results, #error-summary"))


@pytest.mark.parametrize("javascript", [True, False], ids=["with JavaScript", "without JavaScript"])
def test_compare_routes_near_you(web: WebServer, javascript: bool) -> None:
    chromium = Browser(javascript=javascript)
    try:
        chromium.open(web.url + "/compare")
        fill_compare(chromium, "", "", "")
        summary = chromium.css("#error-summary")[0].text
        assert "postcode or town" in summary and "age group" in summary
        fill_compare(chromium, "Sheffield", "Physics", "secondary")
        # With JavaScript the page is updated in place, so the first error summary may still be showing.
        chromium.wait_for(lambda: chromium.css("#results"))
        routes = chromium.css(".routes > li h4")
        providers = chromium.css(".providers > li")
        assert routes and providers
        assert "Sheffield" in chromium.css("#results")[0].text
        assert chromium.css("#results a[href='/']"), "it links to carry on in the chat"
        assert chromium.console_errors() == []
    finally:
        chromium.quit()


def test_pages_fit_a_320_pixel_screen(web: WebServer) -> None:
    narrow = Browser()
    # A headless window cannot be made narrower than about 500 px; a phone's screen is emulated instead.
    screen = {"width": 320, "height": 640, "deviceScaleFactor": 1, "mobile": True}
    narrow.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", screen)
    try:
        for path in ("/", "/compare?place=BN1&subject=mathematics&phase=secondary", "/compare?place=x"):
            narrow.open(web.url + path)
            inner = narrow.driver.execute_script("return window.innerWidth")
            wide = narrow.driver.execute_script("return document.documentElement.scrollWidth")
            assert inner == 320
            assert wide <= inner, f"{path} scrolls sideways at {inner} px"
        assert narrow.console_errors() == []
    finally:
        narrow.quit()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/embed",
        "/compare",
        "/compare?place=Sheffield&subject=physics&phase=secondary",
        "/compare?place=&phase=",
        "/no-such-page",
    ],
)
def test_axe_finds_no_serious_accessibility_problems(web: WebServer, browser: Browser, path: str) -> None:
    browser.open(web.url + path)
    if path == "/":
        ask(browser, "what is a SCITT")
    if path == "/no-such-page":
        # The browser logs the page's own 404 status; that is what the page is for. Read before axe runs, so
        # that a machine without axe-core skips the test rather than failing its teardown on this line.
        assert all("/no-such-page" in error and "404" in error for error in browser.console_errors())
    assert browser.axe() == []


def test_the_keyboard_reaches_the_skip_link_first_and_the_box_after_the_buttons(
    web: WebServer, browser: Browser
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    browser.open(web.url + "/")
    order: list[str] = []
    for _ in range(12):
        ActionChains(browser.driver).send_keys(Keys.TAB).perform()
        focused = browser.driver.switch_to.active_element
        order.append(focused.get_attribute("id") or focused.get_attribute("class") or focused.tag_name)
    assert order[0] == "skip-link"
    assert order.index("choice") < order.index("text")


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keeps the partner site's request lines out of the test output."""


def test_the_widget_opens_the_chat_on_a_partners_page(tmp_path: Path) -> None:
    port = free_port()
    partner = f"http://127.0.0.1:{port}"
    chromium = Browser()  # skips here when there is no browser, before any server is started
    chat = WebServer(tmp_path / "widget", allowed_origins=[partner])
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(
        '<!DOCTYPE html><html lang="en"><head><title>Partner</title></head><body><h1>Partner</h1>'
        f'<script src="{chat.url}/widget.js" async></script></body></html>',
        encoding="utf-8",
    )
    (site / "favicon.ico").write_bytes(b"")
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        chromium.open(partner + "/index.html")
        toggle = chromium.wait_for(lambda: chromium.css("button[aria-controls=careers-bot-frame]"))[0]
        assert toggle.get_attribute("aria-expanded") == "false"
        toggle.click()
        frame = chromium.wait_for(lambda: chromium.css("#careers-bot-frame"))[0]
        assert toggle.get_attribute("aria-expanded") == "true"
        chromium.driver.switch_to.frame(frame)
        chromium.wait_for(lambda: chromium.css("#transcript .message.bot"))
        ask(chromium, "is the bursary taxed?")
        assert person_lines(chromium) == ["is the bursary taxed?"]
        chromium.driver.switch_to.default_content()
        assert chromium.console_errors() == []
    finally:
        chromium.quit()
        server.shutdown()
        server.server_close()
        chat.stop()
