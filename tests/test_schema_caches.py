"""Schema caches: a repeated query is validated once, and the limits still hold on a repeat."""

from __future__ import annotations

from schema.platform.extensions import cached_validation
from schema.schema import MAX_QUERY_DEPTH
from tests.conftest import GraphQLClient, World


def deep_users_query(depth: int) -> str:
    fields = ["users", "edges", "node"]
    following = {"node": "partner", "nodes": "partner", "partner": "users", "users": "nodes"}
    while len(fields) < depth:
        fields.append(following[fields[-1]])
    query = "id"
    for field in reversed(fields[:depth]):
        query = f"{field} {{ {query} }}"
    return "{ " + query + " }"


async def test_a_repeated_query_is_validated_once(gql: GraphQLClient, world: World):
    cache = cached_validation
    query = "{ partners(first: 7) { edges { node { id name groups { nodes { id } } } } } }"
    token = world.token("vendor_admin")
    first = await gql.data(query, token=token)
    before = cache.cache_info()
    for _ in range(3):
        assert await gql.data(query, token=token) == first
    after = cache.cache_info()
    assert after.hits - before.hits == 3
    assert after.misses == before.misses


async def test_a_cached_validation_still_refuses_a_too_deep_query(gql: GraphQLClient, world: World):
    token = world.token("vendor_admin")
    too_deep = deep_users_query(MAX_QUERY_DEPTH + 1)
    for _ in range(2):
        body = await gql.request(too_deep, token=token)
        assert body.get("data") is None
        (error,) = body["errors"]
        assert f"maximum operation depth of {MAX_QUERY_DEPTH}" in error["message"]
