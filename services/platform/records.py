"""Records: rows of a model read as plain attribute records instead of model instances.

A read path that only reads attributes (a page of a partner's users turned into GraphQL objects)
does not need Tortoise's model instances, whose construction costs more than the query. A record
has the same attributes with the same values: each column goes through the very conversion
Tortoise applies when it builds an instance from a row (`Model._init_from_db`: native fields as
the driver gives them, plain fields through their Python type, the others through their
`to_python_value`), and `pk` is the primary key. Records have no model methods, relations or
`save`: they are for reading.

The statement is the queryset's own SQL (its filters, the viewer's scope), sent through the same
connection as the queryset would send it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from tortoise.backends.base.executor import CHUNK_SIZE
from tortoise.models import Model
from tortoise.queryset import QuerySet


class ModelRecord:
    """A row of a model as attributes (see the module docstring); subclassed per model."""

    __slots__ = ()
    model: type[Model]
    pk_attribute: str

    @property
    def pk(self) -> Any:
        return getattr(self, self.pk_attribute)

    def __repr__(self) -> str:
        return f"<{self.model.__name__} record: {self.pk}>"


class _Reader:
    """How to turn one model's rows into records, worked out once per model (and extras)."""

    def __init__(self, model: type[Model], extra_columns: tuple[str, ...]) -> None:
        meta = model._meta
        self.native = [(key, attribute) for key, attribute, _ in meta.db_native_fields]
        self.plain: list[tuple[str, str, Callable[[Any], Any]]] = [
            (key, attribute, field.field_type) for key, attribute, field in meta.db_default_fields
        ]
        self.converted: list[tuple[str, str, Callable[[Any], Any]]] = [
            (key, attribute, field.to_python_value)
            for key, attribute, field in meta.db_complex_fields
        ]
        self.extra = extra_columns
        attributes = [a for _, a in self.native] + [a for _, a, _ in self.plain]
        attributes += [a for _, a, _ in self.converted] + list(extra_columns)
        self.record_class: type[ModelRecord] = type(
            f"{model.__name__}Record",
            (ModelRecord,),
            {"__slots__": tuple(attributes), "model": model, "pk_attribute": meta.pk_attr},
        )

    def records(self, rows: Iterable[Any]) -> list[ModelRecord]:
        native, plain, converted, extra = self.native, self.plain, self.converted, self.extra
        new = self.record_class.__new__
        record_class = self.record_class
        set_attribute = object.__setattr__
        result = []
        for row in rows:
            record = new(record_class)
            for key, attribute in native:
                set_attribute(record, attribute, row[key])
            for key, attribute, python_type in plain:
                value = row[key]
                set_attribute(record, attribute, value if value is None else python_type(value))
            for key, attribute, convert in converted:
                set_attribute(record, attribute, convert(row[key]))
            for column in extra:
                set_attribute(record, column, row[column])
            result.append(record)
        return result


_readers: dict[tuple[type[Model], tuple[str, ...]], _Reader] = {}


def records_of(
    model: type[Model], rows: Sequence[Any], extra_columns: tuple[str, ...] = ()
) -> list[ModelRecord]:
    """Records of rows the model's full select list gave (plus `extra_columns`, as they are)."""
    key = (model, extra_columns)
    reader = _readers.get(key)
    if reader is None:
        reader = _readers[key] = _Reader(model, extra_columns)
    return reader.records(rows)


async def records_of_statement(
    db: Any, model: type[Model], sql: str, values: list[Any], extra_columns: tuple[str, ...] = ()
) -> list[ModelRecord]:
    """Run a statement that selects the model's columns (and `extra_columns`) on `db`; its rows
    as records, yielding to the event loop between chunks of rows as Tortoise does."""
    _, rows = await db.execute_query(sql, values)
    records: list[ModelRecord] = []
    for start in range(0, len(rows), CHUNK_SIZE):
        if start:
            await asyncio.sleep(0)
        records.extend(records_of(model, rows[start : start + CHUNK_SIZE], extra_columns))
    return records


async def fetch_records(queryset: QuerySet[Any]) -> list[ModelRecord]:
    """`await queryset` as records: the same statement on the same connection.

    For plain querysets (filters, order, limit): one that selects related rows, prefetches,
    annotates or asks for a single row is refused (those need model instances)."""
    if (
        queryset._select_related
        or queryset._prefetch_map
        or queryset._prefetch_queries
        or queryset._annotations
        or queryset._single
    ):
        raise ValueError("Records are for plain querysets.")
    queryset._choose_db_if_not_chosen()
    queryset._make_query()
    sql, values = queryset.query.get_parameterized_sql()
    return await records_of_statement(queryset._db, queryset.model, sql, values)
