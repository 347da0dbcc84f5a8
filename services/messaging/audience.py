"""Who a message reaches: its target groups, the eligibility rules, and an empty audience.

Eligibility is computed at send/publish time (services/messaging/delivery.py freezes it as
`MessageRecipient` rows). A message is never reported sent or published to nobody: sending or
publishing now with an empty audience is refused (NO_RECIPIENTS); a scheduled one whose audience
is empty at its time goes back to DRAFT with `not_sent_reason`.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from tortoise.expressions import Function, PypikaFunction, Q
from tortoise.queryset import QuerySet

from models.enums import PARTNER_ROLES, PartnerStatus
from models.messaging import Message, MessageKind, MessageStatus, MessageTargetGroup
from models.users import User
from services.messaging.content import normalise_locale
from services.messaging.status import utc_now
from services.partners.groups import partner_ids_in_groups
from services.platform.errors import ErrorCode, ServiceError

log = logging.getLogger("channelport.messaging")


async def target_group_ids(message_ids: list[int]) -> dict[int, list[int]]:
    result: dict[int, list[int]] = {m: [] for m in message_ids}
    rows = await MessageTargetGroup.filter(message_id__in=message_ids).order_by("group_id")
    for row in rows:
        result[row.message_id].append(row.group_id)  # type: ignore[attr-defined]
    return result


async def set_target_groups(message: Message, group_ids: list[int]) -> None:
    await MessageTargetGroup.filter(message_id=message.id).delete()
    await MessageTargetGroup.bulk_create(
        [MessageTargetGroup(message_id=message.id, group_id=g) for g in group_ids]
    )


class NormalisedLocale(Function):
    """A locale column as `normalise_locale` writes it: trimmed, lower case, `_` as `-` (the
    same for the locale codes users have: ASCII letters, digits, `-` and `_`)."""

    class _Term(PypikaFunction):
        def __init__(self, term: Any, alias: str | None = None) -> None:
            trimmed = PypikaFunction("TRIM", term)
            super().__init__("LOWER", PypikaFunction("REPLACE", trimmed, "_", "-"), alias=alias)

    database_func = _Term


def locale_matches(user_locale: str, wanted: list[str]) -> bool:
    """The locale rule, for one user (the audience query applies it in SQL)."""
    locale = normalise_locale(user_locale)
    return any(locale == w or locale.startswith(f"{w}-") for w in wanted)


async def eligible_queryset(message: Message) -> QuerySet[User] | None:
    """SPEC §4: users of active/test partners in the audience, never sales reps nor
    supplier-designated default lead owners, for email only those with Supplier Emails on,
    narrowed by locale if the message says so (`locale_matches`: the user's locale is one of
    the message's or a variant of one, `de` taking `de-AT`). Ordered by id; None when no partner
    is in the audience. All of it is SQL, so that a snapshot can be written by the database
    alone (services/messaging/delivery.py)."""
    queryset = User.filter(
        is_active=True,
        role__in=sorted(PARTNER_ROLES),
        partner__status__in=[PartnerStatus.ACTIVE, PartnerStatus.TEST],
        is_sales_rep=False,
        is_supplier_default_lead_owner=False,
    )
    if not message.all_partners:
        group_ids = (await target_group_ids([message.id]))[message.id]
        partner_ids = await partner_ids_in_groups(group_ids)
        if not partner_ids:
            return None
        queryset = queryset.filter(partner_id__in=sorted(partner_ids))
    if message.kind is MessageKind.EMAIL:
        queryset = queryset.filter(supplier_emails_opt_in=True)
    if message.locales:
        queryset = queryset.annotate(normalised_locale=NormalisedLocale("locale")).filter(
            Q(
                *[
                    Q(normalised_locale=wanted) | Q(normalised_locale__startswith=f"{wanted}-")
                    for wanted in message.locales
                ],
                join_type=Q.OR,
            )
        )
    return queryset.order_by("id")


async def eligible_users(message: Message) -> list[User]:
    """The users a message reaches (see `eligible_queryset`)."""
    queryset = await eligible_queryset(message)
    return [] if queryset is None else list(await queryset)


class Outcome(StrEnum):
    """What became of an attempt to send an email or publish a pop-up."""

    DONE = "done"
    NOT_IN_STATUS = "not_in_status"  # someone else sent, published or changed it first
    RETURNED_TO_DRAFT = "returned_to_draft"  # scheduled, but its audience was empty at its time


def no_recipients_error(message: Message) -> ServiceError:
    action = "send this email" if message.kind is MessageKind.EMAIL else "publish this pop-up"
    return ServiceError(
        ErrorCode.NO_RECIPIENTS,
        f"Nobody is in the audience: there is no one to {action} to. {AUDIENCE_HINT}",
        "to",
    )


AUDIENCE_HINT = (
    "Check its partner groups and locales (and, for emails, that the users turned Supplier "
    "Emails on); only active and test partners' users are reached."
)


async def nobody_to_reach(message: Message, on_schedule: bool) -> Outcome:
    """A message whose audience is empty at its time is never reported as sent or published.
    Sent or published now: refused (the transaction rolls back, the message is unchanged).
    Due on its schedule: back to DRAFT with the reason, for the vendor admin to see and fix."""
    if not on_schedule or message.scheduled_at is None:
        raise no_recipients_error(message)
    done = "sent" if message.kind is MessageKind.EMAIL else "published"
    reason = (
        f"Not {done} at its scheduled time ({message.scheduled_at:%Y-%m-%d %H:%M} UTC): "
        f"nobody was in its audience. {AUDIENCE_HINT}"
    )
    await Message.filter(id=message.id).update(
        status=MessageStatus.DRAFT,
        scheduled_at=None,
        sent_at=None,
        not_sent_reason=reason,
        updated_at=utc_now(),
    )
    log.warning("scheduled %s %s reached nobody: returned to draft", message.kind, message.id)
    return Outcome.RETURNED_TO_DRAFT
