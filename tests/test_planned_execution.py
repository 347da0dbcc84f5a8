"""Execution plans give exactly the standard executor's answers (schema/platform/execution_plan).

A differential test: queries generated from the schema itself (hypothesis) with aliases, inline
and named fragments, `@include`/`@skip` on variables, `__typename`, unions, nested lists, fields
refused by permissions (null propagation up to the nearest nullable parent), arguments, and now
and then one beyond the query limits, are sent as each role to the real application and to the
same application with EXECUTION_PLANS=false, over HTTP on the same database; the response bodies
(data and errors, in order) must be equal. Also: the plan path really runs, and what plans do not
cover (mutations, a plan-less selection) falls back to the standard executor.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLObjectType,
    GraphQLOutputType,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    is_non_null_type,
    is_object_type,
)
from hypothesis import HealthCheck, given, note
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from app import create_app
from models.enums import GroupKind
from models.partners import PartnerGroup, PartnerGroupMember
from resolvers.platform.permissions import IsAuthenticated, IsVendorStaff
from schema.platform import batched_execution, direct_resolvers, planned_execution
from schema.schema import schema
from settings import Settings
from tests.conftest import World

ROLES = ("anonymous", "vendor_admin", "manager", "admin_a", "user_a")
GRAPHQL_SCHEMA = schema._schema
QUERY_TYPE = GRAPHQL_SCHEMA.query_type
assert QUERY_TYPE is not None
MAX_DEPTH = 4


def _callable_fields(object_type: GraphQLObjectType) -> list[str]:
    """Fields that need no argument value (optional arguments are left out)."""
    return sorted(
        name
        for name, field in object_type.fields.items()
        if not any(is_non_null_type(a.type) for a in field.args.values())
        and not name.startswith("__")
    )


ROOT_FIELDS = [
    name
    for name in _callable_fields(QUERY_TYPE)
    if not is_leaf_type(get_named_type(QUERY_TYPE.fields[name].type)) or name == "me"
]


class QueryBuilder:
    """Draws one query document: selections, aliases, fragments and directive variables."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self.fragments: list[str] = []
        self.aliases = 0

    def key(self, name: str) -> str:
        if self.aliases < 5 and self.draw(st.integers(0, 5)) == 0:
            self.aliases += 1
            return f"a{self.aliases}: {name}"
        return name

    def directive(self) -> str:
        choice = self.draw(
            st.sampled_from(["", "", "", "", " @include(if: $yes)", " @skip(if: $no)"])
        )
        if self.draw(st.integers(0, 12)) == 0:
            choice = self.draw(st.sampled_from([" @skip(if: $yes)", " @include(if: $no)"]))
        return choice

    def selection(self, kind: GraphQLOutputType, depth: int) -> str:
        named = get_named_type(kind)
        if is_leaf_type(named):
            return ""
        if is_abstract_type(named):
            members = GRAPHQL_SCHEMA.get_possible_types(named)  # type: ignore[arg-type]
            parts = ["__typename"]
            for member in self.draw(st.lists(st.sampled_from(members), max_size=2, unique=True)):
                parts.append(f"... on {member.name} {{ {self.object_fields(member, depth)} }}")
            return "{ " + " ".join(parts) + " }"
        assert is_object_type(named)
        return "{ " + self.object_fields(named, depth) + " }"  # type: ignore[arg-type]

    def object_fields(self, object_type: GraphQLObjectType, depth: int) -> str:
        names = _callable_fields(object_type)
        if depth >= MAX_DEPTH:
            names = [n for n in names if is_leaf_type(get_named_type(object_type.fields[n].type))]
        if not names:
            return "__typename"
        chosen = self.draw(st.lists(st.sampled_from(names), min_size=1, max_size=4))
        parts = []
        for name in chosen:
            field = object_type.fields[name]
            arguments = ""
            if "first" in field.args and self.draw(st.booleans()):
                arguments = f"(first: {self.draw(st.sampled_from(['$first', '1', '2', '0']))})"
            text = f"{self.key(name)}{arguments}{self.directive()} "
            text += self.selection(field.type, depth + 1)
            wrap = self.draw(st.integers(0, 6))
            if wrap == 0:
                text = f"... on {object_type.name} {{ {text} }}"
            elif wrap == 1:
                fragment = f"F{len(self.fragments)}"
                self.fragments.append(f"fragment {fragment} on {object_type.name} {{ {text} }}")
                text = f"...{fragment}"
            parts.append(text)
        if self.draw(st.integers(0, 4)) == 0:
            parts.append("__typename")
        return " ".join(parts)


