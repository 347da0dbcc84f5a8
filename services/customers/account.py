"""Inside one customer account: its activity log (read, and reported by the vendor's product),
its attention items, and the customer's own users.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.accounts import ActivityKind, AttentionItem, CustomerActivity, CustomerUser
from services.customers.access import visible_customer
from services.customers.common import clean_input, record_activity, utcnow
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed, not_found
from services.platform.pagination import Page, PageWindow, paginate
from services.platform.validation import validate_email
from services.platform.viewer import Viewer


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
    viewer: Viewer, customer_id: int, window: PageWindow
) -> Page[CustomerActivity]:
    customer = await visible_customer(viewer, customer_id)
    return await activities_page(customer.id, window)


async def activities_page(customer_id: int, window: PageWindow) -> Page[CustomerActivity]:
    """A page of the activity log of a customer the caller was allowed to see."""
    return await paginate(CustomerActivity.filter(customer_id=customer_id), window)


async def attention_items_of_customer(
    viewer: Viewer, customer_id: int, window: PageWindow, include_resolved: bool = False
) -> Page[AttentionItem]:
    """A page of the customer's attention items, oldest first (open ones only unless asked)."""
    customer = await visible_customer(viewer, customer_id)
    return await attention_page(customer.id, window, include_resolved)


async def attention_page(
    customer_id: int,
    window: PageWindow,
    include_resolved: bool,
    open_items: list[AttentionItem] | None = None,
) -> Page[AttentionItem]:
    """A page of the attention items of a customer the caller was allowed to see. The first
    page of open items comes from `open_items` (all of them, in id order) when given."""
    size = window.size()
    if open_items is not None and not include_resolved and window == PageWindow(window.first):
        total = len(open_items)

        async def count() -> int:
            return total

        return Page(items=open_items[:size], has_next_page=total > size, count=count)
    queryset = AttentionItem.filter(customer_id=customer_id)
    if not include_resolved:
        queryset = queryset.filter(resolved_at__isnull=True)
    return await paginate(queryset, window)


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


async def users_of_customer(
    viewer: Viewer, customer_id: int, window: PageWindow
) -> Page[CustomerUser]:
    customer = await visible_customer(viewer, customer_id)
    return await account_users_page(customer.id, window)


async def account_users_page(customer_id: int, window: PageWindow) -> Page[CustomerUser]:
    """A page of the account users of a customer the caller was allowed to see."""
    return await paginate(CustomerUser.filter(customer_id=customer_id), window)
