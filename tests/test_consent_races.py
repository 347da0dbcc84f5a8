"""Simultaneous approvals: two partners' pending leads for one customer, approved at once.

The customer presses "approve" in both consent emails at the same moment (two consent-page POSTs
in flight together). Exactly one lead becomes registered, the other goes to conflict, and the
consent invariant holds: on two real uvicorn processes sharing the database (PostgreSQL, and
SQLite, which serialises writers), and through the app in one process.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from models.consent import (
    ConsentAction,
    ConsentLedgerEntry,
    LeadConflict,
    NewsletterSubscriber,
    SubscriberStatus,
)
from models.leads import Lead, RegistrationStatus
from settings import Settings
from tests.accounts_support import fixed_now
from tests.conftest import (
    GraphQLClient,
    LiveServer,
    World,
    pk_of,
    server_environment,
    start_live_server,
    stop_live_server,
)
from tests.test_consent_invariant import check_invariant
from tests.test_consent_registration import forms_of, latest_token, register

ROUNDS = 6


async def approval_form(client: httpx.AsyncClient, lead_id: int) -> dict[str, str]:
    """Open the consent page of the lead's latest email; the approve form, ready to POST."""
    page = await client.get(f"/consent/{await latest_token(lead_id)}")
    assert page.status_code == 200, page.text
    form = next(f for f in forms_of(page.text) if f["fields"].get("answer") == "approve")
    return {"action": form["action"], **form["fields"]}


async def approve_both_at_once(
    gql: GraphQLClient, world: World, clients: tuple[httpx.AsyncClient, httpx.AsyncClient]
) -> None:
    """Round after round: Alpha and Beta register one customer, who approves both at once.

    Every other customer was on the newsletter list before (and left it): then the approvals
    only update that row, and nothing else in the database makes them wait for each other.
    """
    for round_number in range(ROUNDS):
        customer = f"race{round_number}@example.test"
        if round_number % 2:
            await NewsletterSubscriber.create(
                email=customer, status=SubscriberStatus.UNSUBSCRIBED, unsubscribed_at=fixed_now()
            )
        alpha = await register(gql, world.token("user_a"), customer)
        beta = await register(gql, world.token("user_b"), customer)
        assert (alpha["status"], beta["status"]) == ("PENDING_CONSENT", "PENDING_CONSENT")
        lead_ids = (pk_of(alpha["id"]), pk_of(beta["id"]))
        forms = [
            await approval_form(client, lead_id)
            for client, lead_id in zip(clients, lead_ids, strict=True)
        ]
        responses = await asyncio.gather(
            *(
                client.post(form.pop("action"), data=form)
                for client, form in zip(clients, forms, strict=True)
            )
        )
        assert [response.status_code for response in responses] == [200, 200]

        leads = [await Lead.get(id=lead_id) for lead_id in lead_ids]
        statuses = sorted(lead.registration_status.value for lead in leads)
        assert statuses == ["conflict", "registered"], f"round {round_number}: {statuses}"
        linked = RegistrationStatus.REGISTERED
        [winner] = [lead for lead in leads if lead.registration_status is linked]
        [loser] = [lead for lead in leads if lead.id != winner.id]
        [conflict] = await LeadConflict.filter(lead_id=loser.id)
        assert conflict.holder_lead_id == winner.id  # type: ignore[attr-defined]
        # Both answers are in the ledger: the customer did approve both requests.
        approvals = await ConsentLedgerEntry.filter(
            subject_email=customer, action=ConsentAction.APPROVAL
        ).values_list("lead_id", flat=True)
        assert sorted(approvals) == sorted(lead_ids)
        subscriber = await NewsletterSubscriber.get(email=customer)
        assert subscriber.status is SubscriberStatus.SUBSCRIBED
        await check_invariant()


async def test_simultaneous_approvals_on_two_server_processes_link_one_partner(
    app: Starlette, gql: GraphQLClient, world: World, settings: Settings
):
    servers: list[LiveServer] = []
    try:
        env = server_environment(settings)
        servers = [await start_live_server(env), await start_live_server(env)]
        async with (
            httpx.AsyncClient(base_url=servers[0].url, timeout=30) as first,
            httpx.AsyncClient(base_url=servers[1].url, timeout=30) as second,
        ):
            await approve_both_at_once(gql, world, (first, second))
    finally:
        for server in servers:
            stop_live_server(server)


@pytest.fixture
async def second_http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """Another browser, on another address, in front of the same app."""
    transport = httpx.ASGITransport(app=app, client=("10.0.0.2", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as client:
        yield client


async def test_simultaneous_approvals_through_one_app_link_one_partner(
    gql: GraphQLClient, http: httpx.AsyncClient, second_http: httpx.AsyncClient, world: World
):
    await approve_both_at_once(gql, world, (http, second_http))
