"""Display names: what people may call themselves, and how others see them.

A name shown beside upvotes and submissions must not lie about who acted. So a name is
NFKC-normalised (fullwidth and compatibility forms become plain letters), its spaces
collapsed, and it is refused when it holds what a reader cannot see or that rearranges
the text around it: control and format characters (bidi overrides and isolates,
zero-width spaces and joiners, BOMs, tag characters), invisible letters (Hangul
fillers, the blank Braille pattern), variation selectors, private-use and unassigned
code points, stacks of combining marks, or ``#``. And since two people may still pick
the same or look-alike names (Latin "Ada", Cyrillic "Аda"), a name is always shown
with its account's number ("Ada #17"), which no one else can have.
"""

from __future__ import annotations

import unicodedata

from paperfeed.community.errors import CommunityError

MAX_LENGTH = 40
MAX_COMBINING_RUN = 2
FALLBACK = "member"
# Refused by category: controls, format characters (bidi, zero-width, tags), private
# use, surrogates, unassigned, and line or paragraph separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})
# Invisible although their category says letter, symbol or mark.
_INVISIBLE = frozenset(
    {0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180F}
    | {0x2800, 0x3164, 0xFFA0}
    | set(range(0xFE00, 0xFE10))
    | set(range(0xE0100, 0xE01F0))
)


class DisplayNameError(CommunityError):
    """A display name that cannot be used; the message says why."""


def _refused(char: str) -> bool:
    return unicodedata.category(char) in _REFUSED_CATEGORIES or ord(char) in _INVISIBLE


def check_display_name(text: str) -> str:
    """The name as it will be stored, or ``DisplayNameError`` saying what is wrong."""
    name = " ".join(unicodedata.normalize("NFKC", text).split())
    if not name or len(name) > MAX_LENGTH:
        raise DisplayNameError(f"A name of 1 to {MAX_LENGTH} characters.")
    if any(_refused(c) for c in name):
        raise DisplayNameError(
            "Names cannot hold invisible characters or ones that reorder text"
            " (such as bidi overrides or zero-width spaces)."
        )
    if "#" in name:
        raise DisplayNameError("Names cannot hold #: it marks the account number.")
    run = 0
    for char in name:
        run = run + 1 if unicodedata.combining(char) else 0
        if run > MAX_COMBINING_RUN:
            raise DisplayNameError("Too many accents stacked on one letter.")
    if not any(unicodedata.category(c)[0] in "LN" for c in name):
        raise DisplayNameError("A name needs at least one letter or digit.")
    return name


def name_from_email(email: str) -> str:
    """A first display name: the address's local part, if it makes an acceptable name."""
    try:
        return check_display_name(email.split("@", 1)[0][:MAX_LENGTH])
    except DisplayNameError:
        return FALLBACK


def account_tag(account_id: int) -> str:
    """What tells apart two people with the same or look-alike names."""
    return f"#{account_id}"
