"""The direct writer gives the message the standard library's generator gives.

``render_message`` writes messages without ``email.generator``; these tests hold it
to the generator's output (``build_message(...).as_bytes(policy=DELIVERY_POLICY)``):
the same headers in every part and the same decoded bodies as the stdlib parser
reads them, and byte for byte (the random boundary aside) when the bodies are 7bit,
over hostile subjects, names and bodies.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperfeed.mail import MessageError, MessageKey, OutgoingMessage, parse_mailbox, render_message
from paperfeed.mail.headers import DELIVERY_POLICY
from paperfeed.mail.message import build_message
from paperfeed.mail.wire import check_header_block, encode_body, new_boundary
from tests.mail.messages import EXPECTED_HEADERS, digest

SENDER = parse_mailbox("paperfeed <digest@paperfeed.example>")
WHEN = datetime(2026, 5, 9, 6, 0, tzinfo=UTC)
BOUNDARY = re.compile(rb"={15}\d{19}==(?:\.\d+)?")


def generator_bytes(message: OutgoingMessage, sender=SENDER) -> bytes:  # type: ignore[no-untyped-def]
    return build_message(message, sender=sender, now=WHEN).as_bytes(policy=DELIVERY_POLICY)


def same_message(message: OutgoingMessage, sender=SENDER) -> bytes:  # type: ignore[no-untyped-def]
    """Assert both writers agree; return the direct writer's bytes."""
    ours = render_message(message, sender=sender, now=WHEN).content
    theirs = generator_bytes(message, sender)
    assert described(ours) == described(theirs)
    if b"-Encoding: base64" not in ours and b"-Encoding: quoted" not in ours:
        assert BOUNDARY.sub(b"B", ours) == BOUNDARY.sub(b"B", theirs)
    return ours


def described(content: bytes) -> list[object]:
    """Every part's headers and decoded body (CRLF read as LF), boundaries aside."""
    parts: list[object] = []
    for part in parsed(content).walk():
        headers = [(k, BOUNDARY.sub(b"B", str(v).encode()).decode()) for k, v in part.items()]
        body = None if part.is_multipart() else part.get_content().replace("\r\n", "\n")
        parts.append((headers, body))
    return parts


def parsed(content: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(content)
    assert isinstance(message, EmailMessage)
    return message


def bodies(message: EmailMessage) -> list[tuple[str, str]]:
    return [(p.get_content_type(), p.get_content()) for p in message.walk() if not p.is_multipart()]


def test_digest_bytes_equal_the_generators() -> None:
    content = same_message(digest(42, html_rows=40))
    message = parsed(content)
    assert message.get_content_type() == "multipart/alternative"
    assert [t for t, _ in bodies(message)] == ["text/plain", "text/html"]


def test_text_only_message_is_a_single_part() -> None:
    message = OutgoingMessage(
        key=MessageKey("signin", "9", "n1"), to_address="a@example.org", subject="Sign in", text="x"
    )
    content = same_message(message)
    assert parsed(content).get_content() == "x\r\n"  # the bytes equal the generator's anyway
    assert b"multipart" not in content


def test_non_ascii_bodies_go_base64_in_76_columns() -> None:
    message = OutgoingMessage(
        key=MessageKey("digest", "1", "2026-05-09"),
        to_address="a@example.org",
        to_name="Zoë Æsir",
        subject="Über paperfeed",
        text="Grüße\n" * 200,
        html="<p>" + "é" * 5000 + "</p>",
    )
    content = same_message(message)
    body = content.split(b"\r\n\r\n", 1)[1]
    assert max(len(line) for line in body.split(b"\r\n")) == 76
    assert bodies(parsed(content)) == [  # base64 carries canonical CRLF line ends
        ("text/plain", "Grüße\r\n" * 200),
        ("text/html", "<p>" + "é" * 5000 + "</p>\r\n"),
    ]


def test_mostly_ascii_text_goes_quoted_printable_in_76_columns() -> None:
    text = "Café, naïve: " + "résumé " * 40 + "\n" + "x" * 2000 + "\n= trailing space \n"
    message = OutgoingMessage(
        key=MessageKey("digest", "1", "2026-05-09"),
        to_address="a@example.org",
        subject="s",
        text=text,
    )
    content = same_message(message)
    assert b"Content-Transfer-Encoding: quoted-printable" in content
    body = content.split(b"\r\n\r\n", 1)[1]
    assert max(len(line) for line in body.split(b"\r\n")) <= 76
    assert parsed(content).get_content().replace("\r\n", "\n") == text


def test_date_keeps_the_callers_offset() -> None:
    when = datetime(2026, 5, 9, 8, 30, tzinfo=timezone(timedelta(hours=2)))
    content = render_message(digest(1), sender=SENDER, now=when).content
    assert parsed(content)["Date"].datetime == when


def test_boundary_never_occurs_in_a_body() -> None:
    boundaries = {new_boundary(("x",)) for _ in range(200)}
    assert len(boundaries) == 200
    first = next(iter(boundaries))
    assert new_boundary((f"--{first}\r\n",)) != first


def test_a_value_with_a_line_break_is_refused_by_the_header_check() -> None:
    good = "From: a@b\r\nTo: c@d\r\n"
    check_header_block(good, ["From", "To"])
    for bad in ("From: a@b\r\nBcc: e@f\r\nTo: c@d\r\n", "From: a\nb\r\nTo: c@d\r\n"):
        with pytest.raises(MessageError):
            check_header_block(bad, ["From", "To"])
    with pytest.raises(MessageError):
        check_header_block("From: a@b\r\n\r\nTo: c@d\r\n", ["From", "To"])


def test_a_body_with_a_lone_surrogate_is_refused() -> None:
    with pytest.raises(MessageError):
        encode_body("\ud800")


# -- hostile input -------------------------------------------------------------------------

hostile_text = st.lists(
    st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.sampled_from(["\r", "\n", "\r\n", " ", "=?utf-8?q?x?=", '"', "\\", ",", "<", ">", ":"]),
        st.just("\r\nBcc: victim@example.org"),
    ),
    max_size=40,
).map("".join)
long_words = st.lists(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=60),
    max_size=4,
).map(" ".join)
bodies_text = st.lists(
    st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.sampled_from(["\r\n", "\n", "\r", "x" * 1200, "--=============== ", "."]),
    ),
    max_size=60,
).map("".join)


