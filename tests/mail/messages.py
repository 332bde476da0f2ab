"""Digest-like messages for mail tests."""

from __future__ import annotations

from paperfeed.mail import MessageKey, OutgoingMessage

# What a digest carries, in the order it is written.
EXPECTED_HEADERS = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Auto-Submitted",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "MIME-Version",
    "Content-Type",
]


def digest(
    subscriber: int,
    *,
    period: str = "2026-05-09",
    to: str | None = None,
    html_rows: int = 5,
    transactional: bool = False,
) -> OutgoingMessage:
    """A small multipart digest for ``subscriber`` with one-click unsubscribe."""
    rows = "".join(
        f"<tr><td><a href='https://paperfeed.example/p/{i}'>Paper {i}</a></td></tr>\n"
        for i in range(html_rows)
    )
    return OutgoingMessage(
        key=MessageKey("digest", str(subscriber), period),
        to_address=to or f"reader{subscriber}@example.org",
        to_name=f"Reader {subscriber}",
        subject=f"Your papers for {period}",
        text=f"Hello reader {subscriber}\n",
        html=f"<table>{rows}</table>",
        list_unsubscribe=(
            f"https://paperfeed.example/unsubscribe?t=tok{subscriber}",
            f"mailto:unsubscribe@paperfeed.example?subject=unsubscribe-{subscriber}",
        ),
        one_click_unsubscribe=True,
        transactional=transactional,
    )
