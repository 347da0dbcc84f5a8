"""The lead domain's objects as a portal caches them: every record has a global id that node(id)
answers for whoever may see it (and no one else), settings and recipients are one object per
partner, lists are connections, and the links of a page of leads load without N+1.
"""

from __future__ import annotations

from typing import Any

import httpx

from models.consent import ConsentLedgerEntry, LeadConflict
from models.lead_management import (
    IgnoredCompany,
    LeadDistribution,
    LeadSettingsChange,
    RuleSetOwner,
    RuleSetVersion,
)
from models.leads import LeadEvent
from services.leads import distribution as lead_distribution
from services.leads import ignored_companies, lead_settings
from services.leads import rule_sets as lead_rule_sets
from services.leads.rules import LeadField, Operator
from settings import Settings
from tests.conftest import GraphQLClient, World, count_statements, gid, pk_of
from tests.test_consent_registration import answer, latest_token, register
from tests.test_lead_distribution import vendor_leads
from tests.test_lead_rules import cond, viewer_for

NODE = """query($id: ID!) { node(id: $id) { __typename id } }"""


async def _node(gql: GraphQLClient, token: str, global_id: str) -> tuple[Any, list[Any]]:
    body = await gql.request(NODE, {"id": global_id}, token=token)
    assert body["data"] is not None, body
    return body["data"]["node"], body.get("errors") or []


async def _records(world: World, settings: Settings, http: httpx.AsyncClient, gql: GraphQLClient):
    """One record of each lead-domain node type, all of partner A (or about it)."""
    admin = viewer_for(world.admin_a)
    await lead_rule_sets.replace_rule_set(
        admin, None, RuleSetOwner.PARTNER, [[cond(LeadField.COUNTRY, Operator.EQUALS, "nl")]]
    )
    await lead_settings.set_auto_accept(admin, None, False)
    await ignored_companies.add_ignored_company(admin, None, "Acme")
    [lead] = await vendor_leads(world, 1)
    await lead_distribution.distribute_leads(
        settings, viewer_for(world.vendor_admin), [lead.id], world.partner_a.id
    )
    held = await register(gql, world.token("user_b"), "held@example.test")
    await answer(http, await latest_token(pk_of(held["id"])), "approve")
    clash = await register(gql, world.token("user_a"), "held@example.test")
    assert clash["status"] == "CONFLICT"
    entry = await ConsentLedgerEntry.filter(lead_id=pk_of(held["id"])).first()
    assert entry is not None
    return {
        "RuleSet": (await RuleSetVersion.get()).id,
        "LeadManagementSettings": world.partner_a.id,
        "LeadNotificationRecipients": world.partner_a.id,
        "LeadSettingsChange": (await LeadSettingsChange.filter(kind="auto_accept").get()).id,
        "IgnoredCompany": (await IgnoredCompany.get()).id,
        "LeadDistribution": (await LeadDistribution.get()).id,
        "LeadHistoryEntry": (await LeadEvent.filter(lead_id=lead.id, kind="distributed").get()).id,
        "LeadConflict": (await LeadConflict.get()).id,
    }, entry.id


async def test_every_lead_record_is_a_node_for_its_partner_only(
    gql: GraphQLClient, http: httpx.AsyncClient, world: World, settings: Settings
):
    records, beta_entry = await _records(world, settings, http, gql)
    for type_name, pk in records.items():
        global_id = gid(type_name, pk)
        node, errors = await _node(gql, world.token("admin_a"), global_id)
        assert (node, errors) == ({"__typename": type_name, "id": global_id}, []), type_name
        foreign, errors = await _node(gql, world.token("admin_b"), global_id)
        assert foreign is None, type_name
        assert errors[0]["extensions"]["code"] in ("NOT_FOUND", "FORBIDDEN"), type_name
    # Beta's own ledger entry: Beta and the vendor admin see it, Alpha does not.
    entry_id = gid("ConsentLedgerEntry", beta_entry)
    assert (await _node(gql, world.token("user_b"), entry_id))[0] is not None
    assert (await _node(gql, world.token("vendor_admin"), entry_id))[0] is not None
    assert (await _node(gql, world.token("user_a"), entry_id))[0] is None


SETTINGS = """query($first: Int, $after: String) { leadManagementSettings {
  id partner { name }
  ignoredCompanies(first: $first, after: $after) {
    totalCount nodes { id name createdBy { email } } pageInfo { hasNextPage endCursor } } } }"""
ADD = """mutation($name: String!) { addIgnoredCompany(name: $name) {
  __typename ... on LeadManagementSettings { id ignoredCompanies { nodes { name } } }
  ... on OperationErrors { errors { field code } } } }"""
