"""The partner's customer accounts: the overview, the activity log, attention items, the
customer's own users, trials that end by themselves, and switching into a customer account.

Every function takes the viewer (who asks) and, where time matters, `now`, so that tests run
with fixed clocks and the worker and the API agree on one definition of "today".
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.functions import Count, Max
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from models.accounts import (
    AccountSettings,
    ActivityKind,
    AttentionItem,
    AttentionKind,
    CustomerActivity,
    CustomerUser,
    SwitchAccountAudit,
    SwitchOutcome,
)
from models.customers import Customer, CustomerContact
from models.deals import Deal, DealStatus
from models.enums import ContactRole, CustomerStatus
from models.users import AuthSession, User
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed, forbidden, not_found
from services.platform.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, paginate
from services.platform.validation import clean_search, clean_text, validate_email
from services.platform.viewer import Viewer
from services.users.auth import open_session, unsign_value
from settings import Settings

ACTIVITY_WINDOW_DAYS = 90
TRIAL_ENDING_NOTICE_DAYS = 7
INACTIVITY_DAYS = 14
DEFAULT_REMINDER_OFFSETS = (60, 30, 7)
REFRESH_BATCH_SIZE = 500
RENEWAL_CONTACT_ROLES = (ContactRole.PRIMARY, ContactRole.BILLING, ContactRole.DECISION_MAKER)


def utcnow() -> datetime:
    return datetime.now(UTC)


def clean_input(
    value: str,
    field_name: str,
    problems: list[tuple[str, str]],
    *,
    max_length: int,
    required: bool = False,
    multiline: bool = False,
) -> str:
    """Typed text without surrounding blanks, a problem recorded if it cannot be stored or is
    required and empty."""
    text = clean_text(value, field_name, problems, max_length=max_length, multiline=multiline)
    if required and not text:
        problems.append((field_name, "This is required."))
    return text


# ---- who may see which customers --------------------------------------------------------------


async def acting_customer_id(viewer: Viewer) -> int | None:
    """The customer an act-as (switch account) session is scoped to, or None."""
    return viewer.acting_customer_id


async def settle_ended_trials(viewer: Viewer) -> int:
    """Close the ended trials among the customers the viewer may see, as the worker job does:
    every read of and action on customers runs it first, so that a trial whose end has come
    reads and acts as closed whether or not the job has run yet."""
    return await close_ended_trials(scope=viewer.partner_filter("partner_id"))


async def customer_scope(viewer: Viewer, field_prefix: str = "") -> Q:
    """A filter keeping the customers this viewer may see: its partner orgs' customers, and
    only the one customer when the viewer's token is an act-as session. Ended trials among
    them are closed first (`settle_ended_trials`)."""
    await settle_ended_trials(viewer)
    scope = viewer.partner_filter(f"{field_prefix}partner_id")
    acting = await acting_customer_id(viewer)
    if acting is not None:
        scope &= Q(**{f"{field_prefix}id": acting})
    return scope


async def visible_customer(viewer: Viewer, customer_id: int, field: str = "customerId") -> Customer:
    """The customer if the viewer may see it, else the same not-found answer as for none."""
    customer = await Customer.filter(await customer_scope(viewer), id=customer_id).first()
    if customer is None:
        raise ServiceError(ErrorCode.NOT_FOUND, "Customer not found.", field)
    return customer


# ---- the customer overview --------------------------------------------------------------------


class CustomerSort(StrEnum):
    NAME_ASC = "name_asc"
    NAME_DESC = "name_desc"
    NEWEST_FIRST = "newest_first"
    OLDEST_FIRST = "oldest_first"


@dataclass(frozen=True)
class OverviewFilter:
    partner_id: int | None = None
    status: CustomerStatus | None = None
    needs_attention: bool | None = None
    search: str | None = None


@dataclass
class OverviewRow:
    customer: Customer
    user_count: int
    activity_count: int
    attention_items: list[AttentionItem]
    days_left_in_trial: int | None

    @property
    def attention_count(self) -> int:
        return len(self.attention_items)


@dataclass
class OverviewPage:
    rows: list[OverviewRow]
    has_next_page: bool
    end_cursor: str | None
    cursors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StatusCounts:
    all: int
    trial: int
    active: int
    closed: int
    needs_attention: int


def trial_days_left(customer: Customer, now: datetime) -> int | None:
    """Whole days (rounded up) until a running trial ends, 0 on its last moments, None if the
    customer is not in trial."""
    return days_left_of_trial(customer.status, customer.trial_ends_at, now)


def days_left_of_trial(
    status: CustomerStatus, trial_ends_at: datetime | None, now: datetime
) -> int | None:
    if status is not CustomerStatus.TRIAL or trial_ends_at is None:
        return None
    seconds = (trial_ends_at - now).total_seconds()
    return max(0, math.ceil(seconds / 86400))


def _open_attention_ids() -> Subquery:
    return Subquery(AttentionItem.filter(resolved_at__isnull=True).values("customer_id"))


async def _overview_queryset(viewer: Viewer, flt: OverviewFilter) -> QuerySet[Customer]:
    if flt.partner_id is not None and not viewer.can_see_partner(flt.partner_id):
        raise not_found("Partner")
    queryset = Customer.filter(await customer_scope(viewer))
    if flt.partner_id is not None:
        queryset = queryset.filter(partner_id=flt.partner_id)
    if flt.status is not None:
        queryset = queryset.filter(status=flt.status)
    term = clean_search(flt.search)
    if term:
        queryset = queryset.filter(name__icontains=term)
    if flt.needs_attention is True:
        queryset = queryset.filter(id__in=_open_attention_ids())
    elif flt.needs_attention is False:
        queryset = queryset.exclude(id__in=_open_attention_ids())
    return queryset


def _encode_cursor(sort: CustomerSort, customer: Customer) -> str:
    payload = [sort.value, customer.id]
    if sort in (CustomerSort.NAME_ASC, CustomerSort.NAME_DESC):
        payload.append(customer.name)
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(sort: CustomerSort, cursor: str) -> tuple[int, str | None]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if not isinstance(payload, list) or payload[0] != sort.value:
            raise ValueError(payload)
        customer_id = int(payload[1])
        name = str(payload[2]) if len(payload) > 2 else None
        if sort in (CustomerSort.NAME_ASC, CustomerSort.NAME_DESC) and name is None:
            raise ValueError(payload)
        return customer_id, name
    except (ValueError, IndexError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ServiceError(
            ErrorCode.INVALID, "This cursor is not valid for this sort order.", "after"
        ) from None


async def customer_overview(
    viewer: Viewer,
    flt: OverviewFilter,
    sort: CustomerSort = CustomerSort.NAME_ASC,
    first: int | None = None,
    after: str | None = None,
    now: datetime | None = None,
) -> OverviewPage:
    """One page of the viewer's customers with the overview figures of each row.

    A page costs a fixed number of statements whatever its size: the customers, then one
    grouped query each for users, recent activities and open attention items.
    """
    now = now or utcnow()
    size = DEFAULT_PAGE_SIZE if first is None else first
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ServiceError(
            ErrorCode.INVALID, f"first must be between 1 and {MAX_PAGE_SIZE}.", "first"
        )
    queryset = await _overview_queryset(viewer, flt)
    if after is not None:
        after_id, after_name = _decode_cursor(sort, after)
        if sort is CustomerSort.NAME_ASC:
            queryset = queryset.filter(Q(name__gt=after_name) | Q(name=after_name, id__gt=after_id))
        elif sort is CustomerSort.NAME_DESC:
            queryset = queryset.filter(Q(name__lt=after_name) | Q(name=after_name, id__lt=after_id))
        elif sort is CustomerSort.NEWEST_FIRST:
            queryset = queryset.filter(id__lt=after_id)
        else:
            queryset = queryset.filter(id__gt=after_id)
    ordering = {
        CustomerSort.NAME_ASC: ("name", "id"),
        CustomerSort.NAME_DESC: ("-name", "-id"),
        CustomerSort.NEWEST_FIRST: ("-id",),
        CustomerSort.OLDEST_FIRST: ("id",),
    }[sort]
    fetched = list(await queryset.order_by(*ordering).limit(size + 1))
    customers = fetched[:size]
    ids = [c.id for c in customers]
    user_counts: dict[int, int] = {}
    activity_counts: dict[int, int] = {}
    items: dict[int, list[AttentionItem]] = defaultdict(list)
    if ids:
        for row in (
            await CustomerUser.filter(customer_id__in=ids)
            .annotate(n=Count("id"))
            .group_by("customer_id")
            .values("customer_id", "n")
        ):
            user_counts[row["customer_id"]] = row["n"]
        for row in (
            await CustomerActivity.filter(
                customer_id__in=ids,
                occurred_at__gt=now - timedelta(days=ACTIVITY_WINDOW_DAYS),
                occurred_at__lte=now,
            )
            .annotate(n=Count("id"))
            .group_by("customer_id")
            .values("customer_id", "n")
        ):
            activity_counts[row["customer_id"]] = row["n"]
        for item in await AttentionItem.filter(
            customer_id__in=ids, resolved_at__isnull=True
        ).order_by("opened_at", "id"):
            items[item.customer_id].append(item)  # type: ignore[attr-defined]
    rows = [
        OverviewRow(
            customer=c,
            user_count=user_counts.get(c.id, 0),
            activity_count=activity_counts.get(c.id, 0),
            attention_items=items.get(c.id, []),
            days_left_in_trial=trial_days_left(c, now),
        )
        for c in customers
    ]
    cursors = [_encode_cursor(sort, c) for c in customers]
    return OverviewPage(
        rows=rows,
        has_next_page=len(fetched) > size,
        end_cursor=cursors[-1] if cursors else None,
        cursors=cursors,
    )


async def overview_counts(viewer: Viewer, flt: OverviewFilter) -> StatusCounts:
    """Counts for the filter tabs: the customers matching the search (and partner), per status,
    and how many of them need attention. The status and needs-attention filters do not apply."""
    base = OverviewFilter(partner_id=flt.partner_id, search=flt.search)
    queryset = await _overview_queryset(viewer, base)
    by_status = {
        row["status"]: row["n"]
        for row in await queryset.annotate(n=Count("id")).group_by("status").values("status", "n")
    }
    attention_queryset = await _overview_queryset(
        viewer, OverviewFilter(partner_id=flt.partner_id, search=flt.search, needs_attention=True)
    )
    needing = await attention_queryset.count()

    def count(status: CustomerStatus) -> int:
        return int(by_status.get(status, 0) or by_status.get(status.value, 0))

    trial, active, closed = (count(s) for s in CustomerStatus)
    return StatusCounts(
        all=trial + active + closed,
        trial=trial,
        active=active,
        closed=closed,
        needs_attention=needing,
    )


# ---- the activity log -------------------------------------------------------------------------


async def record_activity(
    customer_id: int,
    kind: ActivityKind,
    summary: str = "",
    *,
    actor_id: int | None = None,
    occurred_at: datetime | None = None,
) -> CustomerActivity:
    return await CustomerActivity.create(
        customer_id=customer_id,
        kind=kind,
        summary=summary[:300],
        actor_id=actor_id,
        occurred_at=occurred_at or utcnow(),
    )


async def report_product_activity(
    viewer: Viewer,
    customer_id: int,
    summary: str,
    occurred_at: datetime | None = None,
    now: datetime | None = None,
) -> CustomerActivity:
    """The vendor's product reports what a customer did in their account (vendor admins only,
    the product's integration logs in as one)."""
    viewer.require_vendor_admin()
    now = now or utcnow()
    customer = await visible_customer(viewer, customer_id)
    problems: list[tuple[str, str]] = []
    text = clean_input(summary, "summary", problems, max_length=300, required=True)
    when = occurred_at or now
    if when.tzinfo is None:
        problems.append(("occurredAt", "Give the time with its time zone."))
    elif when > now + timedelta(minutes=5):
        problems.append(("occurredAt", "The activity cannot be in the future."))
    if problems:
        raise ValidationFailed(problems)
    return await record_activity(customer.id, ActivityKind.PRODUCT_USAGE, text, occurred_at=when)


