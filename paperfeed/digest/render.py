"""Rendering digests and confirmation mails: Jinja2 templates, text and HTML.

The HTML part carries its CSS inline on each element (mail clients drop ``<style>``
blocks and external sheets) and uses tables for layout. Every value is escaped by
autoescaping; links are built here from ids and signed tokens, never from paper text.

A day's papers are shared by many digests, so each paper's item (``digest_item.*``) is
rendered once per run with slots where the subscriber's own values go (its number in
the list, the reason, the thumbs links); a digest then fills the slots, escaping the
values for HTML exactly as autoescaping would, and renders only the short outer
template.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from paperfeed.digest.links import DigestLinks
from paperfeed.mail import MessageKey, OutgoingMessage
from paperfeed.store.base import StoredPaper
from paperfeed.store.subscriptions import DigestPlan
from paperfeed.summaries.shown import shown_summary

TEMPLATES = Path(__file__).parent / "templates"
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'])")
EXCERPT_CHARS = 420
MAX_AUTHORS_SHOWN = 6


def excerpt(abstract: str, sentences: int = 3, limit: int = EXCERPT_CHARS) -> str:
    """The abstract's first two or three sentences, cut at ``limit`` characters."""
    text = " ".join(abstract.split())
    parts = SENTENCE_END.split(text)
    chosen = parts[:2]
    if len(parts) > 2 and len(" ".join(chosen)) < limit // 2:
        chosen = parts[:sentences]
    result = " ".join(chosen)
    if len(result) > limit:
        result = result[: limit - 3].rsplit(" ", 1)[0].rstrip(",;:") + "..."
    return result


def authors_line(paper: StoredPaper) -> str:
    names = [a.name for a in paper.paper.authors]
    if len(names) > MAX_AUTHORS_SHOWN:
        return ", ".join(names[:MAX_AUTHORS_SHOWN]) + f" and {len(names) - MAX_AUTHORS_SHOWN} more"
    return ", ".join(names)


def code_url(paper: StoredPaper) -> str | None:
    """An http(s) link to the paper's code, if one is known."""
    hf = paper.paper.hf
    candidates = [hf.github_repo] if hf and hf.github_repo else []
    candidates += list(paper.paper.code_links)
    for link in candidates:
        url = link if link.startswith(("http://", "https://")) else f"https://{link}"
        if re.fullmatch(r"https?://[A-Za-z0-9.-]+(/[A-Za-z0-9._~%/+-]*)?", url):
            return url
    return None


@dataclass(frozen=True, slots=True)
class PaperCard:
    """What every digest shows of one paper (rendered once per run, not per subscriber)."""

    title: str
    authors: str
    excerpt: str
    page_url: str
    arxiv_url: str
    pdf_url: str
    code_url: str | None
    tldr: str | None = None
    tldr_label: str = ""
    """Whose the TL;DR is: Hugging Face's AI summary or paperfeed's own."""
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One paper in one subscriber's digest: the card, the reason, the thumbs links."""

    card: PaperCard
    reason: str
    more_url: str
    less_url: str


class ItemSlots:
    """A paper's item rendered once, with slots for one subscriber's values.

    Slots are marked with a random token per renderer, so no paper text can fake one;
    ``fill`` puts the values in (through ``quote``: HTML escaping or none).
    """

    NAMES = ("number", "reason", "more_url", "less_url")

    def __init__(self, render: Callable[[Mapping[str, object]], str], token: str) -> None:
        marks = {name: f"\x00{token}{name}\x00" for name in self.NAMES}
        pieces = re.split(f"\x00{token}(\\w+)\x00", render(marks))
        self._static = pieces[0::2]
        self._slots = pieces[1::2]

    def fill(self, values: Mapping[str, str], quote: Callable[[str], str]) -> str:
        out = [self._static[0]]
        for name, static in zip(self._slots, self._static[1:], strict=True):
            out.append(quote(values[name]))
            out.append(static)
        return "".join(out)


def _html_escape(value: str) -> str:
    return str(escape(value))


def _plain(value: str) -> str:
    return value


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def ascii_html(html: str) -> str:
    """Non-ASCII characters as character references: the HTML part then travels as 7bit
    text in long lines instead of base64, which is smaller and cheaper to build."""
    return html if html.isascii() else html.encode("ascii", "xmlcharrefreplace").decode()


def _day(period: str) -> str:
    try:
        day = date.fromisoformat(period)
    except ValueError:
        return period
    return f"{day.day} {day:%b %Y}"


