"""Field values that BibTeX reads and LaTeX then typesets without error.

arXiv titles are LaTeX source as their authors typed it: math (``$\\alpha$``), macros,
accents, and also raw ``%``, ``&`` and ``#`` and now and then an unbalanced brace. In a
``.bib`` file braces must balance (BibTeX counts every brace, escaped or not), and in the
``.bbl`` LaTeX reads ``%`` as a comment and ``&``/``#`` as errors. :func:`bibtex_title`
keeps what is valid (math, macros, groups), escapes what is not, drops braces that
close nothing or are never closed, and protects capitalisation that sentence-casing
styles would otherwise destroy (acronyms such as ``BERT`` or ``ImageNet``, and math).
:func:`bibtex_text` does the same for plain text (author names, notes), where every
special character is literal. Non-ASCII characters become LaTeX macros where LaTeX has
one (``é`` -> ``{\\'e}``, pylatexenc's tables); scripts without one (CJK, Hebrew) stay
UTF-8, which biber and any UTF-8 LaTeX read.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pylatexenc.latexencode import UnicodeToLatexEncoder

_ENCODER = UnicodeToLatexEncoder(
    non_ascii_only=True,
    replacement_latex_protection="braces-all",
    unknown_char_policy="keep",
    unknown_char_warning=False,
)

_TOKEN = re.compile(
    r"""
    (?P<math>\$\$|\$|\\\(|\\\)|\\\[|\\\])  # math delimiters
    |(?P<word>\\[A-Za-z]+\*?)              # control word: \alpha, \emph
    |(?P<symbol>\\[^A-Za-z])               # control symbol: \%, \', \{
    |(?P<backslash>\\)                     # a backslash that ends the text
    |(?P<open>\{)
    |(?P<close>\})
    |(?P<special>[%&\#_^])
    |(?P<text>[^\\${}%&\#_^]+)
    """,
    re.VERBOSE | re.DOTALL,
)
# Control symbols LaTeX knows in text; any other (\1, \é) is a stray backslash.
_TEXT_SYMBOLS = frozenset("%&#_{}$\\ ,;:!>'\"`^~.=-@/|")
_ACCENTS = frozenset("'\"`^~=.")
_CLOSER = {"$": "$", "$$": "$$", "\\(": "\\)", "\\[": "\\]"}
_TEXT_ESCAPES = {"%": r"\%", "&": r"\&", "#": r"\#", "_": r"\_", "^": r"\^{}"}
_MATH_ESCAPES = {"%": r"\%", "&": r"\&", "#": r"\#", "_": "_", "^": "^"}
_PLAIN_ESCAPES = {
    **_TEXT_ESCAPES,
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "$": r"\$",
    "~": r"\textasciitilde{}",
}
# A word whose capitals are not only its first letter: "BERT", "ImageNet", "3D", "GPT-4".
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")


@dataclass(slots=True)
class _Token:
    kind: str
    text: str
    math: bool = False
    drop: bool = False


def _tokens(source: str) -> list[_Token]:
    return [
        _Token(str(m.lastgroup), m.group())
        for m in _TOKEN.finditer(unicodedata.normalize("NFC", source))
    ]


def _mark_math(tokens: list[_Token]) -> list[tuple[int, int]]:
    """Pair math delimiters; an opener never closed is literal. Returns the regions."""
    regions: list[tuple[int, int]] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        closer = _CLOSER.get(token.text) if token.kind == "math" else None
        end = None
        if closer is not None:
            end = next((j for j in range(index + 1, len(tokens)) if tokens[j].text == closer), None)
        if end is None:
            if token.kind == "math":
                token.kind = "literal"
            index += 1
            continue
        for inner in tokens[index : end + 1]:
            inner.math = True
        regions.append((index, end))
        index = end + 1
    return regions


def _balance(tokens: list[_Token], indexes: range | list[int]) -> None:
    """Drop the braces among ``indexes`` that close nothing or are never closed."""
    opened: list[_Token] = []
    for index in indexes:
        token = tokens[index]
        if token.kind == "open":
            opened.append(token)
        elif token.kind == "close":
            if opened:
                opened.pop()
            else:
                token.drop = True
    for token in opened:
        token.drop = True


def _render_math(tokens: list[_Token]) -> str:
    """One math region as ``$...$`` (display and ``\\(`` forms become inline)."""
    out = ["$"]
    for token in tokens[1:-1]:
        out.append(_render_token(token, math=True))
    out.append("$")
    return "".join(out)


def _render_token(token: _Token, *, math: bool) -> str:
    if token.drop:
        return ""
    kind, text = token.kind, token.text
    if kind == "special":
        return (_MATH_ESCAPES if math else _TEXT_ESCAPES)[text]
    if kind == "symbol":
        if text in ("\\{", "\\}"):
            left = text == "\\{"
            if math:
                return "\\lbrace " if left else "\\rbrace "
            return "\\textbraceleft{}" if left else "\\textbraceright{}"
        if text == "\\\\":
            return " "  # a forced line break means nothing in a reference
        if text[1] in _TEXT_SYMBOLS:
            return text
        return ("\\backslash " if math else "\\textbackslash{}") + text[1]
    if kind == "backslash":
        return "\\backslash " if math else "\\textbackslash{}"
    if kind == "literal":  # an unpaired math delimiter
        return {"$": r"\$", "$$": r"\$\$", "\\(": "(", "\\)": ")", "\\[": "[", "\\]": "]"}[text]
    return text


def _protect_words(text: str) -> str:
    def protect(match: re.Match[str]) -> str:
        word = match.group()
        if any(ch.isupper() for part in word.split("-") for ch in part[1:]):
            return "{" + word + "}"
        return word

    return _WORD.sub(protect, text)


def bibtex_title(source: str) -> str:
    """A title's LaTeX made safe for a braced BibTeX field, capitalisation protected."""
    tokens = _tokens(source)
    regions = _mark_math(tokens)
    for start, end in regions:
        _balance(tokens, range(start + 1, end))
    _balance(tokens, [i for i, t in enumerate(tokens) if not t.math])
    out: list[str] = []
    depth = 0
    index = 0
    starts = dict(regions)
    while index < len(tokens):
        if index in starts:
            end = starts[index]
            math = _render_math(tokens[index : end + 1])
            out.append("{" + math + "}" if depth == 0 else math)
            index = end + 1
            continue
        token = tokens[index]
        if token.kind == "open" and not token.drop:
            depth += 1
        elif token.kind == "close" and not token.drop:
            depth -= 1
        rendered = _render_token(token, math=False)
        after_accent = index > 0 and tokens[index - 1].text[1:] in _ACCENTS
        if token.kind == "text" and depth == 0 and not after_accent:
            rendered = _protect_words(rendered)
        out.append(rendered)
        index += 1
    return str(_ENCODER.unicode_to_latex(" ".join("".join(out).split())))


def bibtex_text(text: str) -> str:
    """Plain text (every character literal) as LaTeX for a braced BibTeX field."""
    normalized = unicodedata.normalize("NFC", " ".join(text.split()))
    escaped = "".join(_PLAIN_ESCAPES.get(ch, ch) for ch in normalized)
    return str(_ENCODER.unicode_to_latex(escaped))


def braces_balance(value: str) -> bool:
    """What BibTeX demands of a braced value: every brace closes, none too early."""
    depth = 0
    for ch in value:
        depth += (ch == "{") - (ch == "}")
        if depth < 0:
            return False
    return depth == 0