async def list_activities(
    viewer: Viewer, customer_id: int, first: int | None, after: str | None
) -> Page[CustomerActivity]:
    customer = await visible_customer(viewer, customer_id)
    return await paginate(CustomerActivity.filter(customer_id=customer.id), first, after)


# ---- the customer's own users -----------------------------------------------------------------


async def add_customer_user(
    viewer: Viewer, customer_id: int, email: str, full_name: str = "", now: datetime | None = None
) -> CustomerUser:
    customer = await visible_customer(viewer, customer_id)
    problems: list[tuple[str, str]] = []
    try:
        address = validate_email(email, "email")
    except ValidationFailed as failure:
        problems.extend(failure.problems)
        address = ""
    name = clean_input(full_name, "fullName", problems, max_length=200)
    if problems:
        raise ValidationFailed(problems)
    now = now or utcnow()
    try:
        async with in_transaction():
            user = await CustomerUser.create(
                customer_id=customer.id, email=address, full_name=name, created_at=now
            )
            await record_activity(
                customer.id,
                ActivityKind.USER_ADDED,
                f"{address} joined the account",
                actor_id=viewer.user_id,
                occurred_at=now,
            )
    except IntegrityError:
        raise ServiceError(
            ErrorCode.DUPLICATE, "This person is already a user of the account.", "email"
        ) from None
    return user


