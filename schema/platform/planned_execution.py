"""Run a query through its execution plan (schema.platform.execution_plan) instead of
graphql-core's general machinery, with exactly the standard executor's result.

`PlannedExecution` is a graphql-core executor: every step mirrors graphql-core's own
`execute_fields`, `execute_field`, `complete_value` and list completion, in the same order and
with the same error handling (`handle_field_error`: located errors, null propagation to the
nearest nullable parent, one error per nulled position), so that data, errors, their order and
the DataLoader batches come out as the standard executor makes them. The plan saves the rest:
selection sets are collected once per operation instead of once per object, a plain field is an
attribute read and an inline scalar coercion, and only fields with a resolver of their own get a
`GraphQLResolveInfo`, their arguments, the middleware and their resolver. A nested field's
resolver may be called directly, its permission checks asked and its arguments converted once
per field (schema.platform.direct_resolvers), and a nested field with a batched form is resolved
once for all the objects of a list (schema.platform.batched_fields, batched_execution).

It runs queries only, and only when every middleware (a schema extension's `resolve` hook) acts
on root fields alone (declares `resolves_root_fields_only`): plain reads and nested direct calls
skip the middleware, which root fields always go through. Mutations, subscriptions, an abort
signal, incremental delivery, and what a plan cannot express run on the standard executor, as
does the completion of abstract types inside a plan.
"""

from __future__ import annotations

from asyncio import get_running_loop
from typing import Any

from graphql import GraphQLError, GraphQLObjectType, GraphQLOutputType
from graphql.execution.executor import invalid_return_type_error
from graphql.execution.values import get_argument_values
from graphql.language import OperationType
from graphql.pyutils import Path, Undefined, gather_with_cancel, is_iterable

from schema.platform.batched_execution import BatchedExecution
from schema.platform.direct_resolvers import DirectCall
from schema.platform.execution_plan import Completer, FieldStep, ObjectPlan, plan_for


