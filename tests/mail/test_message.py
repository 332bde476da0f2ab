"""Building messages: the right headers, and no way to inject another one."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperfeed.mail import MessageError, MessageKey, OutgoingMessage, parse_mailbox, render_message
from paperfeed.mail.addresses import normalize_address
from tests.mail.messages import EXPECTED_HEADERS, digest

SENDER = parse_mailbox("paperfeed <digest@paperfeed.example>")


def parse(content: bytes):  # type: ignore[no-untyped-def]
    return BytesParser(policy=policy.default).parsebytes(content)


def test_digest_has_every_header_and_both_bodies() -> None:
    when = datetime(2026, 5, 9, 6, 0, tzinfo=UTC)
    rendered = render_message(digest(42), sender=SENDER, now=when)
    parsed = parse(rendered.content)
    assert list(parsed.keys()) == EXPECTED_HEADERS
    assert parsed["Message-ID"] == "<digest.42.2026-05-09@paperfeed.example>"
    assert rendered.message_id == parsed["Message-ID"]
    assert parsed["From"].addresses[0].addr_spec == "digest@paperfeed.example"
    assert str(parsed["To"]) == "Reader 42 <reader42@example.org>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["List-Unsubscribe"].startswith("<https://paperfeed.example/unsubscribe?t=tok42>")
    assert parsed["Date"].datetime == when
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    assert "reader 42" in text and "<table>" in html
    assert rendered.content.count(b"\r\n") > 10 and b"\n\n" not in rendered.content


def test_same_key_same_message_id_regardless_of_content() -> None:
    a = render_message(digest(7), sender=SENDER)
    b = render_message(digest(7, html_rows=50), sender=SENDER)
    assert a.message_id == b.message_id
    assert render_message(digest(8), sender=SENDER).message_id != a.message_id


def test_non_ascii_subject_and_name_round_trip() -> None:
    message = OutgoingMessage(
        key=MessageKey("confirm", "3", "x1"),
        to_address="jose@example.org",
        to_name="José Müller, «PhD»",
        subject="Bienvenue — confirmez votre abonnement à paperfeed " * 3,
        text="é\n",
    )
    parsed = parse(render_message(message, sender=SENDER).content)
    assert parsed["To"].addresses[0].display_name == "José Müller, «PhD»"
    assert parsed["Subject"] == " ".join(message.subject.split())
    assert parsed.get_content().splitlines() == ["é"]  # canonical CRLF inside base64


def test_idna_domain_is_encoded() -> None:
    assert normalize_address("Anna@Bücher.example") == "Anna@xn--bcher-kva.example"


@pytest.mark.parametrize(
    "field",
    [
        {"subject": "hi\r\nBcc: victim@example.org"},
        {"subject": "hi\nX-Evil: 1"},
        {"subject": "   "},
        {"to_name": "Bob\r\nBcc: victim@example.org"},
        {"to_address": "bob@example.org\r\nBcc: victim@example.org"},
        {"to_address": "bob@example.org, victim@example.org"},
        {"to_address": "<bob@example.org>"},
        {"to_address": "bob"},
        {"to_address": "bob@-example.org"},
        {"list_unsubscribe": ("https://x.example/u>\r\nBcc: v@example.org",)},
        {"list_unsubscribe": ("javascript:alert(1)",)},
        {"list_unsubscribe": ("https://x.example/a b",)},
        {"list_unsubscribe": ("mailto:u@x.example",), "one_click_unsubscribe": True},
    ],
)
def test_unusable_fields_are_refused(field: dict[str, object]) -> None:
    base = {
        "key": MessageKey("digest", "1", "2026-05-09"),
        "to_address": "bob@example.org",
        "subject": "Papers",
        "text": "x",
    }
    with pytest.raises(MessageError):
        render_message(OutgoingMessage(**{**base, **field}), sender=SENDER)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "recipient", "period"),
    [("digest", "1.2", "x"), ("di gest", "1", "x"), ("digest", "1", "x..y"), ("d", "1", "")],
)
def test_unusable_keys_are_refused(kind: str, recipient: str, period: str) -> None:
    with pytest.raises(MessageError):
        MessageKey(kind, recipient, period)


def test_mail_from_setting_forms() -> None:
    assert parse_mailbox("digest@x.example").addr_spec == "digest@x.example"
    named = parse_mailbox('"Paper Feed" <digest@x.example>')
    assert (named.display_name, named.addr_spec) == ("Paper Feed", "digest@x.example")
    with pytest.raises(MessageError):
        parse_mailbox("a <b@x.example>\nBcc: c@x.example")


# -- property tests: every field that reaches a header -----------------------------------
# Each field is drawn from mostly-valid text salted with line breaks, controls, quotes,
# angle brackets, commas and encoded-word markers; the others stay valid. The outcome
# is either MessageError or a message whose parsed headers are exactly the intended ones.

hostile = st.sampled_from(
    [
        "\r\n",
        "\n",
        "\r",
        "\x00",
        "\x85",
        "\u2028",
        "\t",
        '"',
        "\\",
        "<",
        ">",
        ",",
        ";",
        ":",
        "=?utf-8?q?x?=",
        "Bcc: v@x.example",
        " ",
    ]
)
header_text = st.lists(
    st.one_of(
        st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12), hostile
    ),
    max_size=12,
).map("".join)
local_parts = st.lists(
    st.one_of(
        st.from_regex(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,8}", fullmatch=True), hostile, st.just(".")
    ),
    min_size=1,
    max_size=5,
).map("".join)
domains = st.lists(
    st.one_of(
        st.from_regex(r"[A-Za-z0-9-]{1,10}", fullmatch=True),
        st.just("."),
        hostile,
        st.sampled_from(["bücher", "例え"]),
    ),
    min_size=1,
    max_size=5,
).map("".join)
urls = st.tuples(
    st.sampled_from(
        [
            "https://paperfeed.example/u?t=",
            "mailto:u@paperfeed.example?subject=",
            "http://127.0.0.1:8000/u/",
            "javascript:",
            "",
        ]
    ),
    st.one_of(
        st.from_regex(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]{0,40}", fullmatch=True), header_text
    ),
).map("".join)

VALID = {
    "subject": "Your papers",
    "to_name": "Reader",
    "to_address": "reader@example.org",
    "list_unsubscribe": ("https://paperfeed.example/u?t=abc",),
}


def _check(**field: object) -> bool:
    """Render with one field replaced; True if it was accepted (and then exactly right)."""
    values = {**VALID, **field}
    message = OutgoingMessage(
        key=MessageKey("digest", "1", "2026-05-09"), text="body", html="<p>body</p>", **values
    )  # type: ignore[arg-type]
    try:
        rendered = render_message(message, sender=SENDER)
    except MessageError:
        return False
    parsed = parse(rendered.content)
    assert list(parsed.keys()) == [h for h in EXPECTED_HEADERS if h != "List-Unsubscribe-Post"]
    assert parsed["Subject"] == " ".join(str(values["subject"]).split())
    (to,) = parsed["To"].addresses
    assert to.display_name == " ".join(str(values["to_name"]).split())
    assert to.addr_spec == normalize_address(str(values["to_address"]))
    (url,) = values["list_unsubscribe"]  # type: ignore[misc]
    assert " ".join(str(parsed["List-Unsubscribe"]).split()) == f"<{url}>"
    assert all(len(line) <= 998 for line in rendered.content.split(b"\r\n"))
    return True


@settings(max_examples=300, deadline=None)
@given(subject=header_text)
def test_subject_cannot_inject_or_alter_headers(subject: str) -> None:
    _check(subject=subject)


@settings(max_examples=300, deadline=None)
@given(name=header_text)
def test_display_name_cannot_inject_or_alter_headers(name: str) -> None:
    _check(to_name=name)


@settings(max_examples=300, deadline=None)
@given(local=local_parts, domain=domains)
def test_address_cannot_inject_or_alter_headers(local: str, domain: str) -> None:
    _check(to_address=f"{local}@{domain}")


@settings(max_examples=300, deadline=None)
@given(url=urls)
def test_unsubscribe_url_cannot_inject_or_alter_headers(url: str) -> None:
    _check(list_unsubscribe=(url,))


@settings(max_examples=200, deadline=None)
@given(name=header_text, local=local_parts, domain=domains)
def test_mail_from_never_yields_a_broken_sender(name: str, local: str, domain: str) -> None:
    try:
        sender = parse_mailbox(f"{name} <{local}@{domain}>")
        rendered = render_message(digest(1), sender=sender)
    except MessageError:
        return
    parsed = parse(rendered.content)
    assert parsed["From"].addresses[0].addr_spec == sender.addr_spec
    assert parsed["From"].addresses[0].display_name == sender.display_name
    assert list(parsed.keys()) == EXPECTED_HEADERS