async def remove_customer_user(viewer: Viewer, customer_user_id: int) -> None:
    user = await CustomerUser.get_or_none(id=customer_user_id)
    if user is None:
        raise not_found("Customer user")
    await visible_customer(viewer, user.customer_id, "id")  # type: ignore[attr-defined]
    await user.delete()


async def users_of_customer(viewer: Viewer, customer_id: int) -> list[CustomerUser]:
    customer = await visible_customer(viewer, customer_id)
    return list(await CustomerUser.filter(customer_id=customer.id).order_by("id"))


# ---- attention items --------------------------------------------------------------------------


@dataclass(frozen=True)
class AttentionRefresh:
    opened: int
    resolved: int


async def _wanted_attention(
    customers: list[Customer], now: datetime
) -> dict[tuple[int, AttentionKind, str], str]:
    """The attention items each customer should have open now: (customer, kind, key) -> text."""
    ids = [c.id for c in customers]
    wanted: dict[tuple[int, AttentionKind, str], str] = {}
    if not ids:
        return wanted
    roles_by_customer: dict[int, set[str]] = defaultdict(set)
    for customer_id, role in await CustomerContact.filter(customer_id__in=ids).values_list(
        "customer_id", "role"
    ):
        roles_by_customer[customer_id].add(str(getattr(role, "value", role)))
    last_activity = {
        row["customer_id"]: row["last"]
        for row in await CustomerActivity.filter(customer_id__in=ids, occurred_at__lte=now)
        .annotate(last=Max("occurred_at"))
        .group_by("customer_id")
        .values("customer_id", "last")
    }
    overdue_deals = await Deal.filter(
        customer_id__in=ids, status=DealStatus.OPEN, expected_close_on__lt=now.date()
    ).values_list("id", "customer_id", "product", "expected_close_on")
    for customer in customers:
        if customer.status is CustomerStatus.TRIAL and customer.trial_ends_at is not None:
            days = trial_days_left(customer, now) or 0
            if now < customer.trial_ends_at <= now + timedelta(days=TRIAL_ENDING_NOTICE_DAYS):
                wanted[(customer.id, AttentionKind.TRIAL_ENDING, "")] = (
                    f"The trial ends in {days} day{'s' if days != 1 else ''} "
                    f"({customer.trial_ends_at.date().isoformat()})."
                )
        if customer.status is CustomerStatus.ACTIVE:
            if customer.next_renewal_at is not None and customer.next_renewal_at <= now:
                wanted[(customer.id, AttentionKind.RENEWAL_OVERDUE, "")] = (
                    "The renewal date "
                    f"{customer.next_renewal_at.date().isoformat()} has passed without a renewal."
                )
            missing = [
                r.value.replace("_", " ")
                for r in RENEWAL_CONTACT_ROLES
                if r.value not in roles_by_customer[customer.id]
            ]
            if missing:
                wanted[(customer.id, AttentionKind.MISSING_RENEWAL_CONTACTS, "")] = (
                    f"Renewal notices have no {', '.join(missing)} contact to go to."
                )
        if customer.status is not CustomerStatus.CLOSED:
            last = last_activity.get(customer.id)
            quiet_since = last or customer.created_at
            if quiet_since is not None and quiet_since <= now - timedelta(days=INACTIVITY_DAYS):
                wanted[(customer.id, AttentionKind.NO_RECENT_ACTIVITY, "")] = (
                    f"No activity in the account for {INACTIVITY_DAYS} days or more."
                )
    statuses = {c.id: c.status for c in customers}
    for deal_id, customer_id, product, expected in overdue_deals:
        if statuses.get(customer_id) is not CustomerStatus.CLOSED:
            wanted[(customer_id, AttentionKind.DEAL_PAST_EXPECTED_CLOSE, f"deal:{deal_id}")] = (
                f"The deal for {product} was expected to close on {expected.isoformat()}."
            )
    return wanted


