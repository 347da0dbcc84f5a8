"""Default lead-notification recipients: who gets the flag when users are added (SPEC §5), and who
may choose the recipients and the supplier-assigned default user."""

from __future__ import annotations

from models.users import SalesRep, User
from tests.conftest import GraphQLClient, World, gid, make_partner

CREATE_USER = """mutation($p: ID, $email: String!) {
  createUser(partnerId: $p, input: {email: $email, role: PARTNER_USER}) {
    __typename ... on InvitedUser { user { id isDefaultLeadRecipient } } } }"""
UPDATE_USER = """mutation($id: ID!, $flag: Boolean) {
  updateUser(id: $id, input: {isDefaultLeadRecipient: $flag}) { __typename } }"""
SET_RECIPIENTS = """mutation($p: ID, $users: [ID!]!, $reps: [ID!]!) {
  setLeadNotificationRecipients(partnerId: $p, userIds: $users, salesRepIds: $reps) {
    __typename
    ... on LeadNotificationRecipients {
      id users { nodes { email } } salesReps { nodes { email } }
    }
    ... on OperationErrors { errors { field code } } } }"""


async def add_user(gql: GraphQLClient, token: str, partner_id: int, email: str) -> dict:
    data = await gql.data(
        CREATE_USER, {"p": gid("Partner", partner_id), "email": email}, token=token
    )
    return data["createUser"]["user"]


async def flagged(partner_id: int) -> list[str]:
    return sorted(
        await User.filter(partner_id=partner_id, is_default_lead_recipient=True).values_list(
            "email", flat=True
        )
    )


async def test_first_user_gets_the_flag_then_the_next_after_removal(
    world: World, gql: GraphQLClient
):
    vendor = world.token("vendor_admin")
    partner = await make_partner("Gamma Resellers")
    first = await add_user(gql, vendor, partner.id, "first@gamma.test")
    second = await add_user(gql, vendor, partner.id, "second@gamma.test")
    assert first["isDefaultLeadRecipient"] is True
    assert second["isDefaultLeadRecipient"] is False
    assert await flagged(partner.id) == ["first@gamma.test"]

    # The flag is removed from the first user: the next user added gets it, and only that one.
    await gql.data(UPDATE_USER, {"id": first["id"], "flag": False}, token=vendor)
    assert await flagged(partner.id) == []
    third = await add_user(gql, vendor, partner.id, "third@gamma.test")
    fourth = await add_user(gql, vendor, partner.id, "fourth@gamma.test")
    assert third["isDefaultLeadRecipient"] is True
    assert fourth["isDefaultLeadRecipient"] is False

    # While any user holds it (here two), new users do not get it.
    await gql.data(UPDATE_USER, {"id": second["id"], "flag": True}, token=vendor)
    await gql.data(UPDATE_USER, {"id": third["id"], "flag": False}, token=vendor)
    fifth = await add_user(gql, vendor, partner.id, "fifth@gamma.test")
    assert fifth["isDefaultLeadRecipient"] is False
    assert await flagged(partner.id) == ["second@gamma.test"]

    # Clearing every recipient through the lead settings counts as removal too.
    cleared = await gql.data(
        SET_RECIPIENTS, {"p": gid("Partner", partner.id), "users": [], "reps": []}, token=vendor
    )
    assert cleared["setLeadNotificationRecipients"]["users"] == {"nodes": []}
    sixth = await add_user(gql, vendor, partner.id, "sixth@gamma.test")
    assert sixth["isDefaultLeadRecipient"] is True
    # Another partner's first user is that partner's own business.
    other = await make_partner("Delta")
    assert (await add_user(gql, vendor, other.id, "one@delta.test"))["isDefaultLeadRecipient"]


