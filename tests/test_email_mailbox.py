"""The local capture mailbox (SMTP_URL=capture://): delivery, the CLI, the admin JSON endpoint,
and the embedded worker that delivers into it from inside the web process."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from tortoise.transactions import in_transaction

import cli
from app import create_app
from models.outbox import EmailCategory, OutboxEmail, OutboxState
from services.email import CaptureMailbox, deliver_due_emails, mailbox_directory, queue_email
from services.email.wakeup import sender_wakeup_event, wake_sender
from services.platform.worker import Job, run_worker
from settings import Settings, reset_settings
from tests.conftest import World, empty_all_tables, make_settings
from tests.email_sink import until


async def queue(settings: Settings, to: str, subject: str, **options: object) -> OutboxEmail:
    async with in_transaction():
        return await queue_email(
            settings,
            to=to,
            template="notice",
            context={
                "subject": subject,
                "heading": subject,
                "paragraphs": ["Body of " + subject],
                "action_url": None,
                "action_label": "",
            },
            source="test",
            **options,  # type: ignore[arg-type]
        )


async def test_capture_stores_each_email_once(app: Starlette, settings: Settings):
    assert settings.smtp_url == "capture://"
    first = await queue(settings, "one@example.test", "First")
    second = await queue(settings, "two@example.test", "Second", category=EmailCategory.MARKETING)

    report = await deliver_due_emails(settings)

    assert report.sent == 2
    mailbox = CaptureMailbox(mailbox_directory(settings))
    entries = mailbox.entries()
    assert [(e.recipient, e.subject, e.category) for e in entries] == [
        ("two@example.test", "Second", "marketing"),
        ("one@example.test", "First", "transactional"),
    ]
    assert entries[1].message_id == first.message_id
    message = mailbox.message(second.uid.hex[:8])
    assert message is not None
    assert "Body of Second" in message.text
    assert "Body of Second" in message.html
    assert dict(message.headers)["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Stored again after a crash before the `sent` mark: same file, no second entry.
    await OutboxEmail.filter(id=first.id).update(state=OutboxState.QUEUED)
    assert (await deliver_due_emails(settings)).sent == 1
    assert len(mailbox.entries()) == 2
    assert len(list(mailbox.directory.glob("*.eml"))) == 2


async def test_mailbox_ids_are_checked(app: Starlette, settings: Settings):
    email = await queue(settings, "one@example.test", "First")
    await deliver_due_emails(settings)
    mailbox = CaptureMailbox(mailbox_directory(settings))
    for bad in ("../../etc/passwd", "", "abc", "zzzzzzzz", "*"):
        assert mailbox.message(bad) is None
    assert mailbox.message(email.uid.hex.upper()) is not None


@pytest.fixture
def cli_environment(settings: Settings, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CHANNELPORT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SECRET_KEY", settings.secret_key)
    reset_settings()
    yield
    reset_settings()


async def test_mailbox_command_lists_and_shows(
    app: Starlette, settings: Settings, cli_environment: None, capsys: pytest.CaptureFixture[str]
):
    cli.main(["mailbox", "list"])
    assert "is empty" in capsys.readouterr().out

    first = await queue(settings, "one@example.test", "Quarterly update")
    await queue(settings, "two@example.test", "Lead for you")
    await deliver_due_emails(settings)

    cli.main(["mailbox", "list"])
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].split() == ["ID", "DATE", "TO", "SUBJECT"]
    assert "two@example.test" in listing[1]
    assert "Lead for you" in listing[1]
    assert listing[2].startswith(first.uid.hex[:12])

    cli.main(["mailbox", "show", first.uid.hex[:8]])
    shown = capsys.readouterr().out
    assert "Subject: Quarterly update" in shown
    assert f"Message-ID: {first.message_id}" in shown
    assert "Body of Quarterly update" in shown
    assert "<html" not in shown

    cli.main(["mailbox", "show", first.uid.hex[:8], "--html"])
    assert "<html" in capsys.readouterr().out

    with pytest.raises(SystemExit, match="No email"):
        cli.main(["mailbox", "show", "ffffffff"])


async def test_mailbox_endpoint_is_for_vendor_admins_only(
    http: httpx.AsyncClient, settings: Settings, world: World
):
    email = await queue(settings, "one@example.test", "Only for admins")
    await deliver_due_emails(settings)

    assert (await http.get("/admin/mailbox")).status_code == 401
    forged = {"authorization": "Bearer " + world.token("vendor_admin") + "x"}
    assert (await http.get("/admin/mailbox", headers=forged)).status_code == 401
    for name in ("manager", "admin_a", "user_b"):
        headers = {"authorization": f"Bearer {world.token(name)}"}
        assert (await http.get("/admin/mailbox", headers=headers)).status_code == 403
        one = await http.get(f"/admin/mailbox/{email.uid.hex}", headers=headers)
        assert one.status_code == 403

    admin = {"authorization": f"Bearer {world.token('vendor_admin')}"}
    listing = await http.get("/admin/mailbox", headers=admin)
    assert listing.status_code == 200
    body = listing.json()
    assert body["capture"] is True
    assert [(m["recipient"], m["subject"]) for m in body["messages"]] == [
        ("one@example.test", "Only for admins")
    ]
    one = await http.get(f"/admin/mailbox/{body['messages'][0]['id'][:10]}", headers=admin)
    assert one.status_code == 200
    assert one.json()["message_id"] == email.message_id
    assert "Body of Only for admins" in one.json()["text"]
    assert "<html" in one.json()["html"]
    assert (await http.get("/admin/mailbox/0000000000", headers=admin)).status_code == 404
    assert (await http.get("/admin/mailbox?limit=x", headers=admin)).status_code == 400


async def test_embedded_worker_delivers_into_the_mailbox(database_url: str, tmp_path: Path):
    settings = make_settings(database_url, tmp_path / "data", EMBEDDED_WORKER="true")
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        await empty_all_tables()
        email = await queue(settings, "embedded@example.test", "From the web process")
        mailbox = CaptureMailbox(mailbox_directory(settings))
        assert await until(lambda: bool(mailbox.entries()), seconds=10)
        assert [e.message_id for e in mailbox.entries()] == [email.message_id]
        # The worker writes the mailbox first and marks the row sent right after: wait for it.
        for _ in range(500):
            await email.refresh_from_db()
            if email.state is OutboxState.SENT:
                break
            await asyncio.sleep(0.02)
        assert email.state is OutboxState.SENT


async def test_a_wake_up_runs_the_job_before_its_interval():
    runs: list[float] = []

    async def probe(_settings: Settings) -> None:
        runs.append(time.monotonic())

    stop = asyncio.Event()
    job = Job("probe", 3600, probe, wakeup=sender_wakeup_event)
    worker = asyncio.create_task(run_worker(None, stop, jobs=[job]))  # type: ignore[arg-type]
    try:
        for expected in (1, 2, 3):
            assert await until(lambda: len(runs) >= expected, seconds=5)  # noqa: B023
            assert len(runs) == expected
            wake_sender()
    finally:
        stop.set()
        await asyncio.wait_for(worker, 5)
