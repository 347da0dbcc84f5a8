"""Benchmark: live pop-up fan-out to N websocket clients against a bare Starlette broadcast.

    .venv/bin/python bench/popup_fanout.py [--clients 1000,5000,10000] [--publishes 5]
                                           [--database sqlite|postgres://postgres@127.0.0.1:5432]
                                           [--deflate off|on] [--processes 2 [--redis URL]]

In one run on one machine: create a scratch database (a SQLite temp file, or a PostgreSQL database
created on the given server and dropped at the end), apply the committed migrations and seed, for
each N, one active partner with N partner users in its own partner group, each with a session.

Then for each N, in turn:

- Channelport: start `uvicorn app:app` (one process, in-process pub/sub, no embedded worker; with
  `--processes 2`, two processes behind Redis, the clients spread evenly over them and the pop-up
  published on the first), connect N graphql-transport-ws clients that subscribe to
  `popups(page: "dashboard")`, publish one warm-up pop-up and wait until every client has it (so
  every subscription is live), read the server's resident memory, then create and publish P
  pop-ups through the GraphQL API one after the other. For each: the time from sending
  `publishMessage` until the last client has the pop-up (it includes the publish mutation itself:
  the recipient snapshot of N rows is written before the pop-up is announced; the mutation's own
  duration is printed too).
- Bare: start a plain Starlette app (this file, `--bare-server`, always one process) whose
  websocket endpoint only answers connection_init, and whose POST /broadcast sends the request
  body, the same `next` frame a Channelport client receives, to every connected websocket with
  `send_text`. Same clients, same warm-up, the same P measurements.

Both servers run with the same per-message deflate setting (`--deflate`, default off: what
`channelport serve` and the Procfile use). `--processes 2` uses a redis-server of its own unless
`--redis URL` is given: Redis pub/sub channels are server-wide (the database number does not
separate them), so a shared Redis would carry the benchmark's pop-ups to everyone else's
subscribers.

It prints the median time of both, the ratio Channelport/bare, and the server memory per
connected client (resident memory with N clients minus before any client, divided by N; summed
over the processes). The clients run in this process, the servers in their own; all traffic goes
to 127.0.0.1. The open-files limit is raised to its hard limit (each client is one socket here
and one there).

Where the time and memory went (1,000 clients, SQLite, deflate on, cProfile and tracemalloc on
the server; before the changes, 227.5 ms vs 40.7 ms bare, 5.59x, 129 / 71 KiB per client):

- The publish mutation was half of it (~260 ms of 536 ms profiled per publish): the recipient
  snapshot was built as N `User` and N `MessageRecipient` model instances, and the audit log wrote
  one entry per snapshot row, again as N `AuditEntry` instances; building model instances
  (Tortoise's `__setattr__` per field) was most of it. Now the eligible users are read as plain
  values and the snapshot and its audit entries are written as plain rows
  (`models.tracking.insert_rows`: one statement per 1,000 rows, an argument dict shared by all
  audit entries converted once): the snapshot of 1,000 rows went from ~160 ms to ~90 ms
  profiled. It stays before the announcement, in the publishing transaction: a subscriber that
  subscribes or re-syncs meanwhile must find the rows, and the publication cursor is the snapshot's
  last row id.
- Per connection (~235 us profiled before): Strawberry's per-result path (graphql-core's mapped
  iterator and per-event executor, the result processing with 11 schema extensions' hooks, the
  `next` message built and JSON-encoded per connection: ~120 us), uvicorn's send with deflate
  (~56 us: frame, compress, flush), the pop-up stream (~20 us: a `ReceivedPopup` parsed from the
  payload per connection). Now a live pop-up is executed and encoded once per process and
  operation/variables (schema.platform.shared_events.SharedEventSender) and the same text is
  written to every eligible connection behind its own operation id; the parsed pop-up is shared
  too: ~68 us profiled per connection, of which ~45 us is the send itself.
- Memory per idle subscribed connection (tracemalloc, ~106 KiB): per-message deflate's zlib
  state ~49 KiB (off now by default), Strawberry's per-operation objects (extension instances,
  the result stream, the operation task) ~10 KiB, two sets of 14 DataLoaders made eagerly per
  websocket context and per operation ~7 KiB plus ~4 KiB of typing aliases (now made when first
  used: a subscription uses none), two bounded pub/sub queues (pop-ups and session ends) ~4.5
  KiB, uvicorn's and the websockets library's protocol objects ~8 KiB, the session watch task and
  the connection's tasks the rest.

Second round (deflate off; before: 1,000 clients 2.3-3.7x, 5,000 ~5x, 10,000 ~4.3x, 68-76 KiB):

- The publish mutation: `publish_popup` alone (audit scope open, in-process pub/sub, no
  profiler) took 347-357 ms at 5,000 recipients and 544-569 ms at 10,000 on SQLite (402-424 /
  917-943 ms on PostgreSQL): reading the eligible users, converting 2 x N rows' values
  (`to_db_value` and validation per field: ~40% profiled) and writing the snapshot and N audit
  entries. Now the snapshot is one `INSERT INTO ... SELECT` of the eligibility query (the locale
  rule in SQL too: services/messaging/audience.py), written by the database, and the audit log
  records it as one entry of the message (`recipients`: how many); only the new rows' ids and
  user ids are read back: 18-25 ms at 5,000 and 42-52 ms at 10,000 on SQLite (84-107 / 153-182
  ms on PostgreSQL).
- Per connection, after the publish (1,000 clients, cProfile): each subscription's task woke up
  for each pop-up (its pub/sub queue's `get`, the pop-up stream, graphql-core's map iterator,
  Strawberry's result stream, the subscription resolver: ~23 us profiled) before the send
  itself (~29 us, uvicorn's frame and write). Now one hub per process
  (services/messaging/popup_hub.py) reads the pub/sub channel once and writes each live pop-up
  to every eligible connection from its own task, as the bare broadcast does; the subscriptions'
  tasks stay parked.
- Memory per idle subscribed connection (tracemalloc, 1,500 clients, traced Python memory): 62.2
  KiB before, 51.9 KiB after: the two bounded pub/sub queues per connection (pop-ups and
  session ends, ~7.7 KiB with their events) and the session watch task with its subscription
  (~3 KiB) are gone (one hub and one session watch per process: ~1 KiB per connection left for
  their entries). What remains is uvicorn's and the websockets library's connection objects
  (~12 KiB, the bare server has them too), Strawberry's per-operation state kept for the life of
  the subscription (the operation task and result stream, graphql-core's execution context,
  the extension hooks: ~10 KiB, ~44 context-manager blocks), the connection's context and
  middleware frames (~3 KiB) and coroutine frames.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import websockets  # noqa: E402

SECRET_KEY = "bench-secret-key-" + "f" * 32
PAGE = "dashboard"
SUBSCRIBE = """subscription($page: String) {
  popups(page: $page) { cursor node { id title bodyHtml pages } } }"""
CREATE = """mutation($input: NewMessageInput!) { createMessage(input: $input) {
  ... on PartnerMessage { id } ... on OperationErrors { errors { message } } } }"""
PUBLISH = """mutation($id: ID!) { publishMessage(id: $id) {
  ... on PartnerMessage { status } ... on OperationErrors { errors { message } } } }"""
BODY = "<p>The partner summit is on <b>12 March</b>. Register in the portal.</p>"
CONNECT_CONCURRENCY = 100


def raise_open_files_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# ---- the bare server ------------------------------------------------------------------------


def bare_app() -> Any:
    """Plain Starlette: accept graphql-transport-ws, answer connection_init, broadcast bodies."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    sockets: set[WebSocket] = set()

    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept(subprotocol="graphql-transport-ws")
        try:
            while True:
                message = json.loads(await websocket.receive_text())
                if message.get("type") == "connection_init":
                    await websocket.send_text('{"type":"connection_ack"}')
                elif message.get("type") == "subscribe":
                    sockets.add(websocket)
        except WebSocketDisconnect:
            pass
        finally:
            sockets.discard(websocket)

    async def broadcast(request: Request) -> JSONResponse:
        frame = (await request.body()).decode()
        sent = 0
        for websocket in list(sockets):
            try:
                await websocket.send_text(frame)
                sent += 1
            except Exception:
                sockets.discard(websocket)
        return JSONResponse({"sent": sent})

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/healthz", health),
            Route("/broadcast", broadcast, methods=["POST"]),
            WebSocketRoute("/graphql", endpoint),
        ]
    )


