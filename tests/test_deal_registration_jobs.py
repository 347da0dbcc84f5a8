"""Deal-registration emails and jobs: decisions emailed to the submitter and the partner's admins
in their own language (a real SMTP server receives them), expiry by the worker on fixed clocks,
expiry reminders once per offset even with several workers at once (and anew after an
extension), and overdue-review reminders to the partner's reviewers only."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tortoise.expressions import Q

from models.deal_registrations import (
    DealRegistration,
    DealRegistrationEvent,
    DealRegistrationReminder,
    DealRegistrationStatus,
    ExtensionState,
)
from models.enums import Role
from models.outbox import OutboxEmail
from models.partners import PartnerOrg
from models.users import User
from models.vendor import VendorSettings
from models.webhooks import WebhookEndpoint, WebhookEvent, WebhookEventType
from services.deals import jobs
from services.deals.registration_events import change_registration
from services.deals.registration_settings import current_settings
from services.email import deliver_due_emails
from services.platform.worker import JOBS, run_worker
from settings import Settings
from tests.conftest import GraphQLClient, World, gid, make_settings, make_user
from tests.deal_registration_support import (
    APPROVE,
    GRANT_EXTENSION,
    REQUEST_EXTENSION,
    REQUEST_INFO,
    RESUBMIT,
    run,
    submitted,
)
from tests.email_sink import Received, SmtpSink

Status = DealRegistrationStatus
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
PORTAL = "https://portal.example.com/app"


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as server:
        yield server


@pytest.fixture
def settings(database_url: str, tmp_path: Path, sink: SmtpSink) -> Settings:
    return make_settings(
        database_url,
        tmp_path / "data",
        SMTP_URL=sink.url,
        PORTAL_URL=PORTAL,
        MAIL_FROM="Vendor Channel Team <channel@vendor.test>",
        EMAIL_RETRY_SECONDS="0",
    )


async def make_registration(
    partner: PartnerOrg,
    submitter: User | None,
    status: DealRegistrationStatus = Status.SUBMITTED,
    company: str = "Acme Corp",
    **values: Any,
) -> DealRegistration:
    return await DealRegistration.create(
        partner=partner,
        submitted_by=submitter,
        status=status,
        company_name=company,
        normalised_company=company.lower(),
        submitted_at=T0,
        first_submitted_at=T0,
        created_at=T0,
        updated_at=T0,
        **values,
    )


async def move(
    registration: DealRegistration,
    to_status: DealRegistrationStatus,
    kind: str,
    now: datetime = T0,
    reason: str = "",
    **values: Any,
) -> DealRegistration:
    change = await change_registration(
        registration.id,
        allowed_from=[registration.status],
        to_status=to_status,
        kind=kind,
        actor_id=None,
        now=now,
        refused="not allowed",
        reason=reason,
        values=values,
    )
    return change.registration


async def deliver(settings: Settings, sink: SmtpSink, total: int) -> list[Received]:
    """Send what the outbox holds and return every message the SMTP server received so far."""
    await deliver_due_emails(settings)
    received = sink.wait_for(total)
    assert len(received) == total, [(r.recipients, r.message["Subject"]) for r in received]
    return received


def by_recipient(received: list[Received]) -> dict[str, list[Received]]:
    found: dict[str, list[Received]] = {}
    for item in received:
        found.setdefault(item.recipients[0], []).append(item)
    return found


@pytest.fixture
async def crew(world: World) -> dict[str, User]:
    """Partner A's people in several languages (one inactive admin, one colleague who is neither
    the submitter nor an admin) and reviewers: an assigned channel manager, an unassigned one."""
    a = world.partner_a
    await VendorSettings.create(id=1, vendor_name="Nimbus Cloud")
    world.user_a.locale = "es"
    await world.user_a.save(update_fields=["locale"])
    world.admin_a.locale = "nl"
    await world.admin_a.save(update_fields=["locale"])
    world.manager.locale = "de"
    await world.manager.save(update_fields=["locale"])
    return {
        "second_admin": await make_user("it@alpha.test", Role.PARTNER_ADMIN, a, locale="it"),
        "gone_admin": await make_user(
            "gone@alpha.test", Role.PARTNER_ADMIN, a, locale="de", is_active=False
        ),
        "colleague": await make_user("fr@alpha.test", Role.PARTNER_USER, a, locale="fr"),
        "other_manager": await make_user("cm2@vendor.test", Role.CHANNEL_MANAGER, locale="fr"),
        "gone_vendor_admin": await make_user(
            "gone@vendor.test", Role.VENDOR_ADMIN, is_active=False
        ),
    }


PARTNER_A_RECIPIENTS = {"user@alpha.test", "admin@alpha.test", "it@alpha.test"}


async def test_decisions_are_emailed_to_the_submitter_and_admins_in_their_language(
    world: World, crew: dict[str, User], settings: Settings, sink: SmtpSink
):
    protected = T0 + timedelta(days=90)
    approved = await make_registration(world.partner_a, world.user_a, company="Acme Corp")
    await move(approved, Status.APPROVED, "approved", protected_until=protected)
    rejected = await make_registration(world.partner_a, world.user_a, company="Globex")
    await move(rejected, Status.REJECTED, "rejected", reason="Not a new opportunity.")
    asked = await make_registration(world.partner_a, world.user_a, company="Initech")
    await move(asked, Status.INFO_REQUESTED, "info_requested", reason="Which plan, how many seats?")
    # A change that is no decision (a resubmission) emails nobody.
    await move(await DealRegistration.get(id=asked.id), Status.SUBMITTED, "resubmitted")

    received = by_recipient(await deliver(settings, sink, 9))
    assert set(received) == PARTNER_A_RECIPIENTS  # no inactive admin, colleague, other partner
    link = f"{PORTAL}/deal-registrations/{gid('DealRegistration', approved.id)}"

    spanish = {item.message["Subject"]: item for item in received["user@alpha.test"]}
    assert set(spanish) == {
        "Registro de oportunidad aprobado: Acme Corp",
        "Registro de oportunidad rechazado: Globex",
        "Se necesita más información: Initech",
    }
    approval = spanish["Registro de oportunidad aprobado: Acme Corp"].body("plain")
    assert "Nimbus Cloud ha aprobado su registro de la oportunidad con Acme Corp." in approval
    # Shown in the review team's time zone (Europe/Amsterdam: UTC+2 on 31 May 2026).
    assert "protegida para su organización hasta el 2026-05-31 11:00 (Europe/Amsterdam)" in (
        approval
    )
    assert f"Abrir el registro: {link}" in approval
    assert "Este correo se ha enviado a user@alpha.test." in approval
    assert 'lang="es"' in spanish["Registro de oportunidad aprobado: Acme Corp"].body("html")
    assert "Motivo: Not a new opportunity." in spanish[
        "Registro de oportunidad rechazado: Globex"
    ].body("plain")
    assert "Which plan, how many seats?" in spanish["Se necesita más información: Initech"].body(
        "plain"
    )

    dutch = {item.message["Subject"] for item in received["admin@alpha.test"]}
    assert dutch == {
        "Dealregistratie goedgekeurd: Acme Corp",
        "Dealregistratie afgewezen: Globex",
        "Meer informatie nodig: Initech",
    }
    italian = {item.message["Subject"]: item for item in received["it@alpha.test"]}
    assert "Registrazione dell'opportunità respinta: Globex" in italian
    assert "Motivo: Not a new opportunity." in italian[
        "Registrazione dell'opportunità respinta: Globex"
    ].body("plain")


async def test_auto_approval_and_extension_answers_reach_the_submitting_admin_once(
    world: World, crew: dict[str, User], settings: Settings, sink: SmtpSink
):
    """The submitter is an admin too: one email each, not two. German and French and English."""
    world.admin_a.locale = "de"
    await world.admin_a.save(update_fields=["locale"])
    crew["second_admin"].locale = "fr-CA"
    await crew["second_admin"].save(update_fields=["locale"])
    await User.filter(id=world.user_a.id).update(locale="en")
    until_at = T0 + timedelta(days=30)
    auto = await make_registration(world.partner_a, world.admin_a, company="Umbrella")
    auto = await move(
        auto, Status.APPROVED, "auto_approved", auto_approved=True, protected_until=until_at
    )
    granted = await make_registration(
        world.partner_a,
        world.admin_a,
        Status.APPROVED,
        company="Hooli",
        protected_until=until_at,
        extension_state=ExtensionState.REQUESTED,
    )
    await move(
        granted,
        Status.APPROVED,
        "extension_granted",
        extension_state=ExtensionState.GRANTED,
        protected_until=until_at + timedelta(days=30),
    )
    declined = await make_registration(
        world.partner_a,
        world.admin_a,
        Status.APPROVED,
        company="Stark",
        protected_until=until_at,
        extension_state=ExtensionState.REQUESTED,
    )
    await move(
        declined, Status.APPROVED, "extension_declined", extension_state=ExtensionState.DECLINED
    )

    received = by_recipient(await deliver(settings, sink, 6))
    assert set(received) == {"admin@alpha.test", "it@alpha.test"}
    german = {item.message["Subject"]: item.body("plain") for item in received["admin@alpha.test"]}
    assert set(german) == {
        "Deal-Registrierung genehmigt: Umbrella",
        "Schutz verlängert: Hooli",
        "Verlängerung abgelehnt: Stark",
    }
    assert "wurde automatisch genehmigt" in german["Deal-Registrierung genehmigt: Umbrella"]
    assert (
        "bis 2026-05-01 11:00 (Europe/Amsterdam) verlängert" in german["Schutz verlängert: Hooli"]
    )
    assert (
        "Der Schutz endet am 2026-04-01 11:00 (Europe/Amsterdam)."
        in german["Verlängerung abgelehnt: Stark"]
    )
    french = {item.message["Subject"] for item in received["it@alpha.test"]}
    assert french == {
        "Enregistrement d'affaire approuvé : Umbrella",
        "Protection prolongée : Hooli",
        "Prolongation refusée : Stark",
    }


async def test_without_portal_url_the_emails_carry_no_link(
    world: World, crew: dict[str, User], settings: Settings, sink: SmtpSink, tmp_path: Path
):
    from services.deals.registration_listeners import use_settings

    plain = make_settings(settings.database_url, tmp_path / "plain", SMTP_URL=sink.url)
    use_settings(plain)
    try:
        registration = await make_registration(world.partner_a, world.user_a)
        await move(registration, Status.REJECTED, "rejected", reason="Duplicate.")
    finally:
        use_settings(settings)
    for item in await deliver(plain, sink, 3):
        assert "/deal-registrations/" not in item.body("plain") + item.body("html")


async def test_the_worker_expires_ended_protections_on_a_fixed_clock(world: World):
    ends = T0 + timedelta(days=10)
    protected = await make_registration(
        world.partner_a, world.user_a, Status.APPROVED, protected_until=ends
    )
    won = await make_registration(
        world.partner_b, world.user_b, Status.WON, protected_until=T0, company="Won Inc"
    )
    later = await make_registration(
        world.partner_b, world.user_b, Status.APPROVED, protected_until=ends + timedelta(days=1)
    )

    assert await jobs.expire_ended_protections(now=ends - timedelta(seconds=1)) == 0
    assert await jobs.expire_ended_protections(now=ends) == 1
    assert await jobs.expire_ended_protections(now=ends) == 0  # done once

    expired = await DealRegistration.get(id=protected.id)
    assert expired.status is Status.EXPIRED
    assert expired.closed_at == ends
    [event] = await DealRegistrationEvent.filter(registration_id=protected.id)
    assert (event.kind, event.from_status, event.to_status, event.actor_id) == (
        "expired",
        Status.APPROVED,
        Status.EXPIRED,
        None,
    )
    assert event.created_at == ends
    assert (await DealRegistration.get(id=won.id)).status is Status.WON
    assert (await DealRegistration.get(id=later.id)).status is Status.APPROVED
    # Expiry emails nobody (the reminders came before it).
    assert await OutboxEmail.all().count() == 0


async def test_an_extension_granted_meanwhile_is_not_expired(world: World):
    ends = T0 + timedelta(days=10)
    registration = await make_registration(
        world.partner_a, world.user_a, Status.APPROVED, protected_until=ends
    )
    # The job read it as ended, then an extension moved the end before its update ran.
    await DealRegistration.filter(id=registration.id).update(
        protected_until=ends + timedelta(days=30)
    )
    with pytest.raises(Exception, match="no longer approved"):
        await change_registration(
            registration.id,
            allowed_from=[Status.APPROVED],
            to_status=Status.EXPIRED,
            kind="expired",
            actor_id=None,
            now=ends,
            refused="The registration is no longer approved with an ended protection.",
            guard=Q(protected_until__lte=ends),
        )
    assert await jobs.expire_ended_protections(now=ends) == 0
    assert (await DealRegistration.get(id=registration.id)).status is Status.APPROVED


async def test_the_scheduled_worker_job_expires_registrations(world: World, settings: Settings):
    """The job as the worker schedules it, with the real clock."""
    registration = await make_registration(
        world.partner_a,
        world.user_a,
        Status.APPROVED,
        protected_until=datetime.now(UTC) - timedelta(minutes=1),
    )
    selected = [job for job in JOBS if job.name.startswith("deal-registration-")]
    assert {job.name for job in selected} == {
        "deal-registration-expiry",
        "deal-registration-reminders",
    }
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(settings, stop, selected))

    async def expired() -> bool:
        return (await DealRegistration.get(id=registration.id)).status is Status.EXPIRED

    try:
        for _ in range(200):
            if await expired():
                break
            await asyncio.sleep(0.05)
        assert await expired()
    finally:
        stop.set()
        await worker


async def reminder_keys(kind: str) -> list[tuple[int, int, datetime]]:
    rows = await DealRegistrationReminder.filter(kind=kind).order_by("id")
    return [(r.registration_id, r.offset_days, r.for_moment) for r in rows]  # type: ignore[attr-defined]


async def test_expiry_reminders_go_out_once_per_offset_and_anew_after_an_extension(
    world: World, crew: dict[str, User], settings: Settings, sink: SmtpSink
):
    ends = T0 + timedelta(days=40)
    registration = await make_registration(
        world.partner_a, world.user_a, Status.APPROVED, protected_until=ends
    )
    assert (await current_settings()).expiry_reminder_offsets == [30, 7, 1]

    assert (await jobs.send_expiry_reminders(settings, now=ends - timedelta(days=31))).emails == 0
    first = await jobs.send_expiry_reminders(settings, now=ends - timedelta(days=30))
    assert (first.reminders, first.emails) == (1, 3)
    again = await jobs.send_expiry_reminders(settings, now=ends - timedelta(days=29))
    assert (again.reminders, again.emails) == (0, 0)

    # Two workers at the same moment: the 7-day reminder goes out once.
    moment = ends - timedelta(days=6, hours=12)
    runs = await asyncio.gather(
        jobs.send_expiry_reminders(settings, now=moment),
        jobs.send_expiry_reminders(settings, now=moment),
    )
    assert sorted(run.reminders for run in runs) == [0, 1]
    assert sum(run.emails for run in runs) == 3
    assert await reminder_keys("expiry") == [
        (registration.id, 30, ends),
        (registration.id, 7, ends),
    ]

    # The extension moves the end: the offsets start anew for the new end.
    extended_end = ends + timedelta(days=30)
    await move(
        await DealRegistration.get(id=registration.id),
        Status.APPROVED,
        "extension_granted",
        now=moment,
        extension_state=ExtensionState.GRANTED,
        protected_until=extended_end,
    )
    assert (await jobs.send_expiry_reminders(settings, now=moment)).emails == 0  # 36.5 days left
    renewed = await jobs.send_expiry_reminders(settings, now=extended_end - timedelta(days=30))
    assert (renewed.reminders, renewed.emails) == (1, 3)
    assert (await reminder_keys("expiry"))[-1] == (registration.id, 30, extended_end)
    # Missed reminders are caught up once: the smallest offset whose time has come, not all.
    late = await jobs.send_expiry_reminders(settings, now=extended_end - timedelta(hours=3))
    assert late.reminders == 1
    assert (await reminder_keys("expiry"))[-1] == (registration.id, 1, extended_end)
    # Once the protection ended there is nothing to remind of.
    assert (await jobs.send_expiry_reminders(settings, now=extended_end)).reminders == 0

    # 2 reminders before the extension and 2 after, 3 recipients each, plus the extension email.
    received = by_recipient(await deliver(settings, sink, 3 * 4 + 3))
    assert set(received) == PARTNER_A_RECIPIENTS
    spanish = [
        item.body("plain")
        for item in received["user@alpha.test"]
        if item.message["Subject"].startswith("La protección")
    ]
    assert len(spanish) == 4
    assert "La protección de la oportunidad con Acme Corp termina el 2026-04-11" in [
        item.message["Subject"] for item in received["user@alpha.test"]
    ]
    # Before the extension the partner may still ask for one; after it, it cannot ask again.
    assert sum("solicite una ampliación" in body for body in spanish) == 2


async def test_overdue_reviews_remind_the_partners_reviewers_once_per_due_time(
    world: World, crew: dict[str, User], settings: Settings, sink: SmtpSink
):
    due = T0 + timedelta(days=2)
    of_a = await make_registration(world.partner_a, world.user_a, review_due_at=due)
    of_b = await make_registration(
        world.partner_b, world.user_b, review_due_at=due, company="Beta Deal"
    )
    decided = await make_registration(
        world.partner_a, world.user_a, Status.APPROVED, review_due_at=T0, company="Decided"
    )
    assert decided.status is Status.APPROVED

    assert (await jobs.send_review_reminders(settings, now=due)).reminders == 0  # not yet late
    late = due + timedelta(minutes=1)
    runs = await asyncio.gather(
        jobs.send_review_reminders(settings, now=late),
        jobs.send_review_reminders(settings, now=late),
    )
    assert sum(run.reminders for run in runs) == 2
    assert sum(run.emails for run in runs) == 3  # admin for both, manager for partner A's
    assert (await jobs.send_review_reminders(settings, now=late)).reminders == 0
    assert (await DealRegistration.get(id=of_a.id)).review_reminded_at == late

    # Resubmitted after a request for information: a new due time, a new reminder.
    new_due = due + timedelta(days=3)
    await DealRegistration.filter(id=of_a.id).update(review_due_at=new_due)
    assert (await jobs.send_review_reminders(settings, now=new_due)).reminders == 0
    resubmitted = await jobs.send_review_reminders(settings, now=new_due + timedelta(hours=1))
    assert resubmitted.emails == 2
    assert await reminder_keys("review") == [
        (of_a.id, 0, due),
        (of_b.id, 0, due),
        (of_a.id, 0, new_due),
    ]

    received = by_recipient(await deliver(settings, sink, 5))
    # Vendor admins and the channel manager assigned to the partner; nobody else.
    assert set(received) == {"admin@vendor.test", "manager@vendor.test"}
    german = [item.message["Subject"] for item in received["manager@vendor.test"]]
    assert german == [
        "Prüfung überfällig: Deal-Registrierung von Alpha Partners für Acme Corp",
        "Prüfung überfällig: Deal-Registrierung von Alpha Partners für Acme Corp",
    ]
    english = sorted(item.message["Subject"] for item in received["admin@vendor.test"])
    assert english == [
        "Review overdue: deal registration of Alpha Partners for Acme Corp",
        "Review overdue: deal registration of Alpha Partners for Acme Corp",
        "Review overdue: deal registration of Beta Partners for Beta Deal",
    ]
    bodies = [item.body("plain") for item in received["admin@vendor.test"]]
    first_due = "was due for review on 2026-03-04 10:00 (Europe/Amsterdam)"
    second_due = "was due for review on 2026-03-07 10:00 (Europe/Amsterdam)"
    assert sum(first_due in body for body in bodies) == 2
    assert sum(second_due in body for body in bodies) == 1


@pytest.mark.slow
async def test_two_worker_processes_remind_once_and_push_the_expiry_live(
    world: World, crew: dict[str, User], settings: Settings, sink: SmtpSink, tmp_path: Path
):
    """Two `cli worker` processes start at once on the same database: the due 7-day reminder is
    recorded and emailed once, the ended protection expires once, and the expiry made in a worker
    process reaches a websocket subscriber of a web process live (through Redis)."""
    from tests.conftest import (
        free_port,
        server_environment,
        start_live_server,
        start_private_redis,
        stop_live_server,
    )
    from tests.test_deal_registration_live import Listener, summary
    from tests.test_email_workers import WorkerProcess, workers

    now = datetime.now(UTC)
    reminded = await make_registration(
        world.partner_a, world.user_a, Status.APPROVED, protected_until=now + timedelta(days=6)
    )
    ending = await make_registration(
        world.partner_a,
        world.user_a,
        Status.APPROVED,
        company="Ending Corp",
        protected_until=now - timedelta(minutes=1),
    )
    port = free_port()
    redis = start_private_redis(port, tmp_path)
    broadcast = f"redis://127.0.0.1:{port}"
    server = None
    try:
        await asyncio.sleep(0.2)
        server = await start_live_server(server_environment(settings, BROADCAST_URL=broadcast))
        listener = await Listener.open(server, world.token("user_a"))
        try:
            await asyncio.sleep(0.3)
            extra = {"BROADCAST_URL": broadcast, "PORTAL_URL": PORTAL}
            first = WorkerProcess("worker-1", settings, sink.url, **extra)
            second = WorkerProcess("worker-2", settings, sink.url, **extra)
            with workers(first, second):
                pushed = await listener.change()
                assert summary(pushed) == ("Ending Corp", "EXPIRED", "EXPIRED", "EXPIRED")
                assert await asyncio.to_thread(lambda: len(sink.wait_for(3, 30))) == 3
                await asyncio.sleep(1.0)  # time for a duplicate, were there one
            await listener.nothing_more()
        finally:
            await listener.close()
    finally:
        if server is not None:
            stop_live_server(server)
        redis.terminate()
        redis.wait(timeout=10)

    assert await reminder_keys("expiry") == [(reminded.id, 7, reminded.protected_until)]
    expiries = DealRegistrationEvent.filter(registration_id=ending.id, kind="expired")
    assert await expiries.count() == 1
    received = by_recipient(sink.messages())
    counts = {address: len(items) for address, items in received.items()}
    assert counts == dict.fromkeys(PARTNER_A_RECIPIENTS, 1)
    assert (
        received["admin@alpha.test"][0]
        .message["Subject"]
        .startswith("Bescherming van de deal met Acme Corp eindigt op")
    )


async def test_the_api_lifecycle_emails_the_partner_at_each_decision(
    gql: GraphQLClient, world: World, crew: dict[str, User], settings: Settings, sink: SmtpSink
):
    """Through the mutations (not rows): question, answer, approval, extension granted."""
    registration = await submitted(gql, world, "user_a", company="Contoso")
    await run(gql, world, "manager", REQUEST_INFO, id=registration["id"], message="Budget?")
    await run(gql, world, "user_a", RESUBMIT, id=registration["id"], answer="EUR 24k")
    await run(gql, world, "vendor_admin", APPROVE, id=registration["id"], days=60)
    await run(gql, world, "user_a", REQUEST_EXTENSION, id=registration["id"], reason="Legal")
    await run(gql, world, "manager", GRANT_EXTENSION, id=registration["id"])

    received = by_recipient(await deliver(settings, sink, 3 * 3))
    assert set(received) == PARTNER_A_RECIPIENTS
    assert {item.message["Subject"] for item in received["admin@alpha.test"]} == {
        "Meer informatie nodig: Contoso",
        "Dealregistratie goedgekeurd: Contoso",
        "Bescherming verlengd: Contoso",
    }
    [asked] = [
        item.body("plain")
        for item in received["user@alpha.test"]
        if item.message["Subject"] == "Se necesita más información: Contoso"
    ]
    assert "Budget?" in asked
    assert f"{PORTAL}/deal-registrations/{registration['id']}" in asked


async def test_the_expiry_emits_its_webhook_event(world: World):
    endpoint = await WebhookEndpoint.create(
        url="https://hooks.example.com/in",
        event_types=[WebhookEventType.DEAL_REGISTRATION_EXPIRED.value],
        secret="s" * 32,
        created_by=world.vendor_admin,
    )
    registration = await make_registration(
        world.partner_a, world.user_a, Status.APPROVED, protected_until=T0
    )
    assert await jobs.expire_ended_protections(now=T0) == 1
    [event] = await WebhookEvent.filter(endpoint=endpoint)
    assert event.event_type is WebhookEventType.DEAL_REGISTRATION_EXPIRED
    body = json.loads(event.payload)
    assert body["type"] == "deal_registration.expired"
    assert body["data"]["id"] == gid("DealRegistration", registration.id)
    assert body["data"]["status"] == "EXPIRED"


async def test_a_reminder_nobody_can_receive_waits_for_someone(
    world: World, settings: Settings, sink: SmtpSink
):
    """Partner B's people are all inactive: nothing is recorded; once an admin is back, the
    reminder goes out. An unknown stored time zone falls back to UTC instead of failing."""
    await User.filter(partner_id=world.partner_b.id).update(is_active=False)
    row = await current_settings()
    row.time_zone = "Mars/Olympus_Mons"
    await row.save(update_fields=["time_zone"])
    ends = T0 + timedelta(days=5)
    registration = await make_registration(
        world.partner_b, world.user_b, Status.APPROVED, protected_until=ends, company="Quiet"
    )
    moment = ends - timedelta(days=4)
    assert (await jobs.send_expiry_reminders(settings, now=moment)).skipped == 1
    assert await reminder_keys("expiry") == []
    await User.filter(id=world.admin_b.id).update(is_active=True)
    sent = await jobs.send_expiry_reminders(settings, now=moment)
    assert (sent.reminders, sent.emails) == (1, 1)
    assert await reminder_keys("expiry") == [(registration.id, 7, ends)]
    [email] = await deliver(settings, sink, 1)
    assert email.recipients == ("admin@beta.test",)
    assert "ends on 2026-03-07 09:00 (UTC)" in email.body("plain")
