"""Lead distribution: notification emails to exactly the configured recipients (a real SMTP server),
none when auto-accepted, accept/reject by the right partner only, and the accept-by deadline."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from models.enums import PartnerStatus
from models.lead_management import DistributionState, LeadDistribution
from models.leads import DistributionStatus, Lead, LeadEvent, LeadSource
from models.outbox import OutboxEmail
from models.users import SalesRep
from services.email import deliver_due_emails
from services.leads import answers as lead_answers
from services.leads import distribution as lead_distribution
from services.leads import jobs as lead_jobs
from services.leads import lead_settings
from services.leads import service as lead_management
from services.leads.service import LeadInput
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed
from services.platform.worker import JOBS, run_worker
from settings import Settings
from tests.conftest import (
    GraphQLClient,
    World,
    count_statements,
    gid,
    make_partner,
    make_settings,
    pk_of,
)
from tests.email_sink import SmtpSink
from tests.test_lead_rules import viewer_for


async def vendor_leads(world: World, count: int) -> list[Lead]:
    vendor = viewer_for(world.vendor_admin)
    return [
        await lead_management.create_vendor_lead(
            vendor,
            LeadInput(
                email=f"prospect{index}@example.org",
                first_name="Pat",
                last_name=f"Prospect {index}",
                company=f"Prospect {index} GmbH",
            ),
        )
        for index in range(count)
    ]


async def configure_recipients(world: World) -> tuple[SalesRep, SalesRep]:
    """admin_a and sales rep 1 chosen by the partner, user_a assigned by the supplier."""
    chosen = await SalesRep.create(
        partner=world.partner_a, full_name="Rep One", email="rep.one@reps.example"
    )
    not_chosen = await SalesRep.create(
        partner=world.partner_a, full_name="Rep Two", email="rep.two@reps.example"
    )
    await lead_settings.set_notification_recipients(
        viewer_for(world.admin_a), None, [world.admin_a.id], [chosen.id]
    )
    await lead_settings.set_supplier_default_user(
        viewer_for(world.vendor_admin), world.partner_a.id, world.user_a.id
    )
    return chosen, not_chosen


@pytest.fixture
def smtp_sink():
    with SmtpSink() as sink:
        yield sink


def smtp_settings(settings: Settings, sink: SmtpSink, tmp_path: Path) -> Settings:
    return make_settings(settings.database_url, tmp_path / "smtp-data", SMTP_URL=sink.url)


async def test_each_distributed_lead_emails_exactly_the_configured_recipients(
    world: World, settings: Settings, smtp_sink: SmtpSink, tmp_path: Path
):
    await configure_recipients(world)
    leads = await vendor_leads(world, 2)
    result = await lead_distribution.distribute_leads(
        settings, viewer_for(world.vendor_admin), [lead.id for lead in leads], world.partner_a.id
    )
    assert [lead.distribution_status for lead in result.leads] == [DistributionStatus.PENDING] * 2
    report = await deliver_due_emails(smtp_settings(settings, smtp_sink, tmp_path))
    assert report.sent == 6
    received = smtp_sink.wait_for(6)
    per_address = Counter(address for item in received for address in item.recipients)
    assert per_address == {"admin@alpha.test": 2, "user@alpha.test": 2, "rep.one@reps.example": 2}
    subjects = sorted({str(item.message["Subject"]) for item in received})
    assert subjects == [
        "New lead for Alpha Partners: Pat Prospect 0 (Prospect 0 GmbH)",
        "New lead for Alpha Partners: Pat Prospect 1 (Prospect 1 GmbH)",
    ]
    # Without PORTAL_URL no email links into the portal (tests/test_messaging_portal_links.py).
    assert not any("/leads/" in item.body("plain") for item in received)
    for lead in leads:
        await lead.refresh_from_db()
        assert lead.partner_id == world.partner_a.id  # type: ignore[attr-defined]
        kinds = (
            await LeadEvent.filter(lead_id=lead.id).order_by("id").values_list("kind", flat=True)
        )
        assert kinds == ["created", "distributed"]


async def test_auto_accepted_leads_send_no_notification(
    world: World, settings: Settings, smtp_sink: SmtpSink, tmp_path: Path
):
    await configure_recipients(world)
    await lead_settings.set_auto_accept(viewer_for(world.admin_a), None, True)
    [lead] = await vendor_leads(world, 1)
    await lead_distribution.distribute_leads(
        settings, viewer_for(world.vendor_admin), [lead.id], world.partner_a.id
    )
    await lead.refresh_from_db()
    assert lead.distribution_status is DistributionStatus.ACCEPTED
    distribution = await LeadDistribution.get(lead_id=lead.id)
    assert distribution.auto_accepted is True
    assert distribution.state is DistributionState.ACCEPTED
    events = await LeadEvent.filter(lead_id=lead.id).order_by("id")
    assert [(e.kind, e.details.get("auto")) for e in events] == [
        ("created", None),
        ("distributed", None),
        ("accepted", True),
    ]
    assert await OutboxEmail.all().count() == 0
    report = await deliver_due_emails(smtp_settings(settings, smtp_sink, tmp_path))
    assert report.sent == 0
    assert smtp_sink.messages() == []


async def test_no_recipients_configured_means_no_email(world: World, settings: Settings):
    await lead_settings.set_notification_recipients(viewer_for(world.admin_b), None, [], [])
    [lead] = await vendor_leads(world, 1)
    await lead_distribution.distribute_leads(
        settings, viewer_for(world.vendor_admin), [lead.id], world.partner_b.id
    )
    assert await OutboxEmail.all().count() == 0


async def test_only_the_partner_the_lead_went_to_accepts_or_rejects(
    world: World, settings: Settings
):
    first, second = await vendor_leads(world, 2)
    await lead_distribution.distribute_leads(
        settings, viewer_for(world.vendor_admin), [first.id, second.id], world.partner_a.id
    )
    for outsider in (world.user_b, world.admin_b):
        with pytest.raises(ServiceError) as failure:
            await lead_answers.accept_lead(viewer_for(outsider), first.id)
        assert failure.value.code is ErrorCode.NOT_FOUND
        with pytest.raises(ServiceError):
            await lead_answers.reject_lead(viewer_for(outsider), first.id, "not ours")
    with pytest.raises(ServiceError) as failure:
        await lead_answers.accept_lead(viewer_for(world.vendor_admin), first.id)
    assert failure.value.code is ErrorCode.FORBIDDEN
    await first.refresh_from_db()
    assert first.distribution_status is DistributionStatus.PENDING

    accepted = await lead_answers.accept_lead(viewer_for(world.user_a), first.id)
    assert accepted.distribution_status is DistributionStatus.ACCEPTED
    with pytest.raises(ServiceError):  # answered once only
        await lead_answers.reject_lead(viewer_for(world.admin_a), first.id, "changed mind")

    with pytest.raises(ValidationFailed):
        await lead_answers.reject_lead(viewer_for(world.user_a), second.id, "   ")
    rejected = await lead_answers.reject_lead(
        viewer_for(world.user_a), second.id, "Outside our region"
    )
    assert rejected.distribution_status is DistributionStatus.REJECTED
    assert rejected.partner_id is None  # type: ignore[attr-defined]
    distribution = await LeadDistribution.get(lead_id=second.id)
    assert distribution.reject_reason == "Outside our region"
    assert distribution.answered_by_id == world.user_a.id  # type: ignore[attr-defined]
    event = await LeadEvent.get(lead_id=second.id, kind="rejected")
    assert event.details["reason"] == "Outside our region"
    # Back with the vendor: partner A no longer sees it, the vendor can hand it to B.
    with pytest.raises(ServiceError):
        await lead_management.get_lead(viewer_for(world.user_a), second.id)
    await lead_distribution.distribute_leads(
        settings, viewer_for(world.vendor_admin), [second.id], world.partner_b.id
    )
    await second.refresh_from_db()
    assert second.partner_id == world.partner_b.id  # type: ignore[attr-defined]
    assert second.distribution_status is DistributionStatus.PENDING


async def test_unanswered_leads_return_to_the_vendor_after_the_deadline(
    world: World, settings: Settings
):
    assert "lead-accept-deadlines" in {job.name for job in JOBS}
    waiting, answered, no_deadline = await vendor_leads(world, 3)
    vendor = viewer_for(world.vendor_admin)
    accept_by = datetime.now(UTC) + timedelta(hours=1)
    await lead_distribution.distribute_leads(
        settings, vendor, [waiting.id, answered.id], world.partner_a.id, accept_by
    )
    await lead_distribution.distribute_leads(settings, vendor, [no_deadline.id], world.partner_a.id)
    await lead_answers.accept_lead(viewer_for(world.user_a), answered.id)
    # Before the deadline nothing moves.
    assert await lead_jobs.return_overdue_leads(settings) == 0
    later = accept_by + timedelta(minutes=1)
    assert await lead_jobs.return_overdue_leads(settings, now=later) == 1
    assert await lead_jobs.return_overdue_leads(settings, now=later) == 0
    await waiting.refresh_from_db()
    await answered.refresh_from_db()
    await no_deadline.refresh_from_db()
    assert waiting.distribution_status is DistributionStatus.RETURNED
    assert waiting.partner_id is None  # type: ignore[attr-defined]
    assert answered.distribution_status is DistributionStatus.ACCEPTED
    assert no_deadline.distribution_status is DistributionStatus.PENDING
    event = await LeadEvent.get(lead_id=waiting.id, kind="returned")
    assert event.details["reason"] == "deadline"
    assert event.partner_id == world.partner_a.id  # type: ignore[attr-defined]
    with pytest.raises(ServiceError):  # too late to answer
        await lead_answers.accept_lead(viewer_for(world.user_a), waiting.id)


async def test_distribution_refuses_bad_requests_and_writes_nothing(
    world: World, settings: Settings, gql: GraphQLClient
):
    vendor = viewer_for(world.vendor_admin)
    [lead] = await vendor_leads(world, 1)
    partner_lead = await lead_management.create_lead(
        settings, viewer_for(world.user_a), LeadInput(email="own@lead.example")
    )
    inactive = await make_partner("Sleeping", status=PartnerStatus.INACTIVE)
    past = datetime.now(UTC) - timedelta(minutes=5)
    cases = [
        ([lead.id], world.partner_a.id, past, "acceptBy"),
        ([lead.id, partner_lead.id], world.partner_a.id, None, "leadIds[1]"),
        ([lead.id, 999999], world.partner_a.id, None, "leadIds[1]"),
        ([lead.id], inactive.id, None, "partnerId"),
        ([], world.partner_a.id, None, "leadIds"),
    ]
    for lead_ids, partner_id, accept_by, field in cases:
        with pytest.raises(ValidationFailed) as failure:
            await lead_distribution.distribute_leads(
                settings, vendor, lead_ids, partner_id, accept_by
            )
        assert failure.value.problems[0][0] == field
    await lead.refresh_from_db()
    assert lead.distribution_status is DistributionStatus.NOT_DISTRIBUTED
    assert await LeadDistribution.all().count() == 0
    assert lead.source is LeadSource.VENDOR_DISTRIBUTION

    mutation = """mutation($ids: [ID!]!, $p: ID!) { distributeLeads(leadIds: $ids, partnerId: $p) {
        __typename } }"""
    for name in ("admin_a", "manager", "user_a"):
        body = await gql.request(
            mutation,
            {"ids": [gid("Lead", lead.id)], "p": gid("Partner", world.partner_a.id)},
            world.token(name),
        )
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await LeadDistribution.all().count() == 0


async def test_distribution_over_graphql_and_partner_views(world: World, gql: GraphQLClient):
    created = await gql.data(
        """mutation { createVendorLead(input: {email: "big@deal.example", company: "Big Deal"}) {
            ... on Lead { id source partner { id } distributionStatus } } }""",
        token=world.token("vendor_admin"),
    )
    lead = created["createVendorLead"]
    assert lead["source"] == "VENDOR_DISTRIBUTION"
    assert lead["partner"] is None
    accept_by = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    distributed = await gql.data(
        """mutation($ids: [ID!]!, $p: ID!, $by: DateTime) {
          distributeLeads(leadIds: $ids, partnerId: $p, acceptBy: $by) {
            ... on DistributedLeads {
              leads { id distributionStatus partner { id } } partner { name } } } }""",
        {"ids": [lead["id"]], "p": gid("Partner", world.partner_b.id), "by": accept_by},
        token=world.token("vendor_admin"),
    )
    assert distributed["distributeLeads"]["leads"] == [
        {
            "id": lead["id"],
            "distributionStatus": "PENDING",
            "partner": {"id": gid("Partner", world.partner_b.id)},
        }
    ]
    assert distributed["distributeLeads"]["partner"] == {"name": "Beta Partners"}
    pending = """{ leads(distributionStatus: PENDING) { nodes { id
        distribution { id acceptBy state partner { id } } history { nodes { id kind } } } } }"""
    seen_b = (await gql.data(pending, token=world.token("user_b")))["leads"]["nodes"]
    assert [node["id"] for node in seen_b] == [lead["id"]]
    distribution = seen_b[0]["distribution"]
    assert (distribution["state"], distribution["partner"]) == (
        "PENDING",
        {"id": gid("Partner", world.partner_b.id)},
    )
    stored = await LeadDistribution.get(lead_id=pk_of(lead["id"]))
    assert distribution["id"] == gid("LeadDistribution", stored.id)
    # not the vendor's own entries
    assert [e["kind"] for e in seen_b[0]["history"]["nodes"]] == ["DISTRIBUTED"]
    [entry] = seen_b[0]["history"]["nodes"]
    assert await LeadEvent.exists(id=pk_of(entry["id"], "LeadHistoryEntry"), kind="distributed")
    seen_a = (await gql.data(pending, token=world.token("user_a")))["leads"]["nodes"]
    assert seen_a == []
    rejected = await gql.data(
        """mutation($id: ID!) { rejectLead(id: $id, reason: "No capacity") {
            ... on Lead { distributionStatus partner { id } } } }""",
        {"id": lead["id"]},
        token=world.token("user_b"),
    )
    assert rejected["rejectLead"] == {"distributionStatus": "REJECTED", "partner": None}
    history = await gql.data(
        """query($id: ID!) { lead(id: $id) { history { nodes { kind
            details { ... on LeadRejectedDetails { reason distribution { state } } } } } } }""",
        {"id": lead["id"]},
        token=world.token("vendor_admin"),
    )
    kinds = [entry["kind"] for entry in history["lead"]["history"]["nodes"]]
    assert kinds == ["CREATED", "DISTRIBUTED", "REJECTED"]
    assert history["lead"]["history"]["nodes"][-1]["details"] == {
        "reason": "No capacity",
        "distribution": {"state": "REJECTED"},
    }


async def test_lead_list_costs_the_same_statements_whatever_the_page_size(
    world: World, settings: Settings, gql: GraphQLClient
):
    leads = await vendor_leads(world, 12)
    await lead_distribution.distribute_leads(
        settings, viewer_for(world.vendor_admin), [lead.id for lead in leads], world.partner_a.id
    )
    query = """query($first: Int!) { leads(first: $first) { edges { node { id
        partner { name } distribution { state partner { name } }
        history { nodes { kind actor { email } partner { name } } } } } } }"""
    counts = []
    for size in (2, 12):
        with count_statements() as statements:
            data = await gql.data(query, {"first": size}, token=world.token("user_a"))
        nodes = [edge["node"] for edge in data["leads"]["edges"]]
        assert len(nodes) == size
        assert all(
            node["history"]["nodes"]
            == [{"kind": "DISTRIBUTED", "actor": None, "partner": {"name": "Alpha Partners"}}]
            for node in nodes
        )
        assert all(
            node["distribution"] == {"state": "PENDING", "partner": {"name": "Alpha Partners"}}
            for node in nodes
        )
        counts.append(len(statements))
    assert counts[0] == counts[1]


async def test_the_worker_returns_overdue_leads(world: World, settings: Settings):
    [lead] = await vendor_leads(world, 1)
    accept_by = datetime.now(UTC) + timedelta(hours=1)
    await lead_distribution.distribute_leads(
        settings, viewer_for(world.vendor_admin), [lead.id], world.partner_a.id, accept_by
    )
    # The deadline passes (moved into the past rather than waiting for it).
    await LeadDistribution.filter(lead_id=lead.id).update(
        accept_by=datetime.now(UTC) - timedelta(seconds=1)
    )
    [job] = [job for job in JOBS if job.name == "lead-accept-deadlines"]
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(settings, stop, jobs=[job]))
    try:
        for _ in range(200):
            await lead.refresh_from_db()
            if lead.distribution_status is DistributionStatus.RETURNED:
                break
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        await worker
    assert lead.distribution_status is DistributionStatus.RETURNED
    assert await LeadEvent.filter(lead_id=lead.id, kind="returned").count() == 1
