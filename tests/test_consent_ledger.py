"""The consent ledger is append-only: the ORM layer refuses every way of changing or deleting rows.

Also the public `record_consent` function other domains use (Supplier Emails opt-in and opt-out).
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette

from models.consent import (
    ConsentAction,
    ConsentLedgerEntry,
    ConsentLedgerError,
    ConsentPurpose,
    ConsentSource,
)
from services.consent.ledger import record_consent
from tests.conftest import World


async def _rows() -> list[tuple[Any, ...]]:
    return list(
        await ConsentLedgerEntry.all()
        .order_by("id")
        .values_list("id", "subject_email", "action", "purpose", "source", "partner_name")
    )


async def test_record_consent_appends_entries_other_domains_can_use(app: Starlette, world: World):
    entry = await record_consent(
        email=" User@Alpha.Test ",
        purpose=ConsentPurpose.SUPPLIER_EMAILS,
        action=ConsentAction.OPT_IN,
        source=ConsentSource.TERMS_ACCEPTANCE,
        partner_id=world.partner_a.id,
        actor_user_id=world.user_a.id,
        client_address="192.0.2.1",
        user_agent="Portal/3",
        consent_text_version="terms-7",
    )
    await record_consent(
        email="user@alpha.test",
        purpose=ConsentPurpose.SUPPLIER_EMAILS,
        action=ConsentAction.OPT_OUT,
        source=ConsentSource.SELF_SERVICE,
    )
    stored = await ConsentLedgerEntry.get(id=entry.id)
    assert stored.subject_email == "user@alpha.test"
    assert stored.partner_name == "Alpha Partners"  # a snapshot of the partner's name
    assert stored.consent_text_version == "terms-7"
    assert stored.occurred_at is not None
    assert [row[2] for row in await _rows()] == [ConsentAction.OPT_IN, ConsentAction.OPT_OUT]


async def test_ledger_rows_cannot_be_updated_or_deleted(app: Starlette, world: World):
    entry = await record_consent(
        email="subject@example.test",
        purpose=ConsentPurpose.NEWSLETTER,
        action=ConsentAction.APPROVAL,
        source=ConsentSource.PARTNER_INVITATION,
        partner_id=world.partner_a.id,
    )
    before = await _rows()

    entry.action = ConsentAction.DECLINE
    with pytest.raises(ConsentLedgerError):
        await entry.save()
    with pytest.raises(ConsentLedgerError):
        await entry.save(update_fields=["action"])
    with pytest.raises(ConsentLedgerError):
        await entry.delete()
    with pytest.raises(ConsentLedgerError):
        await ConsentLedgerEntry.filter(id=entry.id).update(action=ConsentAction.DECLINE)
    with pytest.raises(ConsentLedgerError):
        await ConsentLedgerEntry.all().update(subject_email="someone@else.test")
    with pytest.raises(ConsentLedgerError):
        await ConsentLedgerEntry.filter(id=entry.id).delete()
    with pytest.raises(ConsentLedgerError):
        await ConsentLedgerEntry.all().delete()
    with pytest.raises(ConsentLedgerError):
        await ConsentLedgerEntry.bulk_update([entry], fields=["action"])
    with pytest.raises(ConsentLedgerError):
        await ConsentLedgerEntry.all().bulk_update([entry], fields=["action"])
    with pytest.raises(ConsentLedgerError):
        await ConsentLedgerEntry.update_or_create(
            id=entry.id, defaults={"action": ConsentAction.DECLINE}
        )
    with pytest.raises(ConsentLedgerError):
        await ConsentLedgerEntry.filter(id=entry.id).update_or_create(
            defaults={"action": ConsentAction.DECLINE}
        )
    with pytest.raises(ConsentLedgerError):
        await ConsentLedgerEntry.select_for_update().filter(id=entry.id)
    fetched = await ConsentLedgerEntry.get(id=entry.id)
    fetched.subject_email = "changed@example.test"
    with pytest.raises(ConsentLedgerError):
        await fetched.save()
    with pytest.raises(ConsentLedgerError):
        await fetched.delete()

    assert await _rows() == before  # nothing changed in the database
    # Appending still works, and reading is unaffected.
    await record_consent(
        email="subject@example.test",
        purpose=ConsentPurpose.NEWSLETTER,
        action=ConsentAction.WITHDRAWAL,
        source=ConsentSource.SELF_SERVICE,
    )
    assert len(await _rows()) == 2
    assert await ConsentLedgerEntry.filter(subject_email="subject@example.test").count() == 2