def _agree(**fields: object) -> None:
    """Both writers refuse, or both give the same bytes the parser reads back exactly."""
    base: dict[str, object] = {
        "key": MessageKey("digest", "1", "2026-05-09"),
        "to_address": "reader@example.org",
        "subject": "Your papers",
        "text": "body",
        "html": "<p>body</p>",
        "list_unsubscribe": ("https://paperfeed.example/u?t=abc",),
        "one_click_unsubscribe": True,
    }
    message = OutgoingMessage(**{**base, **fields})  # type: ignore[arg-type]
    try:
        content = render_message(message, sender=SENDER, now=WHEN).content
    except MessageError:
        _old_path_refuses_or_garbles(message)
        return
    assert described(content) == described(generator_bytes(message))
    read = parsed(content)
    assert list(read.keys())[:8] == EXPECTED_HEADERS[:8]
    assert read["Subject"] == " ".join(message.subject.split())
    assert read["To"].addresses[0].display_name == " ".join(message.to_name.split())
    assert all(len(line) <= 998 for line in content.split(b"\r\n"))


def _old_path_refuses_or_garbles(message: OutgoingMessage) -> None:
    """Where the direct writer refuses, the generator's output was unusable too."""
    try:
        content = generator_bytes(message)
    except (MessageError, ValueError):
        return
    read = parsed(content)
    assert (
        read["Subject"] != " ".join(message.subject.split())
        or read["To"].addresses[0].display_name != " ".join(message.to_name.split())
        or read["To"].addresses[0].addr_spec != message.to_address
    )


@settings(max_examples=300, deadline=None)
@given(subject=st.one_of(hostile_text, long_words))
def test_hostile_subjects_agree_and_never_inject(subject: str) -> None:
    _agree(subject=subject)


@settings(max_examples=300, deadline=None)
@given(name=st.one_of(hostile_text, long_words))
def test_hostile_display_names_agree_and_never_inject(name: str) -> None:
    _agree(to_name=name)


@settings(max_examples=200, deadline=None)
@given(text=bodies_text, html=st.one_of(st.none(), bodies_text))
def test_any_bodies_agree_and_decode_to_the_text(text: str, html: str | None) -> None:
    _agree(text=text, html=html)
    message = OutgoingMessage(
        key=MessageKey("digest", "1", "2026-05-09"),
        to_address="reader@example.org",
        subject="s",
        text=text,
        html=html,
    )
    content = render_message(message, sender=SENDER, now=WHEN).content
    assert max(len(line) for line in content.split(b"\r\n")) <= 998
    read = parsed(content)
    decoded = [content for _, content in bodies(read)]
    wanted = [t for t in (text, html) if t is not None]
    assert [_lines(d) for d in decoded] == [_lines(w) for w in wanted]


def _lines(text: str) -> list[str]:
    """Lines as the wire keeps them: any of CR, LF, CRLF ends a line."""
    return re.split(r"\r\n|\r|\n", re.sub(r"(?:\r\n|\r|\n)\Z", "", text))
