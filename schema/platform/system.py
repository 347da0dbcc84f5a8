"""System-level operations: a trivial live subscription that proves the websocket path works."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime

import strawberry
from strawberry.types import Info

from resolvers.platform.permissions import IsAuthenticated, PublicError


@strawberry.type
class SystemSubscription:
    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="The server's time, every intervalSeconds, count times (a connection check).",
    )
    async def server_time(
        self, info: Info, interval_seconds: float = 1.0, count: int = 10
    ) -> AsyncGenerator[datetime, None]:
        if not 0.05 <= interval_seconds <= 60 or not 1 <= count <= 1000:
            raise PublicError(
                "intervalSeconds must be 0.05 to 60 and count 1 to 1000.",
                extensions={"code": "INVALID"},
            )
        for index in range(count):
            if index:
                await asyncio.sleep(interval_seconds)
            yield datetime.now(UTC)