HISTORY = """query($last: Int, $before: String) {
  leadSettingsHistory(last: $last, before: $before) {
    totalCount nodes { id kind details { ... on IgnoredCompanyChange { name } } actor { email } }
    pageInfo { hasPreviousPage startCursor } } }"""


async def test_ignored_companies_and_settings_history_are_connections(
    gql: GraphQLClient, world: World
):
    token = world.token("admin_a")
    for name in ("Acme", "Globex", "Initech"):
        added = (await gql.data(ADD, {"name": name}, token=token))["addIgnoredCompany"]
        assert added["id"] == gid("LeadManagementSettings", world.partner_a.id)
    assert [n["name"] for n in added["ignoredCompanies"]["nodes"]] == ["Acme", "Globex", "Initech"]

    first = (await gql.data(SETTINGS, {"first": 2}, token=token))["leadManagementSettings"]
    companies = first["ignoredCompanies"]
    assert first["partner"] == {"name": "Alpha Partners"}
    assert companies["totalCount"] == 3
    assert [n["name"] for n in companies["nodes"]] == ["Acme", "Globex"]
    assert companies["nodes"][0]["createdBy"] == {"email": world.admin_a.email}
    assert companies["pageInfo"]["hasNextPage"] is True
    rest = await gql.data(
        SETTINGS, {"first": 2, "after": companies["pageInfo"]["endCursor"]}, token=token
    )
    assert [n["name"] for n in rest["leadManagementSettings"]["ignoredCompanies"]["nodes"]] == [
        "Initech"
    ]

    # Newest first; the last two are the oldest, and paging backward reaches the newest.
    oldest = (await gql.data(HISTORY, {"last": 2}, token=token))["leadSettingsHistory"]
    assert oldest["totalCount"] == 3
    assert [n["details"]["name"] for n in oldest["nodes"]] == ["Globex", "Acme"]
    assert {n["kind"] for n in oldest["nodes"]} == {"IGNORED_COMPANY_ADDED"}
    assert oldest["nodes"][0]["actor"] == {"email": world.admin_a.email}
    newest = await gql.data(
        HISTORY, {"last": 2, "before": oldest["pageInfo"]["startCursor"]}, token=token
    )
    assert [n["details"]["name"] for n in newest["leadSettingsHistory"]["nodes"]] == ["Initech"]
    # The list argument is gone: a page is at most 100.
    too_many = await gql.request(HISTORY, {"last": 101}, token=token)
    assert too_many["errors"][0]["extensions"]["code"] == "INVALID"


LINKED = """query { leads(first: 50) { nodes { id partner { name }
  history { nodes { id kind actor { email } partner { name } } }
  consentHistory { nodes { id partner { name } lead { id } } }
  conflict { id lead { id } holderLead { id } holderPartner { name } } } } }"""


async def test_the_links_of_a_lead_page_cost_the_same_for_few_and_many_leads(
    gql: GraphQLClient, http: httpx.AsyncClient, world: World
):
    async def statements_for_listing(expected: int) -> int:
        with count_statements() as statements:
            data = await gql.data(LINKED, token=world.token("vendor_admin"))
        nodes = data["leads"]["nodes"]
        assert len(nodes) == expected
        for node in nodes:
            assert node["partner"] == {"name": "Alpha Partners"}
            assert {e["lead"]["id"] for e in node["consentHistory"]["nodes"]} == {node["id"]}
            assert node["history"]["nodes"][0]["actor"] == {"email": world.user_a.email}
        return len(statements)

    await register(gql, world.token("user_a"), "one@example.test")
    await register(gql, world.token("user_a"), "two@example.test")
    few = await statements_for_listing(2)
    for index in range(8):
        await register(gql, world.token("user_a"), f"more{index}@example.test")
    assert await statements_for_listing(10) == few


async def test_lead_query_answers_null_and_an_error_for_a_bad_missing_or_foreign_id(
    gql: GraphQLClient, world: World
):
    lead = await register(gql, world.token("user_a"), "mine@example.test")
    query = """query($id: ID!) { lead(id: $id) { id } me { email } }"""
    cases = [
        ("not an id", "INVALID"),
        (gid("Partner", world.partner_a.id), "INVALID"),
        (gid("Lead", pk_of(lead["id"]) + 1000), "NOT_FOUND"),
        (lead["id"], "NOT_FOUND"),
    ]
    for value, code in cases:
        body = await gql.request(query, {"id": value}, token=world.token("user_b"))
        # The rest of the response stands.
        assert body["data"] == {"lead": None, "me": {"email": world.user_b.email}}, value
        assert [e["extensions"]["code"] for e in body["errors"]] == [code], value
