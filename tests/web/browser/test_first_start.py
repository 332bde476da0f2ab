"""The first five minutes, for real: ``paperfeed run`` on an empty store (what ``make
run`` does on a fresh clone), then the site in headless Chromium. The bundled demo's
Hugging Face day must show as a trending list with its explanation, and only the
demo's last day may wear the "new" badge."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.browser import chromium_page, shoot
from tests.web.live_server import free_port

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def first_start(new_store_url: Callable[[str], str], tmp_path: Path) -> Iterator[str]:
    """``paperfeed run`` in a process of its own on a free port; its base URL once it
    answers (the demo is loaded, indexed and embedded first)."""
    port = free_port()
    env = {**os.environ, "PAPERFEED_VAR_DIR": str(tmp_path / "var")}
    env["PAPERFEED_WEB_PORT"] = str(port)
    command = [sys.executable, "-m", "paperfeed", "--db", new_store_url("first.db"), "run"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            assert time.monotonic() < deadline, "paperfeed run did not start serving"
            try:
                with urllib.request.urlopen(base + "/", timeout=5):
                    break
            except OSError:
                time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=60)


@pytest.fixture
def page(tmp_path: Path, first_start: str) -> Iterator[object]:
    with chromium_page(tmp_path / "profile") as tab:
        yield tab


def test_a_first_start_shows_a_normal_day_and_what_trends(page: object, first_start: str) -> None:
    expect = playwright_api.expect
    page.goto(first_start + "/")  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", level=1)).to_have_text("Friday, June 12, 2026")  # type: ignore[attr-defined]
    cards = page.locator("article.card")  # type: ignore[attr-defined]
    expect(cards).to_have_count(30)
    expect(page.locator("article.card .badge-new")).to_have_count(30)  # type: ignore[attr-defined]
    shoot(page, "first-start-home")
    page.get_by_role("link", name="Thursday, June 11, 2026").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", level=1)).to_have_text("Thursday, June 11, 2026")  # type: ignore[attr-defined]
    expect(page.locator("article.card").first).to_be_visible()  # type: ignore[attr-defined]
    expect(page.locator(".badge-new")).to_have_count(0)  # type: ignore[attr-defined]  # earlier days: not new

    page.get_by_role("link", name="Trending", exact=True).first.click()  # type: ignore[attr-defined]
    expect(page.get_by_role("note")).to_contain_text("half-life 48 hours")  # type: ignore[attr-defined]
    titles = page.locator("article.card .card-title a").all_text_contents()  # type: ignore[attr-defined]
    assert [t.strip() for t in titles[:3]] == [
        "MiniMax Sparse Attention",
        "EvoArena: Tracking Memory Evolution for Robust LLM Agents in Dynamic Environments",
        "Robust-U1: Can MLLMs Self-Recover Corrupted Visual Content for Robust Understanding?",
    ]
    expect(page.locator("article.card")).to_have_count(29)  # type: ignore[attr-defined]
    shoot(page, "first-start-trending")

    page.get_by_role("link", name="MiniMax Sparse Attention").click()  # type: ignore[attr-defined]
    why = page.locator("section.why-trending")  # type: ignore[attr-defined]
    expect(why.get_by_role("heading", name="Why it trends")).to_be_visible()
    expect(why).to_contain_text(
        "From 0 upvotes here, 103 on Hugging Face, 0 saves and 251 GitHub stars gained"
    )
    week = why.get_by_role("row", name="This week").get_by_role("cell").all_text_contents()
    score, here, hugging_face, saves, stars = (float(cell) for cell in week)
    assert (here, saves) == (0, 0) and 100 < hugging_face <= 103 and stars > 0
    assert score == pytest.approx(hugging_face + stars, abs=0.02)
    code = page.locator("a.link-code")  # type: ignore[attr-defined]  # Hugging Face's and the abstract's: one
    expect(code).to_have_count(1)
    expect(code).to_have_attribute("href", "https://github.com/MiniMax-AI/MSA")
    shoot(page, "first-start-paper")
