"""paperfeed's own JSON API: listings with cursors, one paper, caching headers, errors."""

from __future__ import annotations

from starlette.testclient import TestClient


def ids(data: dict) -> list[str]:  # type: ignore[type-arg]
    return [p["id"] for p in data["papers"]]


def test_papers_of_a_day_most_upvoted_first(client: TestClient) -> None:
    data = client.get("/api/v1/papers", params={"date": "2026-03-12"}).json()
    assert ids(data) == ["2603.01001", "2603.01003", "2603.01002"]
    assert data["next_cursor"] is None
    paper = data["papers"][0]
    assert paper["hf"]["upvotes"] == 42
    assert paper["links"]["code"] == ["https://github.com/example-lab/TinvNN"]


def test_cursor_pagination_walks_every_paper_once(client: TestClient) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, "order": "newest", **({"cursor": cursor} if cursor else {})}
        data = client.get("/api/v1/papers", params=params).json()
        seen += ids(data)
        cursor = data["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 6
    assert seen[-1] == "hep-th/9108028"


def test_week_month_and_category_filters(client: TestClient) -> None:
    assert len(ids(client.get("/api/v1/papers?week=2026-W11").json())) == 4
    assert len(ids(client.get("/api/v1/papers?month=2026-03").json())) == 5
    assert ids(client.get("/api/v1/papers?category=hep-th").json()) == ["hep-th/9108028"]


def test_trending_says_which_ranking_it_uses(client: TestClient) -> None:
    data = client.get("/api/v1/trending?limit=3").json()
    assert data["ranking"] == "newest"  # nothing has trended yet in the sample store
    assert len(data["papers"]) == 3 and data["next_cursor"]


def test_one_paper_in_any_id_form(client: TestClient) -> None:
    for form in ("2603.01001", "2603.01001v1", "arXiv:2603.01001"):
        response = client.get(f"/api/v1/papers/{form}")
        assert response.status_code == 200, form
        assert response.json()["id"] == "2603.01001"
    assert client.get("/api/v1/papers/hep-th/9108028").json()["id"] == "hep-th/9108028"
    missing = client.get("/api/v1/papers/2603.09999")
    assert missing.status_code == 404 and "2603.09999" in missing.json()["detail"]


def test_etag_and_cache_control(client: TestClient) -> None:
    response = client.get("/api/v1/papers/2603.01001")
    assert response.headers["cache-control"] == "public, max-age=60"
    again = client.get(
        "/api/v1/papers/2603.01001", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304


def test_bad_parameters_are_4xx_with_json_detail(client: TestClient) -> None:
    cases = {
        "/api/v1/papers?date=2026-02-30": 400,
        "/api/v1/papers?date=yesterday": 422,
        "/api/v1/papers?week=2027-W53": 404,  # 2027 has 52 ISO weeks
        "/api/v1/papers?limit=0": 422,
        "/api/v1/papers?limit=101": 422,
        "/api/v1/papers?order=random": 422,
        "/api/v1/papers?cursor=not-a-cursor": 422,
        "/api/v1/papers?cursor=o10001": 422,
        "/api/v1/papers/not-an-id": 422,
        "/api/v1/papers/2603.01001/similar?limit=0": 422,
        "/api/v1/nothing": 404,
    }
    for path, status in cases.items():
        response = client.get(path)
        assert response.status_code == status, path
        assert response.headers["content-type"] == "application/json", path
        assert "detail" in response.json()


def test_search_and_similar_without_search_are_503(client: TestClient) -> None:
    assert client.get("/api/v1/search?q=graphs").status_code == 503
    assert client.get("/api/v1/papers/2603.01001/similar").status_code == 503
