"""Hypothesis strategies derived from the GraphQL schema, for the schema-wide fuzz test.

Every query and mutation field of the schema becomes an operation with one variable per
argument; the variables' values are drawn from strategies built from the arguments' GraphQL
types: valid-looking values mixed with control characters, bidi overrides, lone surrogates, huge
and malformed values, and ids of the caller's own, another partner's and no object at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
)
from hypothesis import strategies as st

NASTY_TEXT = [
    "",
    " ",
    "a\x00b",
    "nul\x00",
    "tab\there",
    "line\r\nbreak",
    "bell\x07",
    "del\x7f",
    "c1\x85next",
    "right\u202eto-left",
    "isolate\u2066x\u2069",
    "zero\u200bwidth",
    "lone \ud800 surrogate",
    "x" * 300,
    "y" * 5000,
    "Robert'); DROP TABLE lead;--",
    "<script>alert(1)</script>",
    "%s%n{0}",
    "ünïcödé 名前",
]
NASTY_EMAILS = [
    "a@@b.example",
    "<script>@x.example",
    "a\r\nBcc: x@y.example",
    "nul\x00@x.example",
    "rtl\u202e@x.example",
    "@x.example",
    "a@",
    "a@b",
    "a" * 250 + "@x.example",
]
VALID_TEXT = [
    "Acme",
    "new name",
    "Jane Doe",
    "NL",
    "DE",
    "notes\nmore notes",
    "fuzz@customer.example",
]
MALFORMED_IDS = ["0", "-1", "abc", "", " 1", "1.5", "99999999999999999999", "987654", "\x00"]
DECIMALS = ["0", "10", "12.5", "-5", "100", "100.01", "1e400", "NaN", "Infinity", "abc", "9" * 5000]
DATES = ["2024-01-31", "2030-06-15", "1900-01-01", "9999-12-31", "0001-01-01", "2024-02-30", "x"]
DATETIMES = [
    "2024-01-31T10:00:00Z",
    "2031-06-15T10:00:00+02:00",
    "2024-01-31T10:00:00",
    "9999-12-31T23:59:59+14:00",
    "0001-01-01T00:00:00Z",
    "not a time",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.sampled_from(NASTY_TEXT[:12]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def text_values() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(VALID_TEXT),
        st.sampled_from(NASTY_TEXT),
        st.sampled_from(NASTY_EMAILS),
        st.text(max_size=20),
    )


def id_values(max_id: int) -> st.SearchStrategy[str]:
    # Small ids hit real rows of every table: the caller's own and other partners'.
    return st.one_of(st.integers(1, max_id).map(str), st.sampled_from(MALFORMED_IDS))


def scalar_values(scalar: GraphQLScalarType, max_id: int) -> st.SearchStrategy[Any]:
    name = scalar.name
    if name == "ID":
        return id_values(max_id)
    if name == "String":
        return text_values()
    if name == "Int":
        return st.one_of(
            st.integers(-5, 200),
            st.sampled_from([0, -1, 2**31 - 1, -(2**31), 2**31, 10**30]),
        )
    if name == "Float":
        return st.floats(allow_nan=False, allow_infinity=False)
    if name == "Boolean":
        return st.booleans()
    if name == "Decimal":
        return st.one_of(st.sampled_from(DECIMALS), st.integers(-1000, 1000).map(str))
    if name == "Date":
        return st.sampled_from(DATES)
    if name == "DateTime":
        return st.sampled_from(DATETIMES)
    if name == "JSON":
        return json_values
    raise AssertionError(f"no strategy for the scalar {name}: add one")


def input_values(kind: GraphQLInputType, max_id: int) -> st.SearchStrategy[Any]:
    """Values for a variable of this type (null sometimes, where the type allows it)."""
    if isinstance(kind, GraphQLNonNull):
        return _non_null_values(kind.of_type, max_id)
    return st.one_of(st.none(), _non_null_values(kind, max_id))


def _non_null_values(kind: Any, max_id: int) -> st.SearchStrategy[Any]:
    if isinstance(kind, GraphQLList):
        return st.lists(input_values(kind.of_type, max_id), max_size=4)
    if isinstance(kind, GraphQLEnumType):
        return st.sampled_from(sorted(kind.values))
    if isinstance(kind, GraphQLScalarType):
        return scalar_values(kind, max_id)
    if isinstance(kind, GraphQLInputObjectType):
        required = {}
        optional = {}
        for name, field in kind.fields.items():
            strategy = st.deferred(lambda field=field: input_values(field.type, max_id))
            if isinstance(field.type, GraphQLNonNull) and field.default_value is None:
                required[name] = strategy
            else:
                optional[name] = strategy
        return st.fixed_dictionaries(required, optional=optional)
    raise AssertionError(f"no strategy for the input type {kind}")


@dataclass(frozen=True)
class RootField:
    operation: str  # "query" or "mutation"
    name: str
    field: GraphQLField

    def document(self, arguments: dict[str, Any]) -> str:
        """The operation calling this field with a variable per given argument."""
        declared = ", ".join(f"${name}: {self.field.args[name].type}" for name in sorted(arguments))
        passed = ", ".join(f"{name}: ${name}" for name in sorted(arguments))
        header = f"{self.operation} Fuzz({declared})" if declared else f"{self.operation} Fuzz"
        call = f"{self.name}({passed})" if passed else self.name
        return f"{header} {{ {call} {selection(self.field.type, depth=2)} }}"


def root_fields(schema: GraphQLSchema) -> list[RootField]:
    fields = []
    for operation, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        assert root is not None
        fields += [RootField(operation, name, field) for name, field in sorted(root.fields.items())]
    return fields


def arguments(root: RootField, max_id: int) -> st.SearchStrategy[dict[str, Any]]:
    """Values for the field's arguments: required ones always, optional ones sometimes."""
    required = {}
    optional = {}
    for name, argument in root.field.args.items():
        strategy = input_values(argument.type, max_id)
        if isinstance(argument.type, GraphQLNonNull):
            required[name] = strategy
        else:
            optional[name] = strategy
    return st.fixed_dictionaries(required, optional=optional)


def _needs_arguments(field: GraphQLField) -> bool:
    return any(isinstance(argument.type, GraphQLNonNull) for argument in field.args.values())


def selection(kind: GraphQLOutputType, depth: int) -> str:
    """`__typename`, every scalar field and, `depth` levels down, every object field."""
    named = get_named_type(kind)
    if isinstance(named, GraphQLScalarType | GraphQLEnumType):
        return ""
    if isinstance(named, GraphQLUnionType):
        members = " ".join(
            f"... on {member.name} {selection(member, depth)}" for member in named.types
        )
        return f"{{ __typename {members} }}"
    assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType)
    parts = ["__typename"]
    for name, field in sorted(named.fields.items()):
        if _needs_arguments(field):
            continue
        inner = get_named_type(field.type)
        if isinstance(inner, GraphQLScalarType | GraphQLEnumType):
            parts.append(name)
        elif depth > 0:
            parts.append(f"{name} {selection(field.type, depth - 1)}")
    return "{ " + " ".join(parts) + " }"
