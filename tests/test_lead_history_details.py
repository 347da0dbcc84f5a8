"""A lead's history and the lead settings history say what happened in typed fields, one small
type per kind, with the lead, partner, hand-out, conflict, users and sales reps they name as
objects; and a partner reading its side of a conflict never learns who holds the customer.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from models.consent import LeadConflict
from models.lead_management import DistributionState, LeadDistribution
from models.leads import LeadEvent
from models.users import SalesRep
from services.consent.conflicts import PARTNER_CONFLICT_REASON
from tests.conftest import GraphQLClient, World, gid, pk_of
from tests.test_consent_registration import register

HISTORY = """query($id: ID!) { lead(id: $id) { history(first: 100) { nodes { kind details {
  __typename
  ... on LeadUpdatedDetails { fields }
  ... on LeadAutoRegisteredDetails { ruleSet version groupIndex }
  ... on LeadAutoRegistrationSkippedDetails { reason company ruleSet version groupIndex }
  ... on ConsentRequestedDetails { email }
  ... on ConsentResentDetails { previousStatus supersededRequests }
  ... on ConsentApprovedDetails { registeredAt }
  ... on ConsentExpiredDetails { expiresAt }
  ... on RegistrationConflictDetails { reason conflict { id reason holderPartner { name } } }
  ... on ConflictResolvedDetails { resolution note }
  ... on RegistrationMovedDetails { toLead { id } toPartner { id name } }
  ... on LeadDistributedDetails { acceptBy distribution { id state } }
  ... on LeadAcceptedDetails { auto distribution { id } }
  ... on LeadRejectedDetails { reason distribution { id } }
  ... on LeadReturnedDetails { reason acceptBy distribution { id } }
} } } } }"""

# Still ahead, so that no deadline settles the hand-out while the test reads it.
ACCEPT_BY = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)


async def _seed_history(world: World, lead_pk: int, holder_pk: int) -> dict[str, int]:
    """Events of every kind, stored in the shapes the services write them."""
    partner = world.partner_a.id
    hand_out = await LeadDistribution.create(
        lead_id=lead_pk, partner_id=partner, state=DistributionState.PENDING, accept_by=ACCEPT_BY
    )
    conflict = await LeadConflict.create(
        lead_id=lead_pk,
        holder_lead_id=holder_pk,
        holder_partner_id=world.partner_b.id,
        email="typed@example.test",
        reason="typed@example.test is already a registered lead of Beta Partners.",
    )
    at = ACCEPT_BY.isoformat()
    rows: list[tuple[str, dict[str, Any]]] = [
        ("created", {}),
        ("consent_requested", {"email": "typed@example.test"}),
        ("updated", {"fields": ["company", "phone"]}),
        (
            "auto_registered",
            {"rule_set": "partner", "rule_set_version_id": 7, "version": 3, "group_index": 1},
        ),
        (
            "auto_registration_skipped",
            {
                "reason": "ignored_company",
                "company": "Acme",
                "rule_set": "supplier",
                "version": 2,
                "group_index": 0,
            },
        ),
        ("consent_resent", {"previous_status": "declined", "superseded_requests": 1}),
        ("consent_expired", {"expires_at": at}),
        ("consent_approved", {"registered_at": at}),
        ("consent_declined", {}),
        (
            "registration_conflict",
            {"conflict_id": conflict.id, "reason": PARTNER_CONFLICT_REASON},
        ),
        ("conflict_resolved", {"resolution": "keep_holder", "note": "Beta Partners keeps it"}),
        ("registration_moved", {"to_lead_id": holder_pk, "to_partner_id": world.partner_b.id}),
        ("distributed", {"distribution_id": hand_out.id, "accept_by": at}),
        ("accepted", {"distribution_id": hand_out.id, "auto": True}),
        ("rejected", {"distribution_id": hand_out.id, "reason": "No capacity"}),
        ("returned", {"distribution_id": hand_out.id, "reason": "deadline", "accept_by": at}),
        ("some_future_kind", {"whatever": 1}),
    ]
    for kind, details in rows:
        await LeadEvent.create(lead_id=lead_pk, kind=kind, partner_id=partner, details=details)
    return {"distribution": hand_out.id, "conflict": conflict.id}


def _by_kind(data: dict[str, Any]) -> dict[str, Any]:
    return {node["kind"]: node["details"] for node in data["lead"]["history"]["nodes"]}


async def test_each_history_kind_has_typed_details_with_links_as_objects(
    gql: GraphQLClient, world: World
):
    lead = await register(gql, world.token("user_a"), "typed@example.test", company="Typed")
    holder = await register(gql, world.token("user_b"), "holder@example.test")
    seeded = await _seed_history(world, pk_of(lead["id"]), pk_of(holder["id"]))
    hand_out = gid("LeadDistribution", seeded["distribution"])
    at = ACCEPT_BY.isoformat()

    vendor = _by_kind(
        await gql.data(HISTORY, {"id": lead["id"]}, token=world.token("vendor_admin"))
    )
    assert vendor["CREATED"] is None
    assert vendor["CONSENT_REQUESTED"] == {
        "__typename": "ConsentRequestedDetails",
        "email": "typed@example.test",
    }
    assert vendor["UPDATED"] == {"__typename": "LeadUpdatedDetails", "fields": ["company", "phone"]}
    assert vendor["AUTO_REGISTERED"] == {
        "__typename": "LeadAutoRegisteredDetails",
        "ruleSet": "PARTNER",
        "version": 3,
        "groupIndex": 1,
    }
    assert vendor["AUTO_REGISTRATION_SKIPPED"] == {
        "__typename": "LeadAutoRegistrationSkippedDetails",
        "reason": "ignored_company",
        "company": "Acme",
        "ruleSet": "SUPPLIER",
        "version": 2,
        "groupIndex": 0,
    }
    assert vendor["CONSENT_RESENT"] == {
        "__typename": "ConsentResentDetails",
        "previousStatus": "DECLINED",
        "supersededRequests": 1,
    }
    assert vendor["CONSENT_EXPIRED"] == {"__typename": "ConsentExpiredDetails", "expiresAt": at}
    assert vendor["CONSENT_APPROVED"] == {
        "__typename": "ConsentApprovedDetails",
        "registeredAt": at,
    }
    assert vendor["CONSENT_DECLINED"] is None
    assert vendor["REGISTRATION_CONFLICT"] == {
        "__typename": "RegistrationConflictDetails",
        "reason": PARTNER_CONFLICT_REASON,
        "conflict": {
            "id": gid("LeadConflict", seeded["conflict"]),
            "reason": "typed@example.test is already a registered lead of Beta Partners.",
            "holderPartner": {"name": "Beta Partners"},
        },
    }
    assert vendor["CONFLICT_RESOLVED"] == {
        "__typename": "ConflictResolvedDetails",
        "resolution": "KEEP_HOLDER",
        "note": "Beta Partners keeps it",
    }
    assert vendor["REGISTRATION_MOVED"] == {
        "__typename": "RegistrationMovedDetails",
        "toLead": {"id": holder["id"]},
        "toPartner": {"id": gid("Partner", world.partner_b.id), "name": "Beta Partners"},
    }
    assert vendor["DISTRIBUTED"] == {
        "__typename": "LeadDistributedDetails",
        "acceptBy": at,
        "distribution": {"id": hand_out, "state": "PENDING"},
    }
    assert vendor["ACCEPTED"] == {
        "__typename": "LeadAcceptedDetails",
        "auto": True,
        "distribution": {"id": hand_out},
    }
    assert vendor["REJECTED"] == {
        "__typename": "LeadRejectedDetails",
        "reason": "No capacity",
        "distribution": {"id": hand_out},
    }
    assert vendor["RETURNED"] == {
        "__typename": "LeadReturnedDetails",
        "reason": "deadline",
        "acceptBy": at,
        "distribution": {"id": hand_out},
    }
    assert vendor["OTHER"] is None


async def test_a_partner_in_conflict_never_sees_the_holder_in_typed_details(
    gql: GraphQLClient, world: World
):
    lead = await register(gql, world.token("user_a"), "typed@example.test")
    holder = await register(gql, world.token("user_b"), "holder@example.test")
    seeded = await _seed_history(world, pk_of(lead["id"]), pk_of(holder["id"]))

    data = await gql.data(HISTORY, {"id": lead["id"]}, token=world.token("user_a"))
    partner = _by_kind(data)
    assert partner["REGISTRATION_CONFLICT"] == {
        "__typename": "RegistrationConflictDetails",
        "reason": PARTNER_CONFLICT_REASON,
        "conflict": {
            "id": gid("LeadConflict", seeded["conflict"]),
            "reason": partner["REGISTRATION_CONFLICT"]["conflict"]["reason"],
            "holderPartner": None,
        },
    }
    assert partner["CONFLICT_RESOLVED"] == {
        "__typename": "ConflictResolvedDetails",
        "resolution": "KEEP_HOLDER",
        "note": None,
    }
    assert partner["REGISTRATION_MOVED"] == {
        "__typename": "RegistrationMovedDetails",
        "toLead": None,
        "toPartner": None,
    }
    # Its own hand-out it sees; nothing anywhere names, numbers or links Beta or its lead.
    assert partner["ACCEPTED"]["distribution"] == {
        "id": gid("LeadDistribution", seeded["distribution"])
    }
    text = json.dumps(data)
    for leaked in ("Beta", holder["id"], gid("Partner", world.partner_b.id)):
        assert leaked not in text


SETTINGS_HISTORY = """{ leadSettingsHistory(first: 20) { nodes { kind details { __typename
  ... on AutoRegistrationChange { enabled mode }
  ... on AutoAcceptChange { enabled }
  ... on IgnoredCompanyChange { name }
  ... on NotificationRecipientsChange { users { totalCount nodes { email } }
    salesReps { totalCount nodes { fullName } } }
  ... on SupplierDefaultUserChange { user { email } } } } } }"""


async def test_lead_settings_changes_have_typed_details(gql: GraphQLClient, world: World):
    admin = world.token("admin_a")
    rep = await SalesRep.create(partner_id=world.partner_a.id, full_name="Rita Rep", email="r@x.de")
    partner_id = gid("Partner", world.partner_a.id)
    changes = [
        ("setAutoRegistration(enabled: true, mode: PARTNER_DEFINED)", admin),
        ("setLeadAutoAccept(enabled: true)", admin),
        ('addIgnoredCompany(name: "Acme")', admin),
        ('removeIgnoredCompany(name: "Acme")', admin),
        (
            f'setLeadNotificationRecipients(userIds: ["{gid("User", world.user_a.id)}"], '
            f'salesRepIds: ["{gid("SalesRep", rep.id)}"])',
            admin,
        ),
        (
            f'setSupplierDefaultLeadUser(partnerId: "{partner_id}", '
            f'userId: "{gid("User", world.user_a.id)}")',
            world.token("vendor_admin"),
        ),
    ]
    for mutation, token in changes:
        result = await gql.data(f"mutation {{ {mutation} {{ __typename }} }}", token=token)
        assert "OperationErrors" not in json.dumps(result), result

    nodes = (await gql.data(SETTINGS_HISTORY, token=admin))["leadSettingsHistory"]["nodes"]
    by_kind = {node["kind"]: node["details"] for node in nodes}
    assert by_kind["AUTO_REGISTRATION"] == {
        "__typename": "AutoRegistrationChange",
        "enabled": True,
        "mode": "PARTNER_DEFINED",
    }
    assert by_kind["AUTO_ACCEPT"] == {"__typename": "AutoAcceptChange", "enabled": True}
    assert by_kind["IGNORED_COMPANY_ADDED"] == {
        "__typename": "IgnoredCompanyChange",
        "name": "Acme",
    }
    assert by_kind["IGNORED_COMPANY_REMOVED"] == {
        "__typename": "IgnoredCompanyChange",
        "name": "Acme",
    }
    assert by_kind["NOTIFICATION_RECIPIENTS"] == {
        "__typename": "NotificationRecipientsChange",
        "users": {"totalCount": 1, "nodes": [{"email": world.user_a.email}]},
        "salesReps": {"totalCount": 1, "nodes": [{"fullName": "Rita Rep"}]},
    }
    assert by_kind["SUPPLIER_DEFAULT_USER"] == {
        "__typename": "SupplierDefaultUserChange",
        "user": {"email": world.user_a.email},
    }
