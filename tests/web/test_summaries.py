"""TL;DRs and keywords on cards, paper pages, feeds and the JSON API: Hugging Face's
labelled as Hugging Face's, paperfeed's own otherwise, hostile text escaped."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import feedparser
import pytest
from starlette.testclient import TestClient

from paperfeed.config import Settings
from paperfeed.store import PaperStore
from paperfeed.summaries.refresh import summarize_pending
from paperfeed.web import create_app
from tests.factories import make_paper
from tests.web.conftest import DAY, SECRET

HOSTILE_ABSTRACT = (
    "We propose <script>alert('tldr')</script> attacks & \"defences\" for graph"
    " neural networks. Experiments on <img src=x onerror=alert(1)> benchmarks follow."
)


@pytest.fixture
def summarized_client(filled_store: PaperStore, settings: Settings) -> Iterator[TestClient]:
    filled_store.upsert_papers(
        [
            make_paper(
                "2603.01009",
                title="Hostile <em>abstract</em>",
                abstract=HOSTILE_ABSTRACT,
                announced=DAY,
            )
        ],
        source="jsonl",
    )
    summarize_pending(filled_store)
    app = create_app(
        settings, store=filled_store, with_search=False, secret_key=SECRET, cache_stale_for=0
    )
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def own(store: PaperStore, paper_id: str) -> tuple[str, tuple[str, ...]]:
    stored = store.get_paper(paper_id)
    assert stored is not None and stored.tldr
    return stored.tldr, stored.keywords


def card_of(page: str, paper_id: str) -> str:
    start = page.index(f'href="/papers/{paper_id}"')
    return page[page.rindex("<article", 0, start) : page.index("</article>", start)]


def test_cards_show_our_tldr_under_the_title_and_keywords_as_search_links(
    summarized_client: TestClient, filled_store: PaperStore
) -> None:
    tldr, keywords = own(filled_store, "2603.01003")
    card = card_of(summarized_client.get("/").text, "2603.01003")
    assert card.index("card-title") < card.index(html_lib.escape(tldr, quote=False))
    assert "TL;DR" in card and "tldr-paperfeed" in card
    links = re.findall(r'<a class="tag keyword" href="([^"]+)" rel="tag">([^<]+)</a>', card)
    assert [html_lib.unescape(text) for _, text in links] == list(keywords)
    query = parse_qs(urlsplit(html_lib.unescape(links[0][0])).query)
    assert query == {"q": [f'"{keywords[0]}"'], "mode": ["keyword"]}


def test_hugging_faces_summary_stays_labelled_as_hugging_faces(
    summarized_client: TestClient, filled_store: PaperStore
) -> None:
    card = card_of(summarized_client.get("/").text, "2603.01001")
    shown = re.search(r'<p class="card-tldr tldr-huggingface">(.*?)</p>', card, re.S)
    assert shown and "Invariant initial representations suffice." in shown.group(1)
    assert ">invariance</a>" in card and ">point clouds</a>" in card
    page = summarized_client.get("/papers/2603.01001").text
    assert "Hugging Face&#39;s AI summary" in page or "Hugging Face's AI summary" in page
    other = summarized_client.get("/papers/2603.01003").text
    tldr, keywords = own(filled_store, "2603.01003")
    assert html_lib.escape(tldr, quote=False) in other and "TL;DR by paperfeed" in other
    for keyword in keywords:
        assert f">{html_lib.escape(keyword)}</a>" in other


def test_hostile_summaries_are_escaped_on_cards_pages_and_feeds(
    summarized_client: TestClient, filled_store: PaperStore
) -> None:
    tldr, _ = own(filled_store, "2603.01009")
    assert "<script>" in tldr  # the summary keeps the text; the pages must escape it
    for path in ("/", "/papers/2603.01009"):
        page = summarized_client.get(path).text
        assert "<script>alert('tldr')" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(&#39;tldr&#39;)&lt;/script&gt;" in page
    for path in ("/feeds/today.rss", "/feeds/today.atom"):
        body = summarized_client.get(path).text
        assert "<script>" not in body and "&lt;script&gt;" in body


def test_feeds_carry_the_tldr_and_keywords(
    summarized_client: TestClient, filled_store: PaperStore
) -> None:
    tldr, keywords = own(filled_store, "2603.01003")
    for path in ("/feeds/today.rss", "/feeds/today.atom"):
        feed = feedparser.parse(summarized_client.get(path).content)
        entry = next(e for e in feed.entries if "2603.01003" in e.link)
        assert f"TL;DR by paperfeed: {tldr}" in entry.summary
        assert "Keywords: " + ", ".join(keywords) in entry.summary
        hf = next(e for e in feed.entries if "2603.01001" in e.link)
        assert "Hugging Face's AI summary: Invariant initial" in hf.summary


def test_the_json_api_has_tldr_and_keywords(
    summarized_client: TestClient, filled_store: PaperStore
) -> None:
    tldr, keywords = own(filled_store, "2603.01001")
    data = summarized_client.get("/api/v1/papers/2603.01001").json()
    paper = data.get("paper", data)
    assert paper["tldr"] == tldr and paper["keywords"] == list(keywords)
    assert paper["hf"]["ai_summary"] == "Invariant initial representations suffice."