@st.composite
def documents(draw: st.DrawFn) -> str:
    builder = QueryBuilder(draw)
    roots = draw(st.lists(st.sampled_from(ROOT_FIELDS), min_size=1, max_size=3))
    body = " ".join(
        f"{builder.key(name)} {builder.selection(QUERY_TYPE.fields[name].type, 1)}"
        for name in roots
    )
    if draw(st.integers(0, 15)) == 0:  # beyond the depth limit: refused by validation
        body += " me { partner { users { nodes { partner { users { nodes { partner { users {"
        body += " nodes { partner { users { nodes { id } } } } } } } } } } } } } } }"
    text = f"{{ {body} }} " + " ".join(builder.fragments)
    declarations = {"$yes": "Boolean! = true", "$no": "Boolean! = false", "$first": "Int = 2"}
    used = [f"{name}: {kind}" for name, kind in declarations.items() if name + ")" in text]
    return (f"query Q({', '.join(used)}) " if used else "query Q ") + text


@pytest.fixture
async def standard_http(app: Starlette, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The same application with EXECUTION_PLANS=false, on the database `app` opened."""
    standard = create_app(dataclasses.replace(settings, execution_plans=False))
    standard.state.pubsub = app.state.pubsub
    transport = httpx.ASGITransport(app=standard, client=("10.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as client:
        yield client


@pytest.fixture
async def grouped_world(world: World) -> World:
    static = await PartnerGroup.create(name="Static", kind=GroupKind.STATIC)
    await PartnerGroup.create(
        name="Gold",
        kind=GroupKind.DYNAMIC,
        rule=[{"field": "tier", "operator": "in", "values": ["gold"]}],
    )
    await PartnerGroupMember.create(group=static, partner=world.partner_a)
    return world


async def _post(client: httpx.AsyncClient, token: str | None, query: str, variables: Any) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    return response.status_code, response.json()


@hypothesis_settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=documents(), role=st.sampled_from(ROLES), first=st.sampled_from([None, 1, 3]))
async def test_plans_answer_exactly_as_the_standard_executor(
    grouped_world: World,
    http: httpx.AsyncClient,
    standard_http: httpx.AsyncClient,
    query: str,
    role: str,
    first: int | None,
) -> None:
    token = None if role == "anonymous" else grouped_world.token(role)
    note(query)
    variables = {"first": first}
    planned = await _post(http, token, query, variables)
    standard = await _post(standard_http, token, query, variables)
    assert planned == standard, json.dumps(planned)[:2000]


async def test_the_list_query_runs_on_a_plan_and_mutations_fall_back(
    grouped_world: World, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A query runs on its plan; a mutation runs on the standard executor, the first class
    after the plan mixins in the schema's executor class that defines execute_operation."""
    planned_runs: list[str] = []
    standard_runs: list[str] = []
    executor_class = schema.execution_context_class
    assert executor_class is not None
    bases = executor_class.__mro__
    standard_class = next(
        base
        for base in bases[bases.index(planned_execution.PlannedExecution) + 1 :]
        if "execute_operation" in vars(base)
    )
    run_root = planned_execution.PlannedExecution._run_root
    standard_execute = standard_class.execute_operation

    def spy_run_root(self: Any, root: Any) -> Any:
        planned_runs.append(self.operation.operation.value)
        return run_root(self, root)

    def spy_standard(self: Any, serially: Any = None) -> Any:
        standard_runs.append(self.operation.operation.value)
        return standard_execute(self, serially)

    monkeypatch.setattr(planned_execution.PlannedExecution, "_run_root", spy_run_root)
    monkeypatch.setattr(standard_class, "execute_operation", spy_standard)
    headers = {"authorization": f"Bearer {grouped_world.token('vendor_admin')}"}
    query = (
        "{ partners(first: 5) { edges { node { id name status tier country "
        "groups { nodes { id name } } users { nodes { id email role } } } } "
        "pageInfo { hasNextPage endCursor } } }"
    )
    body = (await http.post("/graphql", json={"query": query}, headers=headers)).json()
    assert planned_runs == ["query"]
    assert standard_runs == []
    nodes = [edge["node"] for edge in body["data"]["partners"]["edges"]]
    assert [g["name"] for g in nodes[0]["groups"]["nodes"]] == ["Static"]
    assert [g["name"] for g in nodes[1]["groups"]["nodes"]] == ["Gold"]
    mutation = 'mutation { deletePartnerGroup(id: "999") { __typename } }'
    await http.post("/graphql", json={"query": mutation}, headers=headers)
    assert planned_runs == ["query"]
    assert standard_runs == ["mutation"]


# ---- batched nested fields (schema/platform/batched_fields.py) -------------------------------

BATCH_CASES = [
    # every partner's groups and users, with names and ids (the benchmark's list query)
    "{ partners { edges { node { id groups { nodes { id name } } users { nodes { id email } } }"
    " } } }",
    # refused arguments: every object takes the per-object path and fails as it does there
    "{ partners { edges { node { id groups(first: 0) { nodes { id } } users { nodes { id } } }"
    " } } }",
    "{ partners { edges { node { id users(last: 101) { nodes { id } } groups { nodes { id } } }"
    " } } }",
    '{ partners { edges { node { groups(after: "bad") { nodes { id } } users(before: "!") {'
    " nodes { id } } } } } }",
    # two aliases of one field with different windows, paging both ways, totalCount, pageInfo
    "{ partners { edges { node { a: users(first: 1) { nodes { email } pageInfo { hasNextPage"
    " endCursor } totalCount } b: users(last: 1) { nodes { email } pageInfo {"
    " hasPreviousPage startCursor } } } } } }",
    # nested under batched values: each user's partner and its groups; members by role
    "{ partners { edges { node { users { nodes { partner { name groups { nodes { name"
    " members { nodes { name } } } } } } } } } } }",
    "{ partners { edges { node { groups { nodes { members { nodes { users { nodes { email } }"
    " } } } } } } } }",
    # a sync field with a permission beside them, and the same partner list twice
    "{ partners { edges { node { invoicing { email } users { totalCount } } } }"
    " again: partners(first: 1) { edges { node { groups { totalCount } } } } }",
    # a single partner (no list: no batch) next to a list
    "{ me { partner { groups { nodes { name } } users { nodes { email } } } }"
    " partners { edges { node { users { nodes { role } } } } } }",
]


@pytest.mark.parametrize("query", BATCH_CASES)
@pytest.mark.parametrize("role", ROLES)
async def test_batched_fields_answer_exactly_as_the_standard_executor(
    grouped_world: World,
    http: httpx.AsyncClient,
    standard_http: httpx.AsyncClient,
    query: str,
    role: str,
) -> None:
    token = None if role == "anonymous" else grouped_world.token(role)
    planned = await _post(http, token, query, {})
    standard = await _post(standard_http, token, query, {})
    assert planned == standard, json.dumps(planned)[:2000]


async def test_the_list_query_batches_groups_and_users_once_per_list(
    grouped_world: World, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One batch per nested field for the whole page, none for refused arguments."""
    batches: list[tuple[str, int]] = []
    run_batch = batched_execution.BatchedExecution._run_batch

    async def spy_run_batch(self: Any, pending: Any) -> Any:
        batches.append((pending.step.key, len(pending.sources)))
        return await run_batch(self, pending)

    monkeypatch.setattr(batched_execution.BatchedExecution, "_run_batch", spy_run_batch)
    headers = {"authorization": f"Bearer {grouped_world.token('vendor_admin')}"}
    response = await http.post("/graphql", json={"query": BATCH_CASES[0]}, headers=headers)
    assert "errors" not in response.json()
    assert batches == [("groups", 2), ("users", 2)]
    batches.clear()
    response = await http.post("/graphql", json={"query": BATCH_CASES[1]}, headers=headers)
    assert [e["path"][-1] for e in response.json()["errors"]] == ["groups"]
    assert batches == [("users", 2)]


class _ReadsTheObject(IsAuthenticated):
    """Inherits the marker but reads the object: must not be asked once per list."""

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return bool(source)


def test_only_permission_classes_that_declare_it_are_asked_once_per_field() -> None:
    assert direct_resolvers.source_independent(IsAuthenticated())
    assert direct_resolvers.source_independent(IsVendorStaff())
    assert not direct_resolvers.source_independent(_ReadsTheObject())
    groups = GRAPHQL_SCHEMA.get_type("Partner").fields["groups"]  # type: ignore[union-attr]
    assert direct_resolvers.direct_call(groups, schema) is not None
