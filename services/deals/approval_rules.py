"""Auto-approval of deal registrations by the vendor's rules per partner tier or group.

This module only defines the contract the submission uses; the auto-approval work (rule sets on
the rule engine, versions, explain) replaces `auto_approval_for` with the real evaluation. Until
then no registration matches, so every submission waits for a reviewer.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.deal_registrations import DealRegistration


@dataclass(frozen=True)
class AutoApproval:
    """Which saved rule version and which of its groups (from 0) approved a registration."""

    rule_version_id: int
    group_index: int


async def auto_approval_for(registration: DealRegistration) -> AutoApproval | None:
    """The rule that approves this submitted registration at once, or None (no rules yet)."""
    del registration
    return None
