"""Helpers for the accounts tests: viewers from tokens, customers at fixed times, and a real
SMTP server (aiosmtpd) that records what it accepts."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller

from models.customers import Customer, CustomerContact
from models.enums import ContactRole, CustomerStatus
from models.partners import PartnerOrg
from services.platform.viewer import Viewer
from services.users.auth import authenticate
from settings import Settings


def fixed_now() -> datetime:
    """A clock for one test: now, to the second. Later moments are this plus a delta."""
    return datetime.now(UTC).replace(microsecond=0)


def noon_in(now: datetime, days: int) -> timedelta:
    """From `now` to noon UTC `days` calendar days later: a renewal date whose days-left count
    does not depend on the time of day the test runs."""
    noon = datetime.combine(now.date() + timedelta(days=days), time(12), tzinfo=UTC)
    return noon - now


async def viewer_for(settings: Settings, token: str) -> Viewer:
    viewer = await authenticate(settings, token)
    assert viewer is not None
    return viewer


async def make_customer(
    partner: PartnerOrg,
    name: str,
    now: datetime,
    *,
    status: CustomerStatus = CustomerStatus.TRIAL,
    trial_ends_in: timedelta | None = timedelta(days=30),
    created_ago: timedelta = timedelta(days=1),
    renewal_in: timedelta | None = None,
    contacts: tuple[ContactRole, ...] = tuple(ContactRole),
    framework: str = "ISO 27001",
    progress: int = 40,
) -> Customer:
    customer = await Customer.create(
        partner=partner,
        name=name,
        status=status,
        main_framework=framework,
        framework_progress=progress,
        trial_ends_at=now + trial_ends_in if trial_ends_in is not None else None,
        subscription_started_at=now - timedelta(days=200)
        if status is CustomerStatus.ACTIVE
        else None,
        next_renewal_at=now + renewal_in if renewal_in is not None else None,
    )
    await Customer.filter(id=customer.id).update(created_at=now - created_ago)
    slug = "".join(ch for ch in name.lower() if ch.isalnum())
    for role in contacts:
        await CustomerContact.create(
            customer=customer,
            role=role,
            full_name=f"{name} {role.value}",
            email=f"{role.value.replace('_', '-')}@{slug}.test",
        )
    return await Customer.get(id=customer.id)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class ReceivedMail:
    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""


@dataclass
class _Recorder:
    received: list[ReceivedMail] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        assert isinstance(message, EmailMessage)
        self.received.append(ReceivedMail(tuple(a.lower() for a in envelope.rcpt_tos), message))
        return "250 OK"


class SmtpServer:
    """aiosmtpd on a free local port, in its own thread."""

    def __init__(self) -> None:
        self.recorder = _Recorder()
        self.port = _free_port()
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[ReceivedMail]:
        return self.recorder.received

    def addresses(self) -> list[str]:
        return sorted(r for mail in self.received for r in mail.recipients)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
