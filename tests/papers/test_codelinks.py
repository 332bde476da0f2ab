"""Code repositories found in abstracts and comments."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from paperfeed.papers.codelinks import find_code_links, repo_url


def test_finds_normalises_and_deduplicates() -> None:
    abstract = (
        "Code is at https://github.com/Foo-Bar/my\\_repo.git. See also "
        "\\url{https://gitlab.com/group/tool} and github.com/Foo-Bar/my_repo/tree/main."
    )
    comments = "Project page: https://github.com/x/y, https://github.com/features/actions"
    assert find_code_links(abstract, comments) == (
        "github.com/Foo-Bar/my_repo",
        "gitlab.com/group/tool",
        "github.com/x/y",
    )


def test_nothing_in_plain_text_or_none() -> None:
    assert find_code_links("We study graphs.", None) == ()


def test_repo_url() -> None:
    assert repo_url("github.com/a/b") == "https://github.com/a/b"


@given(st.text(max_size=200))
def test_never_raises_and_links_are_well_formed(text: str) -> None:
    for link in find_code_links(text):
        host, owner, name = link.split("/", 2)
        assert host in {"github.com", "gitlab.com"} and owner and name and "/" not in name
