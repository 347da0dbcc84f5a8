"""Benchmark: the 50-partner list query through the whole stack against a bare endpoint.

    .venv/bin/python bench/list_query.py [--database sqlite|postgres://postgres@127.0.0.1:5432]
                                         [--seconds N] [--concurrency C] [--rounds R]

In one run on one machine: create a scratch database (a SQLite temp file, or a PostgreSQL database
created on the given server and dropped at the end), apply the committed migrations, seed partners
(default 50) with static and dynamic groups and 3 users each, and a vendor admin with a session.

Then, in this process, count the SQL statements of the query for 5 and for 50 partners (they must
not grow with the page: no N+1) and check that the bare endpoint (bench/bare_list_app.py) sends
the same statements, compared by shape, and builds byte-for-byte the same JSON.

Then start two uvicorn processes on free loopback ports, one worker each, same options: the real
application (`app:app`) and the bare Starlette endpoint (`bench.bare_list_app:app`). Check over
HTTP that both answer the query with equal JSON, warm each up, load each in turn for the same time
with `wrk` (C keep-alive connections, one load thread; R rounds alternate the two endpoints so
that both see the same background load), and print requests/s of both, the ratio real/bare, and
p50/p99 latencies. The servers are stopped and the scratch database is removed on
exit, also on Ctrl-C or an error. All traffic goes to 127.0.0.1.

Needs `wrk` on PATH (Debian package `wrk`).

Where the time goes (in-process over ASGI, one request at a time after warm-up, SQLite, 2 shared
cores; cProfile for the shares, wall clock or process CPU time for the totals).

Round 1 (execution plans and ciso8601), wall clock:

    bare endpoint (auth + same SQL + json.dumps)          ~2.0-2.9 ms
    whole real request over ASGI                          ~47 ms  -> ~18 ms
      ORM: 6 statements, ~200 model objects                 12 ms  -> ~5.9 ms
      per-field execution: graphql-core completing         ~26 ms  -> ~3 ms (plan steps)
      100 resolver fields with permission classes           ~6 ms
      Strawberry's view, parse/validation caches, JSON     ~1.5 ms

Round 2, CPU time, before -> after (measured before: 23.95 ms; the `Node` interface had since
given Partner, PartnerGroup and User an `is_type_of`, which sent every object of the list back
to graphql-core's general completion):

    bare endpoint (auth + same SQL + json.dumps)          1.7-2.3 ms
    whole real request over ASGI                          ~24 ms -> ~10.2 ms
      fixed: Starlette, Strawberry's view, extensions,      1.4 ms (a `{ __typename }` query;
        authentication (Tortoise builds the session          authentication ~0.5 ms of it)
        statement on every request)
      `partners` with plain fields only (fixed included)   3.9 ms -> 2.7 ms
      services, 6 statements through Tortoise               ~4.5 ms -> 2.9 ms (raw SQL: 1.2 ms)
        partner page (records)                              0.8 -> 0.39 ms (raw 0.09)
        groups (3 statements, 6 group models)               1.2 -> 0.83 ms (raw 0.24)
        users, one ranked page per partner (records)        2.4 -> 1.65 ms (raw 0.84, with the
                                                              bare endpoint's dicts)
      50 groups and 50 users connections: 75 group and    ~14.5 ms -> ~4.3 ms (the query twice
        150 user objects built and completed                 under an alias minus once, minus a
                                                              plain partner page; loaders cached)
      garbage collection during the request                ~2.5 ms -> ~1 ms

What changed in round 2: objects with `is_type_of` complete on the plan (Strawberry's check
needs no resolve info); nested resolvers are called directly, without Strawberry's wrapper,
their arguments converted and their permission classes asked once per field and root field
(permission classes declare that their answer does not depend on the object); `Partner.groups`
and `Partner.users` have batched forms resolved once per list through the same DataLoaders
(one task per field instead of a coroutine, a task and a DataLoader future per partner);
partner pages and a partner's user pages load as records (the model's attribute values without
model instances); String/ID values and enum members pass through their coercion once; cursors
and global ids are memoised; start-up objects leave the garbage collector's generations.

Over HTTP (wrk, 3 x 8 s per endpoint in turn, load average 1.0-1.6): SQLite 0.087x before ->
0.250x after, PostgreSQL 0.076x -> 0.186x (earlier runs of this round at load average 2.5-3.5:
0.214x SQLite, 0.213x PostgreSQL).

The floor that remains, for the 0.5x target (the real request would need ~4 ms of CPU): the
fixed cost (1.4 ms) and raw SQL (1.2 ms) alone take 2.6 ms, leaving ~1.4 ms for what now
takes ~7.6 ms: Tortoise building the statements and reading rows (1.7 ms over raw SQL),
building and completing ~275 objects and ~1,000 fields (~5 ms: Strawberry objects from
records, connections, edges and cursors, the plan's generic per-field loop with a result dict
per object and an awaitable per partner), garbage collection (~1 ms). Going lower takes
statements built once per shape (not per request), the authentication statement prepared once,
and a plan compiled into per-type functions that write the response straight from records (no
intermediate Strawberry objects for plain fields), with the remaining per-object awaitables
gone.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402

from app import create_app  # noqa: E402
from bench.bare_list_app import partner_list_json  # noqa: E402
from models.enums import GroupKind, PartnerStatus, PartnerTier, Role  # noqa: E402
from models.partners import PartnerGroup, PartnerGroupMember, PartnerOrg  # noqa: E402
from models.users import User  # noqa: E402
from services.platform.database import close_database, migrate_database, open_database  # noqa: E402
from services.users.auth import open_session  # noqa: E402
from settings import Settings, load_settings  # noqa: E402

LIST_QUERY = (
    "{ partners(first: 50) { edges { node { id name status tier country "
    "groups { nodes { id name } } users { nodes { id email role } } } } "
    "pageInfo { hasNextPage endCursor } } }"
)
SMALL_LIST_QUERY = LIST_QUERY.replace("first: 50", "first: 5")
SECRET_KEY = "bench-secret-key-" + "k" * 32
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
STATIC_GROUPS = ("Benelux resellers", "MSP programme", "Security specialists", "Early access")
DYNAMIC_GROUPS = {
    "Gold and platinum": [{"field": "tier", "operator": "in", "values": ["gold", "platinum"]}],
    "DACH": [{"field": "country", "operator": "in", "values": ["AT", "CH", "DE"]}],
}
COUNTRIES = ("NL", "DE", "BE", "AT", "FR", "CH", "GB")


class BenchError(Exception):
    """The benchmark cannot run or its two endpoints disagree."""


# ---- scratch database and data ---------------------------------------------------------------


@dataclass
class ScratchDatabase:
    url: str
    postgres_server: str | None
    name: str | None


async def create_scratch_database(choice: str, workdir: Path) -> ScratchDatabase:
    if choice == "sqlite":
        return ScratchDatabase(f"sqlite://{workdir / 'bench.sqlite3'}", None, None)
    server = choice.rstrip("/")
    parts = urlsplit(server)
    if parts.scheme not in ("postgres", "postgresql") or parts.path not in ("", "/"):
        raise BenchError(
            "--database takes `sqlite` or a server URL such as postgres://postgres@127.0.0.1:5432"
        )
    if parts.hostname not in LOOPBACK_HOSTS:
        raise BenchError(
            "The benchmark only talks to a database server on this machine (loopback)."
        )
    name = f"channelport_bench_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(f"{server}/postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return ScratchDatabase(f"{server}/{name}", server, name)


async def drop_scratch_database(database: ScratchDatabase) -> None:
    if database.postgres_server is None:
        return  # the SQLite file goes with the temp folder
    admin = await asyncpg.connect(f"{database.postgres_server}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')
    finally:
        await admin.close()


async def seed(settings: Settings, partner_count: int) -> str:
    """Partners with static and dynamic groups and 3 users each; returns a vendor admin's token."""
    await open_database(settings.database_url)
    try:
        static_groups = [await PartnerGroup.create(name=name) for name in STATIC_GROUPS]
        for name, rule in DYNAMIC_GROUPS.items():
            await PartnerGroup.create(name=name, kind=GroupKind.DYNAMIC, rule=rule)
        tiers = list(PartnerTier)
        statuses = [PartnerStatus.ACTIVE, PartnerStatus.ACTIVE, PartnerStatus.TEST]
        for number in range(partner_count):
            partner = await PartnerOrg.create(
                name=f"Partner {number + 1:03d}",
                status=statuses[number % len(statuses)],
                tier=tiers[number % len(tiers)],
                country=COUNTRIES[number % len(COUNTRIES)],
            )
            # one or two static groups per partner
            await PartnerGroupMember.create(
                group=static_groups[number % len(static_groups)], partner=partner
            )
            if number % 3 == 0:
                await PartnerGroupMember.create(
                    group=static_groups[(number + 1) % len(static_groups)], partner=partner
                )
            for index, role in enumerate(
                (Role.PARTNER_ADMIN, Role.PARTNER_USER, Role.PARTNER_USER)
            ):
                await User.create(
                    email=f"user{index + 1}@partner{number + 1:03d}.test",
                    full_name=f"User {index + 1} of partner {number + 1}",
                    role=role,
                    partner=partner,
                )
        admin = await User.create(email="admin@vendor.test", role=Role.VENDOR_ADMIN)
        return await open_session(settings, admin, "127.0.0.1", lifetime_seconds=24 * 3600)
    finally:
        await close_database()


