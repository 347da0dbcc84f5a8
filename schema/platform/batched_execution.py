"""Batched nested fields inside an execution plan (the executor's side of batched_fields).

While a plan completes a list (and everything under it that completes synchronously), a field
that has a batched form does not call its resolver: its object registers in the list's batch
scope and gets a placeholder future in place of the resolver's awaitable. When the list's
synchronous pass is over, one task per batched field asks the batched form for all registered
objects, then completes each object's value in object order, as the per-object path does after
its resolver (graphql-core's `complete_awaitable_value`: the same completion, the same
`handle_field_error` for the field and path), and settles the object's placeholder with the
completed value. Values that complete asynchronously settle their placeholder when done. An
object whose placeholder was cancelled meanwhile (a failing sibling field nulled the object) is
not completed, as a cancelled task would not complete it.

Nested lists and the completions a batch does open no scope of their own while one is open:
the outermost scope collects every object reached in one synchronous pass, so a field nested in
a batched field's values (a group's members under every partner's groups) is batched across all
of them too.
"""

from __future__ import annotations

from asyncio import Future, Task, ensure_future, get_running_loop
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql.pyutils import Path

if TYPE_CHECKING:
    from schema.platform.execution_plan import FieldStep


@dataclass(eq=False, slots=True)
class PendingBatch:
    """The objects that reached one batched field (under one root field) in one scope."""

    step: FieldStep
    info: Any
    arguments: dict[str, Any]
    sources: list[Any] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)
    placeholders: list[Future[Any]] = field(default_factory=list)


class BatchScope:
    """The batches of one synchronous pass, in the order their fields were first reached."""

    __slots__ = ("batches",)

    def __init__(self) -> None:
        self.batches: dict[tuple[int, Any], PendingBatch] = {}


class BatchedExecution:
    """Mixin for PlannedExecution: batch scopes and the tasks that run their batches."""

    batch_scope: BatchScope | None = None
    # Batching needs a running event loop (the plan may also run synchronously, without one).
    batching = False
    batch_tasks: set[Task[Any]]

    def open_batch_scope(self) -> BatchScope | None:
        """A new scope, or None when one is open already (the outer one collects)."""
        if not self.batching or self.batch_scope is not None:
            return None
        scope = self.batch_scope = BatchScope()
        return scope

    def close_batch_scope(self, scope: BatchScope | None) -> None:
        """Close a scope opened by `open_batch_scope` and start its batches."""
        if scope is None:
            return
        self.batch_scope = None
        for pending in scope.batches.values():
            self._keep(ensure_future(self._run_batch(pending)))

    def register_in_batch(
        self,
        scope: BatchScope,
        step: FieldStep,
        root: Any,
        source: Any,
        path: Path,
        first_info: Any,
        arguments: dict[str, Any],
    ) -> Future[Any]:
        """Add an object to its field's batch; the placeholder for its completed value.

        `first_info()` builds the field's Strawberry info for the object: called for the first
        object of a batch only."""
        key = (id(step), root)
        pending = scope.batches.get(key)
        if pending is None:
            pending = scope.batches[key] = PendingBatch(step, first_info(), arguments)
        placeholder: Future[Any] = get_running_loop().create_future()
        pending.sources.append(source)
        pending.paths.append(path)
        pending.placeholders.append(placeholder)
        return placeholder

    async def _run_batch(self, pending: PendingBatch) -> None:
        step = pending.step
        batch = step.batch
        complete = step.complete
        assert batch is not None
        assert complete is not None
        values: list[Any] | None = None
        failure: Exception | None = None
        try:
            values = await batch.load(pending.sources, pending.info, **pending.arguments)
            if len(values) != len(pending.sources):
                raise RuntimeError(f"The batched form of {step.key} gave a wrong number of values.")
        except Exception as error:
            values, failure = None, error
        is_awaitable = self.is_awaitable  # type: ignore[attr-defined]
        scope = self.open_batch_scope()
        try:
            for index, placeholder in enumerate(pending.placeholders):
                if placeholder.done():
                    continue  # cancelled: its object was nulled by a failing sibling field
                path = pending.paths[index]
                if values is None:
                    assert failure is not None
                    self._settle_failed(placeholder, failure, step, path)
                    continue
                try:
                    completed = complete(self, values[index], path)  # type: ignore[arg-type]
                except Exception as raw_error:
                    self._settle_failed(placeholder, raw_error, step, path)
                    continue
                if is_awaitable(completed):
                    self._keep(
                        ensure_future(self._settle_later(placeholder, completed, step, path))
                    )
                else:
                    placeholder.set_result(completed)
        finally:
            self.close_batch_scope(scope)

    async def _settle_later(
        self, placeholder: Future[Any], completed: Any, step: FieldStep, path: Path
    ) -> None:
        try:
            value = await completed
        except Exception as raw_error:
            if not placeholder.done():
                self._settle_failed(placeholder, raw_error, step, path)
            return
        if not placeholder.done():
            placeholder.set_result(value)

    def _settle_failed(
        self, placeholder: Future[Any], raw_error: Exception, step: FieldStep, path: Path
    ) -> None:
        """handle_field_error for the object's field: null, or the error that nulls a parent."""
        try:
            self.handle_field_error(raw_error, step.return_type, step.details, path)  # type: ignore[attr-defined]
        except Exception as propagated:
            placeholder.set_exception(propagated)
            return
        placeholder.set_result(None)

    def _keep(self, task: Task[Any]) -> None:
        tasks = self.batch_tasks
        tasks.add(task)
        task.add_done_callback(tasks.discard)
