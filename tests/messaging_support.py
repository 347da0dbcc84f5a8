"""Helpers shared by the messaging tests: GraphQL documents and message factories."""

from __future__ import annotations

from typing import Any

from models.partners import PartnerGroup, PartnerGroupMember, PartnerOrg
from tests.conftest import GraphQLClient

MESSAGE_FIELDS = """
  id kind status title bodyHtml language allPartners locales pages endsAt scheduledAt sentAt
  copiedFromId groups { id name }
"""
RESULT = f"""
  ... on PartnerMessage {{ {MESSAGE_FIELDS} }}
  ... on OperationErrors {{ errors {{ field message code }} }}
"""
CREATE = f"mutation($input: NewMessageInput!) {{ createMessage(input: $input) {{ {RESULT} }} }}"
UPDATE = f"""mutation($id: ID!, $input: MessageChangesInput!) {{
  updateMessage(id: $id, input: $input) {{ {RESULT} }} }}"""
SCHEDULE = f"""mutation($id: ID!, $at: DateTime!) {{
  scheduleMessage(id: $id, at: $at) {{ {RESULT} }} }}"""
SEND = f"mutation($id: ID!) {{ sendMessage(id: $id) {{ {RESULT} }} }}"
PUBLISH = f"mutation($id: ID!) {{ publishMessage(id: $id) {{ {RESULT} }} }}"
RETURN_TO_DRAFT = f"mutation($id: ID!) {{ returnToDraft(id: $id) {{ {RESULT} }} }}"
COPY = f"mutation($id: ID!) {{ copyMessage(id: $id) {{ {RESULT} }} }}"
MARK_READ = """mutation($id: ID!) { markMessageRead(id: $id) {
  ... on MessageRead { popup { id readAt } messageCentre { id unreadCount } }
  ... on OperationErrors { errors { field message code } } } }"""
READ_COUNTS = "query($id: ID!) { message(id: $id) { readCounts { recipients read unread } } }"
CENTRE = """query($first: Int, $after: String) { messageCentre { id unreadCount
  popups(first: $first, after: $after) {
    edges { cursor node { id title readAt pages } } pageInfo { hasNextPage endCursor } } } }"""
POPUPS = """subscription($page: String, $after: String) { popups(page: $page, after: $after) {
  cursor node { id title pages readAt } } }"""


async def make_group(name: str, *partners: PartnerOrg) -> PartnerGroup:
    group = await PartnerGroup.create(name=name)
    for partner in partners:
        await PartnerGroupMember.create(group=group, partner=partner)
    return group


def message_input(kind: str = "POPUP", **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kind": kind,
        "title": "Partner summit",
        "body": "<p>Join us in <b>Utrecht</b>.</p>",
        "language": "en",
    }
    if kind == "POPUP":
        values["pages"] = ["dashboard"]
    values.update(overrides)
    return values


async def create_message(gql: GraphQLClient, token: str, **overrides: Any) -> dict[str, Any]:
    data = await gql.data(CREATE, {"input": message_input(**overrides)}, token=token)
    result = data["createMessage"]
    assert "id" in result, result
    return result


async def run(gql: GraphQLClient, document: str, token: str, **variables: Any) -> dict[str, Any]:
    """The single result object of a one-field mutation."""
    data = await gql.data(document, variables, token=token)
    return next(iter(data.values()))


def error_codes(result: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in result.get("errors", [])]