# ---- in-process checks: statement counts and the bare endpoint's statements ------------------


class _StatementRecorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # Tortoise logs each statement as ("%s: %s", query, values).
        if isinstance(record.args, tuple) and len(record.args) == 2:
            query = str(record.args[0])
            if query.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
                self.statements.append(query)


@contextlib.contextmanager
def recorded_statements() -> Iterator[list[str]]:
    logger = logging.getLogger("tortoise.db_client")
    recorder = _StatementRecorder()
    previous_level, previous_propagate = logger.level, logger.propagate
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # record the statements, do not print them
    logger.addHandler(recorder)
    try:
        yield recorder.statements
    finally:
        logger.removeHandler(recorder)
        logger.setLevel(previous_level)
        logger.propagate = previous_propagate


def statement_shape(sql: str) -> str:
    """A statement with placeholders unified, IN lists collapsed and its select list sorted.

    Tortoise's column order within a select list varies between processes, the rest does not.
    """
    shape = re.sub(r"\$\d+", "?", sql)
    shape = re.sub(r"IN \((?:\?,)*\?\)", "IN (?...)", shape)
    # Every select list, also one inside a subquery (a nested connection's page per parent).
    return re.sub(
        r"SELECT (.*?) FROM ",
        lambda match: f"SELECT {','.join(sorted(match.group(1).split(',')))} FROM ",
        shape,
    )


