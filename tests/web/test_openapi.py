"""The OpenAPI document tells the truth: schemathesis, every check, against a real server.

``paperfeed serve`` on a small store; schemathesis generates requests from
``/openapi.json`` (valid ones must be served, invalid ones refused, every status and
media type must be declared, every body must match its schema). A fixed seed and a
small number of examples per operation keep it quick and reproducible; a failure
prints schemathesis's report with a curl line that replays it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from paperfeed.store import open_store
from tests.web.conftest import sample_papers
from tests.web.live_server import serve_process

CONFIG = Path(__file__).parent / "schemathesis.toml"
EXAMPLES = 10
SEED = 1

pytest.importorskip("paperfeed.search")


@pytest.mark.slow
def test_schemathesis_finds_nothing_the_document_does_not_declare(
    tmp_path: Path, store_url: str
) -> None:
    store = open_store(store_url)
    try:
        store.upsert_papers(sample_papers(), source="jsonl")
    finally:
        store.close()
    schemathesis = Path(sys.executable).with_name("schemathesis")
    with serve_process(tmp_path / "var", store_url, PAPERFEED_DIGEST_SCHEDULER="0") as server:
        run = subprocess.run(
            [
                str(schemathesis),
                "--config-file",
                str(CONFIG),
                "run",
                f"{server.base}/openapi.json",
                "--checks",
                "all",
                "--max-examples",
                str(EXAMPLES),
                "--seed",
                str(SEED),
                "--no-color",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    server_log = server.stderr.decode("utf-8", "replace")[-4000:]
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:] + server_log
    assert " passed" in run.stdout
