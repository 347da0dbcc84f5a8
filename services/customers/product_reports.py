"""What the vendor's product reports about a customer account and the portal only mirrors: the
account's main compliance framework with its progress, and when its trial ends.

The product's integration logs in as a vendor admin, as for `report_product_activity`. The demo
data set uses these to give its accounts a lived-in state. Attention items follow with the next
refresh (the worker's job), as for every other change the product reports.
"""

from __future__ import annotations

from datetime import datetime

from models.customers import Customer
from services.customers.access import visible_customer
from services.customers.common import clean_input
from services.platform.errors import ValidationFailed
from services.platform.viewer import Viewer


async def report_framework_progress(
    viewer: Viewer, customer_id: int, main_framework: str, progress: int
) -> Customer:
    """The framework the customer works on first and how far along it is, in percent."""
    viewer.require_vendor_admin()
    customer = await visible_customer(viewer, customer_id)
    problems: list[tuple[str, str]] = []
    framework = clean_input(main_framework, "mainFramework", problems, max_length=100)
    if not 0 <= progress <= 100:
        problems.append(("progress", "The progress must be 0 to 100 percent."))
    if problems:
        raise ValidationFailed(problems)
    await Customer.filter(id=customer.id).update(
        main_framework=framework, framework_progress=progress
    )
    await customer.refresh_from_db()
    return customer


async def report_trial_end(viewer: Viewer, customer_id: int, trial_ends_at: datetime) -> Customer:
    """When the customer's trial ends (or ended), as the product runs it: a trial extended or
    cut short there. A running trial whose end has passed closes like any ended trial."""
    viewer.require_vendor_admin()
    customer = await visible_customer(viewer, customer_id)
    if trial_ends_at.tzinfo is None:
        raise ValidationFailed([("trialEndsAt", "Give the time with its time zone.")])
    await Customer.filter(id=customer.id).update(trial_ends_at=trial_ends_at)
    await customer.refresh_from_db()
    return customer
