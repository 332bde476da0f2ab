"""Find code repositories (GitHub, GitLab) that a paper links in its abstract or comments."""

from __future__ import annotations

import re

_HOSTS = {"github.com", "gitlab.com"}
# Paths on these hosts that are site pages, not owners.
_NOT_OWNERS = {
    "about",
    "blog",
    "collections",
    "enterprise",
    "explore",
    "features",
    "help",
    "join",
    "login",
    "marketplace",
    "orgs",
    "pricing",
    "search",
    "settings",
    "site",
    "sponsors",
    "topics",
    "trending",
    "users",
    "-",
}
_REPO_URL = re.compile(
    r"(?:https?://)?(?:www\.)?(?P<host>github\.com|gitlab\.com)/"
    r"(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]|\\?_)*)/(?P<name>(?:[A-Za-z0-9._-]|\\_)+)",
    re.IGNORECASE,
)


def find_code_links(*texts: str | None) -> tuple[str, ...]:
    """Return repositories as ``host/owner/name``, lower-cased host, in order of appearance.

    LaTeX escapes in URLs (``\\_``) are undone, ``.git`` and trailing punctuation dropped,
    and each repository appears once.
    """
    found: dict[str, None] = {}
    for text in texts:
        if not text:
            continue
        for match in _REPO_URL.finditer(text):
            owner = match["owner"].replace("\\_", "_")
            name = match["name"].replace("\\_", "_").rstrip(".-_")
            if name.lower().endswith(".git"):
                name = name[:-4]
            if not name or owner.lower() in _NOT_OWNERS or match["host"].lower() not in _HOSTS:
                continue
            found.setdefault(f"{match['host'].lower()}/{owner}/{name}", None)
    return tuple(found)


def repo_url(link: str) -> str:
    """The https URL of a ``host/owner/name`` code link."""
    return f"https://{link}"