class DigestRenderer:
    """Turns a planned digest (or a confirmation) into an ``OutgoingMessage``."""

    def __init__(self, links: DigestLinks, site_name: str = "paperfeed") -> None:
        self.links = links
        self.site_name = site_name
        self._env = _environment()
        self._cards: dict[str, PaperCard] = {}
        self._items: dict[str, tuple[ItemSlots, ItemSlots]] = {}
        self._token = secrets.token_hex(8)

    def card(self, paper: StoredPaper) -> PaperCard:
        found = self._cards.get(paper.paper.id)
        if found is None:
            summary = shown_summary(paper)
            found = PaperCard(
                title=" ".join(paper.title_text.split()),
                authors=authors_line(paper),
                excerpt=excerpt(paper.abstract_text),
                page_url=self.links.paper_url(paper.paper.id),
                arxiv_url=paper.paper.abs_url,
                pdf_url=paper.paper.pdf_url,
                code_url=code_url(paper),
                tldr=summary.tldr,
                tldr_label="Hugging Face" if summary.tldr_source == "huggingface" else "TL;DR",
                keywords=summary.keywords,
            )
            self._cards[paper.paper.id] = found
        return found

    def _item_slots(self, card: PaperCard) -> tuple[ItemSlots, ItemSlots]:
        """The paper's text and HTML items, rendered once with slots (keyed by the
        paper's page URL, which is unique per paper id)."""
        found = self._items.get(card.page_url)
        if found is None:
            text_item = self._env.get_template("digest_item.txt")
            html_item = self._env.get_template("digest_item.html")

            def context(marks: Mapping[str, object]) -> dict[str, object]:
                item = DigestItem(
                    card, str(marks["reason"]), str(marks["more_url"]), str(marks["less_url"])
                )
                return {"item": item, "number": marks["number"]}

            found = (
                ItemSlots(lambda marks: text_item.render(context(marks)), self._token),
                ItemSlots(lambda marks: html_item.render(context(marks)), self._token),
            )
            self._items[card.page_url] = found
        return found

    def _items_of(self, items: list[DigestItem]) -> tuple[list[str], list[Markup]]:
        texts: list[str] = []
        htmls: list[Markup] = []
        for number, item in enumerate(items, start=1):
            text_slots, html_slots = self._item_slots(item.card)
            values = {
                "number": str(number),
                "reason": item.reason,
                "more_url": item.more_url,
                "less_url": item.less_url,
            }
            texts.append(text_slots.fill(values, _plain))
            htmls.append(Markup(html_slots.fill(values, _html_escape)))  # noqa: S704 - escaped
        return texts, htmls

    def digest(
        self, sid: int, email: str, plan: DigestPlan, papers: dict[str, StoredPaper]
    ) -> OutgoingMessage:
        """The digest mail for ``plan``; picks whose paper vanished are left out."""
        thumbs = self.links.feedback_token(sid)
        items = [
            DigestItem(
                card=self.card(papers[p.paper_id]),
                reason=p.reason,
                more_url=self.links.feedback_url(thumbs, p.paper_id, 1),
                less_url=self.links.feedback_url(thumbs, p.paper_id, -1),
            )
            for p in plan.picks
            if p.paper_id in papers
        ]
        token = self.links.subscriber_token("unsubscribe", sid)
        unsubscribe = self.links.unsubscribe_url(sid, token)
        texts, htmls = self._items_of(items)
        context = {
            "site": self.site_name,
            "day": _day(plan.period),
            "candidates": plan.candidates,
            "capped": plan.capped,
            "since": f"{plan.window_start.day} {plan.window_start:%b %Y}",
            "manage_url": self.links.manage_url(sid),
            "unsubscribe_url": unsubscribe,
            "home_url": self.links.base + "/",
        }
        return OutgoingMessage(
            key=MessageKey("digest", str(sid), plan.period),
            to_address=email,
            subject=self._subject(items, context["day"]),
            text=self._env.get_template("digest.txt").render({**context, "items": texts}),
            html=ascii_html(
                self._env.get_template("digest.html").render({**context, "items": htmls})
            ),
            list_unsubscribe=(unsubscribe, self.links.unsubscribe_mailto(sid, token)),
            one_click_unsubscribe=unsubscribe.startswith("https://"),
        )

    def _subject(self, items: list[DigestItem], day: object) -> str:
        """Count and day, then the top title when it is plain printable ASCII: a
        non-ASCII subject must be RFC 2047-encoded, which costs more than the rest of the
        message, and a control character would make the message unsendable."""
        if not items:
            return f"{self.site_name}: no new papers for {day}"
        subject = f"{self.site_name}: {len(items)} new paper{'s' if len(items) != 1 else ''}"
        subject += f" for {day}"
        top = items[0].card.title
        if top.isascii() and top.isprintable():
            subject += f" - {top}"
        return subject[:200]

    def confirmation(self, sid: int, email: str, period: str) -> OutgoingMessage:
        """The double opt-in mail: the only mail an unconfirmed address ever gets."""
        context = {
            "site": self.site_name,
            "confirm_url": self.links.confirm_url(sid),
            "hours": self.links.confirm_hours,
            "home_url": self.links.base + "/",
        }
        return OutgoingMessage(
            key=MessageKey("confirm", str(sid), period),
            to_address=email,
            subject=f"Confirm your {self.site_name} digest subscription",
            text=self._env.get_template("confirm.txt").render(context),
            html=self._env.get_template("confirm.html").render(context),
            transactional=True,
        )