async def refresh_attention_items(
    now: datetime | None = None, customer_ids: list[int] | None = None
) -> AttentionRefresh:
    """Open the attention items whose condition holds and resolve those whose condition cleared,
    for the given customers or all of them. Safe to run in several workers at once."""
    now = now or utcnow()
    if customer_ids is None:
        # Everyone, a batch of customers at a time so that memory stays flat.
        total = AttentionRefresh(opened=0, resolved=0)
        last_id = 0
        while True:
            batch = list(
                await Customer.filter(id__gt=last_id)
                .order_by("id")
                .limit(REFRESH_BATCH_SIZE)
                .values_list("id", flat=True)
            )
            if not batch:
                return total
            done = await refresh_attention_items(now, batch)
            total = AttentionRefresh(total.opened + done.opened, total.resolved + done.resolved)
            last_id = batch[-1]
    customers = list(await Customer.filter(id__in=customer_ids))
    wanted = await _wanted_attention(customers, now)
    ids = [c.id for c in customers]
    existing = {
        (item.customer_id, item.kind, item.key): item  # type: ignore[attr-defined]
        for item in await AttentionItem.filter(customer_id__in=ids)
    }
    opened = resolved = 0
    for key, message in wanted.items():
        item = existing.get(key)
        if item is None:
            customer_id, kind, item_key = key
            try:
                await AttentionItem.create(
                    customer_id=customer_id,
                    kind=kind,
                    key=item_key,
                    message=message,
                    opened_at=now,
                )
                opened += 1
            except IntegrityError:
                pass  # another worker opened it at the same moment
        elif item.resolved_at is not None:
            opened += await AttentionItem.filter(id=item.id, resolved_at__isnull=False).update(
                resolved_at=None, opened_at=now, message=message
            )
        elif item.message != message:
            await AttentionItem.filter(id=item.id).update(message=message)
    stale = [
        item.id for key, item in existing.items() if item.resolved_at is None and key not in wanted
    ]
    if stale:
        resolved = await AttentionItem.filter(id__in=stale, resolved_at__isnull=True).update(
            resolved_at=now
        )
    return AttentionRefresh(opened=opened, resolved=resolved)


