"""Webhook delivery by real worker processes (`python -m cli worker`) to a real receiver: a worker
killed mid-delivery loses nothing, and two workers on PostgreSQL never deliver an event twice."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from tortoise.transactions import in_transaction

from models.partners import PartnerOrg
from models.webhooks import DeliveryState, WebhookEndpoint, WebhookEvent, WebhookEventType
from services.webhooks.events import emit
from services.webhooks.signing import new_secret
from settings import Settings
from tests.conftest import free_port, make_partner
from tests.email_sink import until
from tests.test_email_workers import ON_POSTGRES, WorkerProcess, workers
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.slow

NO_SMTP = "smtp://127.0.0.1:1"


@pytest.fixture
def receiver() -> Any:
    server = Receiver(free_port()).start()
    yield server
    server.release.set()
    server.stop()


async def _endpoints(receiver: Receiver, count: int) -> list[WebhookEndpoint]:
    endpoints = []
    for _ in range(count):
        secret = new_secret()
        endpoints.append(
            await WebhookEndpoint.create(
                url=receiver.url,
                event_types=[WebhookEventType.PARTNER_UPDATED.value],
                secret=secret,
            )
        )
        receiver.secrets.append(secret)
    return endpoints


async def _emit_many(partner: PartnerOrg, count: int) -> set[str]:
    """`count` partner.updated events, each for every endpoint; their webhook-ids."""
    for _ in range(count):
        async with in_transaction():
            await emit(WebhookEventType.PARTNER_UPDATED, partner)
    return set(await WebhookEvent.all().values_list("message_id", flat=True))


def _worker(name: str, settings: Settings, **env: str) -> WorkerProcess:
    return WorkerProcess(
        name,
        settings,
        NO_SMTP,
        WEBHOOK_ALLOWED_HOSTS="127.0.0.1",
        WEBHOOK_RETRY_SECONDS="0",
        WEBHOOK_LEASE_SECONDS="5",
        **env,
    )


async def test_a_worker_killed_mid_delivery_loses_nothing(
    app: Starlette, settings: Settings, receiver: Receiver
) -> None:
    await _endpoints(receiver, 1)
    message_ids = await _emit_many(await make_partner("Gamma"), 20)
    assert len(message_ids) == 20
    # The receiver accepts 7 events, then holds the 8th: the worker is killed while it waits.
    receiver.hold_after = 7
    doomed = _worker("doomed", settings, WEBHOOK_TIMEOUT_SECONDS="60")
    with workers(doomed):
        held = await until(receiver.held.is_set, seconds=30)
        errors = [(e.last_error, e.response_status) for e in await WebhookEvent.all()]
        assert held, (doomed.log.read_text(), errors, receiver.rejected)
        doomed.kill()

    rows = await WebhookEvent.all()
    assert Counter(row.state for row in rows) == {
        DeliveryState.DELIVERED: 7,
        DeliveryState.PENDING: 13,
    }
    # The receiver takes the held request in after all: it never got its answer to the worker.
    receiver.release.set()
    successor = _worker("successor", settings)
    with workers(successor):
        delivered = await until(lambda: set(receiver.message_ids) == message_ids, seconds=40)
        assert delivered, successor.log.read_text()
        await asyncio.sleep(0.5)  # anything sent a further time would arrive now

    counts = Counter(receiver.message_ids)
    assert set(counts) == message_ids
    # At least once: only the event the killed worker was sending came twice, with one id.
    assert sorted(counts.values()) == [1] * 19 + [2]
    assert not receiver.rejected
    assert await WebhookEvent.filter(state=DeliveryState.DELIVERED).count() == 20


def _delivered_in_log(log: Path) -> int:
    return sum(int(n) for n in re.findall(r"webhooks: (\d+) delivered", log.read_text()))


@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent workers need PostgreSQL row locking")
async def test_two_worker_processes_deliver_each_event_once(
    app: Starlette, settings: Settings, receiver: Receiver
) -> None:
    # More endpoints than one worker claims in a round (CLAIM_SIZE), and a slow receiver, so
    # that both workers take part.
    await _endpoints(receiver, 40)
    partner = await make_partner("Gamma")
    receiver.delay_seconds = 0.02
    first, second = _worker("worker-1", settings), _worker("worker-2", settings)
    with workers(first, second):
        message_ids = await _emit_many(partner, 6)
        assert len(message_ids) == 240
        done = await until(lambda: len(receiver.message_ids) >= 240, seconds=90)
        assert done, first.log.read_text() + second.log.read_text()
        await asyncio.sleep(1)  # anything sent twice would arrive now

    counts = Counter(receiver.message_ids)
    assert set(counts) == message_ids
    assert max(counts.values()) == 1
    assert not receiver.rejected
    assert await WebhookEvent.filter(state=DeliveryState.DELIVERED).count() == 240
    shares = [_delivered_in_log(first.log), _delivered_in_log(second.log)]
    assert sum(shares) == 240
    assert min(shares) > 0, shares  # both workers delivered a share
