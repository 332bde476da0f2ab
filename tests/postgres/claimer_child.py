"""A process that claims outbox messages directly and sends each over SMTP.

Run as ``python -m tests.postgres.claimer_child DATABASE_URL SMTP_HOST SMTP_PORT``;
several at once exercise ``claim_outbox`` (``FOR UPDATE SKIP LOCKED``) with no sender
lease in between. Exits 0 when nothing is left to claim.
"""

from __future__ import annotations

import smtplib
import sys

from paperfeed.store import open_store


def main(database_url: str, host: str, port: int) -> int:
    with open_store(database_url, migrate=False) as store, smtplib.SMTP(host, port) as smtp:
        while True:
            claimed = store.claim_outbox(limit=3, lease_seconds=60)
            if not claimed:
                return 0
            for message in claimed:
                smtp.sendmail(message.sender, [message.recipient], message.content)
                assert store.mark_outbox_sent(message.id, message.claim_token)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