async def attention_items_of_customer(
    viewer: Viewer, customer_id: int, include_resolved: bool = False
) -> list[AttentionItem]:
    customer = await visible_customer(viewer, customer_id)
    queryset = AttentionItem.filter(customer_id=customer.id)
    if not include_resolved:
        queryset = queryset.filter(resolved_at__isnull=True)
    return list(await queryset.order_by("opened_at", "id"))


# ---- trials that end by themselves ------------------------------------------------------------


async def close_ended_trials(now: datetime | None = None, scope: Q | None = None) -> int:
    """Close every trial (among `scope`, if given) whose end has come without a subscription;
    returns how many closed.

    Each customer is closed by a conditional update, so that two workers never close one twice
    and a conversion that happened a moment earlier is never undone.
    """
    now = now or utcnow()
    candidates = await Customer.filter(
        scope or Q(), status=CustomerStatus.TRIAL, trial_ends_at__lte=now
    ).values_list("id", flat=True)
    closed: list[int] = []
    for customer_id in candidates:
        async with in_transaction():
            changed = await Customer.filter(
                id=customer_id, status=CustomerStatus.TRIAL, trial_ends_at__lte=now
            ).update(status=CustomerStatus.CLOSED, updated_at=now)
            if not changed:
                continue
            await record_activity(
                customer_id,
                ActivityKind.TRIAL_ENDED,
                "The trial ended without a subscription.",
                occurred_at=now,
            )
            await Deal.filter(customer_id=customer_id, status=DealStatus.OPEN).update(
                status=DealStatus.LOST,
                lost_reason="The trial ended without a subscription.",
                closed_at=now,
                updated_at=now,
            )
        closed.append(customer_id)
    if closed:
        await refresh_attention_items(now, closed)
    return len(closed)


async def run_close_ended_trials(_settings: Settings) -> int:
    """The worker job."""
    return await close_ended_trials()


async def run_refresh_attention_items(_settings: Settings) -> AttentionRefresh:
    """The worker job."""
    return await refresh_attention_items()


# ---- switching into a customer account --------------------------------------------------------


async def get_account_settings() -> AccountSettings:
    """The domain's settings row, created with the defaults on first use."""
    row = await AccountSettings.get_or_none(id=1)
    if row is not None:
        return row
    try:
        return await AccountSettings.create(
            id=1, renewal_reminder_offsets=list(DEFAULT_REMINDER_OFFSETS), switch_token_minutes=15
        )
    except IntegrityError:  # created by another process at the same moment
        return await AccountSettings.get(id=1)


