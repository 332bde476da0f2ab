"""The rendered digest: multipart, inlined styles, every value escaped, the links and
unsubscribe headers on every digest, no header injection through any field."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperfeed.digest.links import DigestLinks
from paperfeed.digest.render import DigestRenderer, excerpt
from paperfeed.digest.settings import DigestSettings
from paperfeed.mail import render_message
from paperfeed.papers.model import Author
from paperfeed.papers.text import render_plain
from paperfeed.store.base import StoredPaper
from paperfeed.store.subscriptions import DigestPick, DigestPlan
from tests.factories import make_hf, make_paper

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
    assert sorted(message.keys()) == sorted(
        [
            "From",
            "To",
            "Subject",
            "Date",
            "Message-ID",
            "Auto-Submitted",
            "List-Unsubscribe",
            "List-Unsubscribe-Post",
            "Content-Type",
            "MIME-Version",
        ]
    )
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
