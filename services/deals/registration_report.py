"""The deal-registration report: per partner and overall, how many were submitted and decided,
the approval rate (approvals among decisions) and the median time from first submission to the
decision. Vendor staff see their partners; a partner user sees its own partner.

A decision is an approval (by a reviewer or by the rules; whatever followed it: expiry, won,
lost) or a rejection. Registrations waiting for review or for the partner's answer are not
decided yet.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from statistics import median

from models.deal_registrations import DealRegistration, DealRegistrationStatus
from services.deals.registration_access import registration_scope
from services.platform.errors import ErrorCode, ServiceError
from services.platform.viewer import Viewer

Status = DealRegistrationStatus


@dataclass(frozen=True)
class DecisionFigures:
    """The figures of one partner (`partner_id`) or of all of them (`partner_id` None)."""

    partner_id: int | None
    submitted: int
    decided: int
    approved: int
    rejected: int
    median_seconds_to_decision: float | None

    @property
    def approval_rate(self) -> float | None:
        """Approvals among decisions (0..1), None before any decision."""
        return self.approved / self.decided if self.decided else None


def _figures(
    partner_id: int | None, rows: list[tuple[int, Status, datetime, datetime | None]]
) -> DecisionFigures:
    decided = [(status, submitted, at) for _, status, submitted, at in rows if at is not None]
    rejected = sum(1 for status, _, _ in decided if status is Status.REJECTED)
    waits = [(at - submitted).total_seconds() for _, submitted, at in decided]
    return DecisionFigures(
        partner_id=partner_id,
        submitted=len(rows),
        decided=len(decided),
        approved=len(decided) - rejected,
        rejected=rejected,
        median_seconds_to_decision=median(waits) if waits else None,
    )


async def decision_report(
    viewer: Viewer,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[DecisionFigures, list[DecisionFigures]]:
    """The overall figures and each partner's (partners with a submission only, by partner id),
    for registrations first submitted in [since, until)."""
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and moment.tzinfo is None:
            raise ServiceError(ErrorCode.INVALID, f"{name} needs a time zone offset.", name)
    query = DealRegistration.filter(registration_scope(viewer), first_submitted_at__isnull=False)
    if since is not None:
        query = query.filter(first_submitted_at__gte=since)
    if until is not None:
        query = query.filter(first_submitted_at__lt=until)
    rows = await query.values_list("partner_id", "status", "first_submitted_at", "decided_at")
    typed = [(p, Status(s), submitted, decided) for p, s, submitted, decided in rows]
    by_partner: dict[int, list[tuple[int, Status, datetime, datetime | None]]] = defaultdict(list)
    for row in typed:
        by_partner[row[0]].append(row)
    per_partner = [_figures(p, by_partner[p]) for p in sorted(by_partner)]
    return _figures(None, typed), per_partner
