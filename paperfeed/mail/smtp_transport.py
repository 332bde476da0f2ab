"""Delivery over SMTP: STARTTLS or implicit TLS, AUTH, reused connections.

Each sending thread keeps its own connection (``smtplib.SMTP`` is not thread-safe)
and reuses it for message after message; a shared pacer enforces the rate limit.
Server replies map onto the error family: 4xx and dropped connections are temporary,
5xx permanent; authentication and TLS failures mean the transport itself is broken.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import threading
import time

from paperfeed.mail.errors import PermanentDeliveryError, TemporaryDeliveryError, TransportError
from paperfeed.mail.pacing import RatePacer
from paperfeed.mail.smtp_url import SMTPConfig
from paperfeed.mail.transport import Transport

IDLE_CHECK_SECONDS = 10.0  # a connection idle longer is probed with NOOP before use


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(message.split())}"[:500]


def _refusal(code: int, text: bytes | str, *, bounce: bool) -> Exception:
    if 400 <= code < 500:
        return TemporaryDeliveryError(_reply(code, text), code=code)
    return PermanentDeliveryError(_reply(code, text), code=code, bounce=bounce)


class _Connection:
    def __init__(self, smtp: smtplib.SMTP) -> None:
        self.smtp = smtp
        self.last_used = time.monotonic()


class SMTPTransport(Transport):
    """Sends through one SMTP server with up to ``concurrency`` connections."""

    def __init__(
        self,
        config: SMTPConfig,
        *,
        timeout: float = 30.0,
        rate_limit: float = 0.0,
        concurrency: int = 1,
    ) -> None:
        self.config = config
        self.timeout = timeout
        self.concurrency = max(1, concurrency)
        self._pacer = RatePacer(rate_limit)
        self._local = threading.local()
        self._open: set[_Connection] = set()
        self._open_lock = threading.Lock()

    def describe(self) -> str:
        return self.config.redacted_url()

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.config.cafile)
        if not self.config.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        where = self.describe()
        smtp: smtplib.SMTP | None = None
        try:
            if cfg.implicit_tls:
                smtp = smtplib.SMTP_SSL(
                    cfg.host, cfg.port, timeout=self.timeout, context=self._tls_context()
                )
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=self.timeout)
            smtp.ehlo()
            if cfg.starttls:
                smtp.starttls(context=self._tls_context())
                smtp.ehlo()
            if cfg.username is not None:
                smtp.login(cfg.username, cfg.password or "")
            return smtp
        except smtplib.SMTPAuthenticationError as exc:
            self._discard(smtp)
            raise TransportError(f"{where} refused the credentials: {exc.smtp_code}") from None
        except smtplib.SMTPNotSupportedError as exc:
            self._discard(smtp)
            raise TransportError(f"{where}: {exc}") from None
        except ssl.SSLError as exc:
            self._discard(smtp)
            raise TransportError(f"TLS with {where} failed: {exc.reason or exc}") from None
        except smtplib.SMTPResponseException as exc:
            self._discard(smtp)
            raise _refusal(exc.smtp_code, exc.smtp_error, bounce=False) from None
        except (OSError, smtplib.SMTPException) as exc:
            self._discard(smtp)
            raise TemporaryDeliveryError(f"cannot reach {where}: {exc}") from None

    @staticmethod
    def _discard(smtp: smtplib.SMTP | None) -> None:
        if smtp is None:
            return
        with contextlib.suppress(OSError):
            smtp.close()

    def _connection(self) -> _Connection:
        conn: _Connection | None = getattr(self._local, "conn", None)
        if conn is not None and time.monotonic() - conn.last_used > IDLE_CHECK_SECONDS:
            try:
                alive = conn.smtp.noop()[0] == 250
            except (OSError, smtplib.SMTPException):
                alive = False
            if not alive:
                self._drop(conn)
                conn = None
        if conn is None:
            conn = _Connection(self._connect())
            self._local.conn = conn
            with self._open_lock:
                self._open.add(conn)
        return conn

    def _drop(self, conn: _Connection) -> None:
        self._discard(conn.smtp)
        self._local.conn = None
        with self._open_lock:
            self._open.discard(conn)

    def send(self, sender: str, recipient: str, message_id: str, content: bytes) -> None:
        self._pacer.wait()
        conn = self._connection()
        try:
            conn.smtp.sendmail(sender, [recipient], content)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = exc.recipients.get(recipient, (550, b"recipient refused"))
            self._after_refusal(conn, code)
            raise _refusal(code, text, bounce=True) from None
        except smtplib.SMTPSenderRefused as exc:
            self._after_refusal(conn, exc.smtp_code)
            raise _refusal(exc.smtp_code, exc.smtp_error, bounce=False) from None
        except smtplib.SMTPResponseException as exc:  # DATA refused, or 421 anywhere
            self._after_refusal(conn, exc.smtp_code)
            raise _refusal(exc.smtp_code, exc.smtp_error, bounce=True) from None
        except (OSError, smtplib.SMTPException) as exc:
            self._drop(conn)
            raise TemporaryDeliveryError(
                f"connection to {self.describe()} lost while sending {message_id}: {exc}"
            ) from None
        finally:
            conn.last_used = time.monotonic()

    def _after_refusal(self, conn: _Connection, code: int) -> None:
        """421 means the server is closing the connection; other refusals keep it."""
        if code == 421:
            self._drop(conn)

    def close(self) -> None:
        with self._open_lock:
            connections, self._open = list(self._open), set()
        for conn in connections:
            try:
                conn.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._discard(conn.smtp)
        self._local = threading.local()
