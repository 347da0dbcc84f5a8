"""Portal users: creation and invitation, updates by admins and by the user, the user list.

Partner admins manage the users of their own org; vendor admins manage everyone. An invited user
sets a password through a signed invitation link; the link dies once a password is set.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.enums import PARTNER_ROLES, VENDOR_ROLES, Role
from models.partners import PartnerOrg
from models.users import User
from models.webhooks import WebhookEventType
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed, forbidden, not_found
from services.platform.nested_pages import counts_per_parent, pages_per_parent
from services.platform.pagination import Page, PageWindow, paginate
from services.platform.records import ModelRecord
from services.platform.validation import clean_search, clean_text, validate_email
from services.platform.viewer import Viewer
from services.users.auth import check_password_strength, hash_password, revoke_user_sessions
from services.users.session_events import SessionEnd, announce_sessions_ended
from services.webhooks.events import emit, emit_fetched
from settings import Settings

INVITATION_LIFETIME_SECONDS = 7 * 24 * 3600
SUPPORTED_LOCALES = ("en", "nl", "de", "fr", "es", "it")


@dataclass
class NewUser:
    email: str
    full_name: str = ""
    role: Role = Role.PARTNER_USER
    password: str | None = None
    locale: str = "en"


@dataclass
class UserChanges:
    full_name: str | None = None
    role: Role | None = None
    locale: str | None = None
    is_active: bool | None = None
    is_sales_rep: bool | None = None
    is_default_lead_recipient: bool | None = None
    is_supplier_default_lead_owner: bool | None = None


def _validate_new_user(new_user: NewUser) -> dict[str, Any]:
    problems: list[tuple[str, str]] = []
    try:
        email = validate_email(new_user.email)
    except ValidationFailed as failure:
        problems.extend(failure.problems)
        email = ""
    full_name = clean_text(new_user.full_name, "fullName", problems, max_length=200)
    if new_user.locale not in SUPPORTED_LOCALES:
        problems.append(("locale", f"Use one of: {', '.join(SUPPORTED_LOCALES)}."))
    if new_user.password is not None:
        weakness = check_password_strength(new_user.password)
        if weakness:
            problems.append(("password", weakness))
    if problems:
        raise ValidationFailed(problems)
    return {
        "email": email,
        "full_name": full_name,
        "role": new_user.role,
        "locale": new_user.locale,
        "password_hash": hash_password(new_user.password) if new_user.password else "",
    }


async def create_user_in_transaction(new_user: NewUser, partner: PartnerOrg | None) -> User:
    """Create a user inside the caller's transaction.

    The first user of a partner org becomes its default lead-notification recipient, and so does
    a new user whenever no user of the org holds that flag (SPEC §5).
    """
    values = _validate_new_user(new_user)
    if await User.filter(email=values["email"]).exists():
        raise ServiceError(ErrorCode.DUPLICATE, "A user with this email already exists.", "email")
    if partner is not None:
        values["is_default_lead_recipient"] = not await User.filter(
            partner_id=partner.id, is_default_lead_recipient=True
        ).exists()
    try:
        user = await User.create(partner=partner, **values)
    except IntegrityError:
        raise ServiceError(
            ErrorCode.DUPLICATE, "A user with this email already exists.", "email"
        ) from None
    if partner is not None:
        await emit(WebhookEventType.PARTNER_USER_CREATED, user)
    return user


async def create_user(viewer: Viewer, partner_id: int | None, new_user: NewUser) -> User:
    """Add a user: partner admins to their own org, vendor admins anywhere (or vendor staff)."""
    if partner_id is None and viewer.is_partner_member:
        partner_id = viewer.partner_id
    if partner_id is None:
        viewer.require_vendor_admin()
        if new_user.role not in VENDOR_ROLES:
            raise ValidationFailed([("role", "Users outside a partner org must be vendor staff.")])
        partner = None
    else:
        if not viewer.can_see_partner(partner_id):
            raise not_found("Partner", "partnerId")
        if not viewer.can_manage_partner_users(partner_id):
            raise forbidden("Only a partner admin can add users to the organisation.")
        if new_user.role not in PARTNER_ROLES:
            raise ValidationFailed(
                [("role", "Users of a partner org are partner admins or users.")]
            )
        partner = await PartnerOrg.get_or_none(id=partner_id)
        if partner is None:
            raise not_found("Partner", "partnerId")
    async with in_transaction():
        return await create_user_in_transaction(new_user, partner)


def _invitation_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="channelport.invitation")


def _password_fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def invitation_token(settings: Settings, user: User) -> str:
    """A signed link token to set a password; it stops working once the password changes."""
    return _invitation_serializer(settings).dumps(
        {"user": user.id, "password": _password_fingerprint(user)}
    )


def invitation_url(settings: Settings, user: User) -> str:
    return f"{settings.public_url}/invitation#{invitation_token(settings, user)}"


async def accept_invitation(settings: Settings, token: str, password: str) -> User:
    invalid = ServiceError(
        ErrorCode.INVALID_TOKEN, "This invitation link is not valid or was already used.", "token"
    )
    try:
        payload = _invitation_serializer(settings).loads(token, max_age=INVITATION_LIFETIME_SECONDS)
    except SignatureExpired:
        raise ServiceError(
            ErrorCode.INVALID_TOKEN, "This invitation link has expired.", "token"
        ) from None
    except BadSignature:
        raise invalid from None
    user = await User.get_or_none(id=payload.get("user"), is_active=True)
    if user is None or payload.get("password") != _password_fingerprint(user):
        raise invalid
    weakness = check_password_strength(password)
    if weakness:
        raise ValidationFailed([("password", weakness)])
    user.password_hash = hash_password(password)
    await user.save(update_fields=["password_hash", "updated_at"])
    return user


async def get_user(viewer: Viewer, user_id: int) -> User:
    user = await User.get_or_none(id=user_id)
    if user is None or not _can_see_user(viewer, user):
        raise not_found("User")
    return user


def _can_see_user(viewer: Viewer, user: User) -> bool:
    if user.id == viewer.user_id or viewer.is_vendor_admin:
        return True
    partner_id = user.partner_id  # type: ignore[attr-defined]
    return partner_id is not None and viewer.can_see_partner(partner_id)


async def list_users(
    viewer: Viewer,
    partner_id: int | None = None,
    window: PageWindow = PageWindow(),
    search: str | None = None,
) -> Page[User]:
    queryset = User.all()
    if not viewer.is_vendor_admin:
        queryset = queryset.filter(viewer.partner_filter("partner_id"))
    if partner_id is not None:
        queryset = queryset.filter(partner_id=partner_id)
    search = clean_search(search)
    if search:
        queryset = queryset.filter(email__icontains=search)
    return await paginate(queryset, window)


async def users_of_partners(
    viewer: Viewer, partner_ids: list[int], window: PageWindow
) -> dict[int, Page[ModelRecord]]:
    """A page of the users of each partner org the viewer may see, in one query (DataLoader).

    The pages hold records of the users (services/platform/records.py: their attributes, no
    model instances): the loader's callers only read them."""
    visible = [p for p in partner_ids if viewer.can_see_partner(p)]
    pages = await pages_per_parent(User.all(), "partner_id", visible, window, as_records=True)
    return {p: pages.get(p) or Page(items=[], has_next_page=False) for p in partner_ids}


