"""The deal-registration queries and mutations: the partner's form (draft, submit, edit,
resubmit, delete a draft), the vendor's review (approve, reject, ask for information), the
extension, the customer link, won and lost; lists with filters and counts per status.
Act-as (customer) sessions reach none of it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from models.deal_registrations import DealRegistration as RegistrationModel
from resolvers.deals import registrations as resolve
from resolvers.platform.permissions import IsAuthenticated
from schema.deals.registration_report import (
    DealRegistrationDecisionFigures,
    DealRegistrationReport,
)
from schema.deals.registration_types import (
    DealRegistration,
    DealRegistrationCounts,
    DealRegistrationHistoryEntry,
    DealRegistrationInput,
    DealRegistrationResult,
    DealRegistrationStatus,
    DealRegistrationStatusCount,
    DoneResult,
)
from schema.platform.common import (
    Connection,
    Done,
    OperationErrors,
    PageWindow,
    UpdatedSince,
    fetch,
    mutate,
    parse_id,
    parse_optional_id,
    to_connection,
)
from schema.platform.node import register_node
from services.deals.registration_queries import RegistrationFilter
from services.deals.registrations import RegistrationFields

ID_TYPE = "DealRegistration"
ReviewerArgument = Annotated[
    strawberry.ID | None,
    strawberry.argument(
        description="Decided by this user, or awaiting review by them as the partner's "
        "channel manager."
    ),
]
OverdueArgument = Annotated[
    bool | None,
    strawberry.argument(description="Submitted and past the review due time (or not)."),
]
ExpiringArgument = Annotated[
    int | None,
    strawberry.argument(description="Approved, protection ending within this many days."),
]


def _fields(given: DealRegistrationInput | None) -> RegistrationFields | None:
    if given is None:
        return None
    custom = None
    if given.custom_fields is not None:
        custom = {value.key: value.value for value in given.custom_fields}
    return RegistrationFields(
        company_name=given.company_name,
        company_domain=given.company_domain,
        contact_name=given.contact_name,
        contact_email=given.contact_email,
        contact_phone=given.contact_phone,
        products=given.products,
        amount=given.amount,
        currency=given.currency,
        expected_close_on=given.expected_close_on,
        notes=given.notes,
        customer_id=parse_optional_id(given.customer_id, "Customer", "input.customerId"),
        custom_fields=custom,
    )


def _one(row: RegistrationModel) -> DealRegistration:
    return DealRegistration.from_model(row)


@strawberry.type
class DealRegistrationQuery:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Deal registrations you may see, newest first: your partner's, or for vendor "
        "staff the submitted ones of their partners. Statuses are as they are now.",
    )
    async def deal_registrations(
        self,
        info: Info,
        status: DealRegistrationStatus | None = None,
        partner_id: strawberry.ID | None = None,
        reviewer_id: ReviewerArgument = None,
        overdue: OverdueArgument = None,
        expiring_within_days: ExpiringArgument = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        updated_since: UpdatedSince = None,
    ) -> Connection[DealRegistration]:
        async def run() -> Connection[DealRegistration]:
            wanted = RegistrationFilter(
                status=status,  # type: ignore[arg-type]
                partner_id=parse_optional_id(partner_id, "Partner", "partnerId"),
                reviewer_id=parse_optional_id(reviewer_id, "User", "reviewerId"),
                overdue=overdue,
                expiring_within_days=expiring_within_days,
            )
            window = PageWindow(first, after, last, before, updated_since)
            page = await resolve.list_registrations(info, wanted, window)
            return to_connection(page, _one)

        return await fetch(run)

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def deal_registration(self, info: Info, id: strawberry.ID) -> DealRegistration | None:
        return _one(await fetch(lambda: resolve.get_registration(info, parse_id(id, ID_TYPE))))

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="How many registrations you may see are in each status now, overdue for "
        "review, and expiring within `expiringWithinDays` (14 unless asked).",
    )
    async def deal_registration_counts(
        self,
        info: Info,
        partner_id: strawberry.ID | None = None,
        expiring_within_days: int = 14,
    ) -> DealRegistrationCounts:
        async def run() -> DealRegistrationCounts:
            partner_pk = parse_optional_id(partner_id, "Partner", "partnerId")
            found = await resolve.counts(info, partner_pk, expiring_within_days)
            return DealRegistrationCounts(
                by_status=[
                    DealRegistrationStatusCount(status=status, count=count)  # type: ignore[arg-type]
                    for status, count in found.by_status.items()
                ],
                overdue=found.overdue,
                expiring_soon=found.expiring_soon,
            )

        return await fetch(run)

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Approval rate and median time to decision of the registrations you may "
        "see, first submitted in [since, until), overall and per partner.",
    )
    async def deal_registration_report(
        self, info: Info, since: datetime | None = None, until: datetime | None = None
    ) -> DealRegistrationReport:
        async def run() -> DealRegistrationReport:
            overall, partners = await resolve.report(info, since, until)
            return DealRegistrationReport(
                overall=DealRegistrationDecisionFigures.of(overall),
                partners=[DealRegistrationDecisionFigures.of(p) for p in partners],
            )

        return await fetch(run)


@strawberry.type
class DealRegistrationMutation:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Save a deal registration as a draft (partners); only the company is required.",
    )
    async def save_deal_registration_draft(
        self, info: Info, input: DealRegistrationInput
    ) -> DealRegistrationResult:
        async def run() -> DealRegistration:
            fields = _fields(input)
            assert fields is not None
            return _one(await resolve.save_draft(info, fields))

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Register a deal for the vendor's review (partners): it is checked "
        "for conflicts and may be approved at once by the vendor's rules.",
    )
    async def submit_deal_registration(
        self, info: Info, input: DealRegistrationInput
    ) -> DealRegistrationResult:
        async def run() -> DealRegistration:
            fields = _fields(input)
            assert fields is not None
            return _one(await resolve.submit(info, fields))

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Change a draft (its author or a partner admin) or a registration "
        "the vendor asked about, without submitting it.",
    )
    async def update_deal_registration(
        self, info: Info, id: strawberry.ID, input: DealRegistrationInput
    ) -> DealRegistrationResult:
        async def run() -> DealRegistration:
            fields = _fields(input)
            assert fields is not None
            return _one(await resolve.update(info, parse_id(id, ID_TYPE), fields))

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Submit a draft, with optional last changes.",
    )
    async def submit_deal_registration_draft(
        self, info: Info, id: strawberry.ID, input: DealRegistrationInput | None = None
    ) -> DealRegistrationResult:
        async def run() -> DealRegistration:
            row = await resolve.submit_existing(info, parse_id(id, ID_TYPE), _fields(input), "")
            return _one(row)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Answer the vendor's request for information and submit again "
        "(with optional changes): a new review due time and conflict check.",
    )
    async def resubmit_deal_registration(
        self,
        info: Info,
        id: strawberry.ID,
        answer: str,
        input: DealRegistrationInput | None = None,
    ) -> DealRegistrationResult:
        async def run() -> DealRegistration:
            pk = parse_id(id, ID_TYPE)
            return _one(await resolve.submit_existing(info, pk, _fields(input), answer))

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Delete a draft (its author or a partner admin).",
    )
    async def delete_deal_registration_draft(self, info: Info, id: strawberry.ID) -> DoneResult:
        async def run() -> Done:
            await resolve.delete_draft(info, parse_id(id, ID_TYPE))
            return Done()

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Approve a submitted registration (vendor admins; channel managers "
        "for their partners): protected for `protectionDays` (the settings' "
        "default if left out).",
    )
    async def approve_deal_registration(
        self,
        info: Info,
        id: strawberry.ID,
        protection_days: int | None = None,
        note: str = "",
    ) -> DealRegistrationResult:
        async def run() -> DealRegistration:
            pk = parse_id(id, ID_TYPE)
            return _one(await resolve.approve(info, pk, protection_days, note))

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Reject a submitted registration, with the reason (reviewers).",
    )
    async def reject_deal_registration(
        self, info: Info, id: strawberry.ID, reason: str
    ) -> DealRegistrationResult:
        async def run() -> DealRegistration:
            return _one(await resolve.reject(info, parse_id(id, ID_TYPE), reason))

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Ask the partner for more information (reviewers).",
    )
    async def request_deal_registration_information(
        self, info: Info, id: strawberry.ID, message: str
    ) -> DealRegistrationResult:
        async def run() -> DealRegistration:
            return _one(await resolve.request_information(info, parse_id(id, ID_TYPE), message))

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Ask once for a longer protection of an approved registration (partners).",
    )
    async def request_deal_registration_extension(
        self, info: Info, id: strawberry.ID, reason: str
    ) -> DealRegistrationResult:
        async def run() -> DealRegistration:
            return _one(await resolve.request_extension(info, parse_id(id, ID_TYPE), reason))

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Grant the requested extension: the protection runs the settings' "
        "extension days longer (reviewers).",
    )
    async def grant_deal_registration_extension(
        self, info: Info, id: strawberry.ID
    ) -> DealRegistrationResult:
        async def run() -> DealRegistration:
            return _one(await resolve.grant_extension(info, parse_id(id, ID_TYPE)))

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Decline the requested extension (reviewers).",
    )
    async def decline_deal_registration_extension(
        self, info: Info, id: strawberry.ID, reason: str = ""
    ) -> DealRegistrationResult:
        async def run() -> DealRegistration:
            return _one(await resolve.decline_extension(info, parse_id(id, ID_TYPE), reason))

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Link one of your customers (partners); an approved registration "
        "gets its open deal at once.",
    )
    async def link_deal_registration_customer(
        self, info: Info, id: strawberry.ID, customer_id: strawberry.ID
    ) -> DealRegistrationResult:
        async def run() -> DealRegistration:
            pk = parse_id(id, ID_TYPE)
            customer_pk = parse_id(customer_id, "Customer", "customerId")
            return _one(await resolve.link_customer(info, pk, customer_pk))

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Mark an approved registration won (vendor admins): its deal is won "
        "as by convertTrialToPaid and the commission created.",
    )
    async def mark_deal_registration_won(
        self, info: Info, id: strawberry.ID, plan: str = "", term_months: int = 12
    ) -> DealRegistrationResult:
        async def run() -> DealRegistration:
            pk = parse_id(id, ID_TYPE)
            return _one(await resolve.mark_won(info, pk, plan, term_months))

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Mark an approved registration lost, with the reason (the partner "
        "or a reviewer); its deal is lost too.",
    )
    async def mark_deal_registration_lost(
        self, info: Info, id: strawberry.ID, reason: str
    ) -> DealRegistrationResult:
        async def run() -> DealRegistration:
            return _one(await resolve.mark_lost(info, parse_id(id, ID_TYPE), reason))

        return await mutate(run)


async def _load_registration(info: Info, pk: int) -> DealRegistration:
    return _one(await resolve.get_registration(info, pk))


async def _load_history_entry(info: Info, pk: int) -> DealRegistrationHistoryEntry:
    event, details = await resolve.history_entry(info, pk)
    return DealRegistrationHistoryEntry.from_model(event, details)


register_node(ID_TYPE, _load_registration, IsAuthenticated)
register_node("DealRegistrationHistoryEntry", _load_history_entry, IsAuthenticated)

__all__ = ["DealRegistrationMutation", "DealRegistrationQuery", "OperationErrors"]
