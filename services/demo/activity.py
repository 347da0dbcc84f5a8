"""Demo leads and messages, made through the same services a real portal uses: a partner's own
leads (one matched by its auto-registration rules, so its customer is asked to approve),
consent requests waiting for the customer, leads the vendor distributed (one waiting for an
answer, one accepted), a published pop-up and an email campaign, so that every part of the API
shows something."""

from __future__ import annotations

from datetime import timedelta

from models.lead_management import AutoRegistrationMode, RuleSetOwner
from models.messaging import MessageKind
from services.consent import service as consent
from services.consent.service import NewLead
from services.demo.cast import DemoCast
from services.leads import answers as lead_answers
from services.leads import distribution as lead_distribution
from services.leads import lead_settings
from services.leads import rule_sets as lead_rule_sets
from services.leads import service as lead_management
from services.leads.rules import Condition, LeadField, Operator
from services.leads.service import LeadInput
from services.messaging import service as messaging
from services.messaging.content import MessageFields
from settings import Settings


async def load_activity_demo(settings: Settings, cast: DemoCast) -> None:
    vendor = cast.vendor
    northwind = cast.partners["Northwind Security"]
    northwind_admin = cast.as_user("admin@northwind.example")
    northwind_user = cast.as_user("user@northwind.example")
    alpine_user = cast.as_user("user@alpine.example")

    # Northwind registers leads with the supplier automatically when they come from the
    # financial sector; one of its two new leads matches.
    await lead_settings.set_auto_registration(
        northwind_admin, None, enabled=True, mode=AutoRegistrationMode.PARTNER_DEFINED
    )
    await lead_rule_sets.replace_rule_set(
        northwind_admin,
        None,
        RuleSetOwner.PARTNER,
        [[Condition(LeadField.INDUSTRY, Operator.EQUALS, value="Finance")]],
    )
    for company, industry in (("Rotterdam Savings", "Finance"), ("Delta Logistics", "Transport")):
        await lead_management.create_lead(
            settings,
            northwind_user,
            LeadInput(
                email=f"it@{company.split()[0].lower()}.example",
                company=company,
                industry=industry,
                country="NL",
            ),
        )

    # Customers asked to approve their registration (the consent emails are in the mailbox).
    await consent.register_lead(
        settings,
        northwind_user,
        NewLead(email="ciso@harbourbank.example", company="Harbour Bank", locale="nl"),
    )
    await consent.register_lead(
        settings,
        alpine_user,
        NewLead(email="it@bergwerk.example", company="Bergwerk AG", locale="de"),
    )

    # Leads the vendor hands to Northwind: one waits for an answer, one was accepted.
    handed_out = []
    for company in ("Polder Water Board", "Tulip Insurance"):
        lead = await lead_management.create_vendor_lead(
            vendor,
            LeadInput(email=f"contact@{company.split()[0].lower()}.example", company=company),
        )
        handed_out.append(lead.id)
    await lead_distribution.distribute_leads(
        settings,
        vendor,
        handed_out,
        northwind.id,
        accept_by=cast.now + timedelta(days=5),
    )
    await lead_answers.accept_lead(northwind_user, handed_out[1])

    # A pop-up shown on every partner's dashboard and an email to the gold-and-above group.
    popup = await messaging.create_message(
        vendor,
        MessageKind.POPUP,
        MessageFields(
            title="Partner summit on 12 March",
            body="<p>Join us in Utrecht for the yearly <strong>partner summit</strong>.</p>",
            all_partners=True,
            pages=["dashboard"],
        ),
    )
    await messaging.publish_message(vendor, settings, popup.id)
    gold = cast.groups["Gold and above"]
    campaign = await messaging.create_message(
        vendor,
        MessageKind.EMAIL,
        MessageFields(
            title="New NIS2 bundle for your customers",
            body="<p>From next month partners can offer the NIS2 bundle at launch prices.</p>",
            group_ids=[gold.id],
        ),
    )
    await messaging.send_message(vendor, settings, campaign.id)
    await messaging.create_message(
        vendor,
        MessageKind.EMAIL,
        MessageFields(
            title="Draft: quarterly newsletter", body="<p>To be written.</p>", all_partners=True
        ),
    )
