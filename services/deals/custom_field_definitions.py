"""The vendor's custom fields on the deal-registration form: define, edit, archive, reorder.

Every portal user may read the active definitions (partners fill the form); vendor staff also see
archived ones. Only vendor admins change them. A field's key (a lowercase slug, unique among all
fields, archived ones included) and its kind never change once created: stored values and
auto-approval rules refer to the key and rely on the kind. Values are checked against the
definitions by `services.deals.custom_fields.check_custom_values`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.deal_registrations import CustomFieldKind, DealRegistrationField
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed, forbidden, not_found
from services.platform.validation import clean_text
from services.platform.viewer import Viewer

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_LABEL_LENGTH = 200
MAX_CHOICES = 50
MAX_CHOICE_LENGTH = 100
MAX_ACTIVE_FIELDS = 50


async def list_fields(
    viewer: Viewer, include_archived: bool = False
) -> list[DealRegistrationField]:
    """The form's fields in their order; archived ones (after the active) for vendor staff only."""
    if include_archived and not viewer.is_vendor_staff:
        raise forbidden("Only vendor staff see archived registration fields.")
    query = (
        DealRegistrationField.all()
        if include_archived
        else DealRegistrationField.filter(archived=False)
    )
    return await query.order_by("archived", "position", "id")


async def get_field(viewer: Viewer, field_id: int, field: str = "id") -> DealRegistrationField:
    """One definition: active ones for every portal user, archived ones for vendor staff."""
    row = await DealRegistrationField.get_or_none(id=field_id)
    if row is None or (row.archived and not viewer.is_vendor_staff):
        raise not_found("Registration field", field)
    return row


def _checked_choices(
    kind: CustomFieldKind, choices: Sequence[str] | None, problems: list[tuple[str, str]]
) -> list[str]:
    if kind is not CustomFieldKind.CHOICE:
        if choices:
            problems.append(("choices", "Only a choice field has choices."))
        return []
    if not choices:
        problems.append(("choices", "A choice field needs at least one choice."))
        return []
    if len(choices) > MAX_CHOICES:
        problems.append(("choices", f"A field holds at most {MAX_CHOICES} choices."))
        return []
    cleaned: list[str] = []
    for index, raw in enumerate(choices):
        text = clean_text(
            raw, f"choices[{index}]", problems, max_length=MAX_CHOICE_LENGTH, required=True
        )
        cleaned.append(" ".join(text.split()))
    if len({choice.casefold() for choice in cleaned}) != len(cleaned):
        problems.append(("choices", "List each choice once."))
    return cleaned


def _checked_label(label: str, problems: list[tuple[str, str]]) -> str:
    return " ".join(
        clean_text(label, "label", problems, max_length=MAX_LABEL_LENGTH, required=True).split()
    )


def _duplicate_key() -> ServiceError:
    return ServiceError(
        ErrorCode.DUPLICATE, "A registration field with this key already exists.", "key"
    )


async def create_field(
    viewer: Viewer,
    key: str,
    label: str,
    kind: CustomFieldKind,
    choices: Sequence[str] | None,
    required: bool,
) -> DealRegistrationField:
    """A new field at the end of the form (vendor admins only)."""
    viewer.require_vendor_admin()
    problems: list[tuple[str, str]] = []
    key = key.strip()
    if not KEY_PATTERN.match(key):
        problems.append(
            (
                "key",
                "Use 1 to 64 lowercase letters, digits and underscores, starting with a letter.",
            )
        )
    values: dict[str, Any] = {
        "key": key,
        "label": _checked_label(label, problems),
        "kind": kind,
        "choices": _checked_choices(kind, choices, problems),
        "required": required,
    }
    if problems:
        raise ValidationFailed(problems)
    try:
        async with in_transaction():
            if await DealRegistrationField.exists(key=key):
                raise _duplicate_key()
            if await DealRegistrationField.filter(archived=False).count() >= MAX_ACTIVE_FIELDS:
                raise ServiceError(
                    ErrorCode.INVALID,
                    f"The form holds at most {MAX_ACTIVE_FIELDS} active fields: archive one first.",
                    "key",
                )
            last = await DealRegistrationField.all().order_by("-position").first()
            values["position"] = (last.position + 1) if last is not None else 0
            return await DealRegistrationField.create(**values)
    except IntegrityError:  # another admin created the same key at the same moment
        raise _duplicate_key() from None


async def update_field(
    viewer: Viewer,
    field_id: int,
    label: str | None,
    choices: Sequence[str] | None,
    required: bool | None,
) -> DealRegistrationField:
    """Change a field's label, choices (choice fields) or whether it is required; the key and
    the kind never change."""
    viewer.require_vendor_admin()
    row = await get_field(viewer, field_id)
    problems: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    if label is not None:
        values["label"] = _checked_label(label, problems)
    if choices is not None:
        values["choices"] = _checked_choices(row.kind, choices, problems)
    if required is not None:
        values["required"] = required
    if problems:
        raise ValidationFailed(problems)
    if values:
        await DealRegistrationField.filter(id=row.id).update(**values)
        await row.refresh_from_db()
    return row


async def set_field_archived(
    viewer: Viewer, field_id: int, archived: bool
) -> DealRegistrationField:
    """Archive a field (no longer asked for, its key stays taken) or bring it back at the end."""
    viewer.require_vendor_admin()
    row = await get_field(viewer, field_id)
    if row.archived == archived:
        return row
    async with in_transaction():
        values: dict[str, Any] = {"archived": archived}
        if not archived:
            active = await DealRegistrationField.filter(archived=False).count()
            if active >= MAX_ACTIVE_FIELDS:
                raise ServiceError(
                    ErrorCode.INVALID,
                    f"The form holds at most {MAX_ACTIVE_FIELDS} active fields: archive one first.",
                    "id",
                )
            last = await DealRegistrationField.all().order_by("-position").first()
            values["position"] = (last.position + 1) if last is not None else 0
        await DealRegistrationField.filter(id=row.id).update(**values)
    await row.refresh_from_db()
    return row


async def reorder_fields(viewer: Viewer, field_ids: Sequence[int]) -> list[DealRegistrationField]:
    """Put the active fields in this order: every active field exactly once."""
    viewer.require_vendor_admin()
    if len(set(field_ids)) != len(field_ids):
        raise ValidationFailed([("fieldIds", "List each field once.")])
    async with in_transaction():
        active = await DealRegistrationField.filter(archived=False).values_list("id", flat=True)
        if set(field_ids) != set(active):
            raise ValidationFailed(
                [("fieldIds", "List every active registration field, and only those.")]
            )
        for position, field_id in enumerate(field_ids):
            await DealRegistrationField.filter(id=field_id).update(position=position)
    return await list_fields(viewer)
