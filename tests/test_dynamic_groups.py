"""Partner groups: dynamic membership by rule, static membership by hand, and the two views of
membership (`partner.groups`, `partnerGroup.members`) and the targeting query agreeing."""

from __future__ import annotations

from typing import Any

import pytest

from models.enums import PartnerStatus, PartnerTier
from models.partners import PartnerGroup, PartnerGroupMember, PartnerOrg
from services.partners.groups import partner_ids_in_groups
from tests.conftest import GraphQLClient, World, gid, make_partner, pk_of
from tests.database_state import database_state

RESULT = "__typename ... on OperationErrors { errors { field code message } }"
SAVE_GROUP = """mutation($id: ID, $input: PartnerGroupInput!) {
  savePartnerGroup(id: $id, input: $input) {
    __typename ... on PartnerGroup { id name kind rule { field operator values } }
    ... on OperationErrors { errors { field code message } } } }"""
MEMBERSHIP = f"""mutation($group: ID!, $partners: [ID!]!) {{
  add: addPartnersToGroup(groupId: $group, partnerIds: $partners) {{ {RESULT} }} }}"""
REMOVAL = f"""mutation($group: ID!, $partners: [ID!]!) {{
  remove: removePartnersFromGroup(groupId: $group, partnerIds: $partners) {{ {RESULT} }} }}"""
UPDATE_PARTNER = f"""mutation($id: ID!, $input: PartnerInput!) {{
  updatePartner(id: $id, input: $input) {{ {RESULT} }} }}"""
BOTH_VIEWS = """{
  partnerGroups(first: 100) { edges { node { name members(first: 100) { nodes { name } } } } }
  partners(first: 100) { edges { node { name groups(first: 100) { nodes { name } } } } }
}"""


def cond(field: str, operator: str, *values: str) -> dict[str, Any]:
    """A condition as the API takes and gives it (field and operator are enums)."""
    return {"field": field.upper(), "operator": operator.upper(), "values": list(values)}


# name -> (tier, country, status)
PARTNERS = {
    "Gold NL": (PartnerTier.GOLD, "NL", PartnerStatus.ACTIVE),
    "Platinum DE": (PartnerTier.PLATINUM, "DE", PartnerStatus.ACTIVE),
    "Silver NL": (PartnerTier.SILVER, "NL", PartnerStatus.ACTIVE),
    "Gold NL inactive": (PartnerTier.GOLD, "NL", PartnerStatus.INACTIVE),
    "Gold BE test": (PartnerTier.GOLD, "BE", PartnerStatus.TEST),
}
RULES = {
    "Top tiers": [cond("tier", "in", "gold", "platinum")],
    "Dutch": [cond("country", "equals", "NL")],
    "Not inactive": [cond("status", "not_in", "inactive")],
    "Not German": [cond("country", "not_equals", "DE")],
    "Active Dutch gold": [
        cond("tier", "equals", "gold"),
        cond("country", "in", "NL"),
        cond("status", "not_in", "inactive", "test"),
    ],
}
EXPECTED_MEMBERS = {
    "Top tiers": {"Gold NL", "Platinum DE", "Gold NL inactive", "Gold BE test"},
    "Dutch": {"Gold NL", "Silver NL", "Gold NL inactive"},
    "Not inactive": {"Gold NL", "Platinum DE", "Silver NL", "Gold BE test"},
    "Not German": {"Gold NL", "Silver NL", "Gold NL inactive", "Gold BE test"},
    "Active Dutch gold": {"Gold NL"},
    "Hand-picked": {"Platinum DE", "Silver NL"},
}


