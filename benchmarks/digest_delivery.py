"""Digest delivery speed: messages/s from the outbox to an SMTP server on 127.0.0.1.

Builds realistic digest-sized multipart messages (about 30 KB: text + HTML with ten
real papers each from the data file), queues them in a fresh SQLite outbox, and drains
it with ``send_pending`` over SMTP into an aiosmtpd sink running in a separate process
(so the sink's work is not counted against the sender). The sink counts every
Message-ID it receives: the run fails unless each message arrived exactly once.

Baseline, measured in the same run: the same messages sent one at a time with a fresh
SMTP connection per message (no reuse, no concurrency). Target: >= 300 messages/s.
"""

from __future__ import annotations

import argparse
import itertools
import lzma
import multiprocessing as mp
import re
import smtplib
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from paperfeed.mail import (  # noqa: E402
    MailSettings,
    MessageKey,
    OutgoingMessage,
    enqueue_many,
    open_transport,
    parse_mailbox,
    send_pending,
)
from paperfeed.store import open_store  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "papers-300k.jsonl.xz"
MESSAGE_ID = re.compile(rb"^Message-ID: (<[^>]+>)", re.MULTILINE | re.IGNORECASE)


# -- the sink, in its own process ---------------------------------------------------------


class _CountingHandler:
    def __init__(self) -> None:
        self.ids: Counter[bytes] = Counter()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        match = MESSAGE_ID.search(envelope.original_content or b"")
        self.ids[match.group(1) if match else b"?"] += 1
        return "250 2.0.0 accepted"


def _sink(port_out: Any, commands: Any) -> None:
    from aiosmtpd.controller import Controller

    handler = _CountingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port_out.recv(), data_size_limit=0)
    controller.start()
    port_out.send("ready")
    while commands.recv() != "stop":
        port_out.send(dict(handler.ids))
    controller.stop()


class SinkProcess:
    def __init__(self, port: int) -> None:
        self._ours, theirs = mp.Pipe()
        self._cmd, cmd_theirs = mp.Pipe()
        self.process = mp.Process(target=_sink, args=(theirs, cmd_theirs), daemon=True)
        self.process.start()
        self._ours.send(port)
        assert self._ours.recv() == "ready"

    def counts(self) -> Counter[bytes]:
        self._cmd.send("count")
        return Counter(self._ours.recv())

    def stop(self) -> None:
        self._cmd.send("stop")
        self.process.join(10)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- realistic digests --------------------------------------------------------------------


def load_papers(data: Path, count: int) -> list[dict[str, Any]]:
    with lzma.open(data, "rb") as lines:
        return [orjson.loads(line) for line in itertools.islice(lines, count)]


def digest_for(subscriber: int, papers: list[dict[str, Any]]) -> OutgoingMessage:
    picks = [papers[(subscriber * 7 + k * 13) % len(papers)] for k in range(10)]
    cards = "\n".join(
        f'<tr><td style="padding:12px 0;border-bottom:1px solid #e5e5e5;font-family:Georgia,serif">'
        f'<a href="https://papers.example.org/paper/{p["id"]}" style="color:#1a0dab;'
        f'font-size:17px;text-decoration:none">{p["title"]}</a>'
        f'<div style="color:#555;font-size:13px">{", ".join(p["authors"][:6])}</div>'
        f'<p style="margin:6px 0;font-size:14px;line-height:1.45">{p["abstract"][:900]}</p>'
        f'<div style="font-size:12px;color:#777">matches your topic &middot; '
        f'<a href="https://arxiv.org/abs/{p["id"]}">arXiv</a> &middot; '
        f'<a href="https://arxiv.org/pdf/{p["id"]}">PDF</a></div></td></tr>'
        for p in picks
    )
    text = "\n\n".join(
        f"{p['title']}\n{', '.join(p['authors'][:6])}\n{p['abstract'][:900]}\n"
        f"https://papers.example.org/paper/{p['id']}"
        for p in picks
    )
    return OutgoingMessage(
        key=MessageKey("digest", str(subscriber), "2026-05-09"),
        to_address=f"reader{subscriber}@example.org",
        subject=f"Your papers for 9 May: {picks[0]['title'][:60]}",
        text=text,
        html=f'<html><body><table style="max-width:640px">{cards}</table></body></html>',
        list_unsubscribe=(f"https://papers.example.org/unsubscribe?t=token{subscriber:08d}",),
        one_click_unsubscribe=True,
    )


# -- the measurements ---------------------------------------------------------------------


def baseline(port: int, contents: list[bytes]) -> float:
    """A fresh connection per message, one at a time: messages/s."""
    started = time.perf_counter()
    for content in contents:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            smtp.sendmail("digest@papers.example.org", ["reader@example.org"], content)
    return len(contents) / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--baseline-messages", type=int, default=1_000)
    args = parser.parse_args()

    papers = load_papers(args.data, 2_000)
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        sink = SinkProcess(port)
        mail = MailSettings(
            mail_from=parse_mailbox("paperfeed <digest@papers.example.org>"),
            public_url="https://papers.example.org",
            outbox_dir=Path(folder) / "outbox",
            smtp_url=f"smtp://127.0.0.1:{port}",
            smtp_concurrency=args.concurrency,
        )
        store = open_store(f"sqlite:///{folder}/paperfeed.db")
        started = time.perf_counter()
        for start in range(0, args.messages, 1_000):
            batch = range(start, min(start + 1_000, args.messages))
            enqueue_many(store, [digest_for(i, papers) for i in batch], mail)
        queued = time.perf_counter() - started
        sample = store.claim_outbox(limit=1, lease_seconds=0.0)[0]
        size = len(sample.content)
        store.release_outbox(sample.id, sample.claim_token)

        started = time.perf_counter()
        with open_transport(mail) as transport:
            report = send_pending(store, transport, mail)
        sent_seconds = time.perf_counter() - started
        counts = sink.counts()

        base_contents = [
            sample.content.replace(b"digest.", f"base{i}.".encode(), 1)
            for i in range(args.baseline_messages)
        ]
        base_rate = baseline(port, base_contents)
        sink.stop()
        store.close()

    rate = report.sent / sent_seconds
    duplicates = sum(c - 1 for c in counts.values() if c > 1)
    lost = args.messages - len(counts)
    print(f"messages: {args.messages:,} of {size / 1024:.1f} KB (text + HTML, 10 real papers)")
    print(f"render + queue: {queued:.1f} s ({args.messages / queued:,.0f} messages/s)")
    print(
        f"send_pending over SMTP, {args.concurrency} connections: {sent_seconds:.1f} s"
        f" = {rate:,.0f} messages/s (target >= 300)"
    )
    print(f"baseline, new connection per message, one at a time: {base_rate:,.0f} messages/s")
    print(f"ratio: {rate / base_rate:.1f}x the baseline")
    print(f"sink received {sum(counts.values()):,}: duplicates {duplicates}, lost {lost}")
    ok = report.sent == args.messages and duplicates == 0 and lost == 0 and rate >= 300
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
