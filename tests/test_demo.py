"""The demo data set, loaded as `channelport demo` loads it, shows every part of the API."""

from __future__ import annotations

from models.outbox import OutboxEmail
from services.demo.dataset import DEMO_PASSWORD, load_demo_data
from settings import Settings
from tests.conftest import GraphQLClient

LOGIN = """
mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { ... on LoginSuccess { token } }
}
"""


async def _token(gql: GraphQLClient, email: str) -> str:
    login = await gql.data(LOGIN, {"email": email, "password": DEMO_PASSWORD})
    return login["login"]["token"]


async def test_demo_shows_leads_messages_and_queued_mail(
    app, gql: GraphQLClient, settings: Settings
) -> None:
    logins = await load_demo_data(settings)
    assert {login.role.value for login in logins} == {
        "vendor_admin",
        "channel_manager",
        "partner_admin",
        "partner_user",
    }
    partner = await _token(gql, "user@northwind.example")
    seen = await gql.data(
        """{ leads(first: 20) { nodes { company registrationStatus distributionStatus } }
             messageCentre { popups { nodes { title } } } }""",
        token=partner,
    )
    leads = {n["company"]: n for n in seen["leads"]["nodes"]}
    assert leads["Rotterdam Savings"]["registrationStatus"] == "PENDING_CONSENT"
    assert leads["Delta Logistics"]["registrationStatus"] == "NOT_REGISTERED"
    assert leads["Polder Water Board"]["distributionStatus"] == "PENDING"
    assert leads["Tulip Insurance"]["distributionStatus"] == "ACCEPTED"
    assert [n["title"] for n in seen["messageCentre"]["popups"]["nodes"]] == [
        "Partner summit on 12 March"
    ]

    vendor = await _token(gql, "admin@vendor.example")
    messages = await gql.data("{ messages { nodes { title status } } }", token=vendor)
    assert {(n["title"], n["status"]) for n in messages["messages"]["nodes"]} == {
        ("Partner summit on 12 March", "PUBLISHED"),
        ("New NIS2 bundle for your customers", "SENDING"),
        ("Draft: quarterly newsletter", "DRAFT"),
    }
    # Consent requests, lead notifications and the campaign wait in the outbox for the worker.
    recipients = set(await OutboxEmail.all().values_list("recipient", flat=True))
    assert {"ciso@harbourbank.example", "it@bergwerk.example"} <= recipients
