"""The demo data shows a lived-in portal: every customer status, attention items, deals,
commissions and upcoming renewals, as the demo partner's users see them."""

from __future__ import annotations

from services.demo.dataset import DEMO_PASSWORD, load_demo_data

LOGIN = """
mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { ... on LoginSuccess { token } }
}
"""
PORTAL = """
{
  customerOverview(first: 50) {
    nodes { name status attentionCount userCount activitiesLast90Days }
    counts { trial active closed needsAttention }
  }
  deals { nodes { status notes { nodes { body } } } }
  commissions { nodes { status amount } }
  upcomingRenewals(days: 90) { nodes { customer { name } owner recipients { email isCopy } } }
}
"""


async def test_demo_partner_sees_a_lived_in_portal(app, gql) -> None:
    await load_demo_data()
    login = await gql.data(LOGIN, {"email": "user@northwind.example", "password": DEMO_PASSWORD})
    portal = await gql.data(PORTAL, token=login["login"]["token"])
    counts = portal["customerOverview"]["counts"]
    assert counts["trial"] >= 1
    assert counts["active"] >= 1
    assert counts["closed"] >= 1
    assert counts["needsAttention"] >= 1
    rows = portal["customerOverview"]["nodes"]
    assert any(row["activitiesLast90Days"] > 0 and row["userCount"] > 1 for row in rows)
    assert {deal["status"] for deal in portal["deals"]["nodes"]} == {"OPEN", "WON", "LOST"}
    assert any(deal["notes"]["nodes"] for deal in portal["deals"]["nodes"])
    assert {c["status"] for c in portal["commissions"]["nodes"]} == {"PAID", "PENDING"}
    renewals = {row["customer"]["name"]: row for row in portal["upcomingRenewals"]["nodes"]}
    assert renewals["Dune Analytics"]["owner"] == "PARTNER"
    assert renewals["Acme Logistics"]["owner"] == "VENDOR"
    assert any(r["isCopy"] for r in renewals["Acme Logistics"]["recipients"])