# ---- servers --------------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    ws_url: str


def _spawn(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, cwd=ROOT, env=env)


@dataclass(frozen=True)
class ServerOptions:
    """How both servers run: per-message deflate on or off, and the pub/sub backend."""

    deflate: bool
    broadcast_url: str = "memory://"


async def start_server(
    kind: str, database_url: str, data_dir: Path, options: ServerOptions
) -> Server:
    port = free_port()
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "CHANNELPORT_DATA_DIR": str(data_dir),
            "SECRET_KEY": SECRET_KEY,
            "EMBEDDED_WORKER": "false",
            "BROADCAST_URL": options.broadcast_url,
            "LOG_LEVEL": "WARNING",
            "PUBLIC_URL": "http://127.0.0.1",
        }
    )
    deflate = "true" if options.deflate else "false"
    if kind == "channelport":
        command = [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--no-access-log", "--log-level", "warning"]
        command += ["--ws-per-message-deflate", deflate]
    else:
        command = [sys.executable, __file__, "--bare-server", "--port", str(port)]
        command += ["--deflate", "on" if options.deflate else "off"]
    process = _spawn(command, env)
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            if process.poll() is not None:
                raise RuntimeError(f"{kind} server exited with {process.returncode}")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    return Server(process, url, f"ws://127.0.0.1:{port}/graphql")
            await asyncio.sleep(0.05)
    process.kill()
    raise RuntimeError(f"{kind} server did not start")


@contextlib.contextmanager
def private_redis() -> Any:
    """A redis-server of this run only (pub/sub channels are server-wide: a shared Redis would
    carry this run's pop-ups to every other subscriber of it)."""
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.5)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait()


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