async def test_partner_admin_chooses_recipients_of_their_own_org_only(
    world: World, gql: GraphQLClient
):
    rep = await SalesRep.create(partner=world.partner_a, full_name="Rep", email="rep@a.example")
    rep_b = await SalesRep.create(partner=world.partner_b, full_name="Rep B", email="rep@b.example")
    chosen = await gql.data(
        SET_RECIPIENTS,
        {"users": [gid("User", world.user_a.id)], "reps": [gid("SalesRep", rep.id)]},
        token=world.token("admin_a"),
    )
    assert chosen["setLeadNotificationRecipients"] == {
        "__typename": "LeadNotificationRecipients",
        "id": gid("LeadNotificationRecipients", world.partner_a.id),
        "users": {"nodes": [{"email": "user@alpha.test"}]},
        "salesReps": {"nodes": [{"email": "rep@a.example"}]},
    }
    # Users or reps of another partner are refused, and nothing changes.
    refused = await gql.data(
        SET_RECIPIENTS,
        {"users": [gid("User", world.user_b.id)], "reps": [gid("SalesRep", rep_b.id)]},
        token=world.token("admin_a"),
    )
    errors = refused["setLeadNotificationRecipients"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        ("userIds", "INVALID"),
        ("salesRepIds", "INVALID"),
    ]
    assert await flagged(world.partner_a.id) == ["user@alpha.test"]
    # A partner user may not choose; another partner's admin does not reach partner A.
    body = await gql.request(SET_RECIPIENTS, {"users": [], "reps": []}, token=world.token("user_a"))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await gql.request(
        SET_RECIPIENTS,
        {"p": gid("Partner", world.partner_a.id), "users": [], "reps": []},
        token=world.token("admin_b"),
    )
    assert body["data"]["setLeadNotificationRecipients"]["errors"][0]["code"] == "NOT_FOUND"
    assert await flagged(world.partner_a.id) == ["user@alpha.test"]
    assert (await SalesRep.get(id=rep.id)).is_default_lead_recipient is True


async def test_only_the_vendor_assigns_the_supplier_default_user(world: World, gql: GraphQLClient):
    mutation = """mutation($p: ID!, $u: ID) {
      setSupplierDefaultLeadUser(partnerId: $p, userId: $u) {
        __typename ... on LeadNotificationRecipients { supplierDefaultUser { email } }
        ... on OperationErrors { errors { field code } } } }"""
    variables = {"p": gid("Partner", world.partner_a.id), "u": gid("User", world.admin_a.id)}
    body = await gql.request(mutation, variables, token=world.token("admin_a"))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    wrong = await gql.data(
        mutation,
        {**variables, "u": gid("User", world.user_b.id)},
        token=world.token("vendor_admin"),
    )
    assert wrong["setSupplierDefaultLeadUser"]["errors"][0]["field"] == "userId"
    done = await gql.data(mutation, variables, token=world.token("vendor_admin"))
    assert done["setSupplierDefaultLeadUser"]["supplierDefaultUser"] == {
        "email": "admin@alpha.test"
    }
    moved = await gql.data(
        mutation,
        {**variables, "u": gid("User", world.user_a.id)},
        token=world.token("vendor_admin"),
    )
    assert moved["setSupplierDefaultLeadUser"]["supplierDefaultUser"] == {
        "email": "user@alpha.test"
    }
    owners = await User.filter(is_supplier_default_lead_owner=True).values_list("email", flat=True)
    assert list(owners) == ["user@alpha.test"]
    # The partner admin reads it.
    data = await gql.data(
        """{ leadNotificationRecipients {
            id supplierDefaultUser { email } availableUsers { totalCount nodes { email } } } }""",
        token=world.token("admin_a"),
    )
    recipients = data["leadNotificationRecipients"]
    assert recipients["supplierDefaultUser"] == {"email": "user@alpha.test"}
    assert recipients["id"] == gid("LeadNotificationRecipients", world.partner_a.id)
    assert recipients["availableUsers"]["totalCount"] == 2
    assert [u["email"] for u in recipients["availableUsers"]["nodes"]] == [
        "admin@alpha.test",
        "user@alpha.test",
    ]


async def test_supplier_default_user_for_an_unknown_partner_is_not_found(
    world: World, gql: GraphQLClient
):
    """An id of no partner was written as a foreign key and failed as an internal error."""
    body = await gql.request(
        """mutation($p: ID!) { setSupplierDefaultLeadUser(partnerId: $p) {
             __typename ... on OperationErrors { errors { field code } } } }""",
        {"p": gid("Partner", 987654)},
        token=world.token("vendor_admin"),
    )
    assert body["data"]["setSupplierDefaultLeadUser"] == {
        "__typename": "OperationErrors",
        "errors": [{"field": "partnerId", "code": "NOT_FOUND"}],
    }
