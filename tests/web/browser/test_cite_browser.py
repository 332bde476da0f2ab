"""The Cite section in real Chromium: shown on the paper page, its links download files."""

from __future__ import annotations

from pathlib import Path

import bibtexparser
import pytest
import rispy

from tests.browser import chromium_page, shoot

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")


def test_cite_section_shows_and_its_links_download(tmp_path: Path, site: str) -> None:
    with chromium_page(tmp_path / "profile") as page:
        page.goto(site + "/papers/2603.01001")
        expect = playwright_api.expect
        cite = page.get_by_role("region", name="Cite")
        expect(cite).to_be_visible()
        expect(cite).to_contain_text("Zhang, Z., & Wang, X. (2021). Revisiting Transformation")
        expect(cite.locator("pre")).to_contain_text("@misc{zhang2021revisiting,")
        shoot(page, "paper-cite")
        with page.expect_download() as bib_download:
            cite.get_by_role("link", name="BibTeX").click()
        download = bib_download.value
        assert download.suggested_filename == "2603.01001.bib"
        library = bibtexparser.parse_string(Path(download.path()).read_text())
        assert [e.key for e in library.entries] == ["zhang2021revisiting"]
        with page.expect_download() as ris_download:
            cite.get_by_role("link", name="RIS").click()
        records = rispy.loads(Path(ris_download.value.path()).read_text())
        assert records[0]["accession_number"] == "arXiv:2603.01001"
        with page.expect_download() as csl_download:
            cite.get_by_role("link", name="CSL-JSON").click()
        assert csl_download.value.suggested_filename == "2603.01001.json"