# ---- clients --------------------------------------------------------------------------------


@dataclass
class Fleet:
    """N websocket clients, counting per pop-up id how many have it and when the last one did."""

    size: int
    counts: dict[str, int] = field(default_factory=dict)
    last_arrival: dict[str, float] = field(default_factory=dict)
    complete: dict[str, asyncio.Event] = field(default_factory=dict)
    sockets: list[Any] = field(default_factory=list)
    readers: list[asyncio.Task[None]] = field(default_factory=list)

    def expect(self, message_id: str) -> asyncio.Event:
        return self.complete.setdefault(message_id, asyncio.Event())

    def _arrived(self, message_id: str) -> None:
        count = self.counts.get(message_id, 0) + 1
        self.counts[message_id] = count
        if count == self.size:
            self.last_arrival[message_id] = time.perf_counter()
            self.expect(message_id).set()

    async def _read(self, socket: Any) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in socket:
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "next":
                    self._arrived(message["payload"]["data"]["popups"]["node"]["id"])
                elif kind == "ping":
                    await socket.send('{"type":"pong"}')

    async def connect(self, ws_urls: list[str], tokens: list[str]) -> None:
        """Connect one client per token, spread evenly over `ws_urls` (one per process)."""
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def one(token: str, ws_url: str) -> None:
            async with gate:
                socket = await websockets.connect(
                    ws_url,
                    subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                    open_timeout=60,
                    ping_interval=None,
                    max_size=2**22,
                )
                await socket.send(
                    json.dumps({"type": "connection_init", "payload": {"token": token}})
                )
                ack = json.loads(await socket.recv())
                assert ack["type"] == "connection_ack", ack
                await socket.send(
                    json.dumps(
                        {
                            "id": "popups",
                            "type": "subscribe",
                            "payload": {"query": SUBSCRIBE, "variables": {"page": PAGE}},
                        }
                    )
                )
                self.sockets.append(socket)
                self.readers.append(asyncio.create_task(self._read(socket)))

        await asyncio.gather(
            *(one(token, ws_urls[index % len(ws_urls)]) for index, token in enumerate(tokens))
        )

    async def close(self) -> None:
        async def one(socket: Any) -> None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(socket.close(), 5)

        gate = asyncio.Semaphore(500)

        async def gated(socket: Any) -> None:
            async with gate:
                await one(socket)

        await asyncio.gather(*(gated(s) for s in self.sockets))
        for reader in self.readers:
            reader.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)


# ---- the data -------------------------------------------------------------------------------


@dataclass
class Audience:
    size: int
    group_id: int
    tokens: list[str]


