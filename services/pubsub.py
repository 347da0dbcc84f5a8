"""Process-to-process pub/sub (in-process memory by default, Redis in production)."""

from __future__ import annotations

import redis.asyncio as redis_asyncio
from broadcaster import Broadcast


class PubSub:
    """Owns the broadcaster connection of this process and knows whether its backend is up."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.broadcast = Broadcast(url)

    @property
    def uses_redis(self) -> bool:
        return self.url.startswith(("redis://", "rediss://"))

    async def connect(self) -> None:
        await self.broadcast.connect()

    async def disconnect(self) -> None:
        await self.broadcast.disconnect()

    async def is_reachable(self) -> bool:
        if not self.uses_redis:
            return True
        client = redis_asyncio.from_url(self.url, socket_connect_timeout=2, socket_timeout=2)
        try:
            return bool(await client.ping())
        except (redis_asyncio.RedisError, OSError):
            return False
        finally:
            await client.aclose()
