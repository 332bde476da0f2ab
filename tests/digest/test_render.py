"""The rendered digest: multipart, inlined styles, every value escaped, the links and
unsubscribe headers on every digest, no header injection through any field."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperfeed.digest.links import DigestLinks
from paperfeed.digest.render import DigestItem, DigestRenderer, _environment, excerpt
from paperfeed.digest.settings import DigestSettings
from paperfeed.mail import render_message
from paperfeed.papers.model import Author
from paperfeed.papers.text import render_plain
from paperfeed.store.base import StoredPaper
from paperfeed.store.subscriptions import DigestPick, DigestPlan
from tests.factories import make_hf, make_paper
from tests.mail.messages import EXPECTED_HEADERS

NOW = datetime(2026, 5, 8, 9, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script> & "quotes" \r\nBcc: victim@example.org'


def stored(paper_id: str = "2605.00001", **changes: object) -> StoredPaper:
    paper = make_paper(paper_id, **changes)
    plain = render_plain(paper)
    return StoredPaper(
        paper=paper,
        title_text=plain.title,
        abstract_text=plain.abstract,
        authors_text=", ".join(a.name for a in paper.authors),
        first_seen_at=NOW,
        updated_at=NOW,
    )


def plan(*picks: tuple[str, str], capped: bool = False) -> DigestPlan:
    return DigestPlan(
        subscriber_id=7,
        period="2026-05-08",
        window_start=NOW.replace(day=7),
        window_end=NOW,
        candidates=2000,
        capped=capped,
        picks=tuple(DigestPick(p, r) for p, r in picks),
    )


def parsed(digest: DigestSettings, message_bytes: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(message_bytes)
    assert isinstance(message, EmailMessage)
    return message


def render(
    links: DigestLinks, digest: DigestSettings, paper: StoredPaper, reason: str
) -> EmailMessage:
    renderer = DigestRenderer(links)
    outgoing = renderer.digest(
        7, "ada@example.org", plan((paper.paper.id, reason)), {paper.paper.id: paper}
    )
    return parsed(digest, render_message(outgoing, sender=digest.mail.mail_from, now=NOW).content)


def test_every_digest_has_one_click_unsubscribe(links: DigestLinks, digest: DigestSettings) -> None:
    message = render(links, digest, stored(), "trending: 3 upvotes")
    https, mailto = [u.strip(" <>") for u in str(message["List-Unsubscribe"]).split(",")]
    assert https.startswith("https://paperfeed.example/unsubscribe?t=")
    assert mailto.startswith("mailto:digest@paperfeed.example?subject=unsubscribe%20")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"] == "<digest.7.2026-05-08@paperfeed.example>"
    assert message.get_content_type() == "multipart/alternative"


def test_the_digest_shows_title_authors_excerpt_reason_and_links(
    links: DigestLinks, digest: DigestSettings
) -> None:
    paper = stored(
        abstract="First sentence here. Second one follows. Third is short. Fourth never shows.",
        hf=make_hf(github_repo="https://github.com/example-lab/TinvNN"),
    )
    message = render(links, digest, paper, "by Yann LeCun, whom you follow")
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    for body in (text, html):
        assert "Revisiting Transformation Invariant Geometric Deep Learning" in body
        assert "Ziwei Zhang, Xin Wang" in body
        assert "by Yann LeCun, whom you follow" in body
        assert "Third is short." in body and "Fourth" not in body
        assert "https://paperfeed.example/papers/2605.00001" in body
        assert "https://arxiv.org/abs/2605.00001" in body
        assert "https://arxiv.org/pdf/2605.00001v1" in body
        assert "https://github.com/example-lab/TinvNN" in body
        assert "https://paperfeed.example/subscriptions/feedback?t=" in body
        assert "https://paperfeed.example/subscriptions/manage?t=" in body
        assert "https://paperfeed.example/unsubscribe?t=" in body
    assert 'style="' in html and "<style" not in html  # inline styles only


def test_every_value_is_escaped_in_html(links: DigestLinks, digest: DigestSettings) -> None:
    paper = stored(title=HOSTILE, abstract=HOSTILE, authors=(Author(HOSTILE),))
    message = render(links, digest, paper, HOSTILE)
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Bcc" not in str(message.keys())
    assert message["To"] == "ada@example.org"


def test_a_capped_catch_up_says_so(links: DigestLinks, digest: DigestSettings) -> None:
    renderer = DigestRenderer(links)
    paper = stored()
    outgoing = renderer.digest(
        7,
        "ada@example.org",
        plan((paper.paper.id, "trending"), capped=True),
        {paper.paper.id: paper},
    )
    assert "catch-up covers only the papers" in outgoing.text
    assert "since 7 May 2026: the best 1 of 2000" in " ".join(outgoing.text.split())


def test_excerpt_is_two_or_three_sentences() -> None:
    long_first = "A " + "very " * 60 + "long sentence. Second. Third. Fourth."
    assert excerpt("One. Two. Three. Four.") == "One. Two. Three."
    assert excerpt(long_first).endswith("Second.")
    assert len(excerpt("word " * 500)) <= 420


def test_confirmation_is_transactional_and_links_to_the_confirm_page(
    links: DigestLinks, digest: DigestSettings
) -> None:
    outgoing = DigestRenderer(links).confirmation(3, "ada@example.org", "2026-05-08T09")
    assert outgoing.transactional and not outgoing.list_unsubscribe
    assert "https://paperfeed.example/subscriptions/confirm?t=" in outgoing.text


header_text = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=300)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(title=header_text, reason=header_text)
def test_no_paper_field_can_inject_a_header(
    links: DigestLinks, digest: DigestSettings, title: str, reason: str
) -> None:
    """Paper titles reach the Subject; whatever they hold, headers stay as intended."""
    message = render(links, digest, stored(title=title), reason)
    assert sorted(message.keys()) == sorted(EXPECTED_HEADERS)
    assert message["To"] == "ada@example.org"
    assert "\n" not in str(message["Subject"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sid=st.integers(min_value=1, max_value=2**53), paper_id=st.text(max_size=60))
def test_link_tokens_stay_uri_safe(links: DigestLinks, sid: int, paper_id: str) -> None:
    """Tokens reach List-Unsubscribe: only URI characters, whatever the ids hold."""
    thumbs = links.feedback_token(sid)
    for url in (
        links.unsubscribe_url(sid),
        links.unsubscribe_mailto(sid),
        links.feedback_url(thumbs, paper_id, 1),
        links.manage_url(sid),
    ):
        assert url.isascii() and not any(ch in url for ch in ' <>"\r\n,')
    assert links.check_feedback(thumbs, "2605.00001", "-1").subscriber_id == sid


def test_items_rendered_once_match_a_full_render_for_each_subscriber(links: DigestLinks) -> None:
    """A paper's item is rendered once with slots; each digest still gets its own,
    escaped values, exactly as rendering the item template for it would give."""
    first, second = stored(title=HOSTILE), stored("2605.00002", title="Plain <title>")
    papers = {first.paper.id: first, second.paper.id: second}
    renderer = DigestRenderer(links)
    templates = {
        kind: _environment().get_template(f"digest_item.{kind}") for kind in ("txt", "html")
    }
    for sid, reasons in ((7, ("by A & B", HOSTILE)), (8, ("it's <new>", "x"))):
        picks = ((first.paper.id, reasons[0]), (second.paper.id, reasons[1]))
        outgoing = renderer.digest(sid, "ada@example.org", plan(*picks), papers)
        assert outgoing.html is not None
        more = re.findall(r"More like this: (\S+)", outgoing.text)
        less = re.findall(r"Less like this: (\S+)", outgoing.text)
        assert all(f"t={links.feedback_token(sid)[:4]}" in url for url in more)
        for number, (paper, reason) in enumerate(zip((first, second), reasons, strict=True), 1):
            assert more[number - 1].endswith(f"p={paper.paper.id}&v=1")
            item = DigestItem(renderer.card(paper), reason, more[number - 1], less[number - 1])
            text = templates["txt"].render(item=item, number=number)
            html = templates["html"].render(item=item, number=number)
            assert text in outgoing.text
            assert html.encode("ascii", "xmlcharrefreplace").decode() in outgoing.html
