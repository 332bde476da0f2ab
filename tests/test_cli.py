"""The command line, end to end: real store files, real HTTP servers on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from paperfeed.cli import main
from paperfeed.ingest.cli import EXIT_NOTHING_NEW
from tests.recorded_server import RecordedServer, Reply

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def cli(store_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", store_url)
    monkeypatch.setenv("PAPERFEED_ARXIV_REQUEST_INTERVAL", "0")
    monkeypatch.setenv("PAPERFEED_HF_REQUEST_INTERVAL", "0")
    monkeypatch.delenv("PAPERFEED_CONFIG", raising=False)
    return CliRunner()


def invoke(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(main, list(args), catch_exceptions=False)


def test_run_loads_the_demo_once_and_shows_the_latest_day(cli: CliRunner) -> None:
    first = invoke(cli, "run", "--no-serve")
    assert first.exit_code == 0, first.output
    assert "loading the demo" in first.output
    assert "Hugging Face daily papers of 2026-06-12" in first.output
    assert "Papers of 2026-06-12" in first.output
    second = invoke(cli, "run", "--no-serve")
    assert "loading the demo" not in second.output
    stats = json.loads(invoke(cli, "stats", "--json").output)
    assert stats["papers"] == 344
    assert stats["with_hf"] == 30
    assert stats["latest_day"] == "2026-06-12"
    assert stats["by_source"] == {"jsonl": 344, "hf-daily": 30}


def test_papers_show_and_list(cli: CliRunner) -> None:
    invoke(cli, "ingest", "demo", "--no-embed")
    shown = invoke(cli, "papers", "show", "arXiv:2112.12345v1")
    assert "Revisiting Transformation Invariant Geometric Deep Learning" in shown.output
    data = json.loads(
        invoke(cli, "papers", "show", "https://arxiv.org/abs/2112.12345", "--json").output
    )
    assert data["id"] == "2112.12345"
    assert data["links"]["abs"] == "https://arxiv.org/abs/2112.12345"
    assert data["authors"][0] == {"name": "Ziwei Zhang"}
    listed = json.loads(invoke(cli, "papers", "list", "--date", "2026-06-12", "--json").output)
    assert listed and all(p["announced"] == "2026-06-12" for p in listed)
    by_category = json.loads(
        invoke(cli, "papers", "list", "--category", "cs.CL", "--limit", "3", "--json").output
    )
    assert len(by_category) == 3 and all("cs.CL" in p["categories"] for p in by_category)


def test_errors_are_one_line_and_non_zero(cli: CliRunner) -> None:
    missing = invoke(cli, "papers", "show", "2401.00001")
    assert missing.exit_code == 1
    assert missing.output.strip() == "Error: no paper 2401.00001 in the store"
    bad = invoke(cli, "papers", "show", "not-an-id")
    assert bad.exit_code == 1
    assert "not an arXiv identifier" in bad.output
    assert invoke(cli, "ingest", "arxiv-api").exit_code == 2


def test_bad_database_url_is_a_clear_error(cli: CliRunner) -> None:
    result = invoke(cli, "--db", "mysql://x/y", "stats")
    assert result.exit_code == 1
    assert "unsupported database URL" in result.output


def test_db_option_after_the_command(cli: CliRunner, new_store_url: Callable[[str], str]) -> None:
    other = new_store_url("other.db")
    invoke(cli, "ingest", "demo", "--no-embed", "--db", other)
    assert json.loads(invoke(cli, "stats", "--json", "--db", other).output)["papers"] == 344
    assert json.loads(invoke(cli, "stats", "--json").output)["papers"] == 0


def test_db_migrate_reports_the_schema(cli: CliRunner) -> None:
    result = json.loads(invoke(cli, "db", "migrate", "--json").output)
    assert result["applied"][0] == {"version": 1, "name": "papers"}
    assert json.loads(invoke(cli, "db", "migrate", "--json").output)["applied"] == []


def test_ingest_exit_status_tells_whether_anything_arrived(
    cli: CliRunner, recorded_server: RecordedServer
) -> None:
    feed = (FIXTURES / "arxiv_rss" / "arxiv_cs_ai.xml").read_bytes()
    recorded_server.add("/rss/cs.AI", Reply(feed))
    args = (
        "ingest",
        "arxiv-rss",
        "cs.AI",
        "--base-url",
        recorded_server.url,
        "--json",
        "--no-embed",
    )
    first = invoke(cli, *args)
    assert first.exit_code == 0
    assert json.loads(first.output)["inserted"] == 3
    again = invoke(cli, *args)
    assert again.exit_code == EXIT_NOTHING_NEW
    assert json.loads(again.output)["inserted"] == 0


def test_ingest_base_url_from_the_environment(
    cli: CliRunner, recorded_server: RecordedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    daily = (FIXTURES / "hf_daily_papers" / "hf_daily_papers.json").read_bytes()
    recorded_server.add("/api/daily_papers", Reply(daily), query={"date": "2026-06-12", "p": "0"})
    monkeypatch.setenv("PAPERFEED_HF_URL", recorded_server.url)
    result = invoke(
        cli, "ingest", "hf-daily", "--since", "2026-06-12", "--until", "2026-06-12", "--no-embed"
    )
    assert result.exit_code == 0, result.output
    assert "30 new" in result.output
    stats = json.loads(invoke(cli, "stats", "--json").output)
    assert stats["with_hf"] == 30


def test_upstream_failure_is_one_line_naming_the_source(
    cli: CliRunner, recorded_server: RecordedServer
) -> None:
    recorded_server.add("/rss/cs.AI", Reply(b"<rss><channel><item>", status=200))
    result = invoke(cli, "ingest", "arxiv-rss", "cs.AI", "--base-url", recorded_server.url)
    assert result.exit_code == 1
    assert result.output.startswith("Error: arxiv-rss: ")
    assert len(result.output.strip().splitlines()) == 1


def test_jsonl_bad_line_names_file_and_line(cli: CliRunner, tmp_path: Path) -> None:
    dump = tmp_path / "dump.jsonl"
    dump.write_text('{"id": "2401.00001", "title": "A", "abstract": "B", "authors": []}\n{oops\n')
    result = invoke(cli, "ingest", "jsonl", str(dump), "--no-embed")
    assert result.exit_code == 1
    assert f"{dump}:2" in result.output
    assert json.loads(invoke(cli, "stats", "--json").output)["papers"] == 1


def test_console_script_runs_as_a_real_process(store_url: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "paperfeed", "--db", store_url, "stats", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["papers"] == 0


def test_ingest_embeds_what_it_stored(cli: CliRunner, tmp_path: Path) -> None:
    dump = tmp_path / "dump.jsonl"
    dump.write_text(
        '{"id": "2401.00001", "title": "Equivariant graph networks", "abstract": "We study'
        ' rotation equivariance in message passing.", "authors": ["A. Author"]}\n'
    )
    assert invoke(cli, "ingest", "jsonl", str(dump)).exit_code == 0
    status = json.loads(invoke(cli, "index", "status", "--json").output)
    [generation] = status["generations"]
    assert generation["embedded"] == 1


def test_help_everywhere(cli: CliRunner) -> None:
    for args in (
        ["--help"],
        ["ingest", "--help"],
        ["ingest", "jsonl", "--help"],
        ["papers", "list", "--help"],
        ["db", "migrate", "--help"],
    ):
        result = invoke(cli, *args)
        assert result.exit_code == 0 and "Usage:" in result.output


def test_every_command_is_listed_and_loads(cli: CliRunner) -> None:
    listed = invoke(cli, "--help").output
    for name in ("search", "similar", "index", "serve", "mail", "digest", "trending", "github"):
        assert f"  {name} " in listed
        assert invoke(cli, name, "--help").exit_code == 0
    assert invoke(cli, "db", "copy", "--help").exit_code == 0


@pytest.mark.sqlite_only
def test_a_command_imports_only_what_it_runs(tmp_path: Path) -> None:
    # The web app, digests, the community and the ingest code (and its HTTP client) stay
    # unimported by `stats`: they are most of a command's start-up time.
    code = (
        "import sys\n"
        "from paperfeed.cli import main\n"
        f"main(['--db', 'sqlite:///{tmp_path / 'p.db'}', 'stats'], standalone_mode=False)\n"
        "heavy = ('paperfeed.web.cli', 'paperfeed.digest.cli', 'paperfeed.community.cli',"
        " 'paperfeed.ingest.cli', 'httpx')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
