"""The vendor's installation-wide settings: type, input, query and mutation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from models.vendor import VendorSettings as VendorSettingsModel
from resolvers.platform.permissions import IsAuthenticated, IsVendorAdmin
from resolvers.vendor import resolvers as resolve
from schema.platform.common import OperationErrors, fetch, global_id, mutate
from schema.platform.node import Node, register_node
from services.platform.errors import not_found
from services.vendor.service import VendorSettingsChanges


@strawberry.type(description="Installation-wide settings of the vendor (one object).")
class VendorSettings(Node):
    id: strawberry.ID
    vendor_name: str
    support_email: str
    trial_length_days: int
    consent_token_lifetime_days: int
    lead_protection_window_days: int
    portal_terms_version: str
    portal_terms_opt_in_supplier_emails: bool
    updated_at: datetime

    @classmethod
    def from_model(cls, row: VendorSettingsModel) -> VendorSettings:
        return cls(
            id=global_id("VendorSettings", row.id),
            vendor_name=row.vendor_name,
            support_email=row.support_email,
            trial_length_days=row.trial_length_days,
            consent_token_lifetime_days=row.consent_token_lifetime_days,
            lead_protection_window_days=row.lead_protection_window_days,
            portal_terms_version=row.portal_terms_version,
            portal_terms_opt_in_supplier_emails=row.portal_terms_opt_in_supplier_emails,
            updated_at=row.updated_at,
        )


@strawberry.input
class VendorSettingsInput:
    vendor_name: str | None = None
    support_email: str | None = None
    trial_length_days: int | None = None
    consent_token_lifetime_days: int | None = None
    lead_protection_window_days: int | None = None
    portal_terms_version: str | None = None
    portal_terms_opt_in_supplier_emails: bool | None = None


VendorSettingsResult = Annotated[
    VendorSettings | OperationErrors, strawberry.union("VendorSettingsResult")
]


@strawberry.type
class VendorQuery:
    @strawberry.field(permission_classes=[IsAuthenticated])
    async def vendor_settings(self, info: Info) -> VendorSettings:
        return VendorSettings.from_model(await fetch(lambda: resolve.vendor_settings(info)))


@strawberry.type
class VendorMutation:
    @strawberry.mutation(permission_classes=[IsVendorAdmin])
    async def update_vendor_settings(
        self, info: Info, input: VendorSettingsInput
    ) -> VendorSettingsResult:
        async def run() -> VendorSettings:
            row = await resolve.update_vendor_settings(info, VendorSettingsChanges(**vars(input)))
            return VendorSettings.from_model(row)

        return await mutate(run)


async def _load_vendor_settings(info: Info, pk: int) -> VendorSettings:
    row = await resolve.vendor_settings(info)
    if row.id != pk:
        raise not_found("Vendor settings")
    return VendorSettings.from_model(row)


register_node("VendorSettings", _load_vendor_settings, IsAuthenticated)
