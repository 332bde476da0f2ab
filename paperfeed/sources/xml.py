"""Hardened XML parsing for upstream feeds.

Feeds come from the network, so entity expansion, external entities and DTDs are
refused (defusedxml); a parse failure becomes ``XMLProblem`` with the line and column.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException


class XMLProblem(Exception):
    """The document is not well-formed or uses a forbidden XML feature."""


def parse_xml(data: bytes) -> Element:
    """Parse ``data`` without resolving entities or DTDs; raise ``XMLProblem`` on failure."""
    if not data.strip():
        raise XMLProblem("empty document")
    try:
        root: Element = SafeET.fromstring(data, forbid_dtd=True)
        return root
    except ParseError as exc:
        line, column = exc.position
        raise XMLProblem(f"malformed XML at line {line}, column {column}") from exc
    except DefusedXmlException as exc:
        raise XMLProblem(f"forbidden XML construct: {exc.__class__.__name__}") from exc
    except (LookupError, ValueError) as exc:  # a damaged XML declaration names no usable encoding
        raise XMLProblem(f"unusable XML declaration: {exc}") from exc


def text_of(element: Element | None) -> str | None:
    """The element's text with whitespace runs collapsed, or ``None`` if absent or empty."""
    if element is None:
        return None
    text = " ".join("".join(element.itertext()).split())
    return text or None
