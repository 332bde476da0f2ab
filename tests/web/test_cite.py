"""Citations on the web: the paper page's Cite section and the downloads (both engines)."""

from __future__ import annotations

import json

import bibtexparser
import pytest
import rispy
from starlette.testclient import TestClient


@pytest.mark.parametrize(
    ("suffix", "media_type"),
    [
        ("bib", "application/x-bibtex; charset=utf-8"),
        ("ris", "application/x-research-info-systems; charset=utf-8"),
        ("json", "application/vnd.citationstyles.csl+json"),
    ],
)
def test_downloads_have_their_media_type_and_a_file_name(
    client: TestClient, suffix: str, media_type: str
) -> None:
    response = client.get(f"/papers/2603.01001.{suffix}")
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    disposition = f'attachment; filename="2603.01001.{suffix}"'
    assert response.headers["content-disposition"] == disposition
    assert response.headers["etag"]


def test_downloads_parse(client: TestClient) -> None:
    bib = bibtexparser.parse_string(client.get("/papers/2603.01002.bib").text)
    assert not bib.failed_blocks
    title = bib.entries[0]["title"]
    assert r"\&" in title and r"{$\alpha$}" in title
    assert rispy.loads(client.get("/papers/2603.01002.ris").text)[0]["id"] == "zhang2021script"
    assert json.loads(client.get("/papers/2603.01002.json").text)[0]["type"] == "article"


def test_old_style_ids_download_with_a_file_name_without_slash(client: TestClient) -> None:
    response = client.get("/papers/hep-th/9108028.bib")
    assert response.status_code == 200
    assert 'filename="hep-th_9108028.bib"' in response.headers["content-disposition"]
    assert "eprint = {hep-th/9108028}" in response.text


def test_unknown_and_malformed_ids(client: TestClient) -> None:
    missing = client.get("/papers/2603.09999.bib")
    assert missing.status_code == 404
    assert "no paper 2603.09999" in missing.text
    assert "content-disposition" not in missing.headers
    assert client.get("/papers/nonsense.ris").status_code == 422


def test_paper_page_shows_the_reference_bibtex_and_download_links(client: TestClient) -> None:
    page = client.get("/papers/2603.01002").text
    assert '<h2 id="cite-title">Cite</h2>' in page
    assert "Zhang, Z., &amp; Wang, X. (2021). &lt;script&gt;" in page  # escaped, not run
    assert "@misc{zhang2021script," in page
    for suffix in ("bib", "ris", "json"):
        assert f'href="/papers/2603.01002.{suffix}" download' in page


def test_downloads_are_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert (
        "application/x-bibtex"
        in paths["/papers/{paper_id}.bib"]["get"]["responses"]["200"]["content"]
    )
