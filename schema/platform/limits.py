"""Refuse, before validating it, a document whose validation alone would take seconds.

GraphQL's "overlapping fields can be merged" rule compares every pair of fields that share a
response name, and then every pair of their sub-fields, and so on: `{ me { id } me { id } ... }`
a thousand times, or twenty `me { partner { id } ... }` each with twenty `partner`s, stays under
the token limit (5000) yet costs one to several seconds of CPU per request, before any login is
checked. Here the fields each response path collects (through inline fragments and fragment
spreads too) are counted first, cheaply, and a path selected more than MAX_FIELD_REPEATS times
is refused.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from graphql import GraphQLError
from graphql.language import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension

MAX_FIELD_REPEATS = 30
# Fragments can multiply selections (a fragment spread twice, spreading another twice, ...): the
# walk itself stops after this many, and such a document is refused as too complex.
MAX_EXPANDED_SELECTIONS = 10_000
# Far beyond the depth limit (checked by validation, later): only keeps this walk's recursion small.
MAX_NESTING = 64


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Walk:
    def __init__(self, document: DocumentNode, limit: int) -> None:
        self.fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self.limit = limit
        self.selections_seen = 0

    def check(self, selection_sets: Sequence[SelectionSetNode], path: tuple[str, ...]) -> None:
        """Group the fields of these (merged) selection sets by response name, recursively."""
        if len(path) > MAX_NESTING:
            raise _Refused("The query is nested too deeply.")
        groups: dict[str, list[FieldNode]] = {}
        for selection_set in selection_sets:
            for field in self.fields(selection_set, ()):
                name = (field.alias or field.name).value
                group = groups.setdefault(name, [])
                group.append(field)
                if len(group) > self.limit:
                    raise _Refused(
                        f"The field {'.'.join((*path, name))} is selected more than "
                        f"{self.limit} times: select each field once."
                    )
        for name, fields in groups.items():
            children = [field.selection_set for field in fields if field.selection_set]
            if children:
                self.check(children, (*path, name))

    def fields(
        self, selection_set: SelectionSetNode, spreading: tuple[str | None, ...]
    ) -> Iterator[FieldNode]:
        """The fields a selection set contributes, through inline fragments (None in
        `spreading`) and fragment spreads (their names)."""
        if len(spreading) > MAX_NESTING:
            raise _Refused("The query is nested too deeply.")
        for selection in selection_set.selections:
            self.selections_seen += 1
            if self.selections_seen > MAX_EXPANDED_SELECTIONS:
                raise _Refused("The query is too complex: its fragments expand to too much.")
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                yield from self.fields(selection.selection_set, (*spreading, None))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                # A missing or cyclic fragment is reported by validation itself.
                if name in self.fragments and name not in spreading:
                    yield from self.fields(self.fragments[name].selection_set, (*spreading, name))


def why_too_costly(document: DocumentNode, limit: int = MAX_FIELD_REPEATS) -> str | None:
    """Why validating this document would cost too much, or None if it would not."""
    walk = _Walk(document, limit)
    try:
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                walk.check([definition.selection_set], ())
    except _Refused as refused:
        return refused.reason
    return None


class CostlyValidationLimiter(SchemaExtension):
    """List it before ValidationCacheByRole: it must refuse the document before it is validated.

    Raising (rather than setting pre_execution_errors, which ValidationCacheByRole overwrites) ends
    the operation the way a syntax error does: the error is the response.
    """

    def on_validate(self) -> Iterator[None]:
        document = self.execution_context.graphql_document
        reason = why_too_costly(document) if document is not None else None
        if reason is not None:
            raise GraphQLError(reason, extensions={"code": "GRAPHQL_VALIDATION_FAILED"})
        yield
