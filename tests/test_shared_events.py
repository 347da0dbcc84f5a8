"""Subscription events shared by many connections are executed once per operation and variables;
other events are executed per connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import strawberry

from schema.platform.shared_events import SharedEvent, SharedEventExecutionContext

executions: list[str] = []


@strawberry.type
class Shared(SharedEvent):
    name: str

    @strawberry.field
    def greeting(self, punctuation: str = "!") -> str:
        executions.append(self.name)
        return f"hello {self.name}{punctuation}"


@strawberry.type
class Private:
    name: str

    @strawberry.field
    def greeting(self) -> str:
        executions.append(self.name)
        return f"hello {self.name}"


@strawberry.type
class Query:
    ok: bool = True


queues: list[asyncio.Queue] = []


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def shared(self) -> AsyncGenerator[Shared, None]:
        queue: asyncio.Queue = asyncio.Queue()
        queues.append(queue)
        while True:
            yield await queue.get()

    @strawberry.subscription
    async def private(self) -> AsyncGenerator[Private, None]:
        queue: asyncio.Queue = asyncio.Queue()
        queues.append(queue)
        while True:
            yield await queue.get()


schema = strawberry.Schema(
    query=Query, subscription=Subscription, execution_context_class=SharedEventExecutionContext
)


async def _deliver(documents: list[tuple[str, dict]], value: object) -> list[dict]:
    executions.clear()
    queues.clear()
    streams = [await schema.subscribe(d, variable_values=v) for d, v in documents]
    pending = [asyncio.ensure_future(s.__anext__()) for s in streams]
    for _ in range(500):  # until every subscription resolver waits on its queue
        if len(queues) == len(streams):
            break
        await asyncio.sleep(0.01)
    for queue in queues:
        queue.put_nowait(value)
    results = await asyncio.gather(*pending)
    for stream in streams:
        await stream.aclose()
    return [r.data for r in results]


SHARED = "subscription($p: String!) { shared { greeting(punctuation: $p) } }"


async def test_a_shared_event_is_executed_once_per_operation_and_variables():
    value = Shared(name="partner")
    data = await _deliver([(SHARED, {"p": "!"})] * 3 + [(SHARED, {"p": "?"})], value)
    assert data == [{"shared": {"greeting": "hello partner!"}}] * 3 + [
        {"shared": {"greeting": "hello partner?"}}
    ]
    assert executions == ["partner", "partner"]  # once for "!", once for "?"


async def test_other_events_are_executed_per_connection():
    value = Private(name="partner")
    data = await _deliver([("subscription { private { greeting } }", {})] * 3, value)
    assert data == [{"private": {"greeting": "hello partner"}}] * 3
    assert executions == ["partner"] * 3
