"""Demo data of deal registration: registrations in every state, as partners and the vendor's
review team would have left them, dated back with the services' `now`.

- a draft, a fresh submission and one whose review is overdue (past its working-day target);
- one the vendor asked more information about, one rejected with its reason;
- approved ones: protected for months, one expiring within days with an extension requested,
  and one whose protection ended (the worker writes it EXPIRED);
- a second partner's submission for an approved company: a conflict the vendor sees the holder of;
- one won through its customer (which creates the commission) and one lost;
- the vendor's own open deal (as its CRM would sync it) and a partner's registration it flags;
- a custom form field, and auto-approval rules for platinum partners with one registration
  they approved at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from models.deal_registrations import CustomFieldKind
from models.enums import PartnerTier
from services.deals import registration_review as review
from services.deals import registrations
from services.deals.approval_rule_fields import DealConditionInput, DealField
from services.deals.approval_rules import rule_scope, save_approval_rules
from services.deals.custom_field_definitions import create_field
from services.deals.direct_deals import DirectDealInput, upsert_direct_deal
from services.deals.registrations import RegistrationFields
from services.demo.cast import DemoCast
from services.leads.rules import Operator


def _form(
    company: str,
    domain: str,
    contact: str,
    products: str,
    amount: str,
    close_in_days: int,
    now: datetime,
    customer_id: int | None = None,
    notes: str = "",
    deal_type: str = "New business",
) -> RegistrationFields:
    first_name = contact.split()[0].lower()
    return RegistrationFields(
        company_name=company,
        company_domain=domain,
        contact_name=contact,
        contact_email=f"{first_name}@{domain}",
        products=products,
        amount=Decimal(amount),
        currency="EUR",
        expected_close_on=(now + timedelta(days=close_in_days)).date(),
        customer_id=customer_id,
        notes=notes,
        custom_fields={"deal_type": deal_type},
    )


async def _submitted(cast: DemoCast, email: str, form: RegistrationFields, days_ago: float) -> int:
    moment = cast.now - timedelta(days=days_ago)
    registration = await registrations.submit_registration(cast.as_user(email), form, moment)
    return registration.id


async def _approved(
    cast: DemoCast, email: str, form: RegistrationFields, days_ago: float, protection_days: int = 90
) -> int:
    registration_id = await _submitted(cast, email, form, days_ago)
    await review.approve_registration(
        cast.vendor,
        registration_id,
        protection_days=protection_days,
        note="Confirmed with the account team.",
        now=cast.now - timedelta(days=days_ago - 1),
    )
    return registration_id


async def load_deal_registration_demo(cast: DemoCast) -> None:
    now, vendor = cast.now, cast.vendor
    await create_field(
        vendor, "deal_type", "Deal type", CustomFieldKind.CHOICE, ["New business", "Upsell"], False
    )
    await registrations.save_draft(
        cast.as_user("user@fjord.example"),
        RegistrationFields(
            company_name="Skagen Shipping", company_domain="skagen-shipping.example"
        ),
        now - timedelta(hours=3),
    )
    await _submitted(
        cast,
        "user@alpine.example",
        _form(
            "Rhein Chemie AG",
            "rhein-chemie.example",
            "Jonas Weber",
            "Compliance Suite",
            "48000",
            60,
            now,
        ),
        days_ago=0.1,
    )
    # Submitted a week ago: past the review target, an attention item for the vendor.
    await _submitted(
        cast,
        "admin@fjord.example",
        _form(
            "Bergen Ferries",
            "bergen-ferries.example",
            "Ingrid Dahl",
            "NIS2 Toolkit",
            "12500",
            45,
            now,
        ),
        days_ago=7,
    )
    asked = await _submitted(
        cast,
        "user@northwind.example",
        _form(
            "Delta Water Board",
            "delta-water.example",
            "Pieter de Vries",
            "ISO 27001 Suite",
            "30000",
            90,
            now,
        ),
        days_ago=4,
    )
    await review.request_information(
        vendor,
        asked,
        "Which business units are in scope, and who is their current supplier?",
        now - timedelta(days=3),
    )
    refused = await _submitted(
        cast,
        "admin@fjord.example",
        _form(
            "Tromso Fisheries", "tromso-fish.example", "Lars Berg", "NIS2 Toolkit", "8000", 30, now
        ),
        days_ago=20,
    )
    await review.reject_registration(
        vendor,
        refused,
        "The vendor's own sales team already works this account.",
        now - timedelta(days=19),
    )
    await _approved(
        cast,
        "admin@northwind.example",
        _form(
            "Polder Insurance",
            "polder-insurance.example",
            "Sanne Jansen",
            "ISO 27001 Suite, DORA module",
            "65000",
            75,
            now,
        ),
        days_ago=10,
    )
    # Another partner claims the same company: flagged, the holder shown to the vendor only.
    await _submitted(
        cast,
        "user@fjord.example",
        _form(
            "Polder Insurance N.V.",
            "polder-insurance.example",
            "Erik Visser",
            "ISO 27001 Suite",
            "40000",
            60,
            now,
        ),
        days_ago=2,
    )
    expiring = await _approved(
        cast,
        "admin@alpine.example",
        _form(
            "Zugspitze Kliniken",
            "zugspitze-kliniken.example",
            "Anna Huber",
            "NIS2 Toolkit",
            "22000",
            20,
            now,
        ),
        days_ago=87,
    )
    await review.request_extension(
        cast.as_user("admin@alpine.example"),
        expiring,
        "The hospital board decides next month; we are in the final round.",
        now - timedelta(days=1),
    )
    await _approved(
        cast,
        "admin@northwind.example",
        _form(
            "Maas Logistics",
            "maas-logistics.example",
            "Bram Peters",
            "ISO 27001 Suite",
            "18000",
            10,
            now - timedelta(days=120),
        ),
        days_ago=120,
    )
    won = await _approved(
        cast,
        "admin@northwind.example",
        _form(
            "Acme Logistics",
            "acme-logistics.example",
            "Mia Smit",
            "DORA module",
            "15000",
            14,
            now,
            customer_id=cast.customers["Acme Logistics"].id,
            notes="Upsell of the DORA module to an existing customer.",
        ),
        days_ago=30,
    )
    await review.mark_won(vendor, won, now=now - timedelta(days=2))
    lost = await _approved(
        cast,
        "admin@alpine.example",
        _form(
            "Matterhorn Versicherung",
            "matterhorn-vers.example",
            "Luca Meier",
            "Compliance Suite",
            "52000",
            30,
            now,
        ),
        days_ago=40,
    )
    await review.mark_lost(
        cast.as_user("admin@alpine.example"),
        lost,
        "The customer chose a competitor.",
        now - timedelta(days=5),
    )
    await _direct_deal_and_auto_approval(cast)


async def _direct_deal_and_auto_approval(cast: DemoCast) -> None:
    now, vendor = cast.now, cast.vendor
    await upsert_direct_deal(
        vendor,
        DirectDealInput(
            external_id="crm-opp-0042",
            company_name="Vesterhavet Energi",
            company_domain="vesterhavet-energi.example",
            owner_name="Vendor enterprise sales",
        ),
    )
    await _submitted(
        cast,
        "user@fjord.example",
        _form(
            "Vesterhavet Energi AS",
            "vesterhavet-energi.example",
            "Sigrid Lund",
            "NIS2 Toolkit",
            "26000",
            50,
            now,
        ),
        days_ago=1,
    )
    small_euro_deals = [
        [
            DealConditionInput(DealField.AMOUNT, Operator.LESS_THAN, "20000"),
            DealConditionInput(DealField.CURRENCY, Operator.EQUALS, "EUR"),
        ]
    ]
    await save_approval_rules(
        vendor,
        await rule_scope(vendor, PartnerTier.PLATINUM, None),
        small_euro_deals,
        "Platinum partners' euro deals under 20,000 need no review",
    )
    await _submitted(
        cast,
        "user@northwind.example",
        _form(
            "Kinderdijk Mills",
            "kinderdijk-mills.example",
            "Femke Bakker",
            "NIS2 Toolkit",
            "9500",
            40,
            now,
        ),
        days_ago=0.5,
    )
