"""Tracking links, unsubscribe and bounce reports through the real HTTP endpoints."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest
from tortoise.transactions import in_transaction

from models.outbox import (
    EmailCategory,
    EmailEvent,
    EmailEventKind,
    EmailSuppression,
    OutboxEmail,
    OutboxState,
    SuppressionReason,
)
from models.users import User
from services.email import lift_suppression, queue_email, unsubscribe_listeners
from services.email.suppression import Unsubscribed
from services.email.tracking import CLICK_PURPOSE, _signature, click_url, open_pixel_url
from settings import Settings
from tests.conftest import make_settings, make_user

BOUNCE_SECRET = "bounce-secret-" + "b" * 20


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path / "data", BOUNCE_WEBHOOK_SECRET=BOUNCE_SECRET)


async def queue(
    settings: Settings,
    to: str = "reader@example.test",
    category: EmailCategory = EmailCategory.MARKETING,
    user: User | None = None,
    sent: bool = True,
) -> OutboxEmail:
    async with in_transaction():
        email = await queue_email(
            settings,
            to=to,
            template="notice",
            context={
                "subject": "News",
                "heading": "News",
                "paragraphs": ["Read more."],
                "action_url": "https://vendor.test/news?id=1&ref=mail",
                "action_label": "Read",
            },
            source="test",
            category=category,
            user=user,
        )
    if sent:
        await OutboxEmail.filter(id=email.id).update(
            state=OutboxState.SENT, sent_at=datetime.now(UTC)
        )
        await email.refresh_from_db()
    return email


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


async def events(email: OutboxEmail, kind: EmailEventKind) -> list[EmailEvent]:
    return await EmailEvent.filter(email_id=email.id, kind=kind)


async def test_open_pixel_records_an_open(http: httpx.AsyncClient, settings: Settings):
    email = await queue(settings)
    url = open_pixel_url(settings, email.uid)
    assert f'src="{url}"' in email.html_body

    response = await http.get(path_of(url), headers={"user-agent": "MailReader/1.0"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/gif"
    assert response.content.startswith(b"GIF89a")
    assert "no-store" in response.headers["cache-control"]
    [opened] = await events(email, EmailEventKind.OPENED)
    assert (opened.client_address, opened.user_agent) == ("10.0.0.1", "MailReader/1.0")


async def test_forged_open_pixel_is_refused(http: httpx.AsyncClient, settings: Settings):
    email = await queue(settings)
    good = path_of(open_pixel_url(settings, email.uid))
    uid_part = email.uid.hex
    forged = [
        good.replace(".gif", "x.gif"),  # altered signature
        f"/email/open/{uid_part}/AAAAAAAAAAAAAAAAAAAAAAAAAAA.gif",
        good.replace(uid_part, "0" * 32),  # another email with this signature
        f"/email/open/not-a-uid/{good.rsplit('/', 1)[1]}",
    ]
    for path in forged:
        assert (await http.get(path)).status_code == 400, path
    assert await EmailEvent.all().count() == 0


async def test_click_records_and_redirects_to_the_signed_url(
    http: httpx.AsyncClient, settings: Settings
):
    email = await queue(settings)
    target = "https://vendor.test/news?id=1&ref=mail"
    url = click_url(settings, email.uid, target)
    assert url.replace("&", "&amp;") in email.html_body

    response = await http.get(path_of(url), follow_redirects=False)

    assert response.status_code == 302
    assert response.headers["location"] == target
    [clicked] = await events(email, EmailEventKind.CLICKED)
    assert clicked.detail == target


async def test_altered_or_forged_click_links_never_redirect(
    http: httpx.AsyncClient, settings: Settings
):
    email = await queue(settings)
    good = path_of(click_url(settings, email.uid, "https://vendor.test/news"))
    signed_part = good.split("?")[0]
    # A signed link to a javascript: URL cannot come from us, but refuse it even if signed.
    script_signature = _signature(settings, CLICK_PURPOSE, f"{email.uid.hex} javascript:alert(1)")
    attempts = [
        f"{signed_part}?url={quote('https://evil.test/phish', safe='')}",  # other target
        f"{signed_part}?url={quote('https://vendor.test/news/', safe='')}",  # one more char
        signed_part,  # no target at all
        good.replace(email.uid.hex, "1" * 32),  # another email
        f"/email/click/{email.uid.hex}/forged?url={quote('https://evil.test', safe='')}",
        f"/email/click/{email.uid.hex}/{script_signature}?url=javascript%3Aalert%281%29",
    ]
    for path in attempts:
        response = await http.get(path, follow_redirects=False)
        assert response.status_code == 400, path
        assert "location" not in response.headers
        assert "not valid" in response.text
    assert await EmailEvent.all().count() == 0


async def test_unsubscribe_get_only_asks_post_unsubscribes(
    http: httpx.AsyncClient, settings: Settings
):
    user = await make_user("subscriber@partner.test", supplier_emails_opt_in=True)
    email = await queue(settings, to=user.email, user=user)
    pending = await queue(settings, to=user.email, user=user, sent=False)
    link = path_of(email.headers["List-Unsubscribe"][1:-1])

    page = await http.get(link)  # what a mail scanner does
    assert page.status_code == 200
    assert '<form method="post"' in page.text
    assert "s***@partner.test" in page.text
    assert "subscriber@partner.test" not in page.text
    assert not await EmailSuppression.exists()
    assert (await User.get(id=user.id)).supplier_emails_opt_in is True

    done = await http.post(link, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert "will no longer receive" in done.text
    suppression = await EmailSuppression.get(address=user.email)
    assert suppression.reason is SuppressionReason.UNSUBSCRIBE
    assert (await User.get(id=user.id)).supplier_emails_opt_in is False
    assert len(await events(email, EmailEventKind.UNSUBSCRIBED)) == 1
    await pending.refresh_from_db()
    assert pending.state is OutboxState.SUPPRESSED

    # Repeating is harmless, and the page now says it is done.
    assert (await http.post(link)).status_code == 200
    assert len(await events(email, EmailEventKind.UNSUBSCRIBED)) == 1
    assert "will no longer receive" in (await http.get(link)).text

    # Transactional mail still goes to the address.
    transactional = await queue(
        settings, to=user.email, category=EmailCategory.TRANSACTIONAL, sent=False
    )
    assert transactional.state is OutboxState.QUEUED


async def test_rfc8058_one_click_post(http: httpx.AsyncClient, settings: Settings):
    email = await queue(settings, to="oneclick@example.test")
    response = await http.post(
        path_of(email.headers["List-Unsubscribe"][1:-1]),
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert await EmailSuppression.exists(address="oneclick@example.test")


async def test_forged_unsubscribe_links_change_nothing(http: httpx.AsyncClient, settings: Settings):
    email = await queue(settings, to="keep@example.test")
    link = path_of(email.headers["List-Unsubscribe"][1:-1])
    for path in (link[:-2], link.replace(email.uid.hex, "2" * 32)):
        assert (await http.post(path)).status_code == 400
        assert (await http.get(path)).status_code == 400
    # An open-pixel signature is not an unsubscribe signature.
    pixel_signature = open_pixel_url(settings, email.uid).rsplit("/", 1)[1].removesuffix(".gif")
    response = await http.post(f"/email/unsubscribe/{email.uid.hex}/{pixel_signature}")
    assert response.status_code == 400
    assert not await EmailSuppression.exists()
    assert await EmailEvent.all().count() == 0


def bounce_headers(secret: str = BOUNCE_SECRET) -> dict[str, str]:
    return {"authorization": f"Bearer {secret}"}


async def test_bounce_report_marks_the_email_and_suppresses_the_address(
    http: httpx.AsyncClient, settings: Settings
):
    email = await queue(settings, to="gone@example.test", category=EmailCategory.TRANSACTIONAL)
    other = await queue(settings, to="soft@example.test")
    response = await http.post(
        "/email/bounces",
        json={
            "bounces": [
                {
                    "recipient": "Gone@Example.test",
                    "message_id": email.message_id.strip("<>"),
                    "type": "permanent",
                    "diagnostic": "550 5.1.1 user unknown",
                },
                {"recipient": "soft@example.test", "message_id": other.message_id,
                 "type": "temporary", "diagnostic": "452 mailbox full"},
                {"recipient": "unknown@example.test"},
            ]
        },
        headers=bounce_headers(),
    )  # fmt: skip
    assert response.status_code == 200
    assert response.json() == {"processed": 3, "matched_emails": 2}
    await email.refresh_from_db()
    assert email.state is OutboxState.BOUNCED
    [bounced] = await events(email, EmailEventKind.BOUNCED)
    assert bounced.detail == "550 5.1.1 user unknown"
    assert set(await EmailSuppression.all().values_list("address", flat=True)) == {
        "gone@example.test",
        "unknown@example.test",
    }
    await other.refresh_from_db()
    assert other.state is OutboxState.SENT  # a soft bounce is only recorded
    assert len(await events(other, EmailEventKind.BOUNCED)) == 1

    # The next marketing email to the bounced address is suppressed.
    again = await queue(settings, to="gone@example.test", sent=False)
    assert again.state is OutboxState.SUPPRESSED


async def test_bounce_reports_need_the_shared_secret(http: httpx.AsyncClient, settings: Settings):
    body = {"recipient": "victim@example.test"}
    missing = await http.post("/email/bounces", json=body)
    wrong = await http.post("/email/bounces", json=body, headers=bounce_headers("x" * 34))
    assert missing.status_code == 401
    assert wrong.status_code == 401
    invalid = await http.post(
        "/email/bounces",
        json={"bounces": [body, {"recipient": 42}]},
        headers=bounce_headers(),
    )
    assert invalid.status_code == 400
    not_json = await http.post("/email/bounces", content=b"{", headers=bounce_headers())
    assert not_json.status_code == 400
    assert not await EmailSuppression.exists()  # nothing applied, not even the valid item


async def test_bounce_reports_are_refused_when_no_secret_is_configured(
    database_url: str, tmp_path: Path
):
    from app import create_app

    application = create_app(make_settings(database_url, tmp_path / "other"))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as client:
            for headers in ({}, bounce_headers(), {"authorization": "Bearer "}):
                response = await client.post(
                    "/email/bounces", json={"recipient": "a@example.test"}, headers=headers
                )
                assert response.status_code == 403
                assert "BOUNCE_WEBHOOK_SECRET" in response.json()["error"]
        assert not await EmailSuppression.exists(address="a@example.test")


async def test_unsubscribe_listeners_run_once_inside_the_unsubscribe(
    http: httpx.AsyncClient, settings: Settings
):
    email = await queue(settings, to="ledger@example.test")
    heard: list[tuple[str, str, bool]] = []

    async def listener(event: Unsubscribed) -> None:
        # Runs in the same transaction: the suppression is already visible.
        suppressed = await EmailSuppression.exists(address=event.email.recipient)
        heard.append((event.email.message_id, event.client_address, suppressed))

    unsubscribe_listeners.append(listener)
    try:
        link = path_of(email.headers["List-Unsubscribe"][1:-1])
        await http.post(link)
        await http.post(link)
    finally:
        unsubscribe_listeners.remove(listener)
    assert heard == [(email.message_id, "10.0.0.1", True)]


async def test_opting_in_again_lifts_the_suppression(http: httpx.AsyncClient, settings: Settings):
    email = await queue(settings, to="back@example.test")
    await http.post(path_of(email.headers["List-Unsubscribe"][1:-1]))
    assert (await queue(settings, to="back@example.test", sent=False)).state is (
        OutboxState.SUPPRESSED
    )
    assert await lift_suppression("Back@Example.test") is True
    assert (await queue(settings, to="back@example.test", sent=False)).state is OutboxState.QUEUED
