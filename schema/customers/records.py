"""The GraphQL types of the records inside a customer account: its contacts, attention items,
activity log entries and the users of its account in the vendor's product."""

from __future__ import annotations

from datetime import datetime

import strawberry

from models.accounts import ActivityKind as ActivityKindEnum
from models.accounts import AttentionItem as AttentionItemModel
from models.accounts import AttentionKind as AttentionKindEnum
from models.accounts import CustomerActivity as CustomerActivityModel
from models.accounts import CustomerUser as CustomerUserModel
from models.customers import CustomerContact as CustomerContactModel
from schema.partners.types import ContactRole
from schema.platform.ids import global_id
from schema.platform.node import Node

AttentionKind = strawberry.enum(AttentionKindEnum, name="AttentionKind")
ActivityKind = strawberry.enum(ActivityKindEnum, name="ActivityKind")


@strawberry.type(description="A customer contact: primary, billing or decision maker.")
class CustomerContact(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    role: ContactRole
    full_name: str
    email: str

    @classmethod
    def from_model(cls, contact: CustomerContactModel) -> CustomerContact:
        return cls(
            id=global_id("CustomerContact", contact.id),
            pk=contact.id,
            role=contact.role,
            full_name=contact.full_name,
            email=contact.email,
        )


@strawberry.type(description="Something in a customer account that needs attention.")
class AttentionItem(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    kind: AttentionKind
    message: str
    opened_at: datetime
    resolved_at: datetime | None

    @classmethod
    def from_model(cls, item: AttentionItemModel) -> AttentionItem:
        return cls(
            id=global_id("AttentionItem", item.id),
            pk=item.id,
            kind=item.kind,
            message=item.message,
            opened_at=item.opened_at,
            resolved_at=item.resolved_at,
        )


@strawberry.type(description="An entry of a customer's activity log.")
class CustomerActivity(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    kind: ActivityKind
    summary: str
    occurred_at: datetime

    @classmethod
    def from_model(cls, activity: CustomerActivityModel) -> CustomerActivity:
        return cls(
            id=global_id("CustomerActivity", activity.id),
            pk=activity.id,
            kind=activity.kind,
            summary=activity.summary,
            occurred_at=activity.occurred_at,
        )


@strawberry.type(description="A user of the customer's account in the vendor's product.")
class CustomerAccountUser(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    email: str
    full_name: str
    created_at: datetime

    @classmethod
    def from_model(cls, user: CustomerUserModel) -> CustomerAccountUser:
        return cls(
            id=global_id("CustomerAccountUser", user.id),
            pk=user.id,
            email=user.email,
            full_name=user.full_name,
            created_at=user.created_at,
        )
