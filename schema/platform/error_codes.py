"""A machine-readable `extensions.code` on every error of a response, like our own errors carry.

GraphQL's own errors have none: a document that does not parse (also one over the token limit)
gets GRAPHQL_PARSE_FAILED; one that does not validate (wrong argument or variable types, unknown
fields, the depth and alias limits) gets GRAPHQL_VALIDATION_FAILED; anything else without a code
is an unexpected error, masked, and gets INTERNAL_SERVER_ERROR.

This runs on the finished result (see ChannelportSchema.execute) rather than in an extension:
a parse failure inside ParserCache is raised past every extension's operation hook.
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import GraphQLError, GraphQLSyntaxError

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
INTERNAL = "INTERNAL_SERVER_ERROR"


def add_error_codes(errors: Iterable[GraphQLError] | None) -> None:
    for error in errors or ():
        extensions = error.extensions or {}
        if not extensions.get("code"):
            error.extensions = {**extensions, "code": _code_for(error)}


def _code_for(error: GraphQLError) -> str:
    if isinstance(error, GraphQLSyntaxError):
        return PARSE_FAILED
    if error.path is None:  # found before execution: validation, variable coercion
        return VALIDATION_FAILED
    return INTERNAL