class Groups:
    def __init__(self, gql: GraphQLClient, token: str, partners: dict[str, PartnerOrg]) -> None:
        self.gql = gql
        self.token = token
        self.partners = partners
        self.ids: dict[str, str] = {}

    async def save(self, name: str, **group_input: Any) -> dict[str, Any]:
        variables = {"id": self.ids.get(name), "input": {"name": name, **group_input}}
        result = (await self.gql.data(SAVE_GROUP, variables, token=self.token))["savePartnerGroup"]
        assert result["__typename"] == "PartnerGroup", result
        self.ids[name] = result["id"]
        return result

    async def views(self) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        """Members per group (partnerGroup.members) and groups per partner (partner.groups)."""
        data = await self.gql.data(BOTH_VIEWS, token=self.token)
        members = {
            e["node"]["name"]: {m["name"] for m in e["node"]["members"]["nodes"]}
            for e in data["partnerGroups"]["edges"]
        }
        groups = {
            e["node"]["name"]: {g["name"] for g in e["node"]["groups"]["nodes"]}
            for e in data["partners"]["edges"]
        }
        return members, groups

    async def members(self) -> dict[str, set[str]]:
        """Members per group, after checking that both API views and the targeting query agree."""
        members, groups = await self.views()
        inverted: dict[str, set[str]] = {partner: set() for partner in groups}
        for group, names in members.items():
            for name in names:
                inverted[name].add(group)
        assert inverted == groups
        names_by_id = dict(await PartnerOrg.all().values_list("id", "name"))
        for group, group_id in self.ids.items():
            targeted = await partner_ids_in_groups([pk_of(group_id)])
            assert {names_by_id[p] for p in targeted} == members[group], group
        return {group: names & set(self.partners) for group, names in members.items()}


@pytest.fixture
async def groups(gql: GraphQLClient, world: World) -> Groups:
    partners = {
        name: await make_partner(name, status=status, tier=tier, country=country)
        for name, (tier, country, status) in PARTNERS.items()
    }
    groups = Groups(gql, world.token("vendor_admin"), partners)
    for name, rule in RULES.items():
        await groups.save(name, kind="DYNAMIC", rule=rule)
    await groups.save("Hand-picked", kind="STATIC")
    added = await gql.data(
        MEMBERSHIP,
        {
            "group": groups.ids["Hand-picked"],
            "partners": [
                gid("Partner", partners["Platinum DE"].id),
                gid("Partner", partners["Silver NL"].id),
            ],
        },
        token=groups.token,
    )
    assert added["add"]["__typename"] == "PartnerGroup"
    return groups


async def test_dynamic_and_static_membership(groups: Groups):
    assert await groups.members() == EXPECTED_MEMBERS
    # The world's partners (silver NL active, gold DE active) are placed by the same rules.
    members, _ = await groups.views()
    assert "Beta Partners" in members["Top tiers"]
    assert "Alpha Partners" in members["Dutch"]
    assert "Alpha Partners" not in members["Hand-picked"]


async def test_changing_a_partner_moves_it_in_and_out_of_dynamic_groups(groups: Groups):
    silver = gid("Partner", groups.partners["Silver NL"].id)

    async def update(**partner_input: Any) -> None:
        result = await groups.gql.data(
            UPDATE_PARTNER, {"id": silver, "input": partner_input}, token=groups.token
        )
        assert result["updatePartner"]["__typename"] == "Partner"

    await update(tier="GOLD")
    members = await groups.members()
    assert "Silver NL" in members["Top tiers"]
    assert "Silver NL" in members["Active Dutch gold"]

    await update(status="INACTIVE")
    members = await groups.members()
    assert "Silver NL" not in members["Not inactive"]
    assert "Silver NL" not in members["Active Dutch gold"]
    assert "Silver NL" in members["Top tiers"]
    assert "Silver NL" in members["Hand-picked"]  # static membership does not follow fields

    await update(tier="SILVER", status="ACTIVE", country="de")
    members = await groups.members()
    assert "Silver NL" not in members["Top tiers"]
    assert "Silver NL" not in members["Dutch"]
    assert "Silver NL" not in members["Not German"]
    assert "Silver NL" in members["Not inactive"]


