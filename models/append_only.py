"""Append-only tables (the consent ledger, the audit log): rows are inserted and read, never
changed or deleted through the ORM, whether through an instance, the model or a queryset.

A concrete model inherits `AppendOnlyModel`, names its refusal (`refusal_error`, `refused_rows`)
and sets `manager = AppendOnlyManager()` in its Meta.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, NoReturn

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.manager import Manager
from tortoise.models import Model
from tortoise.queryset import QuerySet


class AppendOnlyError(Exception):
    """A change or deletion of an append-only row was attempted."""


class AppendOnlyModel(Model):
    # The exception raised and how its message names the rows, e.g. "ledger rows".
    refusal_error: ClassVar[type[AppendOnlyError]] = AppendOnlyError
    refused_rows: ClassVar[str] = "rows"
    ledger_name: ClassVar[str] = "table"

    class Meta:
        abstract = True

    @classmethod
    def refuse(cls, operation: str) -> NoReturn:
        raise cls.refusal_error(
            f"The {cls.ledger_name} is append-only: {operation} of {cls.refused_rows} is not "
            "allowed."
        )

    async def save(self, *args: Any, **kwargs: Any) -> None:
        if self._saved_in_db or kwargs.get("update_fields") or kwargs.get("force_update"):
            self.refuse("update")
        await super().save(*args, **kwargs)

    async def delete(self, using_db: BaseDBAsyncClient | None = None) -> NoReturn:
        self.refuse("delete")

    @classmethod
    def bulk_update(  # type: ignore[override]
        cls, objects: Iterable[Model], fields: Iterable[str], *args: Any, **kwargs: Any
    ) -> NoReturn:
        cls.refuse("bulk update")

    @classmethod
    async def update_or_create(cls, *args: Any, **kwargs: Any) -> NoReturn:  # type: ignore[override]
        cls.refuse("update_or_create")

    @classmethod
    def select_for_update(cls, *args: Any, **kwargs: Any) -> NoReturn:  # type: ignore[override]
        cls.refuse("locking for update")


class AppendOnlyQuerySet(QuerySet):
    """Reads and inserts rows of an `AppendOnlyModel`, never changes or deletes them."""

    def _refuse(self, operation: str) -> NoReturn:
        self.model.refuse(operation)  # type: ignore[attr-defined]

    def update(self, **kwargs: Any) -> NoReturn:  # type: ignore[override]
        self._refuse("update")

    def delete(self) -> NoReturn:  # type: ignore[override]
        self._refuse("delete")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:  # type: ignore[override]
        self._refuse("bulk update")

    def select_for_update(self, *args: Any, **kwargs: Any) -> NoReturn:  # type: ignore[override]
        self._refuse("locking for update")

    async def update_or_create(self, *args: Any, **kwargs: Any) -> NoReturn:  # type: ignore[override]
        self._refuse("update_or_create")


class AppendOnlyManager(Manager):
    def get_queryset(self) -> AppendOnlyQuerySet:
        return AppendOnlyQuerySet(self._model)
