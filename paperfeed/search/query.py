"""The query language users type, parsed into parts; any text is a valid query.

Free words, ``"exact phrase"``, prefix ``trans*``, ``author:lecun`` or
``author:"yann lecun"``, ``category:cs.LG`` (or ``cat:``), ``since:2024-01-01``,
``until:2024-12``, and ``-word`` to exclude. Anything else, including unbalanced
quotes, FTS5 or SQL operators and odd Unicode, is read as plain words: the parser
never raises.

Quotes and dashes are operators only where they are unambiguous. A passage (a sentence
pasted from an abstract: ``PASSAGE_WORDS`` words or more) uses them as punctuation, so
``the notion of "catalytic force"`` does not require the phrase and ``bands -due to
symmetry breaking-`` does not exclude "due"; field operators still apply. A minus
before a number (``-0.5``) is a negative number, never an exclusion.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

# One token: optional "-", optional "name:", then a quoted string or a bare run.
_TOKEN = re.compile(
    r'(?P<neg>-)?(?:(?P<field>[A-Za-z]+):)?(?:"(?P<quoted>[^"]*)"|(?P<bare>[^\s"]+))'
)
_WORD = re.compile(r"\w+")
_CATEGORY = re.compile(r"^[a-z][a-z-]*(\.[a-z][a-z-]*)?$", re.IGNORECASE)
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_AUTHOR_FIELDS = frozenset({"author", "authors", "au"})
_CATEGORY_FIELDS = frozenset({"category", "cat"})
_MAX_QUERY_CHARS = 1000
PASSAGE_WORDS = 10  # a query of this many words is a passage: quotes, dashes are punctuation


@dataclass(frozen=True, slots=True)
class QueryTerm:
    """Words that belong together (one word, or the pieces of ``self-supervised``)."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """What a query asks for; ``text`` is the free text, for embedding and pinning."""

    raw: str
    text: str = ""
    terms: tuple[QueryTerm, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    excluded: tuple[tuple[str, ...], ...] = ()
    authors: tuple[tuple[str, ...], ...] = ()
    category: str | None = None
    since: date | None = None
    until: date | None = None


def normalize_text(text: str) -> str:
    """NFKC-fold (math alphabets, full-width forms) and drop control characters."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in folded)


def words_of(text: str) -> tuple[str, ...]:
    """The word pieces of ``text``, lower-cased (what the keyword index tokenizes)."""
    return tuple(w.lower() for w in _WORD.findall(text) if any(ch.isalnum() for ch in w))


def parse_date(text: str, *, end: bool) -> date | None:
    """``2024``, ``2024-03`` or ``2024-03-15``; the first (or last) day of a year or month."""
    match = _DATE.match(text)
    if not match:
        return None
    year = int(match[1])
    month = int(match[2]) if match[2] else (12 if end else 1)
    try:
        if match[3]:
            return date(year, month, int(match[3]))
        if end:
            following = date(year + (month == 12), month % 12 + 1, 1)
            return date.fromordinal(following.toordinal() - 1)
        return date(year, month, 1)
    except ValueError:
        return None


class _Builder:
    """Collects the parts of a query while its tokens are read."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.text: list[str] = []
        self.terms: list[QueryTerm] = []
        self.phrases: list[tuple[str, ...]] = []
        self.excluded: list[tuple[str, ...]] = []
        self.authors: list[tuple[str, ...]] = []
        self.category: str | None = None
        self.since: date | None = None
        self.until: date | None = None

    def operator(self, name: str, value: str) -> bool:
        """Apply ``name:value``; False when it is not an operator we know (plain text)."""
        name = name.lower()
        if name in _AUTHOR_FIELDS:
            words = words_of(value)
            if words:
                self.authors.append(words)
            return bool(words)
        if name in _CATEGORY_FIELDS and _CATEGORY.match(value):
            self.category = value
            return True
        if name in ("since", "until"):
            parsed = parse_date(value, end=name == "until")
            if parsed is not None:
                setattr(self, name, parsed)
            return parsed is not None
        return False

    def plain(self, token: str, *, quoted: bool, negated: bool) -> None:
        words = words_of(token)
        if not words:
            return
        if negated:
            self.excluded.append(words)
            return
        self.text.append(token)
        if quoted and len(words) > 1:
            self.phrases.append(words)
        else:
            self.terms.append(QueryTerm(words, prefix=not quoted and token.endswith("*")))

    def build(self) -> ParsedQuery:
        return ParsedQuery(
            raw=self.raw,
            text=" ".join(self.text),
            terms=tuple(self.terms),
            phrases=tuple(self.phrases),
            excluded=tuple(self.excluded),
            authors=tuple(self.authors),
            category=self.category,
            since=self.since,
            until=self.until,
        )


def parse_query(raw: str) -> ParsedQuery:
    """Parse what a user typed; never raises, whatever the text."""
    text = normalize_text(raw[:_MAX_QUERY_CHARS])
    typed = _parse(raw, text, passage=False)
    words = sum(len(t.words) for t in typed.terms)
    words += sum(len(p) for p in (*typed.phrases, *typed.excluded))
    return typed if words < PASSAGE_WORDS else _parse(raw, text, passage=True)


def _parse(raw: str, text: str, *, passage: bool) -> ParsedQuery:
    builder = _Builder(raw)
    for match in _TOKEN.finditer(text):
        quoted = match["quoted"] is not None
        value = match["quoted"] if quoted else match["bare"]
        if match["field"] and builder.operator(match["field"], value):
            continue
        token = f"{match['field']}:{value}" if match["field"] else value
        negated = bool(match["neg"]) and bool(value) and not passage
        if negated and not quoted and (value[0].isdigit() or value[0] == "."):
            negated, token = False, "-" + token  # a negative number
        builder.plain(token, quoted=quoted and not passage, negated=negated)
    return builder.build()
