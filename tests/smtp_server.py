"""A real SMTP server on 127.0.0.1 for tests: a recording sink that misbehaves on demand.

``SMTPSink`` records every accepted message (envelope, bytes, parsed headers). Faults
make it answer a given reply (421, 451, 550, ...) at RCPT or DATA, for one recipient or
for the n-th message, a given number of times, or drop the connection at the end of
DATA, either before storing the message (the client's transaction was cut, nothing
delivered) or after (the server has it but the client never hears the 250: the one
case that produces a duplicate). STARTTLS, implicit TLS and AUTH use a self-signed
certificate made by ``make_self_signed_cert``.

    with SMTPSink() as sink:
        sink.fail(stage="RCPT", reply="550 5.1.1 no such user", recipient="x@example.org")
        ... send to smtp://127.0.0.1:{sink.port} ...
        assert sink.message_ids() == {...}
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

Stage = Literal["RCPT", "DATA"]


@dataclass
class Fault:
    """One planned misbehaviour; ``reply=None`` drops the connection instead of answering."""

    stage: Stage
    reply: str | None
    recipient: str | None = None  # only for this recipient
    nth: int | None = None  # only the n-th DATA the server sees (1-based)
    times: int | None = 1  # how often it fires; None: always
    keep_message: bool = False  # a drop at DATA after storing the message

    def matches(self, stage: Stage, recipients: list[str], data_count: int) -> bool:
        if stage != self.stage or self.times == 0:
            return False
        if self.recipient is not None and self.recipient.lower() not in (
            r.lower() for r in recipients
        ):
            return False
        return self.nth is None or self.nth == data_count


@dataclass(frozen=True)
class ReceivedMessage:
    mail_from: str
    recipients: tuple[str, ...]
    content: bytes
    message: EmailMessage
    login: str | None

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class _State:
    received: list[ReceivedMessage] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    data_count: int = 0
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler:
    def __init__(self, state: _State) -> None:
        self.state = state

    def _fault(self, stage: Stage, recipients: list[str]) -> Fault | None:
        with self.state.lock:
            for fault in self.state.faults:
                if fault.matches(stage, recipients, self.state.data_count):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    @staticmethod
    def _answer(server: SMTP, fault: Fault) -> str:
        if fault.reply is None or fault.reply.startswith("421"):
            # 421 means "closing": hang up right after the reply (or without one).
            asyncio.get_running_loop().call_soon(server.transport.close)
            if fault.reply is None:
                server.transport.abort()
                return "451 connection dropped"  # never reaches the client
        return fault.reply

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        fault = self._fault("RCPT", [address])
        if fault is not None:
            return self._answer(server, fault)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.state.lock:
            self.state.data_count += 1
        fault = self._fault("DATA", list(envelope.rcpt_tos))
        if fault is None or fault.keep_message:
            self._record(session, envelope)
        if fault is not None:
            return self._answer(server, fault)
        return "250 2.0.0 accepted"

    def _record(self, session: Session, envelope: Envelope) -> None:
        content = bytes(envelope.original_content or b"")
        parsed = BytesParser(policy=policy.default).parsebytes(content)
        auth = session.auth_data
        login = auth.decode() if isinstance(auth, bytes) else None
        with self.state.lock:
            self.state.received.append(
                ReceivedMessage(
                    mail_from=str(envelope.mail_from),
                    recipients=tuple(envelope.rcpt_tos),
                    content=content,
                    message=parsed,  # type: ignore[arg-type]
                    login=login,
                )
            )


class _Controller(Controller):
    """aiosmtpd's controller on a free port chosen by the OS (port 0)."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SMTPSink:
    """The SMTP server: start it, send to ``host``:``port``, read ``received``."""

    host = "127.0.0.1"

    def __init__(
        self,
        *,
        tls_cert: tuple[Path, Path] | None = None,
        implicit_tls: bool = False,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.state = _State()
        kwargs: dict[str, Any] = {"hostname": self.host, "port": 0, "data_size_limit": 0}
        if tls_cert is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(tls_cert[0]), str(tls_cert[1]))
            kwargs["ssl_context" if implicit_tls else "tls_context"] = context
            kwargs["require_starttls"] = not implicit_tls
        if credentials is not None:
            kwargs["authenticator"] = _Authenticator(*credentials)
            kwargs["auth_required"] = True
            kwargs["auth_require_tls"] = tls_cert is not None
        self._controller = _Controller(_Handler(self.state), **kwargs)
        self.port = 0

    def start(self) -> SMTPSink:
        self._controller.start()
        self.port = self._controller.port
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SMTPSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url(self, scheme: str = "smtp", query: str = "", userinfo: str = "") -> str:
        at = f"{userinfo}@" if userinfo else ""
        return f"{scheme}://{at}{self.host}:{self.port}{'?' + query if query else ''}"

    def fail(
        self,
        *,
        stage: Stage,
        reply: str | None,
        recipient: str | None = None,
        nth: int | None = None,
        times: int | None = 1,
        keep_message: bool = False,
    ) -> Fault:
        """Plan a fault (see ``Fault``); returns it so a test can inspect ``times``."""
        fault = Fault(stage, reply, recipient, nth, times, keep_message)
        with self.state.lock:
            self.state.faults.append(fault)
        return fault

    @property
    def received(self) -> list[ReceivedMessage]:
        with self.state.lock:
            return list(self.state.received)

    def message_ids(self) -> Counter[str]:
        """How many times each Message-ID arrived."""
        return Counter(m.message_id for m in self.received)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMessage]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received


class _Authenticator:
    def __init__(self, user: str, password: str) -> None:
        self.user = user.encode()
        self.password = password.encode()

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login == self.user
            and data.password == self.password
        )
        return AuthResult(success=ok, handled=False, auth_data=data.login if ok else None)


def make_self_signed_cert(folder: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A certificate for ``host`` (and localhost) and its key, as PEM files in ``folder``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(host))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path
