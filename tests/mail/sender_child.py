"""A sender process for the kill -9 test: drains the outbox in small batches.

Run as ``python -m tests.mail.sender_child DATABASE_URL SMTP_URL`` from the repository
root; exits 0 once nothing is left to send.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from paperfeed.mail import MailSettings, open_transport, parse_mailbox, send_pending
from paperfeed.store import open_store

LEASE_SECONDS = 1.0  # short, so a restart soon takes over what the killed run claimed


def main(database_url: str, smtp_url: str) -> int:
    mail = MailSettings(
        mail_from=parse_mailbox("digest@paperfeed.example"),
        public_url="https://paperfeed.example",
        outbox_dir=Path("unused"),
        smtp_url=smtp_url,
        smtp_concurrency=1,
        retry_delay=0.0,
    )
    with open_store(database_url) as store, open_transport(mail) as transport:
        while True:
            report = send_pending(store, transport, mail, batch_size=4, lease=LEASE_SECONDS)
            counts = store.outbox_counts()
            if not report.locked and counts["pending"] == counts["sending"] == 0:
                return 0
            time.sleep(0.05)  # a lease of the killed run has yet to expire


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
