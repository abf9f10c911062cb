"""A real headless Chromium (Debian's, through its chromedriver) and the axe-core accessibility check."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
WAIT = 15.0
# axe-core's own rule tags for WCAG 2.0, 2.1 and 2.2 at levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _missing(what: str) -> None:
    # CI installs both; a CI run without them must fail rather than pass by skipping.
    if os.environ.get("CI"):
        pytest.fail(f"{what} is not installed, and CI must run the browser tests")
    pytest.skip(f"{what} is not installed")


def axe_script() -> str:
    """Returns axe.min.js from AXE_CORE_JS or a node_modules folder here or in the temp folder."""
    places = [os.environ.get("AXE_CORE_JS", "")]
    places += [str(Path(p) / "node_modules/axe-core/axe.min.js") for p in (Path.cwd(), tempfile.gettempdir())]
    places.append(str(Path(tempfile.gettempdir()) / "axe/node_modules/axe-core/axe.min.js"))
    for place in places:
        if place and Path(place).is_file():
            return Path(place).read_text(encoding="utf-8")
    _missing("axe-core (npm install axe-core, or set AXE_CORE_JS)")
    raise AssertionError("unreachable")


class Browser:
    """One headless Chromium with a fresh profile; records console messages for the test to check."""

    def __init__(self, javascript: bool = True, width: int = 1024, height: int = 900) -> None:
        if not CHROMIUM.is_file() or not CHROMEDRIVER.is_file():
            _missing("Debian's chromium and chromium-driver")
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.profile = tempfile.TemporaryDirectory(prefix="careers-bot-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in (
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
            f"--user-data-dir={self.profile.name}",
            f"--window-size={width},{height}",
        ):
            options.add_argument(flag)
        if not javascript:
            options.add_experimental_option(
                "prefs", {"profile.managed_default_content_settings.javascript": 2}
            )
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
        self.driver.implicitly_wait(0)
        self.console: list[dict[str, Any]] = []

    def open(self, url: str) -> None:
        """Loads a page and waits until it has loaded."""
        self.driver.get(url)
        self.wait_for(lambda: self.driver.execute_script("return document.readyState") == "complete")

    def wait_for(self, condition: Callable[[], Any], timeout: float = WAIT) -> Any:
        """Waits until condition() gives something true, and returns it; a page changing under it retries."""
        from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

        deadline = time.monotonic() + timeout
        while True:
            try:
                found = condition()
            except (StaleElementReferenceException, NoSuchElementException):
                found = None
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError("the page did not get there in time")
            time.sleep(0.05)

    def click_and_load(self, element: Any) -> None:
        """Clicks something that loads a new page, and waits until the new page has replaced the old one."""
        from selenium.common.exceptions import StaleElementReferenceException

        old = self.driver.find_element("tag name", "html")
        element.click()

        def replaced() -> bool:
            try:
                old.tag_name  # noqa: B018 - asking anything of an element of a page that is gone raises
            except StaleElementReferenceException:
                return True
            return False

        self.wait_for(replaced)
        self.wait_for(lambda: self.driver.execute_script("return document.readyState") == "complete")

    def css(self, selector: str) -> list[Any]:
        """Returns the elements matching a CSS selector."""
        from selenium.webdriver.common.by import By

        return list(self.driver.find_elements(By.CSS_SELECTOR, selector))

    def console_errors(self) -> list[str]:
        """Returns the console's errors (script errors, CSP violations, failed loads) since the last call."""
        self.console += self.driver.get_log("browser")
        errors = [entry["message"] for entry in self.console if entry.get("level") == "SEVERE"]
        self.console = []
        return errors

    def axe(self, disabled: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        """Runs axe-core on the page and returns its serious and critical violations."""
        self.driver.execute_script(axe_script())
        options = {
            "runOnly": {"type": "tag", "values": WCAG_TAGS},
            "rules": {r: {"enabled": False} for r in disabled},
        }
        raw = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, arguments[0]).then(r => done(JSON.stringify(r.violations)))"
            ".catch(e => done(JSON.stringify([{id: 'axe-error', impact: 'critical', help: String(e)}])));",
            options,
        )
        violations: list[dict[str, Any]] = json.loads(raw)
        return [
            {"id": v["id"], "impact": v["impact"], "help": v.get("help"), "nodes": len(v.get("nodes", []))}
            for v in violations
            if v.get("impact") in ("serious", "critical")
        ]

    def quit(self) -> None:
        """Closes the browser and removes its profile."""
        try:
            self.driver.quit()
        finally:
            self.profile.cleanup()
