"""Change tracking under every model: `updated_at` on every write path, and row changes for a sink.

Two things every write must do, whichever way it is written, so they live here, under the
services, instead of at each call site:

- `updated_at`: `Model.save()` sets an `auto_now` field, but a queryset `.update()` does not
  (Tortoise writes only the values it is given). `TrackedQuerySet.update` adds `updated_at=now`
  to every update of a model that has the column, unless the caller set it. Incremental sync
  (`updatedSince`) relies on it.
- Row changes: when a sink is installed and says it is listening (the audit log, while a mutation
  or a state-changing CLI command runs), every created, updated or deleted row is reported with
  its old and new values. Instance saves and deletes are seen through Tortoise's signals (the old
  values are read from the database in `pre_save`, so they are the stored ones, not what the
  instance was loaded with); queryset `.update()`, `.delete()` and `bulk_create()` bypass signals,
  so `TrackedQuerySet` reads the affected rows before and after. The sink runs on the same
  connection, inside the caller's transaction when there is one.

`insert_rows()` is `bulk_create` for plain rows (dicts, no model instances): one statement per
batch, reported like `bulk_create`. Snapshots of thousands of rows use it (building a model
instance per row costs more than writing the row). `insert_selected()` goes further: one
`INSERT INTO ... SELECT ...` computed by the database, no row through Python; its rows are
reported as one summary change the caller describes (a snapshot of thousands of rows derived
from others is one fact, not thousands).

`install_tracking()` gives every model (except the append-only ledgers, which refuse changes
anyway) the tracked manager and the signal listeners; the database start-up calls it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.manager import Manager
from tortoise.models import Model
from tortoise.queryset import QuerySet, ValuesListQuery
from tortoise.signals import Signals

UPDATED_AT = "updated_at"


@dataclass(frozen=True)
class RowChange:
    """One row created, updated or deleted: its model, id, and the values that changed."""

    model: type[Model]
    pk: Any
    action: str  # "created" | "updated" | "deleted"
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    row: dict[str, Any] = field(default_factory=dict)  # the row's values (after, else before)


class ChangeSink:
    """Receives row changes; `listening()` says whether to collect them (reads cost queries)."""

    def listening(self) -> bool:
        return False

    async def record(self, changes: list[RowChange], db: BaseDBAsyncClient | None) -> None:
        return None


_sink: ChangeSink = ChangeSink()
_ignored_models: set[str] = set()


def set_change_sink(sink: ChangeSink) -> None:
    global _sink
    _sink = sink


def ignore_model(name: str) -> None:
    """Never report changes of this model (e.g. the audit log's own rows, logs, sessions)."""
    _ignored_models.add(name)


def _listening(model: type[Model]) -> bool:
    return model.__name__ not in _ignored_models and _sink.listening()


def _column_names(model: type[Model]) -> list[str]:
    return list(model._meta.db_fields)


async def _rows(model: type[Model], db: BaseDBAsyncClient | None, **filters: Any) -> list[dict]:
    queryset = QuerySet(model).filter(**filters)
    if db is not None:
        queryset = queryset.using_db(db)
    return list(await queryset.values(*_field_names(model)))


def _field_names(model: type[Model]) -> list[str]:
    """The data fields of a model by attribute name (`partner_id`, not `partner`)."""
    meta = model._meta
    return [meta.fields_db_projection_reverse.get(column, column) for column in meta.db_fields]


def _stamp(model: type[Model], values: dict[str, Any]) -> dict[str, Any]:
    if UPDATED_AT in model._meta.fields_map and UPDATED_AT not in values:
        return {**values, UPDATED_AT: datetime.now(UTC)}
    return values


class TrackedQuerySet(QuerySet):
    """A queryset whose bulk writes keep `updated_at` and report row changes to the sink."""

    def update(self, **values: Any) -> Any:  # type: ignore[override]
        return self._tracked_update(_stamp(self.model, values))

    async def _tracked_update(self, values: dict[str, Any]) -> int:
        if not _listening(self.model):
            return await QuerySet.update(self, **values)
        pk = self.model._meta.pk_attr
        before = {row[pk]: row for row in await QuerySet.values(self, *_field_names(self.model))}
        count = await QuerySet.update(self, **values)
        if before and count:
            rows = await _rows(self.model, None, **{f"{pk}__in": list(before)})
            changes = [_difference(self.model, before[row[pk]], row) for row in rows]
            await _sink.record([change for change in changes if change], None)
        return count

    def delete(self) -> Any:  # type: ignore[override]
        return self._tracked_delete()

    async def _tracked_delete(self) -> int:
        if not _listening(self.model):
            return await QuerySet.delete(self)
        pk = self.model._meta.pk_attr
        rows = list(await QuerySet.values(self, *_field_names(self.model)))
        count = await QuerySet.delete(self)
        if rows and count:
            await _sink.record([_removal(self.model, row[pk], row) for row in rows], None)
        return count

    def bulk_create(self, objects: Iterable[Model], *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return self._tracked_bulk_create(list(objects), args, kwargs)

    async def _tracked_bulk_create(
        self, objects: list[Model], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        result = await QuerySet.bulk_create(self, objects, *args, **kwargs)
        if objects and _listening(self.model):
            await _sink.record([_creation(obj) for obj in objects], None)
        return result


async def insert_rows(
    model: type[Model],
    rows: list[dict[str, Any]],
    using_db: BaseDBAsyncClient | None = None,
    batch_size: int = 1000,
) -> None:
    """Insert `rows` (values by attribute name: `partner_id`, not `partner`) as `bulk_create`
    would insert the same instances: a field left out gets its default, `auto_now(_add)` now;
    the generated primary key is the database's. Reported to the sink like `bulk_create` (for a
    model with the tracked manager: not the audit log's own entries)."""
    if not rows:
        return
    db = using_db or model._choose_db(True)
    executor = db.executor_class(model=model, db=db)
    fields_map = model._meta.fields_map
    columns = list(executor.regular_columns)
    now = datetime.now(UTC)
    filled: list[dict[str, Any]] = []
    for row in rows:
        values = dict(row)
        for name in columns:
            if name not in values:
                values[name] = _default_of(fields_map[name], now)
        filled.append(values)
    fields = list(zip(columns, [fields_map[name] for name in columns], strict=True))
    # A dict or list shared by all rows (an audit call's arguments) is converted once.
    converted: dict[tuple[str, int], Any] = {}

    def db_value(name: str, field: Any, value: Any) -> Any:
        if not isinstance(value, dict | list):
            return field.to_db_value(value, None)
        key = (name, id(value))
        if key not in converted:
            converted[key] = field.to_db_value(value, None)
        return converted[key]

    for start in range(0, len(filled), batch_size):
        batch = filled[start : start + batch_size]
        await db.execute_many(
            executor.insert_query,
            [[db_value(name, field, values[name]) for name, field in fields] for values in batch],
        )
    if isinstance(model._meta.manager, TrackedManager) and _listening(model):
        names = _field_names(model)
        changes = []
        for values in filled:
            row = {name: values.get(name) for name in names}
            shown = {name: value for name, value in row.items() if value is not None}
            changes.append(RowChange(model, None, "created", after=shown, row=row))
        await _sink.record(changes, using_db)


async def insert_selected(
    model: type[Model],
    select: ValuesListQuery[Any],
    columns: Sequence[str],
    constants: dict[str, Any],
    summary: Callable[[int], RowChange],
    using_db: BaseDBAsyncClient | None = None,
) -> int:
    """`INSERT INTO <model> (<columns>, <constants>) SELECT <select>, <constants>` in one
    statement: `select` is a `values_list` queryset of as many fields as `columns` (attribute
    names, in order); `constants` are the same for every row; a field in neither gets its
    default, `auto_now(_add)` now. Returns how many rows were inserted. The rows are reported
    to the sink as one change, `summary(count)` (only when rows were inserted)."""
    db = using_db or model._choose_db(True)
    fields_map = model._meta.fields_map
    now = datetime.now(UTC)
    executor = db.executor_class(model=model, db=db)
    values = {
        name: constants[name] if name in constants else _default_of(fields_map[name], now)
        for name in executor.regular_columns
        if name not in columns
    }
    select._choose_db_if_not_chosen()
    select._make_query()
    select_sql, select_params = select.query.get_parameterized_sql()
    names = [*values, *columns]
    column_list = ", ".join(f'"{model._meta.fields_db_projection[name]}"' for name in names)
    constant_params = [fields_map[name].to_db_value(value, None) for name, value in values.items()]
    if db.capabilities.dialect == "postgres":
        # Numbered parameters after the select's own, typed (a bare parameter would be text).
        start = len(select_params) + 1
        placeholders = [
            f"CAST(${start + i} AS {fields_map[name].get_for_dialect('postgres', 'SQL_TYPE')})"
            for i, name in enumerate(values)
        ]
        params = [*select_params, *constant_params]
    else:
        placeholders = ["?" for _ in values]  # in the order of the text: constants first
        params = [*constant_params, *select_params]
    selected = ", ".join([*placeholders, '"selected".*'])
    statement = (
        f'INSERT INTO "{model._meta.db_table}" ({column_list}) '
        f'SELECT {selected} FROM ({select_sql}) "selected"'
    )
    if db.capabilities.dialect == "postgres":
        # The client reports no row count for an INSERT: count what it returns instead.
        pk_column = model._meta.fields_db_projection[model._meta.pk_attr]
        counted = f'WITH "inserted" AS ({statement} RETURNING "{pk_column}") '
        _, rows = await db.execute_query(counted + 'SELECT COUNT(*) FROM "inserted"', params)
        count = int(rows[0][0])
    else:
        count, _ = await db.execute_query(statement, params)
    if count and isinstance(model._meta.manager, TrackedManager) and _listening(model):
        await _sink.record([summary(count)], using_db)
    return count


def _default_of(field: Any, now: datetime) -> Any:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    default = field.default
    return default() if callable(default) else default


class TrackedManager(Manager):
    def get_queryset(self) -> QuerySet:
        return TrackedQuerySet(self._model)


def _values_of(instance: Model) -> dict[str, Any]:
    return {name: getattr(instance, name, None) for name in _field_names(type(instance))}


def _creation(instance: Model) -> RowChange:
    values = _values_of(instance)
    shown = {name: value for name, value in values.items() if value is not None}
    return RowChange(type(instance), instance.pk, "created", after=shown, row=values)


def _removal(model: type[Model], pk: Any, row: dict[str, Any]) -> RowChange:
    return RowChange(model, pk, "deleted", before=row, row=row)


def _difference(model: type[Model], before: dict, after: dict) -> RowChange | None:
    changed = [name for name in after if name != UPDATED_AT and before.get(name) != after.get(name)]
    if not changed:
        return None
    pk = after[model._meta.pk_attr]
    return RowChange(
        model,
        pk,
        "updated",
        before={name: before.get(name) for name in changed},
        after={name: after.get(name) for name in changed},
        row=after,
    )


_BEFORE = "_tracking_before"  # the stored row, read in pre_save, kept on the instance


async def _pre_save(
    model: type[Model],
    instance: Model,
    db: BaseDBAsyncClient | None,
    update_fields: Iterable[str] | None,
) -> None:
    if instance._saved_in_db and instance.pk is not None and _listening(model):
        rows = await _rows(model, db, **{model._meta.pk_attr: instance.pk})
        if rows:
            object.__setattr__(instance, _BEFORE, rows[0])


async def _post_save(
    model: type[Model],
    instance: Model,
    created: bool,
    db: BaseDBAsyncClient | None,
    update_fields: Iterable[str] | None,
) -> None:
    before = instance.__dict__.pop(_BEFORE, None)
    if not _listening(model):
        return
    if created or before is None:
        change: RowChange | None = _creation(instance) if created else None
    else:
        change = _difference(model, before, {**before, **_values_of(instance)})
    if change is not None:
        await _sink.record([change], db)


async def _post_delete(model: type[Model], instance: Model, db: BaseDBAsyncClient | None) -> None:
    if _listening(model):
        await _sink.record([_removal(model, instance.pk, _values_of(instance))], db)


_Listener = Callable[..., Awaitable[None]]
_LISTENERS: list[tuple[Signals, _Listener]] = [
    (Signals.pre_save, _pre_save),
    (Signals.post_save, _post_save),
    (Signals.post_delete, _post_delete),
]


def install_tracking() -> None:
    """Give every model with the default manager the tracked one, and the signal listeners."""
    for app in Tortoise.apps.values():
        for model in app.values():
            manager = model._meta.manager
            if type(manager) is Manager:
                tracked = TrackedManager()
                tracked._model = model
                model._meta.manager = tracked
            if isinstance(model._meta.manager, TrackedManager):
                for signal, listener in _LISTENERS:
                    model.register_listener(signal, listener)
