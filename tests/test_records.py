"""Records (services/platform/records.py) hold exactly the attribute values model instances get
from the same rows, on SQLite and PostgreSQL: every field, its value and its Python type; and a
page of records equals the page of model instances for the same window."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from tortoise import connections
from tortoise.models import Model

from models.enums import GroupKind, Role
from models.partners import PartnerGroup, PartnerOrg
from models.users import SalesRep, User
from services.platform.nested_pages import pages_per_parent
from services.platform.pagination import PageWindow, paginate
from services.platform.records import ModelRecord, fetch_records, records_of
from tests.conftest import World


def _attributes(instance: Any, model: type[Model]) -> dict[str, tuple[type, Any]]:
    names = list(model._meta.fields_db_projection)
    return {name: (type(getattr(instance, name)), getattr(instance, name)) for name in names}


async def _records_and_models(model: type[Model]) -> tuple[list[ModelRecord], list[Model]]:
    queryset = model.all().order_by("id")
    models = list(await queryset)
    queryset = model.all().order_by("id")
    queryset._choose_db_if_not_chosen()
    queryset._make_query()
    sql, values = queryset.query.get_parameterized_sql()
    _, rows = await connections.get("default").execute_query(sql, values)
    return records_of(model, rows), models


@pytest.mark.parametrize("model", [User, PartnerOrg, PartnerGroup, SalesRep])
async def test_records_have_the_values_and_types_of_model_instances(
    world: World, model: type[Model]
) -> None:
    await PartnerGroup.create(
        name="Gold",
        kind=GroupKind.DYNAMIC,
        rule=[{"field": "tier", "operator": "in", "values": ["gold"]}],
    )
    await PartnerGroup.create(name="Static", description="hand-picked")
    await SalesRep.create(full_name="Rep", email="rep@alpha.test", partner=world.partner_a)
    await User.filter(id=world.user_a.id).update(
        is_sales_rep=True, locale="de", updated_at=datetime(2030, 5, 6, 7, 8, 9, 123456, UTC)
    )
    records, models = await _records_and_models(model)
    assert models
    assert [_attributes(r, model) for r in records] == [_attributes(m, model) for m in models]
    assert [r.pk for r in records] == [m.pk for m in models]


async def test_a_page_of_records_is_the_page_of_model_instances(world: World) -> None:
    await User.bulk_create(
        [
            User(email=f"extra{n}@alpha.test", role=Role.PARTNER_USER, partner=world.partner_a)
            for n in range(4)
        ]
    )
    parents = [world.partner_a.id, world.partner_b.id, 999_999]
    for window in (PageWindow(first=2), PageWindow(last=3), PageWindow()):
        as_models = await pages_per_parent(User.all(), "partner_id", parents, window)
        as_records = await pages_per_parent(
            User.all(), "partner_id", parents, window, as_records=True
        )
        for parent in parents:
            model_page, record_page = as_models[parent], as_records[parent]
            assert (record_page.has_next_page, record_page.has_previous_page) == (
                model_page.has_next_page,
                model_page.has_previous_page,
            )
            assert [_attributes(r, User) for r in record_page.items] == [
                _attributes(m, User) for m in model_page.items
            ]
            assert record_page.cursor_list() == model_page.cursor_list()


async def test_a_page_of_partner_records_is_the_page_of_partner_instances(world: World) -> None:
    for number in range(5):
        await PartnerOrg.create(name=f"Partner {number}", country="NL")
    for window in (PageWindow(first=3), PageWindow(last=2), PageWindow()):
        queryset = PartnerOrg.filter(country="NL")
        as_models = await paginate(queryset, window)
        as_records = await paginate(queryset, window, as_records=True)
        assert [_attributes(r, PartnerOrg) for r in as_records.items] == [
            _attributes(m, PartnerOrg) for m in as_models.items
        ]
        assert (as_records.has_next_page, as_records.has_previous_page) == (
            as_models.has_next_page,
            as_models.has_previous_page,
        )


async def test_records_refuse_querysets_that_need_model_instances(world: World) -> None:
    with pytest.raises(ValueError, match="plain querysets"):
        await fetch_records(User.all().select_related("partner"))
