"""Helpers for the deal-registration tests: the GraphQL documents, the form's usual values, and
calls that must succeed or must fail with a given code."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQLClient, World

FIELDS = """
  id status companyName companyDomain contactName contactEmail contactPhone products amount
  currency expectedCloseOn notes customFields { key value } conflictKind submittedAt
  firstSubmittedAt reviewDueAt isOverdue infoRequest decidedAt rejectionReason autoApproved
  protectedUntil extensionState extensionReason closedAt lostReason
  partner { id } submittedBy { email } customer { id name } deal { id status amount }
  conflict { kind message registration { id } partner { name } directDealId
             directDealSummary directDeal { id companyName ownerName } }
"""
RESULT = f"""__typename ... on DealRegistration {{ {FIELDS} }}
  ... on OperationErrors {{ errors {{ field message code }} }}"""

SAVE_DRAFT = f"""mutation($input: DealRegistrationInput!) {{
  saveDealRegistrationDraft(input: $input) {{ {RESULT} }} }}"""
SUBMIT = f"""mutation($input: DealRegistrationInput!) {{
  submitDealRegistration(input: $input) {{ {RESULT} }} }}"""
UPDATE = f"""mutation($id: ID!, $input: DealRegistrationInput!) {{
  updateDealRegistration(id: $id, input: $input) {{ {RESULT} }} }}"""
SUBMIT_DRAFT = f"""mutation($id: ID!, $input: DealRegistrationInput) {{
  submitDealRegistrationDraft(id: $id, input: $input) {{ {RESULT} }} }}"""
RESUBMIT = f"""mutation($id: ID!, $answer: String!, $input: DealRegistrationInput) {{
  resubmitDealRegistration(id: $id, answer: $answer, input: $input) {{ {RESULT} }} }}"""
DELETE_DRAFT = """mutation($id: ID!) { deleteDealRegistrationDraft(id: $id) {
  __typename ... on OperationErrors { errors { field message code } } } }"""
APPROVE = f"""mutation($id: ID!, $days: Int, $note: String! = "") {{
  approveDealRegistration(id: $id, protectionDays: $days, note: $note) {{ {RESULT} }} }}"""
REJECT = f"""mutation($id: ID!, $reason: String!) {{
  rejectDealRegistration(id: $id, reason: $reason) {{ {RESULT} }} }}"""
REQUEST_INFO = f"""mutation($id: ID!, $message: String!) {{
  requestDealRegistrationInformation(id: $id, message: $message) {{ {RESULT} }} }}"""
REQUEST_EXTENSION = f"""mutation($id: ID!, $reason: String!) {{
  requestDealRegistrationExtension(id: $id, reason: $reason) {{ {RESULT} }} }}"""
GRANT_EXTENSION = f"""mutation($id: ID!) {{
  grantDealRegistrationExtension(id: $id) {{ {RESULT} }} }}"""
DECLINE_EXTENSION = f"""mutation($id: ID!, $reason: String! = "") {{
  declineDealRegistrationExtension(id: $id, reason: $reason) {{ {RESULT} }} }}"""
LINK_CUSTOMER = f"""mutation($id: ID!, $customer: ID!) {{
  linkDealRegistrationCustomer(id: $id, customerId: $customer) {{ {RESULT} }} }}"""
MARK_WON = f"""mutation($id: ID!) {{ markDealRegistrationWon(id: $id) {{ {RESULT} }} }}"""
MARK_LOST = f"""mutation($id: ID!, $reason: String!) {{
  markDealRegistrationLost(id: $id, reason: $reason) {{ {RESULT} }} }}"""
ONE = f"""query($id: ID!) {{ dealRegistration(id: $id) {{ {FIELDS} }} }}"""
HISTORY = """query($id: ID!) { dealRegistration(id: $id) { history(first: 50) { totalCount
  nodes { id kind fromStatus toStatus reason automatic actor { email } protectionDays
          extensionDays changedFields
          conflict { kind message registration { id } partner { name } directDealId } } } } }"""
LIST = """query($status: DealRegistrationStatus, $partner: ID, $reviewer: ID, $overdue: Boolean,
               $expiring: Int, $first: Int, $after: String) {
  dealRegistrations(status: $status, partnerId: $partner, reviewerId: $reviewer,
                    overdue: $overdue, expiringWithinDays: $expiring, first: $first,
                    after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id companyName status } } }"""
COUNTS = """query($partner: ID, $days: Int! = 14) {
  dealRegistrationCounts(partnerId: $partner, expiringWithinDays: $days) {
    byStatus { status count } overdue expiringSoon } }"""


def form(company: str = "Northwind Traders", **overrides: Any) -> dict[str, Any]:
    """A complete registration form (enough to submit)."""
    values: dict[str, Any] = {
        "companyName": company,
        "companyDomain": f"{''.join(c for c in company.lower() if c.isalnum())}.example",
        "contactName": "Nina North",
        "contactEmail": "nina@northwind.example",
        "contactPhone": "+31 20 123 4567",
        "products": "Compliance Pro",
        "amount": "24000.00",
        "currency": "EUR",
        "expectedCloseOn": "2031-06-30",
        "notes": "Met at the fair.",
    }
    values.update(overrides)
    return values


async def run(
    gql: GraphQLClient, world: World, who: str, document: str, **variables: Any
) -> dict[str, Any]:
    """The one result of a one-field mutation or query, which must not be an error."""
    data = await gql.data(document, variables, token=world.token(who))
    result = next(iter(data.values()))
    assert result is not None
    assert result.get("__typename") != "OperationErrors", result
    return result


async def refused(
    gql: GraphQLClient, world: World, who: str, document: str, **variables: Any
) -> list[dict[str, Any]]:
    """The errors of a mutation that must fail with a typed error (nothing written)."""
    data = await gql.data(document, variables, token=world.token(who))
    result = next(iter(data.values()))
    assert result["__typename"] == "OperationErrors", result
    return result["errors"]


async def codes(
    gql: GraphQLClient, world: World, who: str, document: str, **variables: Any
) -> set[str]:
    return {error["code"] for error in await refused(gql, world, who, document, **variables)}


async def submitted(
    gql: GraphQLClient, world: World, who: str = "user_a", **overrides: Any
) -> dict[str, Any]:
    return await run(gql, world, who, SUBMIT, input=form(**overrides))


async def approved(
    gql: GraphQLClient, world: World, who: str = "user_a", days: int | None = None, **overrides: Any
) -> dict[str, Any]:
    registration = await submitted(gql, world, who, **overrides)
    return await run(gql, world, "vendor_admin", APPROVE, id=registration["id"], days=days)


async def history_of(
    gql: GraphQLClient, world: World, who: str, registration_id: str
) -> list[dict[str, Any]]:
    data = await gql.data(HISTORY, {"id": registration_id}, token=world.token(who))
    return data["dealRegistration"]["history"]["nodes"]


CONVERT = """mutation($customer: ID!) { convertTrialToPaid(customerId: $customer) {
  __typename ... on Conversion { deal { id status } commission { id amount } }
  ... on OperationErrors { errors { field message code } } } }"""