async def user_counts_of_partners(viewer: Viewer, partner_ids: list[int]) -> dict[int, int]:
    """How many users each partner org the viewer may see has, in one query."""
    visible = [p for p in partner_ids if viewer.can_see_partner(p)]
    counts = await counts_per_parent(User.all(), "partner_id", visible)
    return {p: counts.get(p, 0) for p in partner_ids}


async def update_user(viewer: Viewer, user_id: int, changes: UserChanges) -> User:
    user = await get_user(viewer, user_id)
    values = {k: v for k, v in vars(changes).items() if v is not None}
    partner_id: int | None = user.partner_id  # type: ignore[attr-defined]
    is_self = user.id == viewer.user_id
    admin_fields = set(values) - {"full_name", "locale"}
    if admin_fields or not is_self:
        allowed = (
            viewer.is_vendor_admin
            if partner_id is None
            else viewer.can_manage_partner_users(partner_id)
        )
        if not allowed:
            raise forbidden("Only an admin of the organisation can change this.")
    if "is_supplier_default_lead_owner" in values and not viewer.is_vendor_staff:
        raise forbidden("Only the vendor designates supplier default lead owners.")
    if is_self and ("is_active" in values or "role" in values):
        raise forbidden("You cannot change your own role or deactivate yourself.")
    role = values.get("role")
    if role is not None:
        expected = VENDOR_ROLES if partner_id is None else PARTNER_ROLES
        if role not in expected:
            raise ValidationFailed([("role", "This role does not fit the user's organisation.")])
    if values.get("locale") is not None and values["locale"] not in SUPPORTED_LOCALES:
        raise ValidationFailed([("locale", f"Use one of: {', '.join(SUPPORTED_LOCALES)}.")])
    if "full_name" in values:
        problems: list[tuple[str, str]] = []
        values["full_name"] = clean_text(values["full_name"], "fullName", problems, max_length=200)
        if problems:
            raise ValidationFailed(problems)
    if not values:
        return user
    ended: list[str] = []
    async with in_transaction():
        await User.filter(id=user.id).update(**values)
        if values.get("is_active") is False:
            ended = await revoke_user_sessions(user.id)
            if user.is_active and partner_id is not None:
                await emit_fetched(WebhookEventType.PARTNER_USER_DEACTIVATED, User, [user.id])
    # Announced once committed: a websocket that hears it checks the database and must see it.
    await announce_sessions_ended(ended, SessionEnd.DEACTIVATED)
    await user.refresh_from_db()
    return user


async def any_user_exists() -> bool:
    """Whether the installation has any user yet (an empty one takes the demo data set)."""
    return await User.exists()


async def users_by_ids(viewer: Viewer, user_ids: list[int]) -> dict[int, User]:
    """The users with these ids that the viewer may see, in one query, for a DataLoader."""
    users = await User.filter(id__in=list(set(user_ids)))
    return {user.id: user for user in users if _can_see_user(viewer, user)}