@contextlib.asynccontextmanager
async def scratch_database(choice: str) -> AsyncIterator[str]:
    from services.platform.database import migrate_database

    if choice == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite://{directory}/bench.sqlite3"
            await migrate_database(url)
            yield url
        return
    import asyncpg

    server = choice.rstrip("/")
    name = f"channelport_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(f"{server}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"{server}/{name}"
        await migrate_database(url)
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def seed(database_url: str, sizes: list[int]) -> tuple[str, dict[int, Audience]]:
    """A vendor admin and, per size, a partner with that many users in its own group."""
    from tortoise.transactions import in_transaction

    from models.enums import Role
    from models.partners import PartnerGroup, PartnerGroupMember, PartnerOrg
    from models.users import User
    from services.platform.database import close_database, open_database
    from services.users.auth import open_session
    from settings import load_settings

    settings = load_settings({"DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY})
    await open_database(database_url)
    try:
        admin = await User.create(email="admin@vendor.bench", role=Role.VENDOR_ADMIN)
        admin_token = await open_session(settings, admin, "127.0.0.1")
        audiences = {}
        for size in sizes:
            async with in_transaction():
                partner = await PartnerOrg.create(name=f"Partner of {size}")
                group = await PartnerGroup.create(name=f"Group of {size}")
                await PartnerGroupMember.create(group=group, partner=partner)
                await User.bulk_create(
                    [
                        User(
                            email=f"user{index}@p{size}.bench",
                            role=Role.PARTNER_USER,
                            partner=partner,
                        )
                        for index in range(size)
                    ],
                    batch_size=1000,
                )
                users = await User.filter(partner=partner).order_by("id")
                tokens = [await open_session(settings, user, "127.0.0.1") for user in users]
            audiences[size] = Audience(size, group.id, tokens)
        return admin_token, audiences
    finally:
        await close_database()


# ---- measuring ------------------------------------------------------------------------------


@dataclass
class Result:
    times: list[float]
    memory_per_client_kib: float
    mutation_times: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


async def _graphql(client: httpx.AsyncClient, query: str, token: str, **variables: Any) -> Any:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {token}"},
    )
    body = response.json()
    if body.get("errors"):
        raise RuntimeError(body["errors"])
    return next(iter(body["data"].values()))


async def measure_channelport(
    database_url: str,
    data_dir: Path,
    admin_token: str,
    audience: Audience,
    publishes: int,
    options: ServerOptions,
    processes: int = 1,
) -> Result:
    servers = []
    fleet = Fleet(audience.size)
    try:
        for _ in range(processes):
            servers.append(await start_server("channelport", database_url, data_dir, options))
        async with httpx.AsyncClient(base_url=servers[0].url, timeout=120) as client:

            async def publish(title: str) -> tuple[str, float, float]:
                created = await _graphql(
                    client,
                    CREATE,
                    admin_token,
                    input={
                        "kind": "POPUP",
                        "title": title,
                        "body": BODY,
                        "pages": [PAGE],
                        "groupIds": [_global_id("PartnerGroup", audience.group_id)],
                    },
                )
                message_id = created["id"]
                popup_id = _global_id("ReceivedPopup", _pk(message_id))
                done = fleet.expect(popup_id)
                started = time.perf_counter()
                result = await _graphql(client, PUBLISH, admin_token, id=message_id)
                answered = time.perf_counter()
                assert result.get("status") == "PUBLISHED", result
                await asyncio.wait_for(done.wait(), 120)
                return popup_id, fleet.last_arrival[popup_id] - started, answered - started

            await client.get("/healthz")
            before = sum(resident_kib(server.process.pid) for server in servers)
            await fleet.connect([server.ws_url for server in servers], audience.tokens)
            await publish("Warm-up")
            after = sum(resident_kib(server.process.pid) for server in servers)
            times, mutation_times = [], []
            for index in range(publishes):
                _, elapsed, mutation = await publish(f"Pop-up {index}")
                times.append(elapsed)
                mutation_times.append(mutation)
        return Result(times, (after - before) / audience.size, mutation_times)
    finally:
        await fleet.close()
        for server in servers:
            stop_server(server)


def _frame(message_id: str, title: str) -> str:
    node = {"id": message_id, "title": title, "bodyHtml": BODY, "pages": [PAGE]}
    edge = {"cursor": "Y3Vyc29yOjE=", "node": node}
    return json.dumps({"id": "popups", "type": "next", "payload": {"data": {"popups": edge}}})


def _global_id(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def _pk(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().partition(":")[2])


async def measure_bare(
    data_dir: Path, audience: Audience, publishes: int, options: ServerOptions
) -> Result:
    server = await start_server("bare", "", data_dir, options)
    fleet = Fleet(audience.size)
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=120) as client:

            async def broadcast(message_id: str) -> float:
                done = fleet.expect(message_id)
                started = time.perf_counter()
                response = await client.post("/broadcast", content=_frame(message_id, "Pop-up"))
                assert response.json()["sent"] == audience.size, response.text
                await asyncio.wait_for(done.wait(), 120)
                return fleet.last_arrival[message_id] - started

            await client.get("/healthz")
            before = resident_kib(server.process.pid)
            await fleet.connect([server.ws_url], audience.tokens)
            # Subscriptions are registered after the connect returns: wait until all are.
            for _ in range(600):
                probe = f"warm-up-{_}"
                done = fleet.expect(probe)
                await client.post("/broadcast", content=_frame(probe, "Warm-up"))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), 0.5)
                    break
            after = resident_kib(server.process.pid)
            times = [await broadcast(f"bare-{index}") for index in range(publishes)]
        return Result(times, (after - before) / audience.size)
    finally:
        await fleet.close()
        stop_server(server)


