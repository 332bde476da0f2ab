"""The HTML pages, as a visitor without JavaScript gets them."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from paperfeed.store import PaperStore
from tests.factories import make_paper
from tests.web.conftest import DAY


def cards(html: str) -> list[str]:
    return re.findall(r'<h3 class="card-title">\s*<a href="([^"]+)"', html)


def test_home_lists_the_latest_day_most_upvoted_first(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "Thursday, March 12, 2026" in html
    assert cards(html) == ["/papers/2603.01001", "/papers/2603.01003", "/papers/2603.01002"]
    assert "Get trending papers in your email inbox!" in html
    assert 'href="/subscribe"' in html
    assert 'class="votes-count">42<' in html
    assert html.count("badge-new") == 3  # all were first seen just now
    assert 'href="https://arxiv.org/abs/2603.01001"' in html
    assert 'href="https://arxiv.org/pdf/2603.01001v1"' in html
    assert 'href="https://github.com/example-lab/TinvNN"' in html
    assert 'rel="prev" href="/papers/date/2026-03-11"' in html


def test_day_week_and_month_pages_navigate(client: TestClient) -> None:
    day = client.get("/papers/date/2026-03-11").text
    assert cards(day) == ["/papers/2603.00501"]
    assert 'rel="next" href="/papers/date/2026-03-12"' in day
    assert 'rel="prev" href="/papers/date/2026-03-04"' in day
    week = client.get("/papers/week/2026-W11").text
    assert len(cards(week)) == 4
    assert 'href="/papers/week/2026-W10"' in week
    month = client.get("/papers/month/2026-03").text
    assert len(cards(month)) == 5
    assert 'href="/papers/month/2026-02"' in month and 'href="/papers/month/2026-04"' in month


def test_date_picker_redirects_to_the_day(client: TestClient) -> None:
    response = client.get("/papers/date", params={"d": "2026-03-11"})
    assert response.status_code == 303
    assert response.headers["location"] == "/papers/date/2026-03-11"


def test_bad_dates_are_clear_400s(client: TestClient) -> None:
    for path in (
        "/papers/date/2026-02-30",
        "/papers/date/tomorrow",
        "/papers/week/2026-W60",
        "/papers/month/2026-13",
        "/papers/date?d=12/03/2026",
    ):
        response = client.get(path)
        assert response.status_code == 400, path
        assert "text/html" in response.headers["content-type"]


def test_bad_page_numbers_are_422(client: TestClient) -> None:
    assert client.get("/?p=0").status_code == 422
    assert client.get("/?p=abc").status_code == 422


def test_an_empty_day_says_so(client: TestClient) -> None:
    response = client.get("/papers/date/2020-01-01")
    assert response.status_code == 200
    assert "No papers were listed" in response.text


def test_empty_store_explains_how_to_load_papers(empty_client: TestClient) -> None:
    response = empty_client.get("/")
    assert response.status_code == 200
    assert "paperfeed ingest demo" in response.text


def test_trending_before_any_signal_is_newest_first_and_says_so(client: TestClient) -> None:
    html = client.get("/trending").text
    assert "nothing has trended in this view yet" in html
    assert cards(html)[0] == "/papers/2603.01003"  # same day: most recently seen first
    assert client.get("/trending?category=hep-th").text.count("card-title") == 1
    assert client.get("/trending?category=<x>").status_code == 422


def test_paper_page_shows_everything(client: TestClient) -> None:
    html = client.get("/papers/2603.01001").text
    assert "Revisiting Transformation Invariant Geometric Deep Learning" in html
    assert (
        '<a class="author-link" href="/authors/Ziwei%20Zhang">Ziwei Zhang</a>,'
        ' <a class="author-link" href="/authors/Xin%20Wang">Xin Wang</a>'
    ) in html
    assert "ℝ³" in html or "ℝ^3" in html  # LaTeX rendered, math legible
    assert "$" not in html.split("Abstract", 1)[1].split("</section>", 1)[0]
    assert "Invariant initial representations suffice." in html
    assert 'href="https://example-lab.github.io/tinvnn/"' in html
    assert "cs.LG" in html and "▲ 42" in html


def test_paper_ids_are_canonicalised(client: TestClient) -> None:
    response = client.get("/papers/2603.01001v2")
    assert response.status_code == 301
    assert response.headers["location"] == "/papers/2603.01001"
    assert client.get("/papers/hep-th/9108028").status_code == 200


def test_unknown_and_invalid_papers(client: TestClient) -> None:
    missing = client.get("/papers/2603.09999")
    assert missing.status_code == 404
    assert "https://arxiv.org/abs/2603.09999" in missing.text
    assert client.get("/papers/not-an-id").status_code == 400
    assert client.get("/no/such/page").status_code == 404


def test_hostile_text_is_escaped_everywhere(client: TestClient) -> None:
    for path in ("/", "/papers/2603.01002", "/trending"):
        html = client.get(path).text
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
        assert "<b>bold</b>" not in html


def test_no_page_has_inline_script_and_csp_forbids_it(client: TestClient) -> None:
    for path in ("/", "/trending", "/papers/2603.01001", "/subscribe", "/docs", "/search"):
        response = client.get(path)
        assert "<script" not in response.text, path
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"


def test_pages_are_accessible_landmarks_and_labels(client: TestClient) -> None:
    html = client.get("/").text
    assert '<html lang="en">' in html
    assert '<main id="main"' in html and "<header" in html and "<footer" in html
    assert 'role="search"' in html and '<label for="site-q"' in html
    assert '<label for="jump-day">' in html
    assert 'class="skip-link" href="#main"' in html


def test_pages_use_etags_and_revalidate(client: TestClient) -> None:
    first = client.get("/")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "no-cache"
    again = client.get("/", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


def test_a_new_paper_shows_up_without_restart(client: TestClient, filled_store: PaperStore) -> None:
    before = client.get("/").headers["etag"]
    filled_store.upsert_papers(
        [make_paper("2603.01004", title="Freshly Announced", announced=DAY)], source="jsonl"
    )
    response = client.get("/", headers={"If-None-Match": before})
    assert response.status_code == 200
    assert "Freshly Announced" in response.text


def test_stylesheet_and_icon_are_served_locally(client: TestClient) -> None:
    html = client.get("/").text
    assert "https://" not in "".join(re.findall(r"<link[^>]+>", html))
    css = client.get("/static/style.css")
    assert css.status_code == 200 and "prefers-color-scheme: dark" in css.text
    assert client.get("/favicon.ico").headers["content-type"] == "image/svg+xml"


def test_api_docs_page_lists_the_endpoints(client: TestClient) -> None:
    html = client.get("/docs").text
    for path in ("/api/daily_papers", "/api/v1/papers", "/feeds/today.{fmt}"):
        assert path in html
    spec = client.get("/openapi.json").json()
    assert "/api/papers/{paper_id}" in spec["paths"]


def test_search_without_a_search_service_is_a_clear_503(client: TestClient) -> None:
    assert client.get("/search").status_code == 200  # the form itself
    response = client.get("/search", params={"q": "invariance"})
    assert response.status_code == 503
    assert "Search is not available" in response.text
