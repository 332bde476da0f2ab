"""Writing a message's bytes directly: what ``email.generator`` would write, faster.

A digest run builds 100,000 messages; the standard library's ``EmailMessage`` and
generator parse and re-fold every header they are given and cost about two
milliseconds a message. The messages paperfeed sends have one fixed shape (a few
known headers, one text part and an optional HTML part), so this module writes that
shape itself: header values go through the same encoders as ``DELIVERY_POLICY``
(``headers.encode_text``, ``headers.encode_address``) and bodies through the same
line splitting as ``email.contentmanager``, so the headers and 7bit bodies equal
the generator's byte for byte (boundary aside), and encoded bodies decode to the
same text (tests compare the two).

Nothing here trusts its input to be clean: ``check_header_block`` re-reads the
written header block and refuses any line that is not one of the intended headers
or a folded continuation of one, so a value carrying a line break can never become a
header of its own.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import sys
from collections.abc import Sequence
from email.headerregistry import Address

from paperfeed.mail.errors import MessageError
from paperfeed.mail.headers import encode_address, encode_text

CRLF = "\r\n"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_MAX_LINE = 998  # RFC 5322 section 2.1.1, octets without the CRLF
_BOUNDARY_DIGITS = len(repr(sys.maxsize - 1))


def crlf_lines(body: str) -> str:
    """``body`` with every line ended by CRLF, split as ``bytes.splitlines`` splits.

    CR, LF and CRLF each end a line; a last line without a break gets one (an empty
    body becomes one empty line), which is what ``email.contentmanager`` writes.
    """
    text = body.replace("\n", CRLF) if "\r" not in body else _LINE_BREAK.sub(CRLF, body)
    return text if text.endswith(CRLF) else text + CRLF


def encode_body(body: str) -> tuple[str, str]:
    """The body's transfer encoding and its text on the wire (CRLF lines).

    7bit for short-lined ASCII (as is); otherwise quoted-printable when that is no
    longer than base64 (mostly-ASCII text: a digest with a few accented names stays
    readable and compresses to half the size in the outbox), else base64. Both are
    encoded in C by ``binascii``, in lines of at most 76 characters; 8bit would depend
    on the server's 8BITMIME support.
    """
    text = crlf_lines(body)
    if body.isascii() and max(map(len, body.splitlines()), default=0) <= _MAX_LINE:
        return "7bit", text
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate: not text any mail can carry
        raise MessageError("a message body must be valid Unicode text") from exc
    quoted = binascii.b2a_qp(data, istext=True)
    if len(quoted) <= len(data) * 4 // 3:
        return "quoted-printable", quoted.decode("ascii")
    return "base64", base64.encodebytes(data).decode("ascii").replace("\n", CRLF)


def transfer_encoding(body: str) -> str:
    """The transfer encoding ``encode_body`` picks for ``body``."""
    return encode_body(body)[0]


def _text_part_headers(subtype: str, cte: str) -> list[str]:
    return [
        f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}',
        f"Content-Transfer-Encoding: {cte}{CRLF}",
    ]


def new_boundary(bodies: Sequence[str]) -> str:
    """A random boundary in the generator's style that no body line starts with."""
    while True:
        boundary = f"{'=' * 15}{secrets.randbelow(sys.maxsize):0{_BOUNDARY_DIGITS}d}=="
        if not any("--" + boundary in body for body in bodies):
            return boundary


def needs_encoded_words(text: str) -> bool:
    """True when ``text`` is written as RFC 2047 encoded words (as ``headers`` decides)."""
    return not text.isascii() or "=?" in text


def address_header(name: str, address: Address) -> str:
    """``Name: display <local@domain>`` with the display name quoted or encoded."""
    return f"{name}: {encode_address(address, CRLF)}{CRLF}"


def subject_header(subject: str) -> str:
    """``Subject: ...`` folded at 78 columns, RFC 2047-encoded when not plain ASCII."""
    return f"Subject: {encode_text('Subject', subject, CRLF)}{CRLF}"


def list_header(name: str, urls: Sequence[str]) -> str:
    """``<url>, <url>`` folded only between the URLs, never inside one."""
    return f"{name}: " + ("," + CRLF + " ").join(f"<{url}>" for url in urls) + CRLF


def plain_header(name: str, value: str) -> str:
    """A header whose value the caller has checked is one short line of ASCII."""
    line = f"{name}: {value}"
    if not line.isascii() or len(line) > _MAX_LINE or "\r" in line or "\n" in line:
        raise MessageError(f"{name} is not one line of at most {_MAX_LINE} ASCII characters")
    return line + CRLF


def body_block(text: str, html: str | None) -> tuple[list[str], str]:
    """The MIME headers of the whole message and everything after the blank line.

    One text part is the whole message; with HTML, ``multipart/alternative`` holds
    both, text first (the generator also repeats ``MIME-Version`` in the HTML part).
    """
    text_cte, text_body = encode_body(text)
    if html is None:
        return [*_text_part_headers("plain", text_cte), f"MIME-Version: 1.0{CRLF}"], text_body
    html_cte, html_body = encode_body(html)
    boundary = new_boundary((text_body, html_body))
    delimiter = f"--{boundary}{CRLF}"
    body = "".join(
        (
            delimiter,
            *_text_part_headers("plain", text_cte),
            CRLF,
            text_body,
            CRLF,
            delimiter,
            *_text_part_headers("html", html_cte),
            f"MIME-Version: 1.0{CRLF}",
            CRLF,
            html_body,
            CRLF,
            f"--{boundary}--{CRLF}",
        )
    )
    top = [
        f"MIME-Version: 1.0{CRLF}",
        f'Content-Type: multipart/alternative;{CRLF} boundary="{boundary}"{CRLF}',
    ]
    return top, body


def check_header_block(block: str, names: Sequence[str]) -> None:
    """Every line of ``block`` starts one of ``names`` in order, or continues one.

    A header value with a bare CR or LF, or one that would start a header line of its
    own, fails here; so does any line longer than RFC 5322 allows.
    """
    if block.count("\r") != block.count(CRLF) or block.count("\n") != block.count(CRLF):
        raise MessageError("a header contains a bare line break")
    expected = iter(names)
    for line in block.split(CRLF)[:-1]:
        if len(line) > _MAX_LINE:
            raise MessageError("a header line is longer than 998 characters")
        if line[:1] in (" ", "\t"):
            continue
        name = next(expected, None)
        if name is None or not line.startswith(name + ":"):
            raise MessageError("rendered headers differ from the intended headers")
    if next(expected, None) is not None:
        raise MessageError("rendered headers differ from the intended headers")
