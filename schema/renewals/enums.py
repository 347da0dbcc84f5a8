"""The renewals domain's GraphQL enums, apart from its types so that the customers domain's
`Customer` can show the renewal owner in force without importing the renewal types (which
import `Customer`)."""

from __future__ import annotations

import strawberry

from models.renewals import RenewalOwner as RenewalOwnerEnum
from models.renewals import RenewalOwnerChoice as RenewalOwnerChoiceEnum
from services.renewals.service import OwnerSource as OwnerSourceEnum
from services.renewals.service import RecipientKind as RecipientKindEnum

RenewalOwner = strawberry.enum(RenewalOwnerEnum, name="RenewalOwner")
RenewalOwnerChoice = strawberry.enum(RenewalOwnerChoiceEnum, name="RenewalOwnerChoice")
RenewalOwnerSource = strawberry.enum(OwnerSourceEnum, name="RenewalOwnerSource")
RenewalRecipientKind = strawberry.enum(RecipientKindEnum, name="RenewalRecipientKind")
