"""Queueing emails: the row lives and dies with the caller's transaction, rendering, opt-outs."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.applications import Starlette
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
from models.partners import PartnerOrg
from services.email import delivery_statistics, queue_email, render_email
from services.email.tracking import verify_click_link, verify_open_link
from services.platform.errors import ValidationFailed
from settings import Settings
from tests.conftest import make_user


def context(**extra: object) -> dict[str, object]:
    return {
        "subject": "Your partner registration",
        "heading": "Welcome",
        "paragraphs": ["Hello."],
        "action_url": None,
        "action_label": "",
        **extra,
    }


async def queue_one(settings: Settings, to: str = "someone@example.test", **options: object):
    return await queue_email(
        settings,
        to=to,
        template="notice",
        context=options.pop("context", context()),  # type: ignore[arg-type]
        source=str(options.pop("source", "test")),
        **options,  # type: ignore[arg-type]
    )


async def test_a_rolled_back_transaction_leaves_no_email(app: Starlette, settings: Settings):
    class Failure(Exception):
        pass

    async def change_then_fail() -> None:
        async with in_transaction():
            await PartnerOrg.create(name="Rolled back")
            await queue_one(settings)
            raise Failure

    with pytest.raises(Failure):
        await change_then_fail()
    assert await OutboxEmail.all().count() == 0
    assert not await PartnerOrg.exists(name="Rolled back")

    async with in_transaction():
        await PartnerOrg.create(name="Committed")
        email = await queue_one(settings)
    assert await OutboxEmail.all().count() == 1
    assert email.state is OutboxState.QUEUED
    assert email.message_id == f"<{email.uid.hex}@channelport.local>"


async def test_queueing_outside_a_transaction_is_refused(app: Starlette, settings: Settings):
    with pytest.raises(RuntimeError, match="inside the caller's transaction"):
        await queue_one(settings)
    assert await OutboxEmail.all().count() == 0


@pytest.mark.parametrize(
    "address",
    ["not-an-address", "two@@example.test", "a@b.test\r\nBcc: victim@example.test", "", "x@y"],
)
async def test_invalid_recipients_are_refused_and_write_nothing(
    app: Starlette, settings: Settings, address: str
):
    with pytest.raises(ValidationFailed) as refused:
        async with in_transaction():
            await queue_one(settings, to=address)
    assert refused.value.field == "to"
    assert await OutboxEmail.all().count() == 0


async def test_dedupe_key_queues_once(app: Starlette, settings: Settings):
    async with in_transaction():
        first = await queue_one(settings, dedupe_key="lead:7:consent")
    async with in_transaction():
        again = await queue_one(settings, dedupe_key="lead:7:consent")
    assert again.id == first.id
    assert await OutboxEmail.all().count() == 1


def test_rendering_escapes_html_and_keeps_text_literal():
    rendered = render_email(
        "notice",
        {
            **context(
                subject="Hi\r\nBcc: x@example.test  <b>", heading="<script>alert(1)</script>"
            ),
            "recipient": "a@example.test",
            "category": "transactional",
            "unsubscribe_url": None,
        },
    )
    assert rendered.subject == "Hi Bcc: x@example.test <b>"  # one line: no header injection
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert "<script>" not in rendered.html
    assert "<script>alert(1)</script>" in rendered.text
    assert "Unsubscribe" not in rendered.text


def test_unknown_templates_and_missing_values_fail_loudly():
    with pytest.raises(ValueError, match="Unknown email template"):
        render_email("no_such_template", {})
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError):
        render_email("notice", {"subject": "x"})


async def test_marketing_mail_is_tracked_and_transactional_is_not(
    app: Starlette, settings: Settings
):
    link = "https://vendor.test/offer?a=1&b=2"
    async with in_transaction():
        marketing = await queue_one(
            settings,
            category=EmailCategory.MARKETING,
            context=context(action_url=link, action_label="See the offer"),
        )
        transactional = await queue_one(
            settings, context=context(action_url=link, action_label="Open")
        )

    assert "/email/open/" not in transactional.html_body
    assert 'href="https://vendor.test/offer?a=1&amp;b=2"' in transactional.html_body
    assert "List-Unsubscribe" not in transactional.headers

    html = marketing.html_body
    assert 'href="https://vendor.test/offer' not in html  # rewritten to the click redirect
    click = html.split('href="http://portal.test/email/click/')[1].split('"')[0]
    path, _, query = click.replace("&amp;", "&").partition("?")
    uid_hex, signature = path.split("/")
    target = parse_qs(query)["url"][0]
    assert target == link
    assert verify_click_link(settings, uid_hex, signature, target) == marketing.uid
    pixel = html.split('src="http://portal.test/email/open/')[1].split('"')[0]
    pixel_uid, pixel_signature = pixel.removesuffix(".gif").split("/")
    assert verify_open_link(settings, pixel_uid, pixel_signature) == marketing.uid
    # The unsubscribe link is ours and is not turned into a click redirect.
    unsubscribe = marketing.headers["List-Unsubscribe"][1:-1]
    assert urlsplit(unsubscribe).path.startswith("/email/unsubscribe/")
    assert f'href="{unsubscribe}"' in html
    assert marketing.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


async def test_marketing_respects_opt_outs_transactional_does_not(
    app: Starlette, settings: Settings
):
    opted_out = await make_user("quiet@partner.test")  # new users start opted out
    opted_in = await make_user("keen@partner.test", supplier_emails_opt_in=True)
    await EmailSuppression.create(
        address="bounced@example.test", reason=SuppressionReason.HARD_BOUNCE
    )
    async with in_transaction():
        to_opted_out = await queue_one(
            settings, to=opted_out.email, user=opted_out, category=EmailCategory.MARKETING
        )
        to_opted_in = await queue_one(
            settings, to=opted_in.email, user=opted_in, category=EmailCategory.MARKETING
        )
        to_suppressed = await queue_one(
            settings, to="Bounced@Example.test", category=EmailCategory.MARKETING
        )
        transactional = await queue_one(settings, to="bounced@example.test", user=opted_out)

    assert to_opted_out.state is OutboxState.SUPPRESSED
    assert to_suppressed.state is OutboxState.SUPPRESSED
    assert to_opted_in.state is OutboxState.QUEUED
    assert transactional.state is OutboxState.QUEUED


async def test_delivery_statistics_count_states_and_unique_events(
    app: Starlette, settings: Settings
):
    async with in_transaction():
        emails = [
            await queue_one(
                settings,
                to=f"r{i}@example.test",
                source="partner_message",
                reference="message:1",
                category=EmailCategory.MARKETING,
            )
            for i in range(4)
        ]
        await queue_one(settings, source="partner_message", reference="message:2")
    await OutboxEmail.filter(id__in=[e.id for e in emails[:3]]).update(
        state=OutboxState.SENT, sent_at=datetime.now(UTC)
    )
    await OutboxEmail.filter(id=emails[3].id).update(state=OutboxState.BOUNCED)
    for kind, email in [
        (EmailEventKind.OPENED, emails[0]),
        (EmailEventKind.OPENED, emails[0]),  # opened twice: one opener
        (EmailEventKind.OPENED, emails[1]),
        (EmailEventKind.CLICKED, emails[1]),
        (EmailEventKind.UNSUBSCRIBED, emails[2]),
    ]:
        await EmailEvent.create(email=email, kind=kind)

    stats = await delivery_statistics("partner_message", "message:1")
    assert (stats.total, stats.sent, stats.bounced, stats.queued) == (4, 3, 1, 0)
    assert (stats.opened, stats.clicked, stats.unsubscribed) == (2, 1, 1)
    everything = await delivery_statistics("partner_message")
    assert (everything.total, everything.queued) == (5, 1)