@dataclass
class InProcessReport:
    statements_for_5: int
    statements_for_50: int
    partners_returned: int
    response_bytes: int


async def check_in_process(settings: Settings, token: str) -> InProcessReport:
    """Count the real stack's statements and compare them, and its JSON, with the bare endpoint."""
    application = create_app(settings)
    headers = {"authorization": f"Bearer {token}"}
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench.test") as client:
            await client.post("/graphql", json={"query": LIST_QUERY}, headers=headers)  # warm
            with recorded_statements() as small:
                response = await client.post(
                    "/graphql", json={"query": SMALL_LIST_QUERY}, headers=headers
                )
            _require_data(response.content, "real stack, 5 partners")
            with recorded_statements() as real:
                response = await client.post(
                    "/graphql", json={"query": LIST_QUERY}, headers=headers
                )
            real_body = response.content
        with recorded_statements() as bare:
            bare_body = await partner_list_json(settings, token)
    data = _require_data(real_body, "real stack")
    if bare_body is None:
        raise BenchError("The bare endpoint refused the vendor admin's token.")
    if json.loads(bare_body) != json.loads(real_body):
        raise BenchError("The bare endpoint's JSON differs from the real stack's.")
    if bare_body != real_body:
        raise BenchError("The bare endpoint's JSON is equal but not byte-for-byte the same.")
    real_shapes = sorted(statement_shape(s) for s in real)
    bare_shapes = sorted(statement_shape(s) for s in bare)
    if real_shapes != bare_shapes:
        raise BenchError(
            "The bare endpoint no longer sends the real stack's SQL; update bench/bare_list_app.py."
            "\nreal:\n  " + "\n  ".join(real_shapes) + "\nbare:\n  " + "\n  ".join(bare_shapes)
        )
    if len(small) != len(real):
        raise BenchError(
            f"N+1: {len(small)} statements for 5 partners but {len(real)} for 50:\n  "
            + "\n  ".join(real)
        )
    return InProcessReport(
        statements_for_5=len(small),
        statements_for_50=len(real),
        partners_returned=len(data["partners"]["edges"]),
        response_bytes=len(real_body),
    )


