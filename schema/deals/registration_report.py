"""The GraphQL types of the deal-registration report (approval rate, median time to decision)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.platform.context import loaders_of
from schema.partners.types import Partner
from services.deals.registration_report import DecisionFigures

SECONDS_PER_HOUR = 3600


@strawberry.type(description="Decisions on deal registrations of one partner, or of all.")
class DealRegistrationDecisionFigures:
    partner_pk: strawberry.Private[int | None]
    submitted: int = strawberry.field(description="Registrations first submitted in the period.")
    decided: int = strawberry.field(description="Of those, approved or rejected.")
    approved: int
    rejected: int
    approval_rate: float | None = strawberry.field(
        description="Approved among decided (0 to 1); null before any decision."
    )
    median_hours_to_decision: float | None = strawberry.field(
        description="Median time from first submission to the decision, in hours."
    )

    @classmethod
    def of(cls, figures: DecisionFigures) -> DealRegistrationDecisionFigures:
        median = figures.median_seconds_to_decision
        return cls(
            partner_pk=figures.partner_id,
            submitted=figures.submitted,
            decided=figures.decided,
            approved=figures.approved,
            rejected=figures.rejected,
            approval_rate=figures.approval_rate,
            median_hours_to_decision=None if median is None else median / SECONDS_PER_HOUR,
        )

    @strawberry.field(description="The partner (null for the overall figures).")
    async def partner(self, info: Info) -> Partner | None:
        if self.partner_pk is None:
            return None
        found = await loaders_of(info).partner.load(self.partner_pk)
        return Partner.from_model(found) if found else None


@strawberry.type(description="Approval rate and time to decision, overall and per partner.")
class DealRegistrationReport:
    overall: DealRegistrationDecisionFigures
    partners: list[DealRegistrationDecisionFigures] = strawberry.field(
        description="Each partner with a registration submitted in the period."
    )