class PlannedExecution(BatchedExecution):
    """Mixin for a graphql-core executor class (put it before the executor in the bases)."""

    undefined = Undefined
    # Per operation, by (step, root field): the direct calls' arguments (None: not direct) and
    # whether the field's batched form takes them.
    direct_decisions: dict[tuple[int, Any], tuple[dict[str, Any] | None, bool]]

    def plain_reads_allowed(self) -> bool:
        manager = self.middleware_manager  # type: ignore[attr-defined]
        if manager is None:
            return True
        return all(getattr(m, "resolves_root_fields_only", False) for m in manager.middlewares)

    def plans_enabled(self) -> bool:
        """Off with EXECUTION_PLANS=false in the context's settings (default on)."""
        settings = getattr(self.context_value, "settings", None)  # type: ignore[attr-defined]
        return bool(getattr(settings, "execution_plans", True))

    def execute_operation(self, serially: bool | None = None) -> Any:
        operation = self.operation  # type: ignore[attr-defined]
        plan = None
        if (
            operation.operation is OperationType.QUERY
            and self.plans_enabled()
            and not serially
            and self.abort_signal is None  # type: ignore[attr-defined]
            and self.plain_reads_allowed()
        ):
            root_type = self.schema.get_root_type(OperationType.QUERY)  # type: ignore[attr-defined]
            if root_type is not None:
                plan = plan_for(self, root_type)  # type: ignore[arg-type]
        if plan is None:
            return super().execute_operation(serially)  # type: ignore[misc]
        self.direct_decisions = {}
        self.batch_tasks = set()
        try:
            get_running_loop()
        except RuntimeError:
            self.batching = False
        else:
            self.batching = True
        return self._run_root(plan.root)

    def _run_root(self, root: ObjectPlan) -> Any:
        # As graphql-core's execute_operation, after it has collected the root fields.
        try:
            result = self.execute_plan(root, self.root_value, None)  # type: ignore[attr-defined]
            if self.is_awaitable(result):  # type: ignore[attr-defined]

                async def await_result() -> Any:
                    try:
                        data = await result
                    except GraphQLError as error:
                        self.collected_errors.add(error, None)  # type: ignore[attr-defined]
                        return self.build_response(None)  # type: ignore[attr-defined]
                    except Exception:
                        await self.cancel_incremental_work()  # type: ignore[attr-defined]
                        self.run_async_work_finished_hook()  # type: ignore[attr-defined]
                        raise
                    return self.build_response(data)  # type: ignore[attr-defined]

                return await_result()
        except GraphQLError as error:
            self.collected_errors.add(error, None)  # type: ignore[attr-defined]
            return self.finish(self.build_response(None))  # type: ignore[attr-defined]
        return self.finish(self.build_response(result))  # type: ignore[attr-defined]

    # ---- selection sets ------------------------------------------------------------------

    def execute_plan(self, plan: ObjectPlan, source: Any, path: Path | None) -> Any:
        """graphql-core's execute_fields over a plan's steps."""
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable  # type: ignore[attr-defined]
        awaitable_keys: list[str] = []
        try:
            for step in plan.steps:
                read = step.read
                leaf_type = step.leaf_type
                if read is not None and leaf_type is not None:
                    # A plain scalar or enum: complete_value's steps for it, inline.
                    try:
                        value = read(source)
                        if isinstance(value, Exception):
                            raise value
                        if value is None or value is Undefined:
                            if step.non_null:
                                raise TypeError(step.null_message)
                            value = None
                        elif step.str_as_is and type(value) is str:
                            pass  # what String's and ID's coercion returns for a str
                        elif type(value) is step.enum_class:
                            value = step.enum_names[value]
                        else:
                            value = self.complete_leaf_value(leaf_type, value)  # type: ignore[attr-defined]
                    except Exception as raw_error:
                        self.handle_field_error(  # type: ignore[attr-defined]
                            raw_error,
                            step.return_type,
                            step.details,
                            Path(path, step.key, step.parent_name),
                        )
                        value = None
                    results[step.key] = value
                    continue
                result = self.execute_step(step, source, Path(path, step.key, step.parent_name))
                results[step.key] = result
                if is_awaitable(result):
                    awaitable_keys.append(step.key)
        except Exception:
            if awaitable_keys:
                self.settle_in_background([results[k] for k in awaitable_keys])  # type: ignore[attr-defined]
            raise
        if not awaitable_keys:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_keys) == 1:
                key = awaitable_keys[0]
                results[key] = await results[key]
            else:
                awaited = await gather_with_cancel(*(results[k] for k in awaitable_keys))
                results.update(zip(awaitable_keys, awaited, strict=True))
            return results

        return get_results()

    def execute_step(self, step: FieldStep, source: Any, path: Path) -> Any:
        """graphql-core's execute_field for one step (a plain read or the field's resolver)."""
        complete = step.complete
        assert complete is not None
        if step.read is not None:
            try:
                completed = complete(self, step.read(source), path)  # type: ignore[arg-type]
                if self.is_awaitable(completed):  # type: ignore[attr-defined]
                    return self._await_completed(completed, step.return_type, step, path)
            except Exception as raw_error:
                self.handle_field_error(raw_error, step.return_type, step.details, path)  # type: ignore[attr-defined]
                return None
            return completed
        direct = step.direct
        if direct is not None:
            root = path
            while root.prev is not None:
                root = root.prev
            decision = self.direct_decisions.get((id(step), root.key))
            if decision is None:
                decision = self.decide_direct(step, direct, source, path, root.key)
            kwargs, batch_accepted = decision
            if kwargs is not None:
                scope = self.batch_scope
                if batch_accepted and scope is not None:
                    return self.register_in_batch(
                        scope,
                        step,
                        root.key,
                        source,
                        path,
                        lambda: self._strawberry_info(step, direct, path),
                        kwargs,
                    )
                strawberry_info = self._strawberry_info(step, direct, path)
                try:
                    result = direct.call(source, strawberry_info, kwargs)
                    if self.is_awaitable(result):  # type: ignore[attr-defined]
                        return self._complete_awaitable(result, complete, step, path)
                    completed = complete(self, result, path)  # type: ignore[arg-type]
                    if self.is_awaitable(completed):  # type: ignore[attr-defined]
                        return self._await_completed(completed, step.return_type, step, path)
                except Exception as raw_error:
                    self.handle_field_error(raw_error, step.return_type, step.details, path)  # type: ignore[attr-defined]
                    return None
                return completed
        info = self.build_resolve_info(step.field_def, step.nodes, step.parent_type, path)  # type: ignore[attr-defined]
        resolve_fn = step.resolve
        manager = self.middleware_manager  # type: ignore[attr-defined]
        if manager:
            resolve_fn = manager.get_field_resolver(resolve_fn)
        try:
            args = (
                get_argument_values(
                    step.field_def,
                    step.details[0].node,
                    self.variable_values,  # type: ignore[attr-defined]
                    step.details[0].fragment_variable_values,
                    self.hide_suggestions,  # type: ignore[attr-defined]
                )
                if step.has_args
                else {}
            )
            result = resolve_fn(source, info, **args)
            if self.is_awaitable(result):  # type: ignore[attr-defined]
                return self._complete_awaitable(result, complete, step, path)
            completed = complete(self, result, path)  # type: ignore[arg-type]
            if self.is_awaitable(completed):  # type: ignore[attr-defined]
                return self._await_completed(completed, step.return_type, step, path)
        except Exception as raw_error:
            self.handle_field_error(raw_error, step.return_type, step.details, path)  # type: ignore[attr-defined]
            return None
        return completed

    def _strawberry_info(self, step: FieldStep, direct: DirectCall, path: Path) -> Any:
        info = self.build_resolve_info(step.field_def, step.nodes, step.parent_type, path)  # type: ignore[attr-defined]
        return direct.info_class(_raw_info=info, _field=direct.strawberry_field)

    def decide_direct(
        self, step: FieldStep, direct: DirectCall, source: Any, path: Path, root: Any
    ) -> tuple[dict[str, Any] | None, bool]:
        """Once per step and root field: the converted arguments of a direct call, or None when
        a permission check does not say yes there or the arguments do not convert (Strawberry's
        own path then runs for every object and fails exactly as it does without plans); and
        whether the field's batched form (if any) takes these arguments."""
        info = self._strawberry_info(step, direct, path)
        kwargs: dict[str, Any] | None
        try:
            raw = (
                get_argument_values(
                    step.field_def,
                    step.details[0].node,
                    self.variable_values,  # type: ignore[attr-defined]
                    step.details[0].fragment_variable_values,
                    self.hide_suggestions,  # type: ignore[attr-defined]
                )
                if step.has_args
                else {}
            )
            kwargs = direct.converted_arguments(raw, info)
        except Exception:
            kwargs = None
        if kwargs is not None and not direct.permitted(source, info, kwargs):
            kwargs = None
        batch_accepted = False
        if kwargs is not None and step.batch is not None:
            try:
                batch_accepted = not step.batch.refuses(info, **kwargs)
            except Exception:
                batch_accepted = False
        decision = (kwargs, batch_accepted)
        self.direct_decisions[(id(step), root)] = decision
        return decision

    async def _complete_awaitable(
        self, result: Any, complete: Completer, step: FieldStep, path: Path
    ) -> Any:
        """graphql-core's complete_awaitable_value."""
        try:
            resolved = await result
            completed = complete(self, resolved, path)  # type: ignore[arg-type]
            if self.is_awaitable(completed):  # type: ignore[attr-defined]
                completed = await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, step.return_type, step.details, path)  # type: ignore[attr-defined]
            completed = None
        return completed

    async def _await_completed(
        self, completed: Any, return_type: GraphQLOutputType, step: FieldStep, path: Path
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, step.details, path)  # type: ignore[attr-defined]
            return None

    async def execute_plan_when(
        self,
        matches: Any,
        plan: ObjectPlan,
        object_type: GraphQLObjectType,
        step: FieldStep,
        value: Any,
        path: Path,
    ) -> Any:
        """complete_object_value with an awaitable `is_type_of`: check, then the plan."""
        if not await self.with_abort_signal(matches):  # type: ignore[attr-defined]
            raise invalid_return_type_error(object_type, value, step.details)
        result = self.execute_plan(plan, value, path)
        if self.is_awaitable(result):  # type: ignore[attr-defined]
            return await result
        return result

    # ---- lists and the standard fallback -------------------------------------------------

    def complete_planned_list(
        self,
        item: Completer,
        item_type: GraphQLOutputType,
        list_type: GraphQLOutputType,
        step: FieldStep,
        value: Any,
        path: Path,
    ) -> Any:
        """graphql-core's complete_list_value and complete_iterable_value."""
        if self.is_async_iterable(value) or not is_iterable(value):  # type: ignore[attr-defined]
            return self.complete_standard(list_type, step, value, path)
        is_awaitable = self.is_awaitable  # type: ignore[attr-defined]
        completed_results: list[Any] = []
        append = completed_results.append
        awaitable_indices: list[int] = []
        index = 0
        scope = self.open_batch_scope()
        try:
            for entry in value:
                item_path = Path(path, index, None)
                if is_awaitable(entry):
                    append(
                        self.complete_awaitable_list_item_value(  # type: ignore[attr-defined]
                            entry,
                            item_type,
                            step.details,
                            self.field_info(step, path),
                            item_path,
                            None,
                        )
                    )
                    awaitable_indices.append(index)
                else:
                    try:
                        completed = item(self, entry, item_path)  # type: ignore[arg-type]
                        if is_awaitable(completed):
                            append(self._await_completed(completed, item_type, step, item_path))
                            awaitable_indices.append(index)
                        else:
                            append(completed)
                    except Exception as raw_error:
                        self.handle_field_error(raw_error, item_type, step.details, item_path)  # type: ignore[attr-defined]
                        append(None)
                index += 1
        except Exception:
            pending = [completed_results[i] for i in awaitable_indices]
            if pending:
                self.settle_in_background(pending)  # type: ignore[attr-defined]
            raise
        finally:
            self.close_batch_scope(scope)
        if not awaitable_indices:
            return completed_results

        async def get_completed_results() -> list[Any]:
            if len(awaitable_indices) == 1:
                position = awaitable_indices[0]
                completed_results[position] = await completed_results[position]
            else:
                awaited = await gather_with_cancel(
                    *(completed_results[i] for i in awaitable_indices)
                )
                for position, sub_result in zip(awaitable_indices, awaited, strict=True):
                    completed_results[position] = sub_result
            return completed_results

        return get_completed_results()

    def complete_standard(
        self, return_type: GraphQLOutputType, step: FieldStep, value: Any, path: Path
    ) -> Any:
        """graphql-core's own complete_value, for what plans leave to it."""
        return self.complete_value(  # type: ignore[attr-defined]
            return_type, step.details, self.field_info(step, path), path, value, None
        )

    def field_info(self, step: FieldStep, path: Path) -> Any:
        """The field's resolve info, as graphql-core passes it while completing the field."""
        field_path = path
        while isinstance(field_path.key, int) and field_path.prev is not None:
            field_path = field_path.prev
        return self.build_resolve_info(  # type: ignore[attr-defined]
            step.field_def, step.nodes, step.parent_type, field_path
        )
