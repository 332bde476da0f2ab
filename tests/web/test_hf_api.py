"""Hugging Face compatible endpoints: huggingface.co's shapes, and its real client."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError
from starlette.testclient import TestClient

from paperfeed.config import Settings
from paperfeed.store import PaperStore
from paperfeed.web import create_app
from tests.web.conftest import SECRET
from tests.web.live_server import live_server

FIXTURE = Path(__file__).parents[1] / "fixtures" / "hf_daily_papers" / "hf_daily_papers.json"


def hf_example(key: str, nested: bool) -> object:
    """The value Hugging Face gave ``key`` in the first recorded item that has it."""
    items = json.loads(FIXTURE.read_text())
    return next(
        (i["paper"] if nested else i)[key] for i in items if key in (i["paper"] if nested else i)
    )


def test_daily_items_have_huggingface_field_names_and_types(client: TestClient) -> None:
    ours = client.get("/api/daily_papers?date=2026-03-12&sort=trending").json()[0]
    for key in ("paper", "publishedAt", "title", "summary", "numComments", "isAuthorParticipating"):
        assert type(ours[key]) is type(hf_example(key, nested=False)), key
    for key in (
        "id",
        "authors",
        "publishedAt",
        "title",
        "summary",
        "upvotes",
        "ai_summary",
        "ai_keywords",
        "githubRepo",
        "githubStars",
        "projectPage",
        "organization",
        "submittedOnDailyAt",
    ):
        assert type(ours["paper"][key]) is type(hf_example(key, nested=True)), key
    assert ours["paper"]["authors"][0] == {"name": "Ziwei Zhang", "hidden": False}
    assert ours["paper"]["publishedAt"] == "2021-12-23T00:00:00.000Z"
    assert ours["publishedAt"] == "2026-03-12T00:00:00.000Z"  # the day it was featured
    assert ours["submittedBy"]["name"] == "akhaliq"
    assert ours["organization"]["name"] == "example-lab"


def test_daily_papers_parameters(client: TestClient) -> None:
    def get(**params: object) -> list[str]:
        return [i["paper"]["id"] for i in client.get("/api/daily_papers", params=params).json()]

    assert get(date="2026-03-12", sort="trending") == ["2603.01001", "2603.01003", "2603.01002"]
    assert len(get(week="2026-W11")) == 4 and len(get(month="2026-03")) == 5
    assert get(limit=2, p=0) + get(limit=2, p=1) + get(limit=2, p=2) == get(limit=6)
    assert get(submitter="akhaliq", date="2026-03-12", sort="trending") == [
        "2603.01001",
        "2603.01003",
    ]
    assert client.get("/api/daily_papers?date=03-12-2026").status_code == 422
    assert client.get("/api/daily_papers?sort=votes").status_code == 422
    assert client.get("/api/daily_papers?p=-1").status_code == 422


def test_paper_endpoint_is_the_flat_paper_object(client: TestClient) -> None:
    paper = client.get("/api/papers/2603.01001").json()
    assert paper["id"] == "2603.01001" and paper["upvotes"] == 42
    assert paper["githubRepo"] == "https://github.com/example-lab/TinvNN"
    assert client.get("/api/papers/2603.09999").status_code == 404
    listed = client.get("/api/papers", params={"limit": 2}).json()
    assert [i["paper"]["id"] for i in listed] == ["2603.01003", "2603.01002"]


def test_huggingface_hub_client_reads_our_papers(
    filled_store: PaperStore, settings: Settings
) -> None:
    app = create_app(settings, store=filled_store, with_search=False, secret_key=SECRET)
    with live_server(app) as url:
        api = HfApi(endpoint=url, token=False)
        daily = list(api.list_daily_papers(date="2026-03-12", sort="trending"))
        assert [p.id for p in daily] == ["2603.01001", "2603.01003", "2603.01002"]
        first = daily[0]
        assert first.upvotes == 42 and first.title.startswith("Revisiting")
        assert first.authors is not None and first.authors[0].name == "Ziwei Zhang"
        assert first.submitted_at is not None and first.submitted_at.day == 12
        assert first.organization is not None
        assert len(list(api.list_daily_papers(week="2026-W11"))) == 4
        info = api.paper_info("2603.01001")
        assert info.title.startswith("Revisiting Transformation") and info.upvotes == 42
        assert info.github_repo == "https://github.com/example-lab/TinvNN"
        assert info.ai_keywords == ["invariance", "point clouds"]
        assert info.published_at is not None and info.published_at.year == 2021
        assert api.paper_info("hep-th/9108028").id == "hep-th/9108028"
        with pytest.raises(HfHubHTTPError):
            api.paper_info("2603.09999")
        with pytest.raises(HfHubHTTPError):  # no search service installed: 503
            list(api.list_papers(query="invariance"))
