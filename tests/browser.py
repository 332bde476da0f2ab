"""Real headless Chromium (Debian's package) driven by Playwright, for the browser tests.

Every page a test opens records console errors and page errors; the test fails at the
end if any appeared (a CSP violation, a failed asset, a script error).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parents[1] / "test-artifacts" / "screenshots"
# Headless, and no background traffic: this machine's network is closed.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@contextmanager
def chromium_page(profile: Path) -> Iterator[Any]:
    """A fresh browser profile and one tab; raises at the end if the pages reported errors."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with playwright_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=ARGS, viewport=DESKTOP
        )
        tab = context.pages[0] if context.pages else context.new_page()
        tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        tab.on("pageerror", lambda e: problems.append(str(e)))
        tab.problems = problems
        try:
            yield tab
        finally:
            context.close()
    assert not problems, problems  # no CSP violation, no failed asset, no script error


def shoot(page: Any, name: str) -> None:
    """Screenshots at phone and desktop widths, light and dark, kept as test artefacts."""
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        for scheme in ("light", "dark"):
            page.set_viewport_size(size)
            page.emulate_media(color_scheme=scheme)
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}-{scheme}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    page.emulate_media(color_scheme="light")
