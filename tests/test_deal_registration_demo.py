"""The demo data holds deal registrations in every state, with a conflict, an overdue review and
one expiring soon, as the vendor and a partner see them."""

from __future__ import annotations

from services.demo.dataset import DEMO_PASSWORD, load_demo_data

LOGIN = """
mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { ... on LoginSuccess { token } }
}
"""
REGISTRATIONS = """
{
  dealRegistrationCounts(expiringWithinDays: 14) {
    byStatus { status count } overdue expiringSoon
  }
  dealRegistrations(first: 100) {
    nodes {
      companyName status isOverdue extensionState
      conflict { kind message partner { name } }
      history { totalCount }
    }
  }
}
"""


async def _token(gql, email: str) -> str:
    login = await gql.data(LOGIN, {"email": email, "password": DEMO_PASSWORD})
    return login["login"]["token"]


async def test_the_vendor_sees_registrations_in_every_state(app, gql) -> None:
    await load_demo_data()
    data = await gql.data(REGISTRATIONS, token=await _token(gql, "admin@vendor.example"))
    counts = {row["status"]: row["count"] for row in data["dealRegistrationCounts"]["byStatus"]}
    # Drafts stay with their partner until submitted.
    for status in ("SUBMITTED", "INFO_REQUESTED", "APPROVED", "REJECTED", "EXPIRED", "WON", "LOST"):
        assert counts.get(status, 0) >= 1, status
    assert data["dealRegistrationCounts"]["overdue"] >= 1
    assert data["dealRegistrationCounts"]["expiringSoon"] >= 1
    rows = {row["companyName"]: row for row in data["dealRegistrations"]["nodes"]}
    assert rows["Bergen Ferries"]["isOverdue"] is True
    assert rows["Zugspitze Kliniken"]["extensionState"] == "REQUESTED"
    conflict = rows["Polder Insurance N.V."]["conflict"]
    assert conflict["kind"] == "PARTNER_REGISTRATION"
    assert conflict["partner"]["name"] == "Northwind Security"
    assert all(row["history"]["totalCount"] >= 1 for row in rows.values())


async def test_a_partner_sees_its_draft_and_its_conflict_without_the_holder(app, gql) -> None:
    await load_demo_data()
    data = await gql.data(REGISTRATIONS, token=await _token(gql, "user@fjord.example"))
    rows = {row["companyName"]: row for row in data["dealRegistrations"]["nodes"]}
    assert rows["Skagen Shipping"]["status"] == "DRAFT"
    conflict = rows["Polder Insurance N.V."]["conflict"]
    assert conflict["kind"] == "PARTNER_REGISTRATION"
    assert conflict["partner"] is None
    assert "Polder Insurance" not in rows  # Northwind's approved claim stays Northwind's
