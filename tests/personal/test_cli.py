"""The personal commands as operators run them: a fresh process for the main path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperfeed.cli import main
from paperfeed.store import open_store
from tests.personal.conftest import EQUIVARIANT, fill_demo_store

LIBRARY = Path(__file__).parents[1] / "fixtures" / "personal" / "library"


def paperfeed(store_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "paperfeed", "--db", store_url, *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture
def demo_url(store_url: str) -> str:
    with open_store(store_url) as store:
        fill_demo_store(store)
    return store_url


def test_import_then_for_you_lists_the_library_s_neighbours_with_reasons(demo_url: str) -> None:
    imported = paperfeed(
        demo_url, "library", "import", "ada@example.org", str(LIBRARY / "library.bib"), "--json"
    )
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout) == {
        "matched": 3,
        "unmatched": ["A Treatise on Papers Nobody Stored"],
    }
    listed = paperfeed(
        demo_url, "for-you", "ada@example.org", "--since", "2000-01-01", "--limit", "5", "--json"
    )
    assert listed.returncode == 0, listed.stderr
    papers = json.loads(listed.stdout)
    assert papers[0]["id"] == EQUIVARIANT[2]
    assert set(papers[0]) == {"id", "title", "score", "reasons"}
    assert any("which is in your library" in r for r in papers[0]["reasons"])
    assert not {p["id"] for p in papers} & {EQUIVARIANT[0], EQUIVARIANT[1], EQUIVARIANT[3]}


def test_rate_follow_unfollow_and_their_errors(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", demo_url)
    monkeypatch.delenv("PAPERFEED_CONFIG", raising=False)
    cli = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = cli.invoke(main, list(args), catch_exceptions=False)
        return result.exit_code, result.output

    assert run("follow", "bo@example.org", "--author", "N. Prakriya")[0] == 0
    code, out = run("for-you", "bo@example.org", "--limit", "1", "--explain")
    assert code == 0 and "Arbor" in out and "by Neha Prakriya, whom you follow" in out
    assert run("rate", "bo@example.org", "arXiv:2606.12563v1", "less") == (
        0,
        "rated 2606.12563: less\n",
    )
    assert "Arbor" not in run("for-you", "bo@example.org", "--limit", "50")[1]
    assert run("unfollow", "bo@example.org", "--author", "Neha Prakriya")[0] == 0

    code, out = run("unfollow", "bo@example.org", "--author", "Neha Prakriya")
    assert code == 1 and "does not follow" in out
    code, out = run("follow", "bo@example.org", "--author", "A", "--topic", "B")
    assert code == 2 and "exactly one" in out
    code, out = run("rate", "bo@example.org", "2501.99999", "more")
    assert code == 1 and "no paper 2501.99999" in out
    code, out = run("rate", "not-an-address", "2606.12563", "more")
    assert code == 1 and "not a valid email address" in out
    code, out = run(
        "library", "import", "bo@example.org", str(LIBRARY / "library.ris"), "--format", "bibtex"
    )
    assert code == 1 and "no entries found in the file (read as bibtex)" in out


def test_token_create_prints_a_working_token_once_and_revoke_kills_it(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from paperfeed.personal.tokens import token_account

    monkeypatch.setenv("PAPERFEED_DATABASE_URL", demo_url)
    monkeypatch.delenv("PAPERFEED_CONFIG", raising=False)
    cli = CliRunner()
    made = cli.invoke(main, ["token", "create", "cy@example.org", "--kind", "api"])
    assert made.exit_code == 0, made.output
    token = made.output.strip()
    feed = cli.invoke(main, ["token", "create", "cy@example.org", "--kind", "feed"])
    assert "/for-you/feed/pff_" in feed.output
    with open_store(demo_url) as store:
        account = store.account_id("cy@example.org")
        assert account is not None
        assert token_account(store, "api", token) == account
        assert token_account(store, "feed", token) is None
    revoked = cli.invoke(main, ["token", "revoke", "cy@example.org", "--kind", "api"])
    assert revoked.output == "revoked 1 api token\n"
    with open_store(demo_url) as store:
        assert token_account(store, "api", token, now=datetime.now(UTC)) is None