async def test_a_new_partner_joins_the_groups_whose_rule_it_matches(
    groups: Groups, gql: GraphQLClient
):
    created = await gql.data(
        f"""mutation {{ createPartner(input: {{name: "Newcomer", tier: PLATINUM, country: "nl"}},
              firstAdmin: {{email: "admin@newcomer.test"}}) {{ {RESULT} }} }}""",
        token=groups.token,
    )
    assert created["createPartner"]["__typename"] == "Partner"
    groups.partners["Newcomer"] = await PartnerOrg.get(name="Newcomer")
    members = await groups.members()
    joined = {group for group, names in members.items() if "Newcomer" in names}
    assert joined == {"Top tiers", "Dutch", "Not inactive", "Not German"}


async def test_editing_a_rule_changes_the_members(groups: Groups):
    await groups.save("Top tiers", rule=[cond("tier", "in", "platinum")])
    assert (await groups.members())["Top tiers"] == {"Platinum DE"}


async def test_rules_are_normalised(groups: Groups):
    saved = await groups.save(
        "Normalised",
        kind="DYNAMIC",
        rule=[cond("tier", "in", " GOLD", "Platinum", "gold"), cond("country", "equals", "nl")],
    )
    assert saved["rule"] == [
        cond("tier", "in", "gold", "platinum"),
        cond("country", "equals", "NL"),
    ]
    assert (await groups.members())["Normalised"] == {"Gold NL", "Gold NL inactive"}


async def test_a_dynamic_group_refuses_manual_members(groups: Groups, gql: GraphQLClient):
    dynamic = groups.ids["Dutch"]
    platinum = gid("Partner", groups.partners["Platinum DE"].id)
    gold = gid("Partner", groups.partners["Gold NL"].id)
    before = await database_state()
    for query, partner in ((MEMBERSHIP, platinum), (REMOVAL, gold)):
        data = await gql.data(query, {"group": dynamic, "partners": [partner]}, token=groups.token)
        (payload,) = data.values()
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID", "groupId")]
        assert "Dynamic groups" in payload["errors"][0]["message"]
    created = await gql.data(
        f"""mutation($groups: [ID!]) {{ createPartner(input: {{name: "Pushy"}},
              firstAdmin: {{email: "admin@pushy.test"}}, groupIds: $groups) {{ {RESULT} }} }}""",
        {"groups": [groups.ids["Hand-picked"], dynamic]},
        token=groups.token,
    )
    errors = created["createPartner"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID", "groupIds")]
    assert await database_state() == before
    assert (await groups.members())["Dutch"] == EXPECTED_MEMBERS["Dutch"]


async def test_switching_a_group_between_static_and_dynamic(groups: Groups):
    # Static -> dynamic: the hand-picked members go, the rule decides.
    await groups.save("Hand-picked", kind="DYNAMIC", rule=[cond("country", "in", "BE")])
    assert not await PartnerGroupMember.filter(group_id=pk_of(groups.ids["Hand-picked"])).exists()
    assert (await groups.members())["Hand-picked"] == {"Gold BE test"}
    # Dynamic -> static: the rule goes and the group starts empty.
    saved = await groups.save("Hand-picked", kind="STATIC")
    assert saved["rule"] == []
    assert (await PartnerGroup.get(id=pk_of(groups.ids["Hand-picked"]))).rule == []
    assert (await groups.members())["Hand-picked"] == set()


async def test_static_membership_is_idempotent_and_removable(groups: Groups, gql: GraphQLClient):
    group = groups.ids["Hand-picked"]
    platinum = gid("Partner", groups.partners["Platinum DE"].id)
    gold = gid("Partner", groups.partners["Gold NL"].id)
    await gql.data(MEMBERSHIP, {"group": group, "partners": [platinum, gold]}, token=groups.token)
    assert await PartnerGroupMember.filter(group_id=pk_of(group)).count() == 3
    await gql.data(REMOVAL, {"group": group, "partners": [platinum]}, token=groups.token)
    assert (await groups.members())["Hand-picked"] == {"Silver NL", "Gold NL"}