def _require_data(body: bytes, label: str) -> dict[str, Any]:
    parsed = json.loads(body)
    if parsed.get("errors") or not parsed.get("data"):
        raise BenchError(f"{label} answered with errors: {parsed.get('errors')}")
    return parsed["data"]


# ---- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    label: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-2000:]
        except OSError:
            return ""


def server_environment(database_url: str, data_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")
    }
    env.update(
        {
            "DATABASE_URL": database_url,
            "CHANNELPORT_DATA_DIR": str(data_dir),
            "SECRET_KEY": SECRET_KEY,
            "EMBEDDED_WORKER": "false",
            "LOG_LEVEL": "WARNING",
            "BROADCAST_URL": "memory://",
            "SMTP_URL": "capture://",
            "PYTHONPATH": str(PROJECT_ROOT),
        }
    )
    return env


def start_server(label: str, target: str, env: dict[str, str], workdir: Path) -> Server:
    port = free_port()
    log_path = workdir / f"{label}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                target,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us only: we stop the servers ourselves
        )
    return Server(label, process, port, log_path)


def stop_server(server: Server) -> None:
    if server.process.poll() is not None:
        return
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=5)


def fetch_list(server: Server, token: str, deadline_seconds: float = 30.0) -> bytes:
    """POST the list query, retrying while the server starts; the response body."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        if server.process.poll() is not None:
            raise BenchError(f"The {server.label} server exited:\n{server.log_tail()}")
        try:
            response = httpx.post(
                server.url,
                json={"query": LIST_QUERY},
                headers={"authorization": f"Bearer {token}"},
                timeout=10,
            )
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise BenchError(
                    f"The {server.label} server did not answer:\n{server.log_tail()}"
                ) from None
            time.sleep(0.1)
            continue
        if response.status_code != 200:
            raise BenchError(f"The {server.label} server answered {response.status_code}.")
        return response.content


# ---- load ------------------------------------------------------------------------------------

WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = [==[{body}]==]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH-RESULT %d %d %d %d %d %d %d %d %d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


@dataclass
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds


def run_wrk(server: Server, script: Path, seconds: int, concurrency: int) -> LoadResult:
    command = [
        "wrk",
        "--threads",
        "1",
        "--connections",
        str(concurrency),
        "--duration",
        f"{seconds}s",
        "--timeout",
        "10s",
        "--script",
        str(script),
        server.url,
    ]
    finished = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    line = next((x for x in finished.stdout.splitlines() if x.startswith("BENCH-RESULT ")), None)
    if finished.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({finished.returncode}):\n{finished.stdout}{finished.stderr}")
    requests, duration_us, p50_us, p99_us, *errors = (int(x) for x in line.split()[1:])
    if any(errors):
        names = ("connect", "read", "write", "non-2xx status", "timeout")
        found = ", ".join(f"{n} {c}" for n, c in zip(names, errors, strict=True) if c)
        raise BenchError(f"wrk saw errors against the {server.label} server: {found}")
    if server.process.poll() is not None:
        raise BenchError(f"The {server.label} server exited under load:\n{server.log_tail()}")
    return LoadResult(requests, duration_us / 1e6, p50_us / 1000, p99_us / 1000)


def combine(results: list[LoadResult]) -> LoadResult:
    """Rounds added up: all requests over all measured time, the median round's latencies."""
    return LoadResult(
        requests=sum(r.requests for r in results),
        seconds=sum(r.seconds for r in results),
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=statistics.median(r.p99_ms for r in results),
    )


def _describe(label: str, result: LoadResult) -> str:
    title = {"real": "GraphQL stack", "bare": "bare endpoint"}[label]
    return (
        f"{title:15s}{result.requests_per_second:9.1f} req/s   "
        f"p50 {result.p50_ms:7.2f} ms   p99 {result.p99_ms:7.2f} ms   "
        f"({result.requests} requests in {result.seconds:.1f} s)"
    )


