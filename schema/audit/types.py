"""Audit log GraphQL types: an entry (a Node) and its changed fields.

The actor, the act-as customer and the partner are linked objects, loaded in batches through the
viewer-scoped DataLoaders: a vendor admin sees them all; a partner admin sees those of their own
org (another org's are null). The target is named by its global id (`objectId`) and API type.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from models.audit import AuditAction as AuditActionModel
from models.audit import AuditEntry as AuditEntryModel
from models.audit import AuditOutcome as AuditOutcomeModel
from resolvers.platform.context import loaders_of
from schema.customers.customer import Customer
from schema.partners.types import Partner, User
from schema.platform.ids import global_id
from schema.platform.node import Node

AuditOutcome = strawberry.enum(AuditOutcomeModel, description="How an audited call ended.")
AuditAction = strawberry.enum(AuditActionModel, description="What happened to the object.")


@strawberry.type(description="One changed field: its old and new value (secrets as ***).")
class AuditChange:
    field: str
    old_value: strawberry.scalars.JSON | None
    new_value: strawberry.scalars.JSON | None


def target_id(object_type: str, object_id: str) -> strawberry.ID | None:
    """The global id of an entry's target; the stored pk is text (a masked key stays ***)."""
    if not object_type or not (object_id.isascii() and object_id.isdigit()):
        return None
    return global_id(object_type, int(object_id))


@strawberry.type(description="Who changed what, when and from where.")
class AuditEntry(Node):
    occurred_at: datetime
    call_id: str = strawberry.field(description="Shared by the entries of one call.")
    operation: str = strawberry.field(description="The mutation or CLI command.")
    outcome: AuditOutcome
    error_code: str | None
    actor_email: str | None = strawberry.field(
        description="The actor's email when the call was made (kept if the user is deleted)."
    )
    actor_role: str | None
    action: AuditAction
    object_type: str | None = strawberry.field(description="The API type of the target.")
    object_id: strawberry.ID | None = strawberry.field(description="The target's global id.")
    changes: list[AuditChange]
    arguments: strawberry.scalars.JSON = strawberry.field(
        description="The call's arguments, secrets masked."
    )
    client_address: str | None
    user_agent: str | None
    actor_pk: strawberry.Private[int | None]
    acting_as_customer_pk: strawberry.Private[int | None]
    partner_pk: strawberry.Private[int | None]

    @strawberry.field(description="Who made the call (null: the CLI, or a user you cannot see).")
    async def actor(self, info: Info) -> User | None:
        if self.actor_pk is None:
            return None
        user = await loaders_of(info).user.load(self.actor_pk)
        return None if user is None else User.from_model(user)

    @strawberry.field(description="The customer an act-as token was scoped to.")
    async def acting_as_customer(self, info: Info) -> Customer | None:
        if self.acting_as_customer_pk is None:
            return None
        customer = await loaders_of(info).visible_customer.load(self.acting_as_customer_pk)
        return None if customer is None else Customer.from_model(customer)

    @strawberry.field(description="The partner organisation the change belongs to.")
    async def partner(self, info: Info) -> Partner | None:
        if self.partner_pk is None:
            return None
        partner = await loaders_of(info).partner.load(self.partner_pk)
        return None if partner is None else Partner.from_model(partner)

    @classmethod
    def from_model(cls, entry: AuditEntryModel) -> AuditEntry:
        return cls(
            id=global_id("AuditEntry", entry.id),
            occurred_at=entry.occurred_at,
            call_id=entry.call_id,
            operation=entry.operation,
            outcome=entry.outcome,
            error_code=entry.error_code or None,
            actor_email=entry.actor_email or None,
            actor_role=entry.actor_role or None,
            action=entry.action,
            object_type=entry.object_type or None,
            object_id=target_id(entry.object_type, entry.object_id),
            changes=[
                AuditChange(field=name, old_value=value.get("old"), new_value=value.get("new"))
                for name, value in sorted(entry.changes.items())
            ],
            arguments=entry.arguments,
            client_address=entry.client_address or None,
            user_agent=entry.user_agent or None,
            actor_pk=entry.actor_user_id,
            acting_as_customer_pk=entry.acting_as_customer_id,
            partner_pk=entry.partner_id,
        )