async def main(arguments: argparse.Namespace) -> None:
    limit = raise_open_files_limit()
    sizes = [int(n) for n in arguments.clients.split(",")]
    if max(sizes) + 500 > limit:  # one socket per client in this process and in the server
        raise SystemExit(f"open-files limit {limit} is too low for {max(sizes)} clients")
    deflate = arguments.deflate == "on"
    print(f"popup fan-out, {arguments.publishes} publishes per size, database {arguments.database}")
    print(
        f"{os.cpu_count()} CPUs, open-files limit {limit}; clients in this process; "
        f"per-message deflate {arguments.deflate} on both servers; Channelport on "
        f"{arguments.processes} process(es){' behind Redis' if arguments.processes > 1 else ''}\n"
    )
    rows = []
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory() as data_directory:
        broadcast_url = "memory://"
        if arguments.processes > 1:
            broadcast_url = arguments.redis or stack.enter_context(private_redis())
        options = ServerOptions(deflate=deflate, broadcast_url=broadcast_url)
        data_dir = Path(data_directory)
        async with scratch_database(arguments.database) as database_url:
            seeded = time.perf_counter()
            admin_token, audiences = await seed(database_url, sizes)
            print(f"seeded {sum(sizes)} users in {time.perf_counter() - seeded:.1f}s")
            for size in sizes:
                real = await measure_channelport(
                    database_url,
                    data_dir,
                    admin_token,
                    audiences[size],
                    arguments.publishes,
                    options,
                    arguments.processes,
                )
                bare = await measure_bare(data_dir, audiences[size], arguments.publishes, options)
                rows.append((size, real, bare))
                print(
                    f"N={size:>6}: channelport median {real.median * 1000:8.1f} ms "
                    f"(publish mutation {statistics.median(real.mutation_times) * 1000:.1f} ms), "
                    f"bare {bare.median * 1000:8.1f} ms, ratio {real.median / bare.median:5.2f}, "
                    f"memory/client {real.memory_per_client_kib:.1f} KiB vs "
                    f"{bare.memory_per_client_kib:.1f} KiB",
                    flush=True,
                )
    print(
        "\n| N | Channelport: last client has it (median) | of which publish mutation |"
        " bare Starlette broadcast (median) | ratio | server memory per client:"
        " Channelport / bare |"
    )
    print("|---|---|---|---|---|---|")
    for size, real, bare in rows:
        print(
            f"| {size} | {real.median * 1000:.1f} ms | "
            f"{statistics.median(real.mutation_times) * 1000:.1f} ms | "
            f"{bare.median * 1000:.1f} ms | {real.median / bare.median:.2f} | "
            f"{real.memory_per_client_kib:.1f} KiB / {bare.memory_per_client_kib:.1f} KiB |"
        )


def run_bare_server(port: int, deflate: bool) -> None:
    import uvicorn

    raise_open_files_limit()
    uvicorn.run(
        bare_app(),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        ws_per_message_deflate=deflate,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1000,5000,10000")
    parser.add_argument("--publishes", type=int, default=5)
    parser.add_argument("--database", default="sqlite")
    parser.add_argument(
        "--deflate",
        choices=("on", "off"),
        default="off",
        help="per-message deflate on both servers (off: Channelport's default)",
    )
    parser.add_argument(
        "--processes", type=int, default=1, help="Channelport web processes (>1: behind Redis)"
    )
    parser.add_argument(
        "--redis",
        default="",
        help="with --processes > 1: the Redis URL (default: a private redis-server of this run)",
    )
    parser.add_argument("--bare-server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.bare_server:
        run_bare_server(options.port, options.deflate == "on")
    else:
        asyncio.run(main(options))