ALREADY_ACTING = "Already acting as a customer: switch from your own session."
NOT_YOUR_CUSTOMER = "No customer of yours has this id."
# The refusal reasons a partner admin may read in the log. Anything else (entries written before,
# which could name the partner that owns the customer) reads as NOT_YOUR_CUSTOMER to them.
_PARTNER_READABLE_REASONS = frozenset({"", ALREADY_ACTING, NOT_YOUR_CUSTOMER})


def switch_reason_for(viewer: Viewer, reason: str) -> str:
    """The refusal reason of a log entry as `viewer` may read it."""
    if viewer.is_vendor_staff or reason in _PARTNER_READABLE_REASONS:
        return reason
    return NOT_YOUR_CUSTOMER


@dataclass(frozen=True)
class SwitchGrant:
    token: str
    customer: Customer
    expires_at: datetime


async def _audit_switch(
    viewer: Viewer,
    customer_id: int,
    outcome: SwitchOutcome,
    reason: str,
    client_address: str,
    now: datetime,
    session_id: str | None = None,
) -> None:
    await SwitchAccountAudit.create(
        user_id=viewer.user_id,
        user_email=viewer.email,
        partner_id=viewer.partner_id,
        customer_id=customer_id,
        outcome=outcome,
        reason=reason,
        session_id=session_id,
        client_address=client_address[:64],
        created_at=now,
    )


async def switch_account(
    settings: Settings,
    viewer: Viewer,
    customer_id: int,
    client_address: str,
    now: datetime | None = None,
) -> SwitchGrant:
    """Issue a short-lived token scoped to one customer the viewer manages, and audit it.

    A refusal (another partner's customer, no such customer, or already acting as a customer)
    is audited as well and changes nothing else.
    """
    now = now or utcnow()
    if await acting_customer_id(viewer) is not None:
        await _audit_switch(
            viewer,
            customer_id,
            SwitchOutcome.REFUSED,
            ALREADY_ACTING,
            client_address,
            now,
        )
        raise forbidden("Switch back to your own session before switching to another account.")
    customer = await Customer.get_or_none(id=customer_id)
    if customer is None or not viewer.can_see_partner(customer.partner_id):  # type: ignore[attr-defined]
        # The same words whether the customer is missing or another partner's: the log is read
        # by the partner's admins, and who owns a customer id is not theirs to learn. The vendor
        # finds the owner from the customer id.
        await _audit_switch(
            viewer, customer_id, SwitchOutcome.REFUSED, NOT_YOUR_CUSTOMER, client_address, now
        )
        raise ServiceError(ErrorCode.NOT_FOUND, "Customer not found.", "customerId")
    user = await User.get(id=viewer.user_id)
    account_settings = await get_account_settings()
    lifetime = account_settings.switch_token_minutes * 60
    token = await open_session(
        settings,
        user,
        client_address,
        lifetime_seconds=lifetime,
        acting_customer_id=customer.id,
        parent_session_id=viewer.session_id,
    )
    session_id = unsign_value(settings, "session", token)
    await _audit_switch(
        viewer,
        customer.id,
        SwitchOutcome.GRANTED,
        "",
        client_address,
        now,
        session_id=session_id,
    )
    expires = await AuthSession.filter(id=session_id).values_list("expires_at", flat=True)
    return SwitchGrant(token=token, customer=customer, expires_at=expires[0])


async def acting_customer(viewer: Viewer) -> Customer | None:
    """The customer the viewer's act-as token is scoped to (None for an ordinary session)."""
    customer_id = await acting_customer_id(viewer)
    if customer_id is None:
        return None
    return await Customer.get_or_none(id=customer_id)


async def switch_audit_log(
    viewer: Viewer, customer_id: int | None, first: int | None, after: str | None
) -> Page[SwitchAccountAudit]:
    """Switch attempts: vendor admins see all, channel managers those of their partners' users,
    partner admins those of their own org's users."""
    if not (viewer.is_vendor_staff or viewer.is_partner_admin):
        raise forbidden("Only admins can read the switch-account log.")
    queryset = SwitchAccountAudit.filter(viewer.partner_filter("partner_id"))
    if customer_id is not None:
        queryset = queryset.filter(customer_id=customer_id)
    page = await paginate(queryset, first, after)
    for row in page.items:
        # An unsaved copy for this answer only: the stored entry stays as it was written.
        row.reason = switch_reason_for(viewer, row.reason)
    return page
