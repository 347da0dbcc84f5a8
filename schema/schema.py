"""The one Schema, assembled from the per-domain parts, with its limits and caches."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
)
from strawberry.types import ExecutionContext, ExecutionResult

from schema.audit.extension import AuditMutations
from schema.audit.schema import AuditQuery
from schema.consent.schema import ConsentMutation, ConsentQuery, ConsentSubscription
from schema.customers.schema import AccountMutation, AccountQuery, CustomerMutation, CustomerQuery
from schema.deals.registration_config import RegistrationConfigMutation, RegistrationConfigQuery
from schema.deals.registration_live import DealRegistrationSubscription
from schema.deals.registrations import DealRegistrationMutation, DealRegistrationQuery
from schema.deals.schema import DealMutation, DealQuery
from schema.leads.schema import (
    LeadManagementMutation,
    LeadManagementQuery,
    LeadManagementSubscription,
)
from schema.messaging.schema import MessagingMutation, MessagingQuery, MessagingSubscription
from schema.partners.schema import PartnerMutation, PartnerQuery
from schema.platform.error_codes import add_error_codes
from schema.platform.extensions import (
    FreshLoaders,
    IntrospectionByRole,
    MaskUnexpectedErrors,
    RefuseControlCharacters,
    SubscriptionsOverWebsocketOnly,
    ValidationCacheByRole,
)
from schema.platform.limits import CostlyValidationLimiter
from schema.platform.node import NodeQuery
from schema.platform.planned_execution import PlannedExecution
from schema.platform.shared_events import SharedEventExecutionContext
from schema.platform.system import SystemSubscription
from schema.renewals.schema import RenewalMutation, RenewalQuery
from schema.users.auth import AuthMutation, AuthQuery
from schema.users.schema import SalesRepMutation, UserMutation, UserQuery
from schema.vendor.schema import VendorMutation, VendorQuery
from schema.webhooks.schema import WebhookMutation, WebhookQuery, WebhookSubscription

MAX_QUERY_DEPTH = 12
MAX_TOKENS = 5000
MAX_ALIASES = 30

# The limiters' validation rules, built once: every QueryDepthLimiter or MaxAliasesLimiter makes a
# new rule class, so building them per operation gave each operation different rules and the
# ValidationCache (keyed by document and rules) never hit: every request was validated again.
LIMIT_RULES = (
    *QueryDepthLimiter(max_depth=MAX_QUERY_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
)


@strawberry.type
class Query(
    NodeQuery,
    AuthQuery,
    PartnerQuery,
    UserQuery,
    CustomerQuery,
    AccountQuery,
    DealQuery,
    DealRegistrationQuery,
    RegistrationConfigQuery,
    RenewalQuery,
    VendorQuery,
    LeadManagementQuery,
    ConsentQuery,
    MessagingQuery,
    WebhookQuery,
    AuditQuery,
):
    pass


@strawberry.type
class Mutation(
    AuthMutation,
    PartnerMutation,
    UserMutation,
    CustomerMutation,
    AccountMutation,
    DealMutation,
    DealRegistrationMutation,
    RegistrationConfigMutation,
    RenewalMutation,
    VendorMutation,
    SalesRepMutation,
    LeadManagementMutation,
    ConsentMutation,
    MessagingMutation,
    WebhookMutation,
):
    pass


@strawberry.type
class Subscription(
    SystemSubscription,
    LeadManagementSubscription,
    ConsentSubscription,
    MessagingSubscription,
    WebhookSubscription,
    DealRegistrationSubscription,
):
    pass


class ChannelportExecutionContext(PlannedExecution, SharedEventExecutionContext):
    """Queries run through cached execution plans, shared subscription events once."""


def should_mask(error: GraphQLError) -> bool:
    """Mask unexpected errors only: ours and GraphQL's own (validation, syntax) pass through."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class ChannelportSchema(strawberry.Schema):
    """Logs unexpected errors only: expected ones are answers to the caller, not incidents."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        unexpected = [error for error in errors if should_mask(error)]
        if unexpected:
            super().process_errors(unexpected, execution_context)

    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        """Run an operation; every error of the result carries a code (schema.error_codes)."""
        result = await super().execute(*args, **kwargs)
        add_error_codes(result.errors)
        return result


schema = ChannelportSchema(
    execution_context_class=ChannelportExecutionContext,
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    extensions=[
        lambda: AddValidationRules(list(LIMIT_RULES)),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ParserCache(maxsize=256),
        CostlyValidationLimiter,  # before ValidationCacheByRole: see schema/limits.py
        ValidationCacheByRole,
        IntrospectionByRole,
        SubscriptionsOverWebsocketOnly,
        FreshLoaders,
        RefuseControlCharacters,
        lambda: MaskUnexpectedErrors(should_mask_error=should_mask),
        AuditMutations,  # last: outermost around every mutation (schema/audit/extension.py)
    ],
)
