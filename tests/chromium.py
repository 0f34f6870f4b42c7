"""Headless Debian chromium for the browser tests: one context manager instead of the launch dance."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from .test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

SCREEN_WIDTHS = (600, 375)  # a desktop mail column and a phone: every page is looked at in both


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A launched browser (closed at the end); screenshots go to ARTIFACTS."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def shoot(browser: Any, url: str, name: str) -> list[Any]:
    """Open ``url`` at each of SCREEN_WIDTHS, screenshot it as ARTIFACTS/<name>-<width>.png and
    check nothing is wider than the screen; the pages, still open, for more checks."""
    pages = []
    for width in SCREEN_WIDTHS:
        page = browser.new_page(viewport={"width": width, "height": 800})
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") == width, f"{url} at {width} px"
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
        pages.append(page)
    return pages
