"""Benchmark: webhook deliveries per second to a local receiver, against a bare httpx loop.

    .venv/bin/python bench/webhooks.py [--database sqlite|postgres://postgres@127.0.0.1:5432]
                                       [--events 2000] [--rounds 3]

In one run: create a scratch database (a SQLite temp file, or a PostgreSQL database created on
the given server and dropped at the end), apply the migrations, create one endpoint and queue
`--events` events for it (rows as `emit` writes them, in transactions of 500).

A receiver runs in its own process on a free loopback port (uvicorn, answers 204, counts the
requests). Each round then measures, in turn:

- bare: the same bodies, each signed afresh with the same Standard Webhooks headers, POSTed by a
  plain httpx loop over one client, one after another: the ceiling for this machine;
- worker: all events put back to pending, then `deliver_due_webhooks` (what the worker job runs)
  until none is due: claiming the endpoint, resolving and checking its address, signing, posting,
  and a `delivered` mark in the database after each answer.

Both must deliver exactly `--events` requests (checked). It prints deliveries/s of both per
round, the medians and the ratio worker/bare.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import secrets
import socket
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
from tortoise.transactions import in_transaction  # noqa: E402

from models.webhooks import (  # noqa: E402
    DeliveryState,
    WebhookEndpoint,
    WebhookEvent,
    WebhookEventType,
)
from schema.platform.ids import global_id  # noqa: E402
from services.platform.database import close_database, migrate_database, open_database  # noqa: E402
from services.webhooks.delivery import deliver_due_webhooks  # noqa: E402
from services.webhooks.events import body_of, new_message_id  # noqa: E402
from services.webhooks.signing import new_secret, signed_headers  # noqa: E402
from settings import Settings, load_settings  # noqa: E402

TRANSACTION_SIZE = 500


def run_receiver(port: int, counter: Any) -> None:
    """The receiver process: answer 204 to every POST and count it."""
    import uvicorn

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        with counter.get_lock():
            counter.value += 1
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", access_log=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def wait_for_port(port: int) -> None:
    for _ in range(200):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise RuntimeError("the receiver did not start")


async def queue_events(endpoint: WebhookEndpoint, count: int) -> None:
    for start in range(0, count, TRANSACTION_SIZE):
        async with in_transaction():
            now = datetime.now(UTC)
            await WebhookEvent.bulk_create(
                [
                    WebhookEvent(
                        endpoint=endpoint,
                        message_id=new_message_id(),
                        event_type=WebhookEventType.DEAL_WON,
                        payload=body_of(
                            WebhookEventType.DEAL_WON,
                            now,
                            # The API's global ids, as rendered payloads carry them.
                            {
                                "id": global_id("Deal", i + 1),
                                "product": "Suite",
                                "amount": "1200.00",
                            },
                        ),
                        occurred_at=now,
                        next_attempt_at=now,
                    )
                    for i in range(start, min(start + TRANSACTION_SIZE, count))
                ]
            )


async def bare_round(url: str, secret: str, events: list[WebhookEvent]) -> float:
    started = time.perf_counter()
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as client:
        for event in events:
            timestamp = int(time.time())
            headers = signed_headers([secret], event.message_id, timestamp, event.payload)
            response = await client.post(url, content=event.payload.encode(), headers=headers)
            response.raise_for_status()
    return time.perf_counter() - started


async def worker_round(settings: Settings) -> float:
    await WebhookEvent.all().update(state=DeliveryState.PENDING, next_attempt_at=datetime.now(UTC))
    started = time.perf_counter()
    while (await deliver_due_webhooks(settings)).endpoints:
        pass
    return time.perf_counter() - started


async def main(arguments: argparse.Namespace) -> None:
    scratch = tempfile.mkdtemp(prefix="channelport-bench-")
    database_url = f"sqlite://{scratch}/bench.sqlite3"
    admin = None
    if arguments.database.startswith("postgres"):
        name = f"bench_webhooks_{secrets.token_hex(4)}"
        admin = await asyncpg.connect(arguments.database.rstrip("/") + "/postgres")
        await admin.execute(f'CREATE DATABASE "{name}"')
        database_url = f"{arguments.database.rstrip('/')}/{name}"
    counter = multiprocessing.Value("l", 0)
    port = free_port()
    receiver = multiprocessing.Process(target=run_receiver, args=(port, counter), daemon=True)
    receiver.start()
    try:
        settings = load_settings(
            {
                "DATABASE_URL": database_url,
                "CHANNELPORT_DATA_DIR": scratch,
                "SECRET_KEY": "bench-" + "x" * 40,
                "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
                "LOG_LEVEL": "WARNING",
            }
        )
        await migrate_database(database_url)
        await open_database(database_url)
        await wait_for_port(port)
        url = f"http://127.0.0.1:{port}/hook"
        endpoint = await WebhookEndpoint.create(
            url=url, event_types=["deal.won"], secret=new_secret()
        )
        await queue_events(endpoint, arguments.events)
        events = await WebhookEvent.all().order_by("id")
        bare_rates, worker_rates = [], []
        for number in range(1, arguments.rounds + 1):
            counter.value = 0
            bare = arguments.events / await bare_round(url, endpoint.secret, events)
            assert counter.value == arguments.events, counter.value
            counter.value = 0
            worker = arguments.events / await worker_round(settings)
            assert counter.value == arguments.events, counter.value
            bare_rates.append(bare)
            worker_rates.append(worker)
            print(f"round {number}: bare {bare:,.0f}/s, worker {worker:,.0f}/s")
        bare_median = statistics.median(bare_rates)
        worker_median = statistics.median(worker_rates)
        print(
            f"median over {arguments.rounds} rounds of {arguments.events} events "
            f"({arguments.database}): bare httpx {bare_median:,.0f} deliveries/s, "
            f"worker {worker_median:,.0f} deliveries/s, ratio {worker_median / bare_median:.2f}"
        )
        await close_database()
    finally:
        receiver.terminate()
        receiver.join()
        if admin is not None:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
