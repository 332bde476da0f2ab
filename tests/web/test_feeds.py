"""RSS and Atom: valid, stable GUIDs, real dates, hostile text kept as text."""

from __future__ import annotations

import feedparser
from starlette.testclient import TestClient


def parse(client: TestClient, path: str) -> feedparser.FeedParserDict:
    response = client.get(path)
    assert response.status_code == 200, path
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, (path, parsed.get("bozo_exception"))
    return parsed


def test_today_feeds_are_valid_rss_and_atom(client: TestClient) -> None:
    rss = parse(client, "/feeds/today.rss")
    atom = parse(client, "/feeds/today.atom")
    assert rss.version == "rss20" and atom.version == "atom10"
    for feed in (rss, atom):
        assert [e.id for e in feed.entries] == [
            "https://arxiv.org/abs/2603.01001",
            "https://arxiv.org/abs/2603.01003",
            "https://arxiv.org/abs/2603.01002",
        ]
        first = feed.entries[0]
        assert first.link == "http://testserver/papers/2603.01001"
        assert first.published_parsed[:3] == (2026, 3, 12)
        assert "transformation-invariant" in first.summary


def test_hostile_titles_arrive_as_text(client: TestClient) -> None:
    for path in ("/feeds/today.rss", "/feeds/today.atom"):
        raw = client.get(path).text
        assert "<script>" not in raw
        titles = [e.title for e in parse(client, path).entries]
        assert any(t.startswith("<script>alert('x')</script> Attacks") for t in titles)


def test_guids_are_stable_across_feeds_and_requests(client: TestClient) -> None:
    today = {e.id for e in parse(client, "/feeds/today.rss").entries}
    trending = {e.id for e in parse(client, "/feeds/trending.rss").entries}
    again = {e.id for e in parse(client, "/feeds/today.rss").entries}
    assert today == again and today <= trending


def test_category_feeds(client: TestClient) -> None:
    feed = parse(client, "/feeds/category/hep-th.atom")
    assert [e.id for e in feed.entries] == ["https://arxiv.org/abs/hep-th/9108028"]
    assert feed.entries[0].published_parsed[:3] == (1991, 8, 28)
    assert len(parse(client, "/feeds/category/cs.LG.rss").entries) == 5
    assert client.get("/feeds/category/c$s.rss").status_code == 422  # not a category


def test_feed_errors(client: TestClient) -> None:
    assert client.get("/feeds/today.json").status_code == 422
    assert client.get("/feeds/search.rss?q=graphs").status_code == 503
    assert client.get("/feeds/search.rss").status_code == 422


def test_feeds_advertised_and_cacheable(client: TestClient) -> None:
    assert 'type="application/rss+xml"' in client.get("/").text
    response = client.get("/feeds/today.atom")
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=300"