# ---- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--database",
        default="sqlite",
        help="`sqlite` (a temp file, default) or a PostgreSQL server URL on this machine, "
        "e.g. postgres://postgres@127.0.0.1:5432 (a scratch database is created and dropped)",
    )
    parser.add_argument("--seconds", type=int, default=10, help="measured seconds per endpoint")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up seconds per endpoint")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure the endpoints in turn this many times (steadier on a busy machine)",
    )
    parser.add_argument("--concurrency", type=int, default=8, help="keep-alive connections")
    parser.add_argument("--partners", type=int, default=50, help="partners to seed (>= 50)")
    args = parser.parse_args(argv)
    if not 1 <= args.seconds <= 300 or not 0 <= args.warmup <= 60:
        parser.error("--seconds must be 1..300 and --warmup 0..60")
    if not 1 <= args.rounds <= 10:
        parser.error("--rounds must be 1..10")
    if not 1 <= args.concurrency <= 256:
        parser.error("--concurrency must be 1..256")
    if not 50 <= args.partners <= 10_000:
        parser.error("--partners must be 50..10000")
    return args


def _raise_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace, workdir: Path) -> None:
    if shutil.which("wrk") is None:
        raise BenchError("`wrk` is not installed: install the Debian package `wrk` and retry.")
    database = asyncio.run(create_scratch_database(args.database, workdir))
    servers: list[Server] = []
    try:
        data_dir = workdir / "data"
        settings = load_settings(
            {
                "DATABASE_URL": database.url,
                "CHANNELPORT_DATA_DIR": str(data_dir),
                "SECRET_KEY": SECRET_KEY,
                "EMBEDDED_WORKER": "false",
                "LOG_LEVEL": "WARNING",
            }
        )
        engine = "SQLite" if settings.uses_sqlite else "PostgreSQL"
        print(f"database: {engine} ({database.url})")
        asyncio.run(migrate_database(database.url))
        token = asyncio.run(seed(settings, args.partners))
        checks = asyncio.run(check_in_process(settings, token))
        print(
            f"query: {checks.partners_returned} partners with groups and users, "
            f"{checks.response_bytes} bytes of JSON"
        )
        print(
            f"SQL statements per request: {checks.statements_for_5} for 5 partners, "
            f"{checks.statements_for_50} for 50 (no N+1); the bare endpoint sends the same"
        )

        env = server_environment(database.url, data_dir)
        servers.append(start_server("real", "app:app", env, workdir))
        servers.append(start_server("bare", "bench.bare_list_app:app", env, workdir))
        real_server, bare_server = servers
        real_body = fetch_list(real_server, token)
        bare_body = fetch_list(bare_server, token)
        if json.loads(real_body) != json.loads(bare_body):
            raise BenchError("Over HTTP, the two servers' JSON differs.")
        print(f"over HTTP both answer equal JSON (byte-for-byte: {real_body == bare_body})")

        script = workdir / "list_query.lua"
        body = json.dumps({"query": LIST_QUERY})
        script.write_text(WRK_SCRIPT.replace("{body}", body).replace("{token}", token))
        print(
            f"load: wrk, 1 thread, {args.concurrency} keep-alive connections, "
            f"{args.warmup} s warm-up then {args.rounds} x {args.seconds} s per endpoint in turn, "
            "one uvicorn worker each"
        )
        rounds: dict[str, list[LoadResult]] = {"real": [], "bare": []}
        for server in servers:
            if args.warmup:
                run_wrk(server, script, args.warmup, args.concurrency)
        for number in range(1, args.rounds + 1):
            # alternate the endpoints so that both see the same background load
            for server in servers:
                result = run_wrk(server, script, args.seconds, args.concurrency)
                rounds[server.label].append(result)
                if args.rounds > 1:
                    print(f"  round {number}: {_describe(server.label, result)}")
        real, bare = combine(rounds["real"]), combine(rounds["bare"])
        if args.rounds > 1:
            print(f"all {args.rounds} rounds (latencies: median of the rounds):")
        print(_describe("real", real))
        print(_describe("bare", bare))
        print(
            f"ratio GraphQL/bare: {real.requests_per_second / bare.requests_per_second:.3f} "
            f"(the bare endpoint is {bare.requests_per_second / real.requests_per_second:.2f}x)"
        )
    finally:
        for server in servers:
            stop_server(server)
        asyncio.run(drop_scratch_database(database))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    with tempfile.TemporaryDirectory(prefix="channelport-bench-") as workdir:
        try:
            run(args, Path(workdir))
        except BenchError as error:
            print(f"bench failed: {error}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("interrupted: servers stopped, scratch database removed", file=sys.stderr)
            return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
