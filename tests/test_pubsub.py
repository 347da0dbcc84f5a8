"""The pub/sub wrapper: bounded fan-out, one decode per process, Redis restart with re-sync."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from services.platform.pubsub import RESYNC, PubSub, SubscriberDropped, current_pubsub
from tests.conftest import free_port, start_private_redis


async def _next(subscription, wait: float = 3.0):
    return await asyncio.wait_for(subscription.__anext__(), wait)


async def test_memory_fan_out_shares_one_decoded_payload():
    pubsub = PubSub("memory://")
    await pubsub.connect()
    try:
        assert current_pubsub() is pubsub
        async with (
            pubsub.subscribe("news") as first,
            pubsub.subscribe("news") as second,
            pubsub.subscribe("other") as other,
        ):
            assert await pubsub.publish("news", {"id": 1, "title": "Hello"})
            one, two = await _next(first), await _next(second)
            assert one == {"id": 1, "title": "Hello"}
            assert one is two  # decoded once, handed to every local subscriber
            with pytest.raises(TimeoutError):
                await _next(other, wait=0.1)
        assert pubsub.subscriber_count() == 0
    finally:
        await pubsub.disconnect()
    assert current_pubsub() is None


async def test_a_slow_subscriber_is_dropped_not_buffered():
    pubsub = PubSub("memory://", queue_size=3)
    await pubsub.connect()
    try:
        async with pubsub.subscribe("news") as slow, pubsub.subscribe("news") as fast:
            received = []
            for number in range(6):
                await pubsub.publish("news", {"n": number})
                received.append(await _next(fast))
            assert [item["n"] for item in received] == list(range(6))
            # The slow one never read: after 3 queued items it was dropped, its queue freed.
            with pytest.raises(SubscriberDropped):
                await _next(slow)
            assert slow.dropped
            assert pubsub.dropped_subscribers == 1
            assert pubsub.subscriber_count("news") == 1
    finally:
        await pubsub.disconnect()


async def test_disconnect_ends_subscriptions_cleanly():
    pubsub = PubSub("memory://")
    await pubsub.connect()
    async with pubsub.subscribe("news") as subscription:
        await pubsub.disconnect()
        assert [item async for item in subscription] == []


async def test_redis_restart_reconnects_resubscribes_and_signals_resync(tmp_path: Path):
    port = free_port()
    redis_server = start_private_redis(port, tmp_path)
    url = f"redis://127.0.0.1:{port}"
    publisher = PubSub(url, health_interval=0.2)
    subscriber = PubSub(url, health_interval=0.2)
    try:
        for _ in range(100):
            with contextlib.suppress(Exception):
                if await PubSub(url).is_reachable():
                    break
            await asyncio.sleep(0.05)
        await publisher.connect()
        await subscriber.connect()
        async with subscriber.subscribe("popups") as subscription:
            assert await publisher.publish("popups", {"id": 1})
            assert await _next(subscription) == {"id": 1}

            redis_server.terminate()
            redis_server.wait(timeout=10)
            # While Redis is down publishing reports failure instead of raising or hanging.
            assert not await publisher.publish("popups", {"id": 2})
            assert not await subscriber.is_reachable()

            redis_server = start_private_redis(port, tmp_path)
            assert await _next(subscription, wait=10) is RESYNC
            assert subscriber.reconnects == 1
            for _ in range(100):
                if publisher.healthy:
                    break
                await asyncio.sleep(0.05)
            assert await subscriber.is_reachable()
            assert await publisher.publish("popups", {"id": 3})
            assert await _next(subscription) == {"id": 3}
    finally:
        await publisher.disconnect()
        await subscriber.disconnect()
        redis_server.terminate()
        redis_server.wait(timeout=10)
