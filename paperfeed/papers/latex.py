"""Render arXiv titles and abstracts (LaTeX kept as written) to plain Unicode text.

Why not ``pylatexenc.latex2text.LatexNodes2Text``: it builds a full node tree
(~3.6 ms per LaTeX-bearing abstract) and raises on some real inputs.  Imports
need tens of thousands of abstracts per second and must never fail, so this
module is a small single-pass renderer:

* one compiled regex splits the source into alternating plain-text runs and
  LaTeX tokens (control words/symbols, ``$``, braces, ``~ ^ _``, dashes,
  double quotes);
* a recursive-descent walk over that list renders tokens; groups and macro
  arguments recurse, with a depth cap so hostile nesting cannot blow the stack;
* macro -> Unicode symbols come from pylatexenc's own default tables, read
  once at import into a dict (plus our overrides for the macros with args);
* any unexpected error falls back to a crude but safe regex cleanup, so
  :func:`latex_to_text` never raises.

Output conventions (documented choices):

* ``$``/``$$``/``\\(``/``\\[`` delimiters are removed; an unclosed ``$`` is
  kept literally (it was probably a dollar sign).
* Unknown macros keep their name without the backslash (``\\Msun`` -> ``Msun``),
  separated by a space from adjacent letters/digits; their ``{...}`` arguments
  are rendered as ordinary groups, so no surrounding text is lost.
* Math stays linear: ``x^2``, ``x_ij``, ``e^(-β H)`` (parentheses when the
  script is not a single word), ``\\frac{a}{b}`` -> ``a/b`` or ``(a+1)/b``, ``\\sqrt{x}`` -> ``√x``,
  ``\\log`` -> ``log``.
* ``\\mathbb``/``\\mathcal``/``\\mathscr``/``\\mathfrak`` use the Unicode math
  alphabets (``ℝ``, ``𝒪``); search indexing can fold them with NFKC.
  ``\\mathbf``/``\\mathit``/``\\boldsymbol`` etc. are just unwrapped, and
  font/size switches (``{\\bf x}``, ``\\displaystyle``) vanish.
* ``\\cite{a,b}`` -> ``[a,b]``; ``\\ref{x}`` -> ``x``; ``\\label`` is dropped;
  ``\\url{u}`` -> ``u`` verbatim; ``\\href{u}{t}`` -> ``t (u)``.
* Single backticks and apostrophes are left alone (only doubled ones become
  “ ”), so text without LaTeX triggers renders the same on either path.
* Whitespace is collapsed to single spaces and stripped.  NUL characters are
  removed on the slow path (used internally as spacing markers).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

__all__ = ["latex_to_text"]

# Strings without any of ``\ $ ~ { }`` or ``` `` '' -- ``` take the fast path
# (whitespace collapse only); see _has_latex.
_TRIGGER_CHAR = re.compile(r"[\\$~{}]").search

# Tokenizer: the capturing group makes ``split`` return [text, tok, text, ...],
# so odd indices are tokens and even indices plain text (possibly empty).
# The leading lookahead is redundant but lets ``re`` skip ahead with a charset
# scan instead of trying the alternation at every position (~1.5x faster).
_SPLIT = re.compile(
    r"(?=[\\$\-`'{}~^_])(\\[A-Za-z]+|\\.|\$\$?|---?|``|''|[{}~^_])",
    re.DOTALL,
)

# Spacing marker: put around operator names and unknown macros, turned into a
# space only where it touches a word character (``n\log n`` -> ``n log n``).
_MARK = "\x00"

_MAX_DEPTH = 60

# --------------------------------------------------------------------------
# Tables (built once at import)
# --------------------------------------------------------------------------

# Accent macros -> combining character.
_ACCENTS: dict[str, str] = {
    "\\'": "\u0301",
    "\\`": "\u0300",
    '\\"': "\u0308",
    "\\^": "\u0302",
    "\\~": "\u0303",
    "\\=": "\u0304",
    "\\.": "\u0307",
    "\\c": "\u0327",
    "\\H": "\u030b",
    "\\k": "\u0328",
    "\\b": "\u0331",
    "\\d": "\u0323",
    "\\r": "\u030a",
    "\\u": "\u0306",
    "\\v": "\u030c",
    "\\hat": "\u0302",
    "\\check": "\u030c",
    "\\breve": "\u0306",
    "\\acute": "\u0301",
    "\\grave": "\u0300",
    "\\tilde": "\u0303",
    "\\bar": "\u0304",
    "\\dot": "\u0307",
    "\\ddot": "\u0308",
    "\\vec": "\u20d7",
    "\\mathring": "\u030a",
    "\\not": "\u0338",
}
# Spacing form of an accent whose argument is empty (``\^{}`` -> ``^``).
_SPACING_ACCENT: dict[str, str] = {
    "\u0301": "´",
    "\u0300": "`",
    "\u0308": "¨",
    "\u0302": "^",
    "\u0303": "~",
    "\u0304": "¯",
    "\u0307": "˙",
    "\u030c": "ˇ",
    "\u0306": "˘",
    "\u030a": "˚",
}
_DOTLESS = {"ı": "i", "ȷ": "j"}

# Letter-like text macros: eat the following space when used inside a word
# (``Stra\ss e`` -> ``Straße``), as TeX does.
_LETTER_MACROS = frozenset(
    "\\" + n
    for n in (
        "i",
        "j",
        "o",
        "O",
        "l",
        "L",
        "ss",
        "aa",
        "AA",
        "ae",
        "AE",
        "oe",
        "OE",
        "dh",
        "DH",
        "th",
        "TH",
        "ng",
        "NG",
    )
)

# Greek and the most common symbols, so the module works even if pylatexenc's
# tables are unavailable; pylatexenc's tables are merged on top when present.
_GREEK = (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi "
    "pi rho sigma tau upsilon phi chi psi omega"
)


def _base_symbols() -> dict[str, str]:
    """Minimal symbol table derived from Unicode names (no third-party data)."""
    table: dict[str, str] = {}
    for name in _GREEK.split():
        uname = "LAMDA" if name == "lambda" else name.upper()
        table["\\" + name] = unicodedata.lookup("GREEK SMALL LETTER " + uname)
        cap = unicodedata.lookup("GREEK CAPITAL LETTER " + uname)
        table["\\" + name[0].upper() + name[1:]] = cap
    table.update(
        {
            "\\varepsilon": "ε",
            "\\vartheta": "ϑ",
            "\\varphi": "φ",
            "\\phi": "ϕ",
            "\\varrho": "ϱ",
            "\\varsigma": "ς",
            "\\varpi": "ϖ",
            "\\varkappa": "ϰ",
            "\\epsilon": "ϵ",
            "\\leq": "≤",
            "\\le": "≤",
            "\\geq": "≥",
            "\\ge": "≥",
            "\\neq": "≠",
            "\\ne": "≠",
            "\\approx": "≈",
            "\\sim": "∼",
            "\\simeq": "≃",
            "\\equiv": "≡",
            "\\propto": "∝",
            "\\infty": "∞",
            "\\partial": "∂",
            "\\nabla": "∇",
            "\\pm": "±",
            "\\mp": "∓",
            "\\times": "×",
            "\\cdot": "⋅",
            "\\in": "∈",
            "\\notin": "∉",
            "\\subset": "⊂",
            "\\subseteq": "⊆",
            "\\cup": "∪",
            "\\cap": "∩",
            "\\to": "→",
            "\\rightarrow": "→",
            "\\leftarrow": "←",
            "\\Rightarrow": "⇒",
            "\\ll": "≪",
            "\\gg": "≫",
            "\\ldots": "…",
            "\\cdots": "⋯",
            "\\dots": "…",
            "\\hbar": "ħ",
            "\\ell": "ℓ",
            "\\sum": "∑",
            "\\prod": "∏",
            "\\int": "∫",
            "\\forall": "∀",
            "\\exists": "∃",
            "\\emptyset": "∅",
            "\\langle": "⟨",
            "\\rangle": "⟩",
            "\\lesssim": "≲",
            "\\gtrsim": "≳",
            "\\otimes": "⊗",
            "\\oplus": "⊕",
            "\\circ": "∘",
            "\\ast": "∗",
            "\\star": "⋆",
            "\\dagger": "†",
            "\\prime": "′",
            "\\mid": "|",
            "\\vert": "|",
            "\\Vert": "‖",
            "\\i": "ı",
            "\\j": "ȷ",
            "\\o": "ø",
            "\\O": "Ø",
            "\\l": "ł",
            "\\L": "Ł",
            "\\ss": "ß",
            "\\aa": "å",
            "\\AA": "Å",
            "\\ae": "æ",
            "\\AE": "Æ",
            "\\oe": "œ",
            "\\OE": "Œ",
        }
    )
    return table


def _pylatexenc_symbols() -> dict[str, str]:
    """Zero-argument macros with a plain-string replacement in pylatexenc.

    Resolved through pylatexenc's context db so its own precedence between
    spec categories applies.  Anything going wrong here just yields ``{}``.
    """
    try:
        from pylatexenc import latexwalker
        from pylatexenc.latex2text import (
            _defaultspecs,
            get_default_latex_context_db,
        )
    except Exception:  # pragma: no cover - optional data source
        return {}
    table: dict[str, str] = {}
    try:
        text_db = get_default_latex_context_db()
        walk_db = latexwalker.get_default_latex_context_db()
        names: set[str] = set()
        for _category, spec in _defaultspecs.specs:
            for macro in spec["macros"]:
                names.add(macro.macroname)
        for name in names:
            spec_t = text_db.get_macro_spec(name)
            repl = getattr(spec_t, "simplify_repl", None)
            if not isinstance(repl, str) or "%" in repl:
                continue
            spec_w = walk_db.get_macro_spec(name)
            parser = getattr(spec_w, "args_parser", None)
            if getattr(parser, "argspec", ""):
                continue  # takes arguments: handled (or not) by our own table
            table["\\" + name] = repl
    except Exception:  # pragma: no cover - defensive: version drift
        return {}
    return table


# Macros whose pylatexenc rendering we override: spacing, typography choices,
# and entries that are wrong or unhelpful for plain text.
_OVERRIDES: dict[str, str] = {
    "\\\\": " ",
    "\\,": " ",
    "\\;": " ",
    "\\:": " ",
    "\\>": " ",
    "\\ ": " ",
    "\\!": "",
    "\\/": "",
    "\\-": "",
    "\\@": "",
    "\\*": "",
    "\\\n": " ",
    "\\\t": " ",
    "\\\r": " ",
    "\\%": "%",
    "\\&": "&",
    "\\$": "$",
    "\\#": "#",
    "\\_": "_",
    "\\{": "{",
    "\\}": "}",
    "\\|": "‖",
    "\\quad": " ",
    "\\qquad": " ",
    "\\enskip": " ",
    "\\enspace": " ",
    "\\thinspace": " ",
    "\\negthinspace": "",
    "\\space": " ",
    "\\nobreakspace": " ",
    "\\newline": " ",
    "\\linebreak": " ",
    "\\par": " ",
    "\\noindent": "",
    "\\indent": "",
    "\\eth": "ð",
    "\\eps": "ε",
    "\\colon": ":",
    "\\lbrace": "{",
    "\\rbrace": "}",
    "\\textbackslash": "\\",
    "\\backslash": "\\",
    "\\setminus": "∖",
    "\\euro": "€",
    "\\LaTeX": "LaTeX",
    "\\TeX": "TeX",
    "\\LaTeXe": "LaTeX2e",
    "\\ie": "i.e.",
    "\\eg": "e.g.",
    "\\etal": "et al.",
    "\\degree": "°",
    "\\textdegree": "°",
    "\\ensuremath": "",
    # \left( -> (, sizes and style switches vanish.
    "\\middle": "",
    "\\prime": "′",
    "\\big": "",
    "\\Big": "",
    "\\bigg": "",
    "\\Bigg": "",
    "\\bigl": "",
    "\\bigr": "",
    "\\Bigl": "",
    "\\Bigr": "",
    "\\biggl": "",
    "\\biggr": "",
    "\\Biggl": "",
    "\\Biggr": "",
    "\\bigm": "",
    "\\Bigm": "",
    "\\displaystyle": "",
    "\\textstyle": "",
    "\\scriptstyle": "",
    "\\scriptscriptstyle": "",
    "\\limits": "",
    "\\nolimits": "",
    "\\rm": "",
    "\\bf": "",
    "\\it": "",
    "\\em": "",
    "\\sl": "",
    "\\sc": "",
    "\\tt": "",
    "\\sf": "",
    "\\up": "",
    "\\normalfont": "",
    "\\boldmath": "",
    "\\unboldmath": "",
    "\\mathversion": "",
    "\\tiny": "",
    "\\small": "",
    "\\footnotesize": "",
    "\\scriptsize": "",
    "\\normalsize": "",
    "\\large": "",
    "\\Large": "",
    "\\LARGE": "",
    "\\huge": "",
    "\\Huge": "",
    "\\centering": "",
    "\\hfill": " ",
    "\\vfill": " ",
    "\\relax": "",
    "\\protect": "",
    "\\nonumber": "",
    "\\notag": "",
    "\\maketitle": "",
    "\\item": " • ",
    "~": " ",
    "--": "–",
    "---": "—",
    "``": "“",
    "''": "”",
    "\\over": "/",
    "\\choose": " choose ",
    "\\mit": "",
}

# Function-like operator names: spaced from adjacent words (``n\log n``).
_OPERATORS = (
    "log ln lg exp sin cos tan cot sec csc sinh cosh tanh coth arcsin arccos "
    "arctan arcsinh arccosh arctanh max min sup inf lim liminf limsup det dim "
    "ker deg arg gcd lcm Pr hom Hom tr Tr rank mod bmod"
)


def _build_simple() -> dict[str, str]:
    """Exact token -> replacement for every argument-free token."""
    table = _base_symbols()
    table.update(_pylatexenc_symbols())
    table.update(_OVERRIDES)
    for op in _OPERATORS.split():
        table["\\" + op] = _MARK + op + _MARK
    table["\\liminf"] = _MARK + "lim inf" + _MARK
    table["\\limsup"] = _MARK + "lim sup" + _MARK
    table["\\pmod"] = _MARK + "mod" + _MARK  # argument is rendered as a group
    for acc in _ACCENTS:  # accents take an argument: never a plain symbol
        table.pop(acc, None)
    return table


def _math_alphabet(kind: str) -> dict[int, str]:
    """``str.translate`` table mapping ASCII letters (and digits) to a Unicode
    math alphabet, using the Letterlike Symbols block where Unicode puts the
    pre-existing characters (ℝ, ℬ, ℭ, ...)."""
    prefix = {
        "bb": "DOUBLE-STRUCK",
        "cal": "SCRIPT",
        "frak": "FRAKTUR",
    }[kind]
    legacy = {"bb": "DOUBLE-STRUCK", "cal": "SCRIPT", "frak": "BLACK-LETTER"}[kind]
    table: dict[int, str] = {}
    for letters, case in (
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "CAPITAL"),
        ("abcdefghijklmnopqrstuvwxyz", "SMALL"),
    ):
        for ch in letters:
            for name in (
                f"MATHEMATICAL {prefix} {case} {ch.upper()}",
                f"{legacy} {case} {ch.upper()}",
                f"{case} {legacy} {ch.upper()}",
            ):
                try:
                    table[ord(ch)] = unicodedata.lookup(name)
                    break
                except KeyError:
                    continue
    if kind == "bb":
        digit_names = (
            "ZERO",
            "ONE",
            "TWO",
            "THREE",
            "FOUR",
            "FIVE",
            "SIX",
            "SEVEN",
            "EIGHT",
            "NINE",
        )
        for digit, dname in enumerate(digit_names):
            table[ord(str(digit))] = unicodedata.lookup(f"MATHEMATICAL DOUBLE-STRUCK DIGIT {dname}")
    table[ord("ı")] = table.get(ord("i"), "i")
    return table


_SIMPLE: dict[str, str] = _build_simple()
_LETTERS: dict[str, str] = {m: _SIMPLE.pop(m) for m in _LETTER_MACROS if m in _SIMPLE}
_BB = _math_alphabet("bb")
_CAL = _math_alphabet("cal")
_FRAK = _math_alphabet("frak")

# --------------------------------------------------------------------------
# Renderer
# --------------------------------------------------------------------------

_Parts = list[str]
_Handler = Callable[[_Parts, int, bool, int], tuple[str, int]]

_MATH_OPEN = {"$": "$", "$$": "$$", "\\(": "\\)", "\\[": "\\]"}
_MATH_CLOSE = frozenset(("$", "$$", "\\)", "\\]"))
_SCRIPT_SUFFIX = frozenset(("′", "″", "‴", "*", "∗", "†", "‡", "'", "''"))
_ATOMIC = re.compile(r"[\w.]+|.", re.DOTALL)  # fullmatch: no parens needed

_accent_cache: dict[tuple[str, str], str] = {}


def _accent(mark: str, arg: str) -> str:
    """Combine ``mark`` with the first character of ``arg`` (NFC-composed)."""
    key = (mark, arg)
    hit = _accent_cache.get(key)
    if hit is not None:
        return hit
    if _MARK in arg:
        arg = arg.replace(_MARK, "")
    if not arg:
        out = _SPACING_ACCENT.get(mark, "")
    else:
        first = _DOTLESS.get(arg[0], arg[0])
        out = unicodedata.normalize("NFC", first + mark) + arg[1:]
    if len(_accent_cache) < 4096:
        _accent_cache[key] = out
    return out


def _seq(parts: _Parts, i: int, close: str, math: bool, depth: int) -> tuple[str, int, bool]:
    """Render tokens from ``i`` until ``close`` (a token) or the end.

    Returns (text, next index, whether ``close`` was found).  ``close`` is
    ``""`` for the top level, ``"}"`` for a group or a math closer.  The
    commonest tokens are handled inline: this loop is the hot path.
    """
    out: list[str] = []
    append = out.append
    simple = _SIMPLE
    n = len(parts)
    in_math_close = close in _MATH_CLOSE
    while i < n:
        p = parts[i]
        if not i & 1:
            if p:
                append(p)
            i += 1
            continue
        r = simple.get(p)
        if r is not None:
            append(r)
            i += 1
            continue
        if p == close:
            return "".join(out), i + 1, True
        if p == "{":
            if depth < _MAX_DEPTH:
                r, i, _ = _seq(parts, i + 1, "}", math, depth + 1)
                append(r)
            else:
                i += 1  # flatten pathological nesting
            continue
        if in_math_close:
            if p in _MATH_CLOSE:
                if p == "$$" and close == "$":
                    parts[i] = "$"  # ``$a$$b$``: close here, reopen on the next "$"
                    return "".join(out), i, True
                return "".join(out), i + 1, True
        elif p == "$" and depth < _MAX_DEPTH:
            r, i, closed = _seq(parts, i + 1, "$", True, depth + 1)
            append(r if closed else "$" + r)
            continue
        r = _LETTERS.get(p)
        if r is not None:
            # TeX eats the space after ``\ss``; do so inside a word only
            # (``Stra\ss e``), not for ``5 \AA resolution``.
            i += 1
            if out and out[-1][-1:].isalpha() and i < n and parts[i][:1].isspace():
                parts[i] = parts[i].lstrip()
            append(r)
            continue
        r, i = _item(parts, i, math, depth)
        append(r)
    return "".join(out), i, False


def _item(parts: _Parts, i: int, math: bool, depth: int) -> tuple[str, int]:
    """Render the token at odd index ``i`` and whatever arguments it takes."""
    p = parts[i]
    r = _SIMPLE.get(p) or _LETTERS.get(p)
    if r is not None:
        return r, i + 1
    if p == "{":
        if depth >= _MAX_DEPTH:
            return "", i + 1  # flatten pathological nesting
        s, j, _ = _seq(parts, i + 1, "}", math, depth + 1)
        return s, j
    if p == "}" or p in ("\\)", "\\]"):
        return "", i + 1  # stray closer
    opener = _MATH_OPEN.get(p)
    if opener is not None:
        if depth >= _MAX_DEPTH:
            return "", i + 1
        s, j, closed = _seq(parts, i + 1, opener, True, depth + 1)
        return (s if closed else p + s), j
    if p == "^" or p == "_":
        if not math:
            return p, i + 1
        arg, j = _arg(parts, i + 1, True, depth)
        if not arg:
            return "", j
        if arg in _SCRIPT_SUFFIX:
            return arg, j
        body = arg[1:] if arg[0] in "+-−" and len(arg) > 1 else arg
        if _ATOMIC.fullmatch(body):
            return p + arg, j
        return p + "(" + arg + ")", j
    handler = _HANDLERS.get(p)
    if handler is not None:
        return handler(parts, i + 1, math, depth)
    mark = _ACCENTS.get(p)
    if mark is not None:
        arg, j = _arg(parts, i + 1, math, depth)
        return _accent(mark, arg), j
    if p[0] == "\\":
        name = p[1:]
        if name[:1].isalpha():
            return _MARK + name + _MARK, i + 1  # unknown macro: keep its name
        return name, i + 1  # unknown control symbol: keep the character
    return p, i + 1


def _arg(parts: _Parts, i: int, math: bool, depth: int) -> tuple[str, int]:
    """Read one macro argument starting at index ``i`` (a ``{}`` group, a
    single token, or the next non-space character of a text run)."""
    n = len(parts)
    if depth >= _MAX_DEPTH:
        return "", i
    while i < n:
        p = parts[i]
        if not i & 1:
            s = p.lstrip()
            if s:
                parts[i] = s[1:]
                return s[0], i
            i += 1
            continue
        if p == "}" or p in _MATH_CLOSE:
            return "", i  # missing argument: leave the closer alone
        s, j = _item(parts, i, math, depth + 1)
        return s, j
    return "", i


def _raw_arg(parts: _Parts, i: int) -> tuple[str, int]:
    """Read a ``{...}`` argument verbatim (URLs, labels, citation keys)."""
    n = len(parts)
    while i < n and not i & 1 and not parts[i].strip():
        i += 1
    if i >= n or parts[i] != "{":
        return "", i
    level = 1
    out: list[str] = []
    i += 1
    while i < n:
        p = parts[i]
        if i & 1:
            if p == "{":
                level += 1
            elif p == "}":
                level -= 1
                if level == 0:
                    return "".join(out), i + 1
        out.append(p)
        i += 1
    return "".join(out), i


def _opt_arg(parts: _Parts, i: int) -> tuple[str | None, int]:
    """Consume a ``[...]`` optional argument contained in the next text run."""
    if i < len(parts) and not i & 1:
        s = parts[i].lstrip()
        if s.startswith("["):
            end = s.find("]")
            if end > 0:
                parts[i] = s[end + 1 :]
                return s[1:end], i
    return None, i


def _wrap(s: str) -> str:
    """Parenthesise a compound operand of ``/`` or ``√``."""
    t = s.strip()
    if _ATOMIC.fullmatch(t.replace(_MARK, "")) or not t:
        return t
    return "(" + t + ")"


# -- argument-taking macro handlers ----------------------------------------


def _h_unwrap(parts: _Parts, i: int, math: bool, depth: int) -> tuple[str, int]:
    return _arg(parts, i, math, depth)


def _h_unwrap_text(parts: _Parts, i: int, math: bool, depth: int) -> tuple[str, int]:
    return _arg(parts, i, False, depth)


def _h_operatorname(parts: _Parts, i: int, math: bool, depth: int) -> tuple[str, int]:
    s, j = _arg(parts, i, math, depth)
    return _MARK + s + _MARK, j


def _alphabet(table: dict[int, str]) -> _Handler:
    def handler(parts: _Parts, i: int, math: bool, depth: int) -> tuple[str, int]:
        s, j = _arg(parts, i, math, depth)
        return s.translate(table), j

    return handler


def _h_frac(parts: _Parts, i: int, math: bool, depth: int) -> tuple[str, int]:
    a, i = _arg(parts, i, math, depth)
    b, i = _arg(parts, i, math, depth)
    return _wrap(a) + "/" + _wrap(b), i


def _h_binom(parts: _Parts, i: int, math: bool, depth: int) -> tuple[str, int]:
    a, i = _arg(parts, i, math, depth)
    b, i = _arg(parts, i, math, depth)
    return "(" + a.strip() + " choose " + b.strip() + ")", i


def _h_sqrt(parts: _Parts, i: int, math: bool, depth: int) -> tuple[str, int]:
    n, i = _opt_arg(parts, i)
    a, i = _arg(parts, i, math, depth)
    n = (n or "").strip()
    root = {"": "√", "2": "√", "3": "∛", "4": "∜"}.get(n)
    if root is None:
        root = "(" + n + ")√"
    return root + _wrap(a), i


def _h_second(parts: _Parts, i: int, math: bool, depth: int) -> tuple[str, int]:
    """``\\stackrel{def}{=}``, ``\\textcolor{red}{x}``: keep the second arg."""
    _, i = _arg(parts, i, math, depth)
    return _arg(parts, i, math, depth)


def _h_drop(parts: _Parts, i: int, math: bool, depth: int) -> tuple[str, int]:
    _, i = _opt_arg(parts, i)
    _, i = _raw_arg(parts, i)
    return "", i


def _h_cite(parts: _Parts, i: int, math: bool, depth: int) -> tuple[str, int]:
    _, i = _opt_arg(parts, i)
    _, i = _opt_arg(parts, i)
    keys, i = _raw_arg(parts, i)
    return ("[" + keys.strip() + "]" if keys.strip() else ""), i


def _h_raw(parts: _Parts, i: int, math: bool, depth: int) -> tuple[str, int]:
    s, i = _raw_arg(parts, i)
    return s, i


def _h_href(parts: _Parts, i: int, math: bool, depth: int) -> tuple[str, int]:
    url, i = _raw_arg(parts, i)
    text, i = _arg(parts, i, False, depth)
    text = text.strip()
    if not text or text == url:
        return url, i
    return text + " (" + url + ")", i


def _h_footnote(parts: _Parts, i: int, math: bool, depth: int) -> tuple[str, int]:
    s, i = _arg(parts, i, False, depth)
    return " (" + s + ")", i


def _h_begin(parts: _Parts, i: int, math: bool, depth: int) -> tuple[str, int]:
    name, i = _raw_arg(parts, i)
    if name.strip() in ("array", "tabular", "tabularx"):
        _, i = _raw_arg(parts, i)  # column spec
    return " ", i


def _h_sizer(parts: _Parts, i: int, math: bool, depth: int) -> tuple[str, int]:
    """``\\left(`` -> ``(``; the null delimiter of ``\\left.`` vanishes."""
    if i < len(parts) and not i & 1:
        s = parts[i].lstrip()
        if s.startswith("."):
            parts[i] = s[1:]
    return "", i


def _h_delimited(left: str, right: str) -> _Handler:
    def handler(parts: _Parts, i: int, math: bool, depth: int) -> tuple[str, int]:
        s, j = _arg(parts, i, math, depth)
        return left + s + right, j

    return handler


def _words(text: str) -> list[str]:
    """Split a space-separated list of macro names (keeps the tables short)."""
    return text.split()


_HANDLERS: dict[str, _Handler] = {}
for _name in _words(
    "emph textit textbf textrm textsf texttt textsc textsl textup textmd "
    "textnormal text mbox hbox fbox underline uline"
):
    _HANDLERS["\\" + _name] = _h_unwrap_text
for _name in _words(
    "mathrm mathit mathbf mathsf mathtt mathnormal boldsymbol bm pmb "
    "mathop mathbin mathrel overline widehat widetilde overrightarrow "
    "overleftarrow underbrace overbrace ensuremath "
    "lowercase uppercase MakeUppercase MakeLowercase textsuperscript "
    "textsubscript"
):
    _HANDLERS["\\" + _name] = _h_unwrap
_HANDLERS["\\operatorname"] = _h_operatorname
for _name, _table in (
    ("mathbb", _BB),
    ("Bbb", _BB),
    ("mathds", _BB),
    ("mathbbm", _BB),
    ("bbm", _BB),
    ("mathcal", _CAL),
    ("mathscr", _CAL),
    ("EuScript", _CAL),
    ("cal", _CAL),
    ("mathfrak", _FRAK),
    ("frak", _FRAK),
    ("mathgoth", _FRAK),
):
    _HANDLERS["\\" + _name] = _alphabet(_table)
for _name in ("frac", "dfrac", "tfrac", "cfrac", "nicefrac", "sfrac", "textfrac"):
    _HANDLERS["\\" + _name] = _h_frac
for _name in ("binom", "dbinom", "tbinom"):
    _HANDLERS["\\" + _name] = _h_binom
_HANDLERS["\\sqrt"] = _h_sqrt
for _name in ("stackrel", "overset", "underset", "textcolor", "colorbox"):
    _HANDLERS["\\" + _name] = _h_second
for _name in _words(
    "label hspace vspace color phantom vphantom hphantom bibliographystyle "
    "bibliography pagestyle thispagestyle setlength addtolength "
    "includegraphics end"
):
    _HANDLERS["\\" + _name] = _h_drop
for _name in _words(
    "cite citep citet citealt citealp citeauthor citeyear nocite parencite textcite autocite"
):
    _HANDLERS["\\" + _name] = _h_cite
for _name in _words("ref eqref autoref cref Cref pageref url nolinkurl path doi"):
    _HANDLERS["\\" + _name] = _h_raw
_HANDLERS["\\href"] = _h_href
_HANDLERS["\\footnote"] = _h_footnote
_HANDLERS["\\thanks"] = _h_footnote
_HANDLERS["\\begin"] = _h_begin
_HANDLERS["\\left"] = _h_sizer
_HANDLERS["\\right"] = _h_sizer
_HANDLERS["\\ket"] = _h_delimited("|", "⟩")
_HANDLERS["\\bra"] = _h_delimited("⟨", "|")
del _name, _table
for _name in _HANDLERS:  # argument-taking macros are never plain symbols
    _SIMPLE.pop(_name, None)


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------

_FALLBACK_MACRO = re.compile(r"\\([A-Za-z]+)")
_FALLBACK_DROP = re.compile(r"[\\{}$]")


def _fallback(source: str) -> str:
    """Last resort if the renderer fails: strip LaTeX syntax, keep the words."""
    try:
        text = _FALLBACK_MACRO.sub(lambda m: _SIMPLE.get(m.group(0), m.group(1)), source)
        text = _FALLBACK_DROP.sub(" ", text).replace(_MARK, "")
        return " ".join(text.split())
    except Exception:  # pragma: no cover - cannot really happen
        return ""


def _has_latex(source: str) -> bool:
    """Whether ``source`` needs the renderer.  One charset regex plus three
    substring tests is ~2x faster on plain text than a single alternation."""
    return _TRIGGER_CHAR(source) is not None or "--" in source or "``" in source or "''" in source


def _collapse(text: str) -> str:
    """Collapse whitespace runs to one space and strip; skip the work when the
    text only has single ASCII spaces (isprintable rejects all other space)."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


def _unmark(text: str) -> str:
    """Drop spacing markers, leaving a space where one separates two words
    (or a closing bracket and a word).  A str.split loop, not a regex: a
    lookbehind-led pattern scans every position and was 10x slower."""
    pieces = [p for p in text.split(_MARK) if p]
    if not pieces:
        return ""
    out = [pieces[0]]
    last = pieces[0][-1]
    for piece in pieces[1:]:
        if (last.isalnum() or last in ")]") and piece[0].isalnum():
            out.append(" ")
        out.append(piece)
        last = piece[-1]
    return "".join(out)


def _render(source: str) -> str:
    """Slow path: tokenize and render (may raise; wrapped by the caller)."""
    if _MARK in source:
        source = source.replace(_MARK, "")
    parts = _SPLIT.split(source)
    text, _, _ = _seq(parts, 0, "", False, 0)
    if _MARK in text:
        text = _unmark(text)
    return " ".join(text.split())  # rendered text nearly always has double spaces


def latex_to_text(source: str) -> str:
    """Render arXiv-style LaTeX-bearing text to plain, whitespace-collapsed Unicode.

    Never raises and is deterministic; strings without LaTeX triggers only get
    their whitespace collapsed (the common, fast case).
    """
    if not isinstance(source, str) or not source:
        return ""
    if not _has_latex(source):
        return _collapse(source)
    try:
        return _render(source)
    except Exception:
        return _fallback(source)
